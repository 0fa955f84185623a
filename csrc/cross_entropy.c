/* Log-sum-exp family kernels: softmax / log_softmax / logsumexp / softmin and
 * fused cross-entropy / NLL loss + gradient.
 *
 * Cross entropy evaluates exp only at x - max <= 0 (le_expf_neg); the
 * softmax family keeps the full-range exp because logsumexp shifts by 0 when
 * the maximum is infinite.
 *
 * Two traversals of the (outer, C, inner) layout:
 *  - rows (inner == 1): one position per row, SIMD along the classes;
 *  - tiles (inner > 1): up to LE_TILE neighbouring positions of one outer
 *    index at a time, SIMD along the positions, classes strided by inner
 *    (NCHW and friends without a transpose copy).
 * Reduced losses are summed per fixed block (LE_ROWS rows or one tile) in
 * double and the block partials added in block order, so the result does not
 * depend on the thread count.
 */
#ifndef LE_T
#include "le_common.h"
#include "le_math.h"
#include "cross_entropy.h"
#include <stdlib.h>

#define LE_ROWS 16
#define LE_TILE 64
/* Rows with at most LE_SMALL_C classes are transposed LE_SMALL_TILE at a time
 * into a tile so the SIMD runs across rows (too few classes to fill a vector). */
#define LE_SMALL_C 16
#define LE_SMALL_TILE 64
#if LE_SMALL_TILE > LE_TILE || LE_ROWS > LE_TILE
#error "per-block arrays are sized by LE_TILE"
#endif

#if defined(__AVX512F__)
#include <immintrin.h>
/* exp(x) for x <= 0 (or NaN) on 16 lanes with the AVX-512 rounding and scaling
 * instructions: fewer operations than the portable bit manipulation. Same
 * polynomial and bound as le_expf_sum; NaN -> NaN; below -87 it returns
 * exp(-87) ~ 1.6e-38 (as le_expf_sum does below its limit). */
static inline __m512 le_expf_sum_v16(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-87.0f), x);   /* a NaN x is returned as is */
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(0.00138146f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.00836871f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.04166839f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.16666521f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.49999994f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

/* sum_c exp(x_c - m), the terms stored to g when g is not NULL.  One code
 * path for both, so the loss is bitwise the same with and without a gradient. */
static inline float le_ce_expsum_f32(const float *x, int64_t C, float m, float *g) {
    const __m512 vm = _mm512_set1_ps(m);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + 32 <= C; c += 32) {
        __m512 e0 = le_expf_sum_v16(_mm512_sub_ps(_mm512_loadu_ps(x + c), vm));
        __m512 e1 = le_expf_sum_v16(_mm512_sub_ps(_mm512_loadu_ps(x + c + 16), vm));
        if (g) { _mm512_storeu_ps(g + c, e0); _mm512_storeu_ps(g + c + 16, e1); }
        acc0 = _mm512_add_ps(acc0, e0);
        acc1 = _mm512_add_ps(acc1, e1);
    }
    for (; c < C; c += 16) {
        const __mmask16 k = C - c >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (C - c)) - 1u);
        __m512 e = le_expf_sum_v16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + c), vm));
        if (g) _mm512_mask_storeu_ps(g + c, k, e);
        acc0 = _mm512_add_ps(acc0, _mm512_maskz_mov_ps(k, e));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}
#define LE_HAVE_EXPSUM_F32 1
#endif

#define LE_T float
#define LE_TS f32
#define LE_IS_F32 1
#define LE_EXPT le_expf_sum
#define LE_EXPFULL le_expf
#define LE_LOGT le_logf
#include "cross_entropy.c"
#undef LE_T
#undef LE_TS
#undef LE_IS_F32
#undef LE_EXPT
#undef LE_EXPFULL
#undef LE_LOGT

#define LE_T double
#define LE_TS f64
#define LE_EXPT le_exp_sum
#define LE_EXPFULL le_exp
#define LE_LOGT le_log
#include "cross_entropy.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_EXPFULL
#undef LE_LOGT

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))

/* Per-call constants of a cross-entropy evaluation. */
typedef struct {
    const T *w;         /* class weights or NULL */
    double Wsum;        /* sum of class weights (C without weights) */
    double eps;         /* label smoothing */
    int64_t C;
} TFN(ce_const);

