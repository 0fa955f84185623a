/* Fused linear + cross-entropy: cross_entropy(x @ w.T + bias, target) and its
 * gradients with respect to x, w and bias, computed in vocabulary tiles so the
 * (N, V) logits never exist.  The GEMMs go through a BLAS `?gemm` given by the
 * caller (Fortran interface: SciPy's scipy.linalg.cython_blas exports it), run
 * single-threaded inside the engine's own OpenMP threads. */
#ifndef LE_LINEAR_CE_H
#define LE_LINEAR_CE_H
#include <stdint.h>
#include "le_dispatch.h"

/* Fortran BLAS sgemm / dgemm (column-major; every argument by pointer). */
typedef void (*le_sgemm_fn)(char *ta, char *tb, int *m, int *n, int *k, float *alpha,
                            float *a, int *lda, float *b, int *ldb, float *beta,
                            float *c, int *ldc);
typedef void (*le_dgemm_fn)(char *ta, char *tb, int *m, int *n, int *k, double *alpha,
                            double *a, int *lda, double *b, int *ldb, double *beta,
                            double *c, int *ldc);

typedef struct {
    const void *x;          /* (N, D) C-contiguous */
    const void *w;          /* (V, D) C-contiguous */
    const void *bias;       /* (V) or NULL */
    const int64_t *target;  /* (N); every value in [0, V) or ignore_index */
    const void *go;         /* per-row upstream gradient ('none') or NULL */
    void *loss;             /* per-row losses ('none') or NULL */
    void *dx;               /* (N, D) gradient, or NULL: no gradient at all */
    void *dw;               /* (V, D) gradient (required with dx) */
    void *dbias;            /* (V) gradient or NULL */
    void *gemm;             /* le_sgemm_fn (float) or le_dgemm_fn (double) */
    int64_t N, D, V;
    int64_t tile;           /* vocabulary columns per tile, >= 1 */
    int64_t ignore_index;
    double label_smoothing;
    double go_scalar;       /* upstream gradient when go is NULL */
    int reduction;          /* LE_RED_* */
    int n_threads;
    /* outputs */
    double loss_value;      /* reduced loss ('mean'/'sum') */
    double count;           /* rows whose target is not ignore_index */
} le_lce_args;

LE_DECL_ISA(int, le_lce_f32, (le_lce_args *a))
LE_DECL_ISA(int, le_lce_f64, (le_lce_args *a))

#endif
