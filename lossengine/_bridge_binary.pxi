# Bridge to csrc/bce.c and csrc/select.c.  Arrays arrive validated by the
# Python layer (C-contiguous, compute dtype, shapes consistent); nothing is
# checked here.
from libc.stdint cimport int64_t, uint8_t

cdef extern from "bce.h" nogil:
    ctypedef struct le_bcast:
        const void *p
        int64_t C, inner
        double value
    ctypedef struct le_bin_args:
        const void *x
        const void *y
        le_bcast w
        le_bcast b
        const void *go
        void *loss
        void *grad
        int64_t n, row
        int mode, reduction, from_logits, n_threads
        double norm, go_scalar, alpha, gamma
        double loss_value
        int64_t bad_index
        int bad_what
    ctypedef struct le_dice_args:
        const void *x
        const void *y
        const void *go
        void *loss
        void *grad
        int64_t N, L
        double eps, go_scalar, norm
        int squared, from_logits, n_threads
        int stream
        double loss_value
    ctypedef struct le_ohem_args:
        const void *x
        const void *y
        const uint8_t *mask
        const void *go
        void *loss
        void *grad
        void *keys
        int64_t n
        double ratio, eps, go_scalar
        int64_t min_negatives
        int reduction, from_logits, n_threads
        double loss_value
        int64_t n_pos, n_neg, k
        double denom
        int64_t bad_index
        int bad_what
    ctypedef struct le_topk_args:
        const void *v
        const uint8_t *mask
        uint8_t *out
        void *keys
        int64_t n, k
        int n_threads
        int64_t n_cand

cdef extern from "focal.h" nogil:
    ctypedef struct le_sfocal_args:
        const void *x
        const int64_t *target
        const void *weight
        const void *alpha
        const void *go
        void *loss
        void *grad
        int64_t outer, C, inner
        int64_t ignore_index
        double gamma, go_scalar
        int reduction, n_threads
        double loss_value, total_weight
        int64_t bad_index

cdef extern from "le_dispatch.h" nogil:
    int le_sfocal_f32 "LE_PICK(le_sfocal_f32)"(le_sfocal_args *a)
    int le_sfocal_f64 "LE_PICK(le_sfocal_f64)"(le_sfocal_args *a)
    int le_bin_f32 "LE_PICK(le_bin_f32)"(le_bin_args *a)
    int le_bin_f64 "LE_PICK(le_bin_f64)"(le_bin_args *a)
    int le_dice_f32 "LE_PICK(le_dice_f32)"(le_dice_args *a)
    int le_dice_f64 "LE_PICK(le_dice_f64)"(le_dice_args *a)
    int le_ohem_f32 "LE_PICK(le_ohem_f32)"(le_ohem_args *a)
    int le_ohem_f64 "LE_PICK(le_ohem_f64)"(le_ohem_args *a)
    int le_topk_f32 "LE_PICK(le_topk_f32)"(le_topk_args *a)
    int le_topk_f64 "LE_PICK(le_topk_f64)"(le_topk_args *a)


cdef void _bc(le_bcast *o, object spec):
    """spec: None, a float, or (array, C, inner)."""
    if spec is None:
        o.p = NULL; o.C = 1; o.inner = 1; o.value = 1.0
    elif isinstance(spec, tuple):
        o.p = _ptr(spec[0]); o.C = spec[1]; o.inner = spec[2]; o.value = 0.0
    else:
        o.p = NULL; o.C = 1; o.inner = 1; o.value = spec


def binary(int mode, x, y, wspec, bspec, go, loss_out, grad_out, int64_t n, int64_t row,
           int reduction, double norm, double go_scalar, double alpha, double gamma,
           int from_logits, int n_threads):
    """Returns (status, reduced loss, bad index, bad what)."""
    cdef le_bin_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x); a.y = _ptr(y)
    _bc(&a.w, wspec); _bc(&a.b, bspec)
    a.go = _ptr(go); a.loss = _ptr(loss_out); a.grad = _ptr(grad_out)
    a.n = n; a.row = row; a.mode = mode; a.reduction = reduction
    a.from_logits = from_logits; a.n_threads = n_threads
    a.norm = norm; a.go_scalar = go_scalar; a.alpha = alpha; a.gamma = gamma
    a.loss_value = 0; a.bad_index = -1; a.bad_what = 0
    with nogil:
        if f32:
            st = le_bin_f32(&a)
        else:
            st = le_bin_f64(&a)
    return st, a.loss_value, a.bad_index, a.bad_what


