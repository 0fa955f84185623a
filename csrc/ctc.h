/* CTC loss (Graves et al. 2006): fused forward (alpha), backward (beta) and
 * posterior gradient.  Layout as torch: log_probs (T, N, C), C-contiguous. */
#ifndef LE_CTC_H
#define LE_CTC_H
#include <stdint.h>
#include "le_dispatch.h"

/* Status codes specific to CTC (beyond LE_OK / LE_ERR_NOMEM of le_common.h). */
#define LE_CTC_ERR_TARGET_RANGE 1   /* a target outside [0, C): bad_sample, bad_pos */
#define LE_CTC_ERR_TARGET_BLANK 5   /* a target equal to blank: bad_sample, bad_pos */
#define LE_CTC_ERR_INPUT_LEN 6      /* input length < 0 or > T_max: bad_sample */
#define LE_CTC_ERR_TARGET_LEN 7     /* target length < 0, or > S_pad (padded): bad_sample */

typedef struct {
    const void *lp;             /* log-probabilities (T, N, C) */
    const int64_t *targets;     /* all target values */
    const int64_t *tgt_off;     /* (N) offset of sample n's targets in `targets` */
    const int64_t *in_len;      /* (N) input lengths, 0 <= in_len <= T */
    const int64_t *tgt_len;     /* (N) target lengths >= 0 */
    const void *go;             /* (N) upstream gradient per sample ('none') or NULL */
    void *loss;                 /* (N) per-sample losses ('none') or NULL */
    void *grad;                 /* gradient (T, N, C) or NULL */
    int64_t T_max, N, C, blank;  /* T_max: the time dimension of log_probs */
    int64_t S_pad;              /* padded targets' width, or -1 (concatenated: offsets
                                 * from lengths checked by the caller to sum to the size) */
    double go_scalar;           /* upstream gradient when go is NULL */
    int reduction;              /* LE_RED_* */
    int zero_infinity;
    int grad_logits;            /* 0: d/d log_probs = -posterior; 1: softmax - posterior */
    int force_log;              /* testing / measurement: 1 log space only, 2 skip the
                                 * one-factor-per-step attempt; 0 normally */
    int n_threads;
    /* outputs */
    double loss_value;          /* reduced loss ('mean' / 'sum') */
    int64_t bad_sample, bad_pos;
    int64_t n_log_path;         /* sequences computed by the log-space path */
} le_ctc_args;

LE_DECL_ISA(int, le_ctc_f32, (le_ctc_args *a))
LE_DECL_ISA(int, le_ctc_f64, (le_ctc_args *a))

#endif
