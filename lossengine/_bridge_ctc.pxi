# Bridge to csrc/ctc.c.  Arrays arrive validated by the Python layer
# (C-contiguous, compute dtype / int64, shapes and lengths consistent);
# nothing is checked here.
from libc.stdint cimport int64_t

cdef extern from "ctc.h" nogil:
    ctypedef struct le_ctc_args:
        const void *lp
        const int64_t *targets
        const int64_t *tgt_off
        const int64_t *in_len
        const int64_t *tgt_len
        const void *go
        void *loss
        void *grad
        int64_t T_max, N, C, blank
        int64_t S_pad
        double go_scalar
        int reduction
        int zero_infinity
        int grad_logits
        int force_log
        int n_threads
        double loss_value
        int64_t bad_sample, bad_pos
        int64_t n_log_path
    int LE_CTC_ERR_TARGET_RANGE, LE_CTC_ERR_TARGET_BLANK, LE_CTC_ERR_INPUT_LEN, LE_CTC_ERR_TARGET_LEN

cdef extern from "le_dispatch.h" nogil:
    int le_ctc_f32 "LE_PICK(le_ctc_f32)"(le_ctc_args *a)
    int le_ctc_f64 "LE_PICK(le_ctc_f64)"(le_ctc_args *a)

ERR_TARGET_RANGE = LE_CTC_ERR_TARGET_RANGE
ERR_TARGET_BLANK = LE_CTC_ERR_TARGET_BLANK
ERR_INPUT_LEN = LE_CTC_ERR_INPUT_LEN
ERR_TARGET_LEN = LE_CTC_ERR_TARGET_LEN
ERR_NOMEM = LE_ERR_NOMEM


def ctc(lp, targets, tgt_off, in_len, tgt_len, go, loss_out, grad_out,
        int64_t T, int64_t N, int64_t C, int64_t blank, int64_t S_pad, double go_scalar,
        int reduction,
        int zero_infinity, int grad_logits, int force_log, int n_threads):
    """Returns (status, reduced loss, bad sample, bad position, sequences on the log path)."""
    cdef le_ctc_args a
    cdef int st
    cdef bint f32 = _is_f32(lp)
    a.lp = _ptr(lp)
    a.targets = <const int64_t *>_ptr(targets)
    a.tgt_off = <const int64_t *>_ptr(tgt_off)
    a.in_len = <const int64_t *>_ptr(in_len)
    a.tgt_len = <const int64_t *>_ptr(tgt_len)
    a.go = _ptr(go)
    a.loss = _ptr(loss_out)
    a.grad = _ptr(grad_out)
    a.T_max = T; a.N = N; a.C = C; a.blank = blank; a.S_pad = S_pad
    a.go_scalar = go_scalar
    a.reduction = reduction
    a.zero_infinity = zero_infinity
    a.grad_logits = grad_logits
    a.force_log = force_log
    a.n_threads = n_threads
    a.loss_value = 0; a.bad_sample = -1; a.bad_pos = -1; a.n_log_path = 0
    with nogil:
        if f32:
            st = le_ctc_f32(&a)
        else:
            st = le_ctc_f64(&a)
    return st, a.loss_value, a.bad_sample, a.bad_pos, a.n_log_path
