# Bridge to csrc/pointwise.c (elementwise losses) and csrc/activations.c.
# Arrays arrive validated by the Python layer (C-contiguous, compute dtype,
# consistent sizes); nothing is checked here.
from libc.stdint cimport int64_t

cdef extern from "pointwise.h" nogil:
    ctypedef struct le_pw_args:
        const void *x
        const void *y
        const void *w
        const void *v
        const void *go
        void *loss
        void *grad
        void *gvar
        int64_t n
        int op
        int full
        double p1, p2
        double go_scalar
        double denom
        int reduction
        int n_threads
        int stream
        double loss_value

cdef extern from "activations.h" nogil:
    ctypedef struct le_act_args:
        const void *x
        const void *go
        void *y
        void *grad
        int64_t n
        int op
        double p1, p2
        double go_scalar
        int n_threads
        int stream
    ctypedef struct le_prelu_args:
        const void *x
        const void *w
        const void *go
        void *y
        void *grad
        void *gw
        int64_t outer, C, inner
        double go_scalar
        int n_threads

cdef extern from "le_dispatch.h" nogil:
    int le_pw_f32 "LE_PICK(le_pw_f32)"(le_pw_args *a)
    int le_pw_f64 "LE_PICK(le_pw_f64)"(le_pw_args *a)
    int le_act_f32 "LE_PICK(le_act_f32)"(le_act_args *a)
    int le_act_f64 "LE_PICK(le_act_f64)"(le_act_args *a)
    int le_prelu_f32 "LE_PICK(le_prelu_f32)"(le_prelu_args *a)
    int le_prelu_f64 "LE_PICK(le_prelu_f64)"(le_prelu_args *a)


def pw(int op, x, y, w, v, go, loss_out, grad_out, gvar_out, int full, double p1, double p2,
       double go_scalar, double denom, int reduction, int n_threads, int stream=0):
    """Returns (status, reduced loss).  stream: LE_STREAM_* bits for outputs
    whose pages are known to be present (reused buffers)."""
    cdef le_pw_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x); a.y = _ptr(y); a.w = _ptr(w); a.v = _ptr(v); a.go = _ptr(go)
    a.loss = _ptr(loss_out); a.grad = _ptr(grad_out); a.gvar = _ptr(gvar_out)
    a.n = x.size
    a.op = op; a.full = full; a.p1 = p1; a.p2 = p2
    a.go_scalar = go_scalar; a.denom = denom
    a.reduction = reduction; a.n_threads = n_threads
    a.stream = stream
    a.loss_value = 0
    with nogil:
        if f32:
            st = le_pw_f32(&a)
        else:
            st = le_pw_f64(&a)
    return st, a.loss_value


def act(int op, x, go, y, grad_out, double p1, double p2, double go_scalar, int n_threads,
        int stream=0):
    cdef le_act_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x); a.go = _ptr(go); a.y = _ptr(y); a.grad = _ptr(grad_out)
    a.n = x.size
    a.op = op; a.p1 = p1; a.p2 = p2; a.go_scalar = go_scalar; a.n_threads = n_threads
    a.stream = stream
    with nogil:
        if f32:
            st = le_act_f32(&a)
        else:
            st = le_act_f64(&a)
    return st


def prelu(x, w, go, y, grad_out, gw_out, int64_t outer, int64_t C, int64_t inner,
          double go_scalar, int n_threads):
    cdef le_prelu_args a
    cdef int st
    cdef bint f32 = _is_f32(x)
    a.x = _ptr(x); a.w = _ptr(w); a.go = _ptr(go); a.y = _ptr(y)
    a.grad = _ptr(grad_out); a.gw = _ptr(gw_out)
    a.outer = outer; a.C = C; a.inner = inner
    a.go_scalar = go_scalar; a.n_threads = n_threads
    with nogil:
        if f32:
            st = le_prelu_f32(&a)
        else:
            st = le_prelu_f64(&a)
    return st
