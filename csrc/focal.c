/* Softmax focal loss: l = -w_y a_y (1 - p_y)^gamma log p_y, p = softmax(x).
 *
 * d l / d x_c = K (delta_cy - p_c) with
 * K = -w_y a_y [(1-p_y)^gamma - gamma (1-p_y)^(gamma-1) p_y log p_y].
 * 1 - p_y is computed as (sum of exp over the other classes) / (sum over all)
 * so it keeps full relative accuracy when p_y is close to 1.
 * Rows (inner == 1): SIMD along the classes; tiles of LE_FTILE positions
 * (inner > 1): SIMD along the positions, classes strided by inner.
 * Block partials (LE_FROWS rows or one tile) in double, added in block order.
 */
#ifndef LE_T
/* GCC 12 does not if-convert the special-value selects of le_logf/le_log1pf
 * (so their loops stay scalar) unless FP-exception flags may be ignored; we
 * never read those flags, and NaN/inf values are unchanged by this option. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "le_common.h"
#include "le_math.h"
#include "focal.h"
#include <stdlib.h>

#define LE_FROWS 16
#define LE_FTILE 64

#define LE_T float
#define LE_TS f32
#define LE_EXPT le_expf
#include "focal.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT

#define LE_T double
#define LE_TS f64
#define LE_EXPT le_exp
#include "focal.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))

/* Loss and gradient coefficient K from s (sum of exp), r (sum over c != y),
 * z = x_y - max. */
static inline double TFN(sf_coef)(double s, double r, double z, double a, double gamma,
                                  double *K) {
    const double ls = log(s);
    const double lp = z - ls;                  /* log p_y */
    const double p = exp(lp);
    const double lq = log(r) - ls;             /* log(1 - p_y) */
    double f, f1;
    if (gamma == 0) { f = 1; f1 = 0; }
    else if (gamma == 1) { f = r / s; f1 = 1; }
    else if (gamma == 2) { f = (r / s) * (r / s); f1 = r / s; }
    else { f = exp(gamma * lq); f1 = exp((gamma - 1) * lq); }
    *K = gamma == 0 ? -a : -a * (f - gamma * f1 * p * lp);
    if (r == 0 && gamma > 0) { *K = 0; return 0.0; }   /* p_y = 1: loss and slope 0 */
    return -a * f * lp;
}

int TFN(le_sfocal)(le_sfocal_args *a) {
    const int64_t outer = a->outer, C = a->C, inner = a->inner, P = outer * inner;
    const T *x = (const T *)a->x, *w = (const T *)a->weight, *al = (const T *)a->alpha;
    const T *go = (const T *)a->go;
    const int64_t *yt = a->target;
    T *lossv = (T *)a->loss, *g = (T *)a->grad;
    const int64_t ig = a->ignore_index;
    const double gamma = a->gamma;
    double W = 0;
    for (int64_t p = 0; p < P; p++) {
        const int64_t y = yt[p];
        if (y == ig) continue;
        if (y < 0 || y >= C) { a->bad_index = p; return LE_ERR_TARGET_RANGE; }
        W += w ? (double)w[y] : 1.0;
    }
    a->total_weight = W;
    const int red = a->reduction;
    const double scr = red == LE_RED_MEAN ? a->go_scalar / W : a->go_scalar;
    const int rows = inner == 1;
    const int64_t tpo = rows ? 0 : (inner + LE_FTILE - 1) / LE_FTILE;
    const int64_t nblocks = rows ? (P + LE_FROWS - 1) / LE_FROWS : outer * tpo;
    double *partials = (double *)malloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof(double));
    if (!partials) return LE_ERR_NOMEM;
    const int nt = le_threads_for(P * C, a->n_threads);