/* Row max; NaN does not need to win here: exp(NaN - m) carries it into s. */
static inline T TFN(row_max)(const T *x, int64_t C) {
    T m = -(T)INFINITY;
#pragma omp simd reduction(max:m)
    for (int64_t c = 0; c < C; c++) m = x[c] > m ? x[c] : m;
    return m;
}

/* One row, index target y.  Returns the loss; writes sc * d loss / d x into g
 * when g is not NULL. */
static inline double TFN(ce_row_index)(const T *xr, int64_t y, const TFN(ce_const) *k,
                                       double sc, T *g) {
    const int64_t C = k->C;
    const T *w = k->w;
    const T m = TFN(row_max)(xr, C);
    T s = 0;
#if defined(LE_HAVE_EXPSUM_F32) && defined(LE_IS_F32)
    s = le_ce_expsum_f32(xr, C, m, g);
#else
    if (g) {
#pragma omp simd reduction(+:s)
        for (int64_t c = 0; c < C; c++) { T e = LE_EXPT(xr[c] - m); g[c] = e; s += e; }
    } else {
#pragma omp simd reduction(+:s)
        for (int64_t c = 0; c < C; c++) s += LE_EXPT(xr[c] - m);
    }
#endif
    const double ls = log((double)s);
    const double wy = w ? (double)w[y] : 1.0;
    const double eps = k->eps;
    double loss = wy * (((double)m - (double)xr[y]) + ls);
    if (eps > 0) {
        T sxm = 0;   /* sum_c w_c (x_c - m) */
        if (w) {
#pragma omp simd reduction(+:sxm)
            for (int64_t c = 0; c < C; c++) sxm += w[c] * (xr[c] - m);
        } else {
#pragma omp simd reduction(+:sxm)
            for (int64_t c = 0; c < C; c++) sxm += xr[c] - m;
        }
        loss = (1.0 - eps) * loss + (eps / (double)C) * (k->Wsum * ls - (double)sxm);
    }
    if (g) {
        /* sc * w_y kept as its own product: with a zero total weight
         * (sc = inf) a zero-weight target gives NaN as in torch */
        const T a = (T)((sc * (1.0 - eps) * wy + sc * (eps / (double)C) * k->Wsum) / (double)s);
        if (eps > 0) {
            const T b = (T)(sc * eps / (double)C);
            if (w) {
#pragma omp simd
                for (int64_t c = 0; c < C; c++) g[c] = a * g[c] - b * w[c];
            } else {
#pragma omp simd
                for (int64_t c = 0; c < C; c++) g[c] = a * g[c] - b;
            }
        } else {
#pragma omp simd
            for (int64_t c = 0; c < C; c++) g[c] = a * g[c];
        }
        g[y] -= (T)(sc * (1.0 - eps) * wy);
    }
    return loss;
}

/* One row, probability target tr (smoothed on the fly). */
static inline double TFN(ce_row_prob)(const T *xr, const T *tr, const TFN(ce_const) *k,
                                      double sc, T *g) {
    const int64_t C = k->C;
    const T *w = k->w;
    const T m = TFN(row_max)(xr, C);
    const T keep = (T)(1.0 - k->eps), add = (T)(k->eps / (double)C);
    T s = 0, A = 0, B = 0;  /* sum e, sum w t', sum w t' (x - m) */
    if (g) {
#pragma omp simd reduction(+:s,A,B)
        for (int64_t c = 0; c < C; c++) {
            T e = LE_EXPT(xr[c] - m);
            T wt = (tr[c] * keep + add) * (w ? w[c] : (T)1);
            g[c] = e; s += e; A += wt; B += wt * (xr[c] - m);
        }
    } else {
#pragma omp simd reduction(+:s,A,B)
        for (int64_t c = 0; c < C; c++) {
            T wt = (tr[c] * keep + add) * (w ? w[c] : (T)1);
            s += LE_EXPT(xr[c] - m); A += wt; B += wt * (xr[c] - m);
        }
    }
    const double ls = log((double)s);
    double loss = (double)A * ls - (double)B;
    if (g) {
        const T a = (T)(sc * (double)A / (double)s), b = (T)sc;
#pragma omp simd
        for (int64_t c = 0; c < C; c++)
            g[c] = a * g[c] - b * (tr[c] * keep + add) * (w ? w[c] : (T)1);
    }
    return loss;
}

