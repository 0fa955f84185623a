/* Binary family: BCE, BCE-with-logits (weight / pos_weight), soft margin,
 * multilabel soft margin, sigmoid focal, balanced BCE, dice, OHEM.
 * Flat element order; small operands (weight, pos_weight, beta) are read
 * through a broadcast pattern: element i uses p[(i / inner) % C]. */
#ifndef LE_BCE_H
#define LE_BCE_H
#include <stdint.h>
#include "le_dispatch.h"

#define LE_BIN_BCE 0        /* probabilities, torch clamps */
#define LE_BIN_BCEL 1       /* logits, weight + pos_weight */
#define LE_BIN_SOFTMARGIN 2
#define LE_BIN_FOCAL 3      /* torchvision sigmoid focal */
#define LE_BIN_BALANCED 4   /* beta-weighted BCE; from_logits selects the logit form */

typedef struct {
    const void *p;          /* values, or NULL (then `value` for every element) */
    int64_t C, inner;       /* pattern: element i uses p[(i / inner) % C] */
    double value;
} le_bcast;

typedef struct {
    const void *x, *y;
    le_bcast w;             /* weight (BCE, BCEL, multilabel) */
    le_bcast b;             /* pos_weight (BCEL) or beta (balanced) */
    const void *go;         /* upstream gradient per element (or per row), or NULL */
    void *loss;             /* 'none' output: per element, or per row when row > 0 */
    void *grad;
    int64_t n;
    int64_t row;            /* > 0: 'none' losses are summed per row of `row` elements */
    int mode, reduction, from_logits, n_threads;
    double norm;            /* reduced value = norm * sum; grad = go * norm * dl/dx */
    double go_scalar;
    double alpha, gamma;    /* focal */
    /* outputs */
    double loss_value;
    int64_t bad_index;      /* first offending element on LE_ERR_VALUE_RANGE */
    int bad_what;           /* 1: input, 2: target */
} le_bin_args;

/* Dice: per sample over `L` elements, N samples. */
typedef struct {
    const void *x, *y;
    const void *go;         /* per-sample upstream gradient or NULL */
    void *loss;             /* per-sample losses (always written, N) */
    void *grad;
    int64_t N, L;
    double eps, go_scalar, norm;   /* grad of sample s = go_s * norm * d l_s */
    int squared, from_logits, n_threads;
    int stream;             /* LE_STREAM_GRAD or 0 */
    double loss_value;      /* sum of per-sample losses */
} le_dice_args;

/* OHEM balanced BCE (and the generic hard-example selector). */
typedef struct {
    const void *x, *y;
    const uint8_t *mask;    /* candidates, or NULL = all */
    const void *go;         /* 'none': per-element upstream gradient or NULL */
    void *loss;             /* 'none': per-element loss * selection */
    void *grad;
    void *keys;             /* scratch: n keys (uint32 for float, uint64 for double) */
    int64_t n;
    double ratio, eps, go_scalar;
    int64_t min_negatives;
    int reduction, from_logits, n_threads;
    /* outputs */
    double loss_value;      /* reduced loss */
    int64_t n_pos, n_neg, k;
    double denom;
    int64_t bad_index;
    int bad_what;
} le_ohem_args;

typedef struct {
    const void *v;          /* values */
    const uint8_t *mask;    /* candidates or NULL */
    uint8_t *out;           /* selection, n bools */
    void *keys;             /* scratch, n keys */
    int64_t n, k;
    int n_threads;
    int64_t n_cand;
} le_topk_args;

LE_DECL_ISA(int, le_bin_f32, (le_bin_args *a))
LE_DECL_ISA(int, le_bin_f64, (le_bin_args *a))
LE_DECL_ISA(int, le_dice_f32, (le_dice_args *a))
LE_DECL_ISA(int, le_dice_f64, (le_dice_args *a))
LE_DECL_ISA(int, le_ohem_f32, (le_ohem_args *a))
LE_DECL_ISA(int, le_ohem_f64, (le_ohem_args *a))
LE_DECL_ISA(int, le_topk_f32, (le_topk_args *a))
LE_DECL_ISA(int, le_topk_f64, (le_topk_args *a))

#endif
