/* Optimizer updates (lossengine.optim): one fused pass per parameter array,
 * updating the parameter and all its state arrays in the same loop.
 *
 * A call carries every array of one optimizer step: per array the pointers
 * (parameter, gradient, up to three state arrays), its element count (as
 * prefix offsets into the concatenated work), LE_OPT_NS step-dependent
 * scalars computed by the Python layer in double, and option flags.  The work
 * is cut into fixed chunks of the concatenation, so many small arrays are
 * spread over the threads like one large one.  Every element is updated
 * independently (no reduction), so results do not depend on the thread
 * count.  An array and its state share one dtype (float32 or float64; one
 * call may mix arrays of both).  All arrays are C-contiguous and do not
 * overlap (checked by the caller). */
#ifndef LE_OPTIM_H
#define LE_OPTIM_H
#include <stdint.h>
#include "le_dispatch.h"

#define LE_OPT_SGD 0
#define LE_OPT_ADAM 1        /* Adam and AdamW (decoupled decay as a factor) */
#define LE_OPT_ADAMAX 2
#define LE_OPT_NADAM 3
#define LE_OPT_RADAM 4
#define LE_OPT_RMSPROP 5
#define LE_OPT_ADAGRAD 6
#define LE_OPT_ADADELTA 7
#define LE_OPT_ASGD 8
#define LE_OPT_RPROP 9
#define LE_OPT_AXPY 10       /* p += sc[0] * g (L-BFGS parameter moves) */
#define LE_OPT_COPY 11       /* p = g (L-BFGS restores) */

/* Scalars per array */
#define LE_OPT_NS 12

/* Flags per array */
#define LE_OPTF_MAXIMIZE 1   /* use -g */
#define LE_OPTF_WD 2         /* L2 weight decay: g += wd * p */
#define LE_OPTF_AMSGRAD 4
#define LE_OPTF_NESTEROV 8
#define LE_OPTF_FRESH 16     /* SGD: momentum buffer just created (buf = g) */
#define LE_OPTF_RECT 32      /* RAdam: rectified step */
#define LE_OPTF_MU_ONE 64    /* ASGD: mu == 1 (ax = p) */

typedef struct {
    int algo;
    int64_t n_arrays;
    void *const *p;          /* parameters */
    const void *const *g;    /* gradients */
    void *const *s0;         /* state arrays (entries NULL when unused) */
    void *const *s1;
    void *const *s2;
    const int64_t *off;      /* n_arrays + 1 prefix element offsets */
    const double *sc;        /* LE_OPT_NS scalars per array */
    const int *flags;        /* LE_OPTF_* per array */
    const unsigned char *f64; /* per array: 1 float64, 0 float32 (NULL: all float32) */
    int n_threads;
} le_optim_args;

LE_DECL_ISA(int, le_optim, (const le_optim_args *a))

/* SparseAdam on the rows `rows` (distinct, in range) of a (n_rows_total, row_len)
 * parameter: vals holds the coalesced gradient rows (already negated for
 * maximize).  sc: 1-beta1, 1-beta2, eps, -step_size. */
LE_DECL_ISA(int, le_sparse_adam_f32, (void *p, void *m, void *v, const int64_t *rows,
                                      const void *vals, int64_t n_rows, int64_t row_len,
                                      const double *sc, int n_threads))
LE_DECL_ISA(int, le_sparse_adam_f64, (void *p, void *m, void *v, const int64_t *rows,
                                      const void *vals, int64_t n_rows, int64_t row_len,
                                      const double *sc, int n_threads))
#endif