/* A tile of J <= LE_TILE positions (class stride `inner`).  Losses into lo[],
 * gradient (scaled by sc[j]) into g when not NULL. */
static inline __attribute__((always_inline)) void TFN(ce_tile_impl)(
        const T *x, const int64_t *yt, const T *pt, int64_t inner, int64_t J,
        const TFN(ce_const) *k, int64_t ignore_index, const double *sc, T *g, double *lo) {
    const int64_t C = k->C;
    const T *w = k->w;
    const double eps = k->eps;
    /* Everything per position is a SIMD lane: the target's logit and weight are
     * picked up while the classes stream by (compare and select, no gather),
     * and the target's term is subtracted the same way (no scatter). */
    T m[LE_TILE], s[LE_TILE], A[LE_TILE], B[LE_TILE], xy[LE_TILE], wy[LE_TILE];
    int64_t ye[LE_TILE];   /* target class, -1 where ignored */
    for (int64_t j = 0; j < J; j++) {
        m[j] = -(T)INFINITY; s[j] = 0; A[j] = 0; B[j] = 0; xy[j] = 0; wy[j] = 0;
        ye[j] = pt ? -1 : (yt[j] == ignore_index ? -1 : yt[j]);
    }
    for (int64_t c = 0; c < C; c++) {
        const T *xc = x + c * inner;
        const T wc = w ? w[c] : (T)1;
        if (pt) {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) m[j] = xc[j] > m[j] ? xc[j] : m[j];
        } else {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) {
                m[j] = xc[j] > m[j] ? xc[j] : m[j];
                const int hit = ye[j] == c;
                xy[j] = hit ? xc[j] : xy[j];
                wy[j] = hit ? wc : wy[j];
            }
        }
    }
    const T keep = (T)(1.0 - eps), add = (T)(eps / (double)C);
    for (int64_t c = 0; c < C; c++) {
        const T *xc = x + c * inner;
        T *gc = g ? g + c * inner : NULL;
        const T wc = w ? w[c] : (T)1;
#if defined(LE_HAVE_EXPSUM_F32) && defined(LE_IS_F32)
        if (J == LE_TILE) {   /* full tiles: the AVX-512 exp, same code with or without g */
            for (int64_t j = 0; j < LE_TILE; j += 16) {
                __m512 e = le_expf_sum_v16(_mm512_sub_ps(_mm512_loadu_ps(xc + j),
                                                         _mm512_loadu_ps(m + j)));
                if (gc) _mm512_storeu_ps(gc + j, e);
                _mm512_storeu_ps(s + j, _mm512_add_ps(_mm512_loadu_ps(s + j), e));
            }
        } else
#endif
        if (gc) {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) { T e = LE_EXPT(xc[j] - m[j]); gc[j] = e; s[j] += e; }
        } else {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) s[j] += LE_EXPT(xc[j] - m[j]);
        }
        if (pt) {
            const T *tc = pt + c * inner;
#pragma omp simd
            for (int64_t j = 0; j < J; j++) {
                T wt = (tc[j] * keep + add) * wc;
                A[j] += wt; B[j] += wt * (xc[j] - m[j]);
            }
        } else if (eps > 0) {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) B[j] += wc * (xc[j] - m[j]);
        }
    }
    /* per-position loss and gradient coefficients: g = ca e - cb w_c - [c = y] cy */
    T ca[LE_TILE], cb[LE_TILE], cy[LE_TILE];
    if (pt) {
#pragma omp simd
        for (int64_t j = 0; j < J; j++) {
            const double ls = (double)LE_LOGT(s[j]);
            lo[j] = (double)A[j] * ls - (double)B[j];
            ca[j] = (T)(sc[j] * (double)A[j] / (double)s[j]);
            cb[j] = (T)sc[j];
            cy[j] = 0;
        }
    } else {
        const double a1 = 1.0 - eps, a2 = eps / (double)C, ws = k->Wsum;
#pragma omp simd
        for (int64_t j = 0; j < J; j++) {
            const double ls = (double)LE_LOGT(s[j]);
            const double v = ye[j] >= 0 ? 1.0 : 0.0;
            const double wyj = (double)wy[j];          /* 0 where ignored */
            double l = wyj * (((double)m[j] - (double)xy[j]) + ls);
            l = eps > 0 ? a1 * l + v * a2 * (ws * ls - (double)B[j]) : l;
            lo[j] = v > 0 ? l : 0.0;                   /* ignored: 0 even for inf/NaN logits */
            /* An ignored position's gradient is exactly 0, even when 'mean'
             * divides by a zero total weight (sc = inf): torch's backward
             * writes nothing there.  Counted positions keep each 0 * inf of
             * torch's products (sc * w_y), so a zero-weight target's row is
             * NaN as in torch. */
            ca[j] = v > 0 ? (T)((sc[j] * a1 * wyj + sc[j] * a2 * ws) / (double)s[j]) : (T)0;
            cb[j] = v > 0 ? (T)(sc[j] * a2) : (T)0;
            cy[j] = v > 0 ? (T)(sc[j] * a1 * wyj) : (T)0;
        }
    }
    if (!g) return;
    for (int64_t c = 0; c < C; c++) {
        T *gc = g + c * inner;
        const T wc = w ? w[c] : (T)1;
        if (pt) {
            const T *tc = pt + c * inner;
#pragma omp simd
            for (int64_t j = 0; j < J; j++) gc[j] = ca[j] * gc[j] - cb[j] * (tc[j] * keep + add) * wc;
        } else {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) {
                T v = ca[j] * gc[j] - cb[j] * wc;
                gc[j] = ye[j] == c ? v - cy[j] : v;
            }
        }
    }
}

