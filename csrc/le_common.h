/* Shared definitions for every kernel family.
 *
 * Each kernel source is compiled once per ISA level with -DLE_ISA=<level>;
 * LE_FN(name) appends the level so the three builds coexist in one module.
 * Kernels are instantiated for float and double by including their template
 * body twice (LE_T / LE_TS); accumulators are double.
 */
#ifndef LE_COMMON_H
#define LE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#if LE_HAVE_OPENMP
#include <omp.h>
#endif

/* Force inlining of small helpers called from `omp simd` loops: a copy left
 * out of line keeps the loop scalar. */
#if defined(__GNUC__)
#define LE_AI __attribute__((always_inline))
#else
#define LE_AI
#endif

#define LE_CAT2(a, b) a##_##b
#define LE_CAT(a, b) LE_CAT2(a, b)
#ifdef LE_ISA
#define LE_FN(name) LE_CAT(name, LE_ISA)
#endif

/* Status codes returned by kernels; the Python layer turns them into errors. */
#define LE_OK 0
#define LE_ERR_TARGET_RANGE 1   /* class index outside [0, C) and != ignore_index */
#define LE_ERR_VALUE_RANGE 2    /* e.g. BCE input outside [0, 1] */
#define LE_ERR_NOMEM 3
#define LE_ERR_ARG 4

/* Reductions */
#define LE_RED_NONE 0
#define LE_RED_MEAN 1
#define LE_RED_SUM 2

/* Fixed block size (elements or positions) for deterministic partial sums:
 * results never depend on the thread count because block boundaries and the
 * order in which block partials are combined never do. */
#define LE_BLOCK 4096

/* Work (in elements) below which a kernel stays on one thread. */
#define LE_PAR_MIN 32768

static inline int le_threads_for(int64_t work, int n_threads) {
#if LE_HAVE_OPENMP
    if (n_threads < 1) n_threads = 1;
    if (work < LE_PAR_MIN) return 1;
    return n_threads;
#else
    (void)work; (void)n_threads;
    return 1;
#endif
}

/* Sum of block partials in block order, in double. */
static inline double le_sum_partials(const double *p, int64_t n) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += p[i];
    return s;
}

#endif
