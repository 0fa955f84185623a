/* Array wrappers of le_math.h, used to test the polynomials at every ISA level. */
#ifndef LE_T
#include "le_common.h"
#include "le_math.h"
#include "vmath.h"

#define LE_T float
#define LE_TS f32
#define LE_EXPT le_expf
#define LE_LOGT le_logf
#define LE_LOG1PT le_log1pf
#define LE_EXPNEG le_expf_neg
#define LE_EXPSUM le_expf_sum
#include "vmath.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_LOGT
#undef LE_LOG1PT
#undef LE_EXPNEG
#undef LE_EXPSUM
#define LE_T double
#define LE_TS f64
#define LE_EXPT le_exp
#define LE_LOGT le_log
#define LE_LOG1PT le_log1p
#define LE_EXPNEG le_exp_neg
#define LE_EXPSUM le_exp_sum
#include "vmath.c"
#else
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))
int TFN(le_vmath)(int op, const LE_T *x, LE_T *y, int64_t n) {
    if (op == 0) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = LE_EXPT(x[i]);
    } else if (op == 1) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = LE_LOGT(x[i]);
    } else if (op == 2) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = LE_LOG1PT(x[i]);
    } else if (op == 3) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = LE_EXPNEG(x[i]);
    } else if (op == 4) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = LE_EXPSUM(x[i]);
    } else {
        return LE_ERR_ARG;
    }
    return LE_OK;
}
#undef TFN
#endif