/* Full tiles get a compile-time width so the per-position accumulators stay
 * in registers; the ragged last tile takes the general path. */
static void TFN(ce_tile)(const T *x, const int64_t *yt, const T *pt, int64_t inner, int64_t J,
                         const TFN(ce_const) *k, int64_t ignore_index, const double *sc,
                         T *g, double *lo) {
    if (J == LE_TILE)
        TFN(ce_tile_impl)(x, yt, pt, inner, LE_TILE, k, ignore_index, sc, g, lo);
    else
        TFN(ce_tile_impl)(x, yt, pt, inner, J, k, ignore_index, sc, g, lo);
}

/* NLL over log-probabilities: loss -w_y x_y, gradient -sc w_y at y, 0 elsewhere. */
static void TFN(nll_block)(const T *x, const int64_t *yt, int64_t inner, int64_t J, int64_t C,
                           const T *w, int64_t ignore_index, const double *sc, T *g, double *lo) {
    if (g) {
        for (int64_t c = 0; c < C; c++) memset(g + c * inner, 0, (size_t)J * sizeof(T));
    }
    for (int64_t j = 0; j < J; j++) {
        const int64_t y = yt[j];
        if (y == ignore_index) { lo[j] = 0; continue; }
        const double wy = w ? (double)w[y] : 1.0;
        lo[j] = -wy * (double)x[y * inner + j];
        if (g) g[y * inner + j] = (T)(-sc[j] * wy);
    }
}

int TFN(le_ce)(le_ce_args *a) {
    const int64_t outer = a->outer, C = a->C, inner = a->inner, P = outer * inner;
    const T *x = (const T *)a->x;
    const T *w = (const T *)a->weight;
    const T *pt = (const T *)a->ptarget;
    const int64_t *yt = a->target;
    const T *go = (const T *)a->go;
    T *lossv = (T *)a->loss;
    T *g = (T *)a->grad;
    TFN(ce_const) k;
    k.w = w; k.C = C; k.eps = a->label_smoothing;
    double Wsum = (double)C;
    if (w) { Wsum = 0; for (int64_t c = 0; c < C; c++) Wsum += (double)w[c]; }
    k.Wsum = Wsum;

    /* Denominator of 'mean' and target validation, from the targets alone. */
    double W = (double)P;
    if (!pt) {
        W = 0;
        for (int64_t p = 0; p < P; p++) {
            const int64_t y = yt[p];
            if (y == a->ignore_index) continue;
            if (y < 0 || y >= C) { a->bad_index = p; return LE_ERR_TARGET_RANGE; }
            W += w ? (double)w[y] : 1.0;
        }
    }
    a->total_weight = W;
    const int red = a->reduction;
    const double scr = red == LE_RED_MEAN ? a->go_scalar / W : a->go_scalar;

    /* blocks: LE_ROWS rows (inner == 1) or one tile of one outer index */
    const int rows = inner == 1;
    const int small = rows && C <= LE_SMALL_C && !a->log_input;
    const int64_t rpb = small ? LE_SMALL_TILE : LE_ROWS;      /* rows per block */
    const int64_t tiles_per_outer = rows ? 0 : (inner + LE_TILE - 1) / LE_TILE;
    const int64_t nblocks = rows ? (P + rpb - 1) / rpb : outer * tiles_per_outer;
    double *partials = NULL;
    if (red != LE_RED_NONE) {
        partials = (double *)malloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof(double));
        if (!partials) return LE_ERR_NOMEM;
    }
    const int nt = le_threads_for(P * C, a->n_threads);
    const int log_input = a->log_input;

