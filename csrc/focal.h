/* Softmax focal loss on the cross-entropy layout (outer, C, inner). */
#ifndef LE_FOCAL_H
#define LE_FOCAL_H
#include <stdint.h>
#include "le_dispatch.h"

typedef struct {
    const void *x;          /* logits */
    const int64_t *target;  /* outer*inner class indices */
    const void *weight;     /* (C) or NULL */
    const void *alpha;      /* (C) or NULL */
    const void *go;         /* per-position upstream gradient ('none') or NULL */
    void *loss;             /* per-position losses ('none') or NULL */
    void *grad;
    int64_t outer, C, inner;
    int64_t ignore_index;
    double gamma, go_scalar;
    int reduction, n_threads;
    double loss_value, total_weight;
    int64_t bad_index;
} le_sfocal_args;

LE_DECL_ISA(int, le_sfocal_f32, (le_sfocal_args *a))
LE_DECL_ISA(int, le_sfocal_f64, (le_sfocal_args *a))
#endif
