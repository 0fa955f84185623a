# Bridge to csrc/linear_ce.c (fused linear + cross-entropy).  Arrays arrive
# validated by lossengine/_linear_ce.py (C-contiguous, compute dtype, sizes
# consistent, targets in range); `gemm` is the address of the BLAS sgemm or
# dgemm (Fortran interface) matching the dtype, taken from SciPy's
# scipy.linalg.cython_blas at run time, so this module links no BLAS and
# needs no SciPy to build or import.
from libc.stdint cimport int64_t

cdef extern from "linear_ce.h" nogil:
    ctypedef struct le_lce_args:
        const void *x
        const void *w
        const void *bias
        const int64_t *target
        const void *go
        void *loss
        void *dx
        void *dw
        void *dbias
        void *gemm
        int64_t N, D, V, tile
        int64_t ignore_index
        double label_smoothing
        double go_scalar
        int reduction
        int n_threads
        double loss_value
        double count

cdef extern from "le_dispatch.h" nogil:
    int le_lce_f32 "LE_PICK(le_lce_f32)"(le_lce_args *a)
    int le_lce_f64 "LE_PICK(le_lce_f64)"(le_lce_args *a)


def linear_ce(x, w, bias, target, go, loss_out, dx, dw, dbias, size_t gemm,
              int64_t N, int64_t D, int64_t V, int64_t tile, int64_t ignore_index,
              double label_smoothing, double go_scalar, int reduction, int n_threads):
    """Returns (status, reduced loss, count of non-ignored rows)."""
    cdef le_lce_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x)
    a.w = _ptr(w)
    a.bias = _ptr(bias)
    a.target = <const int64_t *>_ptr(target)
    a.go = _ptr(go)
    a.loss = _ptr(loss_out)
    a.dx = _ptr(dx)
    a.dw = _ptr(dw)
    a.dbias = _ptr(dbias)
    a.gemm = <void *>gemm
    a.N = N; a.D = D; a.V = V; a.tile = tile
    a.ignore_index = ignore_index
    a.label_smoothing = label_smoothing
    a.go_scalar = go_scalar
    a.reduction = reduction
    a.n_threads = n_threads
    a.loss_value = 0; a.count = 0
    with nogil:
        if f32:
            st = le_lce_f32(&a)
        else:
            st = le_lce_f64(&a)
    return st, a.loss_value, a.count