def dice(x, y, go, loss_out, grad_out, int64_t N, int64_t L, double eps, double go_scalar,
         double norm, int squared, int from_logits, int n_threads, int stream=0):
    """Returns (status, sum of the per-sample losses).  stream: LE_STREAM_GRAD
    when the gradient buffer's pages are known to be present (reused)."""
    cdef le_dice_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x); a.y = _ptr(y); a.go = _ptr(go); a.loss = _ptr(loss_out)
    a.grad = _ptr(grad_out); a.N = N; a.L = L; a.eps = eps; a.go_scalar = go_scalar
    a.norm = norm; a.squared = squared; a.from_logits = from_logits; a.n_threads = n_threads
    a.stream = stream
    a.loss_value = 0
    with nogil:
        if f32:
            st = le_dice_f32(&a)
        else:
            st = le_dice_f64(&a)
    return st, a.loss_value


def ohem(x, y, mask, go, loss_out, grad_out, keys, int64_t n, double ratio, double eps,
         int64_t min_negatives, double go_scalar, int reduction, int from_logits,
         int n_threads):
    """Returns (status, loss, n_pos, n_neg, k, denom, bad index, bad what)."""
    cdef le_ohem_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x); a.y = _ptr(y); a.mask = <const uint8_t *>_ptr(mask); a.go = _ptr(go)
    a.loss = _ptr(loss_out); a.grad = _ptr(grad_out); a.keys = _ptr(keys)
    a.n = n; a.ratio = ratio; a.eps = eps; a.min_negatives = min_negatives
    a.go_scalar = go_scalar; a.reduction = reduction; a.from_logits = from_logits
    a.n_threads = n_threads
    a.loss_value = 0; a.n_pos = 0; a.n_neg = 0; a.k = 0; a.denom = 0
    a.bad_index = -1; a.bad_what = 0
    with nogil:
        if f32:
            st = le_ohem_f32(&a)
        else:
            st = le_ohem_f64(&a)
    return st, a.loss_value, a.n_pos, a.n_neg, a.k, a.denom, a.bad_index, a.bad_what


def topk(v, mask, out, keys, int64_t n, int64_t k, int n_threads):
    cdef le_topk_args a
    cdef int st
    cdef bint f32 = _is_f32(v)
    a.v = _ptr(v); a.mask = <const uint8_t *>_ptr(mask); a.out = <uint8_t *>_ptr(out)
    a.keys = _ptr(keys); a.n = n; a.k = k; a.n_threads = n_threads; a.n_cand = 0
    with nogil:
        if f32:
            st = le_topk_f32(&a)
        else:
            st = le_topk_f64(&a)
    return st


def sfocal(x, target, weight, alpha, go, loss_out, grad_out, int64_t outer, int64_t C,
           int64_t inner, int64_t ignore_index, double gamma, double go_scalar, int reduction,
           int n_threads):
    """Returns (status, reduced loss, total weight, bad position)."""
    cdef le_sfocal_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x); a.target = <const int64_t *>_ptr(target); a.weight = _ptr(weight)
    a.alpha = _ptr(alpha); a.go = _ptr(go); a.loss = _ptr(loss_out); a.grad = _ptr(grad_out)
    a.outer = outer; a.C = C; a.inner = inner; a.ignore_index = ignore_index
    a.gamma = gamma; a.go_scalar = go_scalar; a.reduction = reduction; a.n_threads = n_threads
    a.loss_value = 0; a.total_weight = 0; a.bad_index = -1
    with nogil:
        if f32:
            st = le_sfocal_f32(&a)
        else:
            st = le_sfocal_f64(&a)
    return st, a.loss_value, a.total_weight, a.bad_index
