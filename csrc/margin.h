/* Margin and embedding losses and the distances.
 *
 *  - elementwise (le_melem): margin_ranking_loss, hinge_embedding_loss;
 *  - class rows (le_mrow): multi_margin_loss, multilabel_margin_loss over (N, C);
 *  - embedding rows (le_emb): pairwise_distance, cosine_similarity (per-row values
 *    and their vector-Jacobian products), cosine_embedding_loss,
 *    triplet_margin_loss / triplet_margin_with_distance_loss over (N, D).
 * All arrays C-contiguous in the compute dtype (targets: int64 class indices or
 * the compute dtype).  Reduced losses are summed per fixed block of rows
 * (elements for the elementwise kernel) in double and the block partials added
 * in block order: results do not depend on the thread count. */
#ifndef LE_MARGIN_H
#define LE_MARGIN_H
#include <stdint.h>
#include "le_dispatch.h"

#define LE_MG_RANKING 0
#define LE_MG_HINGE 1

typedef struct {
    const void *x1;         /* input (hinge) or input1 (ranking) */
    const void *x2;         /* input2 (ranking) or NULL */
    const void *y;          /* target, compute dtype */
    const void *go;         /* per-element upstream gradient ('none') or NULL */
    void *loss;             /* per-element losses ('none') or NULL */
    void *g1, *g2;          /* gradients or NULL */
    int64_t n;
    double margin;
    double go_scalar;
    int kind;               /* LE_MG_* */
    int reduction;
    int n_threads;
    double loss_value;      /* reduced loss */
} le_melem_args;

#define LE_MR_MULTI 0       /* multi_margin_loss */
#define LE_MR_MULTILABEL 1  /* multilabel_margin_loss */

typedef struct {
    const void *x;          /* (N, C) */
    const int64_t *target;  /* (N) for multi, (N, C) for multilabel */
    const void *weight;     /* (C) or NULL (multi only) */
    const void *go;         /* (N) upstream gradient ('none') or NULL */
    void *loss;             /* (N) ('none') or NULL */
    void *grad;             /* (N, C) or NULL */
    int64_t N, C;
    double margin;
    double go_scalar;
    int p;                  /* 1 or 2 (multi) */
    int kind;               /* LE_MR_* */
    int reduction;
    int n_threads;
    double loss_value;
    int64_t bad_index;      /* first out-of-range target on LE_ERR_TARGET_RANGE */
} le_mrow_args;

/* distances between two rows */
#define LE_DIST_PNORM 0     /* ||u - v + eps||_p */
#define LE_DIST_COS 1       /* sum (u/max(|u|,eps)) (v/max(|v|,eps))  (cosine_similarity) */

#define LE_EMB_PAIR 0       /* per-row distance (no reduction), VJP with go */
#define LE_EMB_TRIPLET 1    /* max(margin + d(a,p) - d(a,n)', 0) */
#define LE_EMB_COSEMB 2     /* cosine_embedding_loss */

typedef struct {
    const void *a, *b, *c;  /* rows (N, D): anchor/positive/negative, or x1/x2 */
    const void *y;          /* cosine_embedding target (N), compute dtype */
    const void *go;         /* (N) upstream gradient or NULL */
    void *loss;             /* (N) values ('none' / PAIR) or NULL */
    void *ga, *gb, *gc;     /* gradients or NULL */
    int64_t N, D;
    int dist;               /* LE_DIST_* (PAIR, TRIPLET) */
    double p, eps;          /* p-norm order and eps (pnorm); eps of cosine */
    double doff, dscale;    /* distance = doff + dscale * f(u, v) */
    double margin;
    double go_scalar;
    int mode;               /* LE_EMB_* */
    int swap;
    int reduction;
    int n_threads;
    double loss_value;
} le_emb_args;

LE_DECL_ISA(int, le_melem_f32, (le_melem_args *a))
LE_DECL_ISA(int, le_melem_f64, (le_melem_args *a))
LE_DECL_ISA(int, le_mrow_f32, (le_mrow_args *a))
LE_DECL_ISA(int, le_mrow_f64, (le_mrow_args *a))
LE_DECL_ISA(int, le_emb_f32, (le_emb_args *a))
LE_DECL_ISA(int, le_emb_f64, (le_emb_args *a))

#endif
