/* Elementwise regression / distribution losses: L1, MSE, SmoothL1, Huber,
 * PoissonNLL, KLDiv, GaussianNLL.  All arrays C-contiguous with n elements
 * (the Python layer has broadcast them); reductions in the kernel. */
#ifndef LE_POINTWISE_H
#define LE_POINTWISE_H
#include <stdint.h>
#include "le_dispatch.h"

#define LE_PW_L1 0
#define LE_PW_MSE 1
#define LE_PW_SMOOTH_L1 2      /* p1 = beta > 0 */
#define LE_PW_HUBER 3          /* p1 = delta > 0 */
#define LE_PW_POISSON_LOG 4    /* exp(x) - y x */
#define LE_PW_POISSON_LIN 5    /* x - y log(x + eps), p1 = eps */
#define LE_PW_KL 6             /* xlogy(y, y) - y x */
#define LE_PW_KL_LOG 7         /* exp(y) (y - x) */
#define LE_PW_GAUSSIAN 8       /* 0.5 (log v' + (x-y)^2 / v'), v' = max(v, p1) */

typedef struct {
    const void *x;          /* prediction */
    const void *y;          /* target */
    const void *w;          /* elementwise weight or NULL */
    const void *v;          /* GaussianNLL variance or NULL (then p2 is the variance) */
    const void *go;         /* elementwise upstream gradient ('none') or NULL */
    void *loss;             /* elementwise losses ('none') or NULL */
    void *grad;             /* d/dx or NULL */
    void *gvar;             /* d/dv (GaussianNLL with v) or NULL */
    int64_t n;
    int op;
    int full;               /* PoissonNLL: Stirling term; GaussianNLL: 0.5 log(2 pi) */
    double p1, p2;
    double go_scalar;       /* upstream gradient when go is NULL */
    double denom;           /* what 'mean' divides by */
    int reduction;          /* LE_RED_* */
    int n_threads;
    int stream;             /* LE_STREAM_LOSS | LE_STREAM_GRAD: the caller knows these
                               outputs' pages are present (reused buffers), so large
                               ones may be written with streaming stores */
    double loss_value;      /* output: reduced loss */
} le_pw_args;

LE_DECL_ISA(int, le_pw_f32, (le_pw_args *a))
LE_DECL_ISA(int, le_pw_f64, (le_pw_args *a))

#endif
