# Bridge to csrc/cross_entropy.c.  Arrays arrive validated by the Python layer
# (C-contiguous, compute dtype, shapes consistent); nothing is checked here.
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


# ---------------------------------------------------------------------------
# Small-call fast path: (N, C) C-contiguous float32/float64 logits with a 1-d
# int64 target and plain options.  Everything it accepts it checks here as the
# Python layer would; anything else (or any error) returns None so the general
# path runs and raises the documented error.
cdef object _f32 = _np.float32
cdef object _f64 = _np.float64
cdef dict _RED = {"none": 0, "mean": 1, "sum": 2}


cdef inline bint _overlap(cnp.ndarray a, cnp.ndarray b):
    """Whether the memory extents of two C-contiguous arrays intersect."""
    if b is None:
        return False
    cdef char *pa = <char *>cnp.PyArray_DATA(a)
    cdef char *pb = <char *>cnp.PyArray_DATA(b)
    return pa < pb + cnp.PyArray_NBYTES(b) and pb < pa + cnp.PyArray_NBYTES(a)


def ce_fast(x, t, w, ignore_index, label_smoothing, reduction, bint grad, int log_input,
            int n_threads, grad_out=None):
    cdef cnp.ndarray xa, ta, ga, wa = None
    cdef cnp.npy_intp dims[2]
    cdef int typ
    cdef le_ce_args a
    cdef int st
    if type(x) is not cnp.ndarray or type(t) is not cnp.ndarray:
        return None
    xa = <cnp.ndarray>x
    ta = <cnp.ndarray>t
    if cnp.PyArray_NDIM(xa) != 2 or cnp.PyArray_NDIM(ta) != 1:
        return None
    typ = cnp.PyArray_TYPE(xa)
    if typ != cnp.NPY_FLOAT32 and typ != cnp.NPY_FLOAT64:
        return None
    if not cnp.PyArray_IS_C_CONTIGUOUS(xa) or not cnp.PyArray_IS_C_CONTIGUOUS(ta) \
            or cnp.PyArray_TYPE(ta) != cnp.NPY_INT64:
        return None
    dims[0] = cnp.PyArray_DIM(xa, 0)
    dims[1] = cnp.PyArray_DIM(xa, 1)
    if cnp.PyArray_DIM(ta, 0) != dims[0]:
        return None
    if w is not None:
        if type(w) is not cnp.ndarray:
            return None
        wa = <cnp.ndarray>w
        if cnp.PyArray_NDIM(wa) != 1 or cnp.PyArray_DIM(wa, 0) != dims[1] \
                or cnp.PyArray_TYPE(wa) != typ or not cnp.PyArray_IS_C_CONTIGUOUS(wa):
            return None
    if type(ignore_index) is not int or type(label_smoothing) not in (float, int):
        return None
    if not (0.0 <= label_smoothing <= 1.0):
        return None
    red = _RED.get(reduction) if type(reduction) is str else None
    if red is None:
        return None
    a.x = cnp.PyArray_DATA(xa)
    a.target = <const int64_t *>cnp.PyArray_DATA(ta)
    a.ptarget = NULL
    a.weight = cnp.PyArray_DATA(wa) if wa is not None else NULL
    a.go = NULL
    loss = None
    if red == 0:
        loss = cnp.PyArray_EMPTY(1, dims, typ, 0)
        a.loss = cnp.PyArray_DATA(<cnp.ndarray>loss)
    else:
        a.loss = NULL
    g = None
    if grad_out is not None:
        # accepted only when it is plainly valid; the general path explains the rest
        if not grad or type(grad_out) is not cnp.ndarray:
            return None
        ga = <cnp.ndarray>grad_out
        if cnp.PyArray_NDIM(ga) != 2 or cnp.PyArray_DIM(ga, 0) != dims[0] \
                or cnp.PyArray_DIM(ga, 1) != dims[1] or cnp.PyArray_TYPE(ga) != typ \
                or not cnp.PyArray_IS_C_CONTIGUOUS(ga) or not cnp.PyArray_ISWRITEABLE(ga) \
                or _overlap(ga, xa) or _overlap(ga, ta) or _overlap(ga, wa):
            return None
        g = grad_out
        a.grad = cnp.PyArray_DATA(ga)
    elif grad:
        g = cnp.PyArray_EMPTY(2, dims, typ, 0)
        a.grad = cnp.PyArray_DATA(<cnp.ndarray>g)
    else:
        a.grad = NULL
    a.outer = dims[0]; a.C = dims[1]; a.inner = 1
    a.ignore_index = ignore_index
    a.label_smoothing = label_smoothing
    a.go_scalar = 1.0
    a.reduction = red
    a.log_input = log_input
    a.n_threads = n_threads
    a.loss_value = 0; a.total_weight = 0; a.bad_index = -1
    if dims[0] * dims[1] < 16384:
        if typ == cnp.NPY_FLOAT32:
            st = le_ce_f32(&a)
        else:
            st = le_ce_f64(&a)
    else:
        with nogil:
            if typ == cnp.NPY_FLOAT32:
                st = le_ce_f32(&a)
            else:
                st = le_ce_f64(&a)
    if st != 0:
        return None
    if red != 0:
        loss = _f32(a.loss_value) if typ == cnp.NPY_FLOAT32 else _f64(a.loss_value)
    if grad:
        return loss, g
    return loss