#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t b = 0; b < nblocks; b++) {
        double lo[LE_TILE], sc[LE_TILE];
        int64_t p0, J, o = 0, j0 = 0;
        if (rows) { p0 = b * rpb; J = P - p0 < rpb ? P - p0 : rpb; }
        else {
            o = b / tiles_per_outer; j0 = (b % tiles_per_outer) * LE_TILE;
            J = inner - j0 < LE_TILE ? inner - j0 : LE_TILE;
            p0 = o * inner + j0;
        }
        for (int64_t j = 0; j < J; j++) sc[j] = (red == LE_RED_NONE && go) ? (double)go[p0 + j] : scr;
        if (small) {
            const int64_t S = LE_SMALL_TILE;
            T xt[LE_SMALL_C * LE_SMALL_TILE], gt[LE_SMALL_C * LE_SMALL_TILE];
            T ptt[LE_SMALL_C * LE_SMALL_TILE];
            for (int64_t j = 0; j < J; j++)
                for (int64_t c = 0; c < C; c++) xt[c * S + j] = x[(p0 + j) * C + c];
            if (pt)
                for (int64_t j = 0; j < J; j++)
                    for (int64_t c = 0; c < C; c++) ptt[c * S + j] = pt[(p0 + j) * C + c];
            TFN(ce_tile)(xt, pt ? NULL : yt + p0, pt ? ptt : NULL, S, J, &k,
                         a->ignore_index, sc, g ? gt : NULL, lo);
            if (g)
                for (int64_t j = 0; j < J; j++)
                    for (int64_t c = 0; c < C; c++) g[(p0 + j) * C + c] = gt[c * S + j];
        } else if (rows) {
            for (int64_t j = 0; j < J; j++) {
                const int64_t p = p0 + j;
                const T *xr = x + p * C;
                T *gr = g ? g + p * C : NULL;
                if (log_input) {
                    TFN(nll_block)(xr, yt + p, 1, 1, C, w, a->ignore_index, sc + j, gr, lo + j);
                } else if (pt) {
                    lo[j] = TFN(ce_row_prob)(xr, pt + p * C, &k, sc[j], gr);
                } else if (yt[p] == a->ignore_index) {
                    lo[j] = 0;
                    if (gr) memset(gr, 0, (size_t)C * sizeof(T));
                } else {
                    lo[j] = TFN(ce_row_index)(xr, yt[p], &k, sc[j], gr);
                }
            }
        } else {
            const int64_t off = o * C * inner + j0;
            if (log_input)
                TFN(nll_block)(x + off, yt + p0, inner, J, C, w, a->ignore_index, sc,
                               g ? g + off : NULL, lo);
            else
                TFN(ce_tile)(x + off, pt ? NULL : yt + p0, pt ? pt + off : NULL, inner, J, &k,
                             a->ignore_index, sc, g ? g + off : NULL, lo);
        }
        if (red == LE_RED_NONE) {
            for (int64_t j = 0; j < J; j++) lossv[p0 + j] = (T)lo[j];
        } else {
            double s = 0;
            for (int64_t j = 0; j < J; j++) s += lo[j];
            partials[b] = s;
        }
    }
    if (red != LE_RED_NONE) {
        double total = le_sum_partials(partials, nblocks);
        /* W == 0 (non-negative weights: every counted target weighs 0):
         * torch's NLL term is 0/0 = NaN, whatever the label-smoothing term
         * adds; without smoothing total / W is that 0/0 already */
        a->loss_value = red == LE_RED_MEAN ? (W == 0 && k.eps > 0 ? NAN : total / W) : total;
        free(partials);
    }
    return LE_OK;
}

