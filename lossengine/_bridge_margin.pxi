# Bridge to csrc/margin.c.  Arrays arrive validated by the Python layer
# (C-contiguous, compute dtype, shapes consistent); nothing is checked here.
from libc.stdint cimport int64_t

cdef extern from "margin.h" nogil:
    ctypedef struct le_melem_args:
        const void *x1
        const void *x2
        const void *y
        const void *go
        void *loss
        void *g1
        void *g2
        int64_t n
        double margin
        double go_scalar
        int kind
        int reduction
        int n_threads
        double loss_value
    ctypedef struct le_mrow_args:
        const void *x
        const int64_t *target
        const void *weight
        const void *go
        void *loss
        void *grad
        int64_t N, C
        double margin
        double go_scalar
        int p
        int kind
        int reduction
        int n_threads
        double loss_value
        int64_t bad_index
    ctypedef struct le_emb_args:
        const void *a
        const void *b
        const void *c
        const void *y
        const void *go
        void *loss
        void *ga
        void *gb
        void *gc
        int64_t N, D
        int dist
        double p, eps
        double doff, dscale
        double margin
        double go_scalar
        int mode
        int swap
        int reduction
        int n_threads
        double loss_value

cdef extern from "le_dispatch.h" nogil:
    int le_melem_f32 "LE_PICK(le_melem_f32)"(le_melem_args *a)
    int le_melem_f64 "LE_PICK(le_melem_f64)"(le_melem_args *a)
    int le_mrow_f32 "LE_PICK(le_mrow_f32)"(le_mrow_args *a)
    int le_mrow_f64 "LE_PICK(le_mrow_f64)"(le_mrow_args *a)
    int le_emb_f32 "LE_PICK(le_emb_f32)"(le_emb_args *a)
    int le_emb_f64 "LE_PICK(le_emb_f64)"(le_emb_args *a)


def melem(x1, x2, y, go, loss_out, g1, g2, int64_t n, double margin, double go_scalar,
          int kind, int reduction, int n_threads):
    """Elementwise margin losses. Returns (status, reduced loss)."""
    cdef le_melem_args a
    cdef int st
    cdef bint f32 = _is_f32(x1)
    a.x1 = _ptr(x1); a.x2 = _ptr(x2); a.y = _ptr(y); a.go = _ptr(go)
    a.loss = _ptr(loss_out); a.g1 = _ptr(g1); a.g2 = _ptr(g2)
    a.n = n; a.margin = margin; a.go_scalar = go_scalar
    a.kind = kind; a.reduction = reduction; a.n_threads = n_threads
    a.loss_value = 0
    with nogil:
        if f32:
            st = le_melem_f32(&a)
        else:
            st = le_melem_f64(&a)
    return st, a.loss_value


def mrow(x, target, weight, go, loss_out, grad_out, int64_t N, int64_t C, double margin,
         double go_scalar, int p, int kind, int reduction, int n_threads):
    """multi_margin / multilabel_margin rows. Returns (status, reduced loss, bad index)."""
    cdef le_mrow_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x); a.target = <const int64_t *>_ptr(target); a.weight = _ptr(weight)
    a.go = _ptr(go); a.loss = _ptr(loss_out); a.grad = _ptr(grad_out)
    a.N = N; a.C = C; a.margin = margin; a.go_scalar = go_scalar; a.p = p
    a.kind = kind; a.reduction = reduction; a.n_threads = n_threads
    a.loss_value = 0; a.bad_index = -1
    with nogil:
        if f32:
            st = le_mrow_f32(&a)
        else:
            st = le_mrow_f64(&a)
    return st, a.loss_value, a.bad_index


def emb(A, B, C, y, go, loss_out, ga, gb, gc, int64_t N, int64_t D, int dist, double p,
        double eps, double doff, double dscale, double margin, double go_scalar, int mode,
        int swap, int reduction, int n_threads):
    """Embedding rows (distances, cosine embedding, triplet). Returns (status, reduced loss)."""
    cdef le_emb_args a
    cdef int st
    cdef bint f32 = _is_f32(A)
    a.a = _ptr(A); a.b = _ptr(B); a.c = _ptr(C); a.y = _ptr(y); a.go = _ptr(go)
    a.loss = _ptr(loss_out); a.ga = _ptr(ga); a.gb = _ptr(gb); a.gc = _ptr(gc)
    a.N = N; a.D = D; a.dist = dist; a.p = p; a.eps = eps; a.doff = doff; a.dscale = dscale
    a.margin = margin; a.go_scalar = go_scalar; a.mode = mode; a.swap = swap
    a.reduction = reduction; a.n_threads = n_threads; a.loss_value = 0
    with nogil:
        if f32:
            st = le_emb_f32(&a)
        else:
            st = le_emb_f64(&a)
    return st, a.loss_value
