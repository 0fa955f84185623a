# Bridge to csrc/vmath.c: the engine's own exp/log/log1p over arrays (tests).
from libc.stdint cimport int64_t

cdef extern from "vmath.h":
    pass
cdef extern from "le_dispatch.h" nogil:
    int le_vmath_f32 "LE_PICK(le_vmath_f32)"(int op, const float *x, float *y, int64_t n)
    int le_vmath_f64 "LE_PICK(le_vmath_f64)"(int op, const double *x, double *y, int64_t n)

def vmath(int op, x, y):
    cdef int64_t n = x.size
    cdef bint f32 = _is_f32(x)
    cdef void *px = _ptr(x)
    cdef void *py = _ptr(y)
    with nogil:
        if f32:
            le_vmath_f32(op, <const float *>px, <float *>py, n)
        else:
            le_vmath_f64(op, <const double *>px, <double *>py, n)

cdef extern from "memcopy.h":
    pass
cdef extern from "le_dispatch.h" nogil:
    void le_memcopy "LE_PICK(le_memcopy)"(void *dst, const void *src, int64_t nbytes, int n_threads)

def memcopy(dst, src, int n_threads):
    """dst[...] = src for C-contiguous arrays of equal size, with n_threads."""
    cdef void *pd = _ptr(dst)
    cdef void *ps = _ptr(src)
    cdef int64_t nb = src.nbytes
    with nogil:
        le_memcopy(pd, ps, nb, n_threads)
