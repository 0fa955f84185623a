# Bridge to csrc/cross_entropy.c.  Arrays arrive validated by the Python layer
# (C-contiguous, compute dtype, shapes consistent); nothing is checked here.
include "_common.pxi"
from libc.stdint cimport int64_t

cdef extern from "cross_entropy.h" nogil:
    ctypedef struct le_ce_args:
        const void *x
        const int64_t *target
        const void *ptarget
        const void *weight
        const void *go
        void *loss
        void *grad
        int64_t outer, C, inner
        int64_t ignore_index
        double label_smoothing
        double go_scalar
        int reduction
        int log_input
        int n_threads
        double loss_value
        double total_weight
        int64_t bad_index
    ctypedef struct le_softmax_args:
        const void *x
        const void *go
        void *y
        void *grad
        int64_t outer, C, inner
        double go_scalar
        int mode
        int n_threads

cdef extern from "le_dispatch.h" nogil:
    # LE_PICK expands to the variant for the selected ISA level
    int le_ce_f32 "LE_PICK(le_ce_f32)"(le_ce_args *a)
    int le_ce_f64 "LE_PICK(le_ce_f64)"(le_ce_args *a)
    int le_softmax_f32 "LE_PICK(le_softmax_f32)"(le_softmax_args *a)
    int le_softmax_f64 "LE_PICK(le_softmax_f64)"(le_softmax_args *a)

cdef extern from "cross_entropy.h":
    pass


def ce(x, target, ptarget, weight, go, loss_out, grad_out,
       int64_t outer, int64_t C, int64_t inner, int64_t ignore_index,
       double label_smoothing, double go_scalar, int reduction, int log_input,
       int n_threads):
    """Returns (status, reduced loss, total weight, bad position)."""
    cdef le_ce_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x)
    a.target = <const int64_t *>_ptr(target)
    a.ptarget = _ptr(ptarget)
    a.weight = _ptr(weight)
    a.go = _ptr(go)
    a.loss = _ptr(loss_out)
    a.grad = _ptr(grad_out)
    a.outer = outer; a.C = C; a.inner = inner
    a.ignore_index = ignore_index
    a.label_smoothing = label_smoothing
    a.go_scalar = go_scalar
    a.reduction = reduction
    a.log_input = log_input
    a.n_threads = n_threads
    a.loss_value = 0; a.total_weight = 0; a.bad_index = -1
    with nogil:
        if f32:
            st = le_ce_f32(&a)
        else:
            st = le_ce_f64(&a)
    return st, a.loss_value, a.total_weight, a.bad_index


def softmax(x, go, y, grad_out, int64_t outer, int64_t C, int64_t inner,
            double go_scalar, int mode, int n_threads):
    cdef le_softmax_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x)
    a.go = _ptr(go)
    a.y = _ptr(y)
    a.grad = _ptr(grad_out)
    a.outer = outer; a.C = C; a.inner = inner
    a.go_scalar = go_scalar
    a.mode = mode
    a.n_threads = n_threads
    with nogil:
        if f32:
            st = le_softmax_f32(&a)
        else:
            st = le_softmax_f64(&a)
    return st
