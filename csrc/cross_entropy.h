/* Log-sum-exp family: softmax, log_softmax, logsumexp, softmin, cross entropy, NLL.
 * Data layout: (outer, C, inner), C-contiguous; class stride = inner. */
#ifndef LE_CROSS_ENTROPY_H
#define LE_CROSS_ENTROPY_H
#include <stdint.h>
#include "le_dispatch.h"

typedef struct {
    const void *x;          /* logits (log-probabilities for NLL) */
    const int64_t *target;  /* class indices, outer*inner, or NULL */
    const void *ptarget;    /* class probabilities, layout of x, or NULL */
    const void *weight;     /* (C) class weights or NULL */
    const void *go;         /* per-position upstream gradient ('none') or NULL */
    void *loss;             /* per-position losses ('none') or NULL */
    void *grad;             /* gradient, layout of x, or NULL */
    int64_t outer, C, inner;
    int64_t ignore_index;
    double label_smoothing;
    double go_scalar;       /* upstream gradient when go is NULL */
    int reduction;          /* LE_RED_* */
    int log_input;          /* 1: x holds log-probabilities (NLL) */
    int n_threads;
    /* outputs */
    double loss_value;      /* reduced loss ('mean'/'sum') */
    double total_weight;    /* what 'mean' divided by */
    int64_t bad_index;      /* first offending position on LE_ERR_TARGET_RANGE */
} le_ce_args;

#define LE_SM_SOFTMAX 0
#define LE_SM_LOG_SOFTMAX 1
#define LE_SM_LOGSUMEXP 2
#define LE_SM_SOFTMIN 3

typedef struct {
    const void *x;
    const void *go;         /* upstream gradient shaped like y, or NULL */
    void *y;                /* output: layout of x, or (outer, inner) for logsumexp */
    void *grad;             /* vector-Jacobian product, layout of x, or NULL */
    int64_t outer, C, inner;
    double go_scalar;
    int mode;               /* LE_SM_* */
    int n_threads;
} le_softmax_args;

LE_DECL_ISA(int, le_ce_f32, (le_ce_args *a))
LE_DECL_ISA(int, le_ce_f64, (le_ce_args *a))
LE_DECL_ISA(int, le_softmax_f32, (le_softmax_args *a))
LE_DECL_ISA(int, le_softmax_f64, (le_softmax_args *a))

#endif