/* ---------------------------------------------------------------- softmax */
/* Row: z = sign * x.  Writes y; when g, the VJP with go (or go_scalar). */
static inline void TFN(softmax_row)(const T *xr, int64_t C, int mode, T sign, const T *gr_in,
                                    T gos, T *yr, T *gr) {
    T m = -(T)INFINITY;
#pragma omp simd reduction(max:m)
    for (int64_t c = 0; c < C; c++) { T z = sign * xr[c]; m = z > m ? z : m; }
    /* logsumexp shifts by 0 when the max is infinite (torch's rule) */
    if (mode == LE_SM_LOGSUMEXP && (m == (T)INFINITY || m == -(T)INFINITY)) m = 0;
    T s = 0;
    if (mode == LE_SM_SOFTMAX || mode == LE_SM_SOFTMIN) {
#pragma omp simd reduction(+:s)
        for (int64_t c = 0; c < C; c++) { T e = LE_EXPFULL(sign * xr[c] - m); yr[c] = e; s += e; }
        const T inv = (T)1 / s;
#pragma omp simd
        for (int64_t c = 0; c < C; c++) yr[c] *= inv;
        if (gr) {
            T d = 0;   /* sum go * y */
            if (gr_in) {
#pragma omp simd reduction(+:d)
                for (int64_t c = 0; c < C; c++) d += gr_in[c] * yr[c];
#pragma omp simd
                for (int64_t c = 0; c < C; c++) gr[c] = sign * yr[c] * (gr_in[c] - d);
            } else {
#pragma omp simd reduction(+:d)
                for (int64_t c = 0; c < C; c++) d += yr[c];
                d *= gos;
#pragma omp simd
                for (int64_t c = 0; c < C; c++) gr[c] = sign * yr[c] * (gos - d);
            }
        }
        return;
    }
    /* log_softmax / logsumexp: e kept in gr when a gradient is wanted */
    if (gr) {
#pragma omp simd reduction(+:s)
        for (int64_t c = 0; c < C; c++) { T e = LE_EXPFULL(xr[c] - m); gr[c] = e; s += e; }
    } else {
#pragma omp simd reduction(+:s)
        for (int64_t c = 0; c < C; c++) s += LE_EXPFULL(xr[c] - m);
    }
    const T ls = (T)log((double)s);
    if (mode == LE_SM_LOGSUMEXP) {
        yr[0] = m + ls;
        if (gr) {
            const T f = (gr_in ? gr_in[0] : gos) / s;
#pragma omp simd
            for (int64_t c = 0; c < C; c++) gr[c] *= f;
        }
        return;
    }
#pragma omp simd
    for (int64_t c = 0; c < C; c++) yr[c] = (xr[c] - m) - ls;
    if (gr) {
        T sg = 0;
        if (gr_in) {
#pragma omp simd reduction(+:sg)
            for (int64_t c = 0; c < C; c++) sg += gr_in[c];
        } else {
            sg = gos * (T)C;
        }
        const T f = sg / s;
#pragma omp simd
        for (int64_t c = 0; c < C; c++) gr[c] = (gr_in ? gr_in[c] : gos) - f * gr[c];
    }
}

