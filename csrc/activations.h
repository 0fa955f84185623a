/* Elementwise activations y = f(x) and their vector-Jacobian products
 * g = grad_output * f'(x), plus PReLU with its weight gradient. */
#ifndef LE_ACTIVATIONS_H
#define LE_ACTIVATIONS_H
#include <stdint.h>
#include "le_dispatch.h"

#define LE_ACT_SIGMOID 0
#define LE_ACT_LOG_SIGMOID 1
#define LE_ACT_SOFTPLUS 2      /* p1 = beta, p2 = threshold */
#define LE_ACT_RELU 3
#define LE_ACT_LEAKY_RELU 4    /* p1 = negative_slope */
#define LE_ACT_ELU 5           /* p1 = alpha */
#define LE_ACT_THRESHOLD 6     /* p1 = threshold, p2 = value */
#define LE_ACT_HARDTANH 7      /* p1 = min_val, p2 = max_val (relu6: 0, 6) */
#define LE_ACT_TANH 8
#define LE_ACT_SOFTSHRINK 9    /* p1 = lambd */
#define LE_ACT_SOFTSIGN 10

typedef struct {
    const void *x;
    const void *go;         /* upstream gradient shaped like x, or NULL */
    void *y;                /* output */
    void *grad;             /* VJP or NULL */
    int64_t n;
    int op;
    double p1, p2;
    double go_scalar;       /* upstream gradient when go is NULL */
    int n_threads;
    int stream;             /* LE_STREAM_LOSS (y) | LE_STREAM_GRAD: outputs whose pages are present
                               (reused buffers); large ones are streamed */
} le_act_args;

/* PReLU on (outer, C, inner): y = x > 0 ? x : w[c] x. */
typedef struct {
    const void *x;
    const void *w;          /* (C) */
    const void *go;         /* shaped like x, or NULL */
    void *y;
    void *grad;             /* d/dx or NULL */
    void *gw;               /* d/dw (C) or NULL */
    int64_t outer, C, inner;
    double go_scalar;
    int n_threads;
} le_prelu_args;

LE_DECL_ISA(int, le_act_f32, (le_act_args *a))
LE_DECL_ISA(int, le_act_f64, (le_act_args *a))
LE_DECL_ISA(int, le_prelu_f32, (le_prelu_args *a))
LE_DECL_ISA(int, le_prelu_f64, (le_prelu_args *a))

#endif