#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nblocks; b++) {
        double bsum = 0;
        if (rows) {
            const int64_t p0 = b * LE_FROWS;
            const int64_t J = P - p0 < LE_FROWS ? P - p0 : LE_FROWS;
            for (int64_t j = 0; j < J; j++) {
                const int64_t p = p0 + j, y = yt[p];
                const T *xr = x + p * C;
                T *gr = g ? g + p * C : NULL;
                if (y == ig) {
                    if (lossv) lossv[p] = 0;
                    if (gr) memset(gr, 0, (size_t)C * sizeof(T));
                    continue;
                }
                T m = -(T)INFINITY;
#pragma omp simd reduction(max:m)
                for (int64_t c = 0; c < C; c++) m = xr[c] > m ? xr[c] : m;
                T s = 0;
#pragma omp simd reduction(+:s)
                for (int64_t c = 0; c < C; c++) s += LE_EXPT(xr[c] - m);
                const T ey = LE_EXPT(xr[y] - m);
                T r = 0;
#pragma omp simd reduction(+:r)
                for (int64_t c = 0; c < C; c++) r += c == y ? (T)0 : LE_EXPT(xr[c] - m);
                const double av = (w ? (double)w[y] : 1.0) * (al ? (double)al[y] : 1.0);
                double K;
                const double l = TFN(sf_coef)((double)s, (double)r, (double)(xr[y] - m), av,
                                              gamma, &K);
                (void)ey;
                bsum += l;
                if (lossv) lossv[p] = (T)l;
                if (gr) {
                    const double sc = (red == LE_RED_NONE && go) ? (double)go[p] : scr;
                    const T f = (T)(-sc * K / (double)s);
#pragma omp simd
                    for (int64_t c = 0; c < C; c++) gr[c] = f * LE_EXPT(xr[c] - m);
                    gr[y] += (T)(sc * K);
                }
            }
        } else {
            const int64_t o = b / tpo, j0 = (b % tpo) * LE_FTILE;
            const int64_t J = inner - j0 < LE_FTILE ? inner - j0 : LE_FTILE;
            const int64_t off = o * C * inner + j0, p0 = o * inner + j0;
            const T *xt = x + off;
            const int64_t *yb = yt + p0;
            T m[LE_FTILE], s[LE_FTILE], r[LE_FTILE], f[LE_FTILE];
            int64_t yy[LE_FTILE];
            for (int64_t j = 0; j < J; j++) {
                m[j] = -(T)INFINITY; s[j] = 0; r[j] = 0;
                yy[j] = yb[j] == ig ? -1 : yb[j];
            }
            for (int64_t c = 0; c < C; c++) {
                const T *xc = xt + c * inner;
#pragma omp simd
                for (int64_t j = 0; j < J; j++) m[j] = xc[j] > m[j] ? xc[j] : m[j];
            }
            for (int64_t c = 0; c < C; c++) {
                const T *xc = xt + c * inner;
#pragma omp simd
                for (int64_t j = 0; j < J; j++) {
                    T e = LE_EXPT(xc[j] - m[j]);
                    s[j] += e;
                    r[j] += yy[j] == c ? (T)0 : e;
                }
            }
            double Kd[LE_FTILE];
            for (int64_t j = 0; j < J; j++) {
                const int64_t y = yy[j];
                if (y < 0) {
                    Kd[j] = 0; f[j] = 0;
                    if (lossv) lossv[p0 + j] = 0;
                    continue;
                }
                const double av = (w ? (double)w[y] : 1.0) * (al ? (double)al[y] : 1.0);
                double K;
                const double l = TFN(sf_coef)((double)s[j], (double)r[j],
                                              (double)(xt[y * inner + j] - m[j]), av, gamma, &K);
                bsum += l;
                if (lossv) lossv[p0 + j] = (T)l;
                const double sc = (red == LE_RED_NONE && go) ? (double)go[p0 + j] : scr;
                Kd[j] = sc * K;
                f[j] = (T)(-sc * K / (double)s[j]);
            }
            if (g) {
                T *gt = g + off;
                for (int64_t c = 0; c < C; c++) {
                    const T *xc = xt + c * inner;
                    T *gc = gt + c * inner;
#pragma omp simd
                    for (int64_t j = 0; j < J; j++) gc[j] = f[j] * LE_EXPT(xc[j] - m[j]);
                }
                for (int64_t j = 0; j < J; j++)
                    if (yy[j] >= 0) gt[yy[j] * inner + j] += (T)Kd[j];
            }
        }
        partials[b] = bsum;
    }
    if (red != LE_RED_NONE) {
        const double total = le_sum_partials(partials, nblocks);
        a->loss_value = red == LE_RED_MEAN ? total / W : total;
    }
    free(partials);
    return LE_OK;
}

#undef T
#undef TFN
#endif