/* Tile of J positions with class stride inner. */
static void TFN(softmax_tile)(const T *x, int64_t C, int64_t inner, int64_t J, int mode, T sign,
                              const T *gi, T gos, T *y, int64_t ystride, T *g) {
    T m[LE_TILE], s[LE_TILE], d[LE_TILE];
    for (int64_t j = 0; j < J; j++) { m[j] = -(T)INFINITY; s[j] = 0; d[j] = 0; }
    for (int64_t c = 0; c < C; c++) {
        const T *xc = x + c * inner;
#pragma omp simd
        for (int64_t j = 0; j < J; j++) { T z = sign * xc[j]; m[j] = z > m[j] ? z : m[j]; }
    }
    if (mode == LE_SM_LOGSUMEXP)
        for (int64_t j = 0; j < J; j++)
            if (m[j] == (T)INFINITY || m[j] == -(T)INFINITY) m[j] = 0;
    for (int64_t c = 0; c < C; c++) {
        const T *xc = x + c * inner;
#pragma omp simd
        for (int64_t j = 0; j < J; j++) s[j] += LE_EXPFULL(sign * xc[j] - m[j]);
    }
    if (mode == LE_SM_LOGSUMEXP) {
#pragma omp simd
        for (int64_t j = 0; j < J; j++) y[j] = m[j] + LE_LOGT(s[j]);
        if (g) {
            for (int64_t c = 0; c < C; c++) {
                const T *xc = x + c * inner;
                T *gc = g + c * inner;
#pragma omp simd
                for (int64_t j = 0; j < J; j++)
                    gc[j] = (gi ? gi[j] : gos) * LE_EXPFULL(xc[j] - m[j]) / s[j];
            }
        }
        return;
    }
    T ls[LE_TILE];
#pragma omp simd
    for (int64_t j = 0; j < J; j++) ls[j] = LE_LOGT(s[j]);
    for (int64_t c = 0; c < C; c++) {
        const T *xc = x + c * inner;
        T *yc = y + c * ystride;
        if (mode == LE_SM_LOG_SOFTMAX) {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) yc[j] = (xc[j] - m[j]) - ls[j];
        } else {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) yc[j] = LE_EXPFULL(sign * xc[j] - m[j]) / s[j];
        }
        if (g) {
            const T *gic = gi ? gi + c * inner : NULL;
            if (mode == LE_SM_LOG_SOFTMAX) {
#pragma omp simd
                for (int64_t j = 0; j < J; j++) d[j] += gic ? gic[j] : gos;
            } else {
#pragma omp simd
                for (int64_t j = 0; j < J; j++) d[j] += (gic ? gic[j] : gos) * yc[j];
            }
        }
    }
    if (!g) return;
    for (int64_t c = 0; c < C; c++) {
        const T *yc = y + c * ystride;
        const T *gic = gi ? gi + c * inner : NULL;
        T *gc = g + c * inner;
        if (mode == LE_SM_LOG_SOFTMAX) {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) gc[j] = (gic ? gic[j] : gos) - LE_EXPFULL(yc[j]) * d[j];
        } else {
#pragma omp simd
            for (int64_t j = 0; j < J; j++) gc[j] = sign * yc[j] * ((gic ? gic[j] : gos) - d[j]);
        }
    }
}

int TFN(le_softmax)(le_softmax_args *a) {
    const int64_t outer = a->outer, C = a->C, inner = a->inner, P = outer * inner;
    const T *x = (const T *)a->x;
    const T *go = (const T *)a->go;
    T *y = (T *)a->y;
    T *g = (T *)a->grad;
    const int mode = a->mode;
    const T sign = mode == LE_SM_SOFTMIN ? (T)-1 : (T)1;
    const int lse = mode == LE_SM_LOGSUMEXP;
    const T gos = (T)a->go_scalar;
    const int nt = le_threads_for(P * C, a->n_threads);
    if (inner == 1) {
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (int64_t p = 0; p < P; p++) {
            const T *gi = go ? go + (lse ? p : p * C) : NULL;
            TFN(softmax_row)(x + p * C, C, mode, sign, gi, gos, y + (lse ? p : p * C),
                             g ? g + p * C : NULL);
        }
    } else {
        const int64_t tpo = (inner + LE_TILE - 1) / LE_TILE;
        const int64_t nblocks = outer * tpo;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (int64_t b = 0; b < nblocks; b++) {
            const int64_t o = b / tpo, j0 = (b % tpo) * LE_TILE;
            const int64_t J = inner - j0 < LE_TILE ? inner - j0 : LE_TILE;
            const int64_t off = o * C * inner + j0;
            const int64_t yoff = lse ? o * inner + j0 : off;
            const T *gi = go ? go + yoff : NULL;
            TFN(softmax_tile)(x + off, C, inner, J, mode, sign, gi, gos, y + yoff, inner,
                              g ? g + off : NULL);
        }
    }
    return LE_OK;
}

#undef T
#undef TFN
#endif
