/* Margin and embedding losses and the distances (declarations and layout in
 * margin.h).  Losses and gradients in one pass; subgradients at kinks are the
 * ones torch 2.13 returns:
 *  - clamp_min(z, 0) passes the gradient where z >= 0 (ranking, hinge, cosine
 *    embedding, triplet);
 *  - multi_margin / multilabel_margin count a term only where z > 0;
 *  - minimum(d_an, d_pn) (triplet swap) splits the gradient in halves on a tie;
 *  - norms follow torch's vector-norm backward (0 where the norm is 0).
 * NaN in a row gives NaN in that row's loss (and, where torch's arithmetic
 * does, its gradient).
 */
#ifndef LE_T
#include "le_common.h"
#include "margin.h"
#include <stdlib.h>

#define LE_MROWS 8          /* rows per reduction block (row kernels) */

#define LE_T float
#define LE_TS f32
#include "margin.c"
#undef LE_T
#undef LE_TS

#define LE_T double
#define LE_TS f64
#include "margin.c"
#undef LE_T
#undef LE_TS

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))

/* ================================================================ elementwise */
/* loss l and d l / d x1 (unit upstream gradient) of one element */
static inline void TFN(melem_one)(T x1, T x2, T y, T m, int kind, T *l, T *d) {
    if (kind == LE_MG_RANKING) {
        const T z = (-y) * (x1 - x2) + m;
        *l = z < 0 ? (T)0 : z;
        *d = z >= 0 ? -y : (T)0;
    } else {
        /* torch: where(y != 1, clamp_min(m - x, 0), 0) + where(y != -1, x, 0) */
        const T z = m - x1;
        const T h = z < 0 ? (T)0 : z;
        const int notpos = y != (T)1, notneg = y != (T)-1;
        *l = (notpos ? h : (T)0) + (notneg ? x1 : (T)0);
        *d = (notneg ? (T)1 : (T)0) - ((notpos && z >= 0) ? (T)1 : (T)0);
    }
}

#define LE_MELEM_LOOP(KIND, GOEXPR, NONE, GRAD)                                          \
    _Pragma("omp simd reduction(+:s)")                                                   \
    for (int64_t i = i0; i < i1; i++) {                                                  \
        T l_, d_;                                                                        \
        TFN(melem_one)(x1[i], (KIND) == LE_MG_RANKING ? x2[i] : (T)0, y[i], m, (KIND),   \
                       &l_, &d_);                                                        \
        if (NONE) lossv[i] = l_; else s += (double)l_;                                   \
        if (GRAD) {                                                                      \
            const T gk_ = (GOEXPR) * d_;                                                 \
            g1[i] = gk_;                                                                 \
            if ((KIND) == LE_MG_RANKING) g2[i] = -gk_;                                   \
        }                                                                                \
    }

#define LE_MELEM_KIND(KIND)                                                              \
    if (red == LE_RED_NONE) {                                                            \
        if (!g1) { LE_MELEM_LOOP(KIND, 0, 1, 0) }                                        \
        else if (go) { LE_MELEM_LOOP(KIND, go[i], 1, 1) }                                \
        else { LE_MELEM_LOOP(KIND, scs, 1, 1) }                                          \
    } else {                                                                             \
        if (!g1) { LE_MELEM_LOOP(KIND, 0, 0, 0) }                                        \
        else { LE_MELEM_LOOP(KIND, scs, 0, 1) }                                          \
    }

int TFN(le_melem)(le_melem_args *a) {
    const int64_t n = a->n;
    const T *x1 = (const T *)a->x1, *x2 = (const T *)a->x2, *y = (const T *)a->y;
    const T *go = (const T *)a->go;
    T *lossv = (T *)a->loss, *g1 = (T *)a->g1, *g2 = (T *)a->g2;
    const T m = (T)a->margin;
    const int red = a->reduction, kind = a->kind;
    const T scs = (T)(red == LE_RED_MEAN ? a->go_scalar / (double)n : a->go_scalar);
    const int64_t nblocks = (n + LE_BLOCK - 1) / LE_BLOCK;
    double *partials = NULL;
    if (red != LE_RED_NONE) {
        partials = (double *)malloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof(double));
        if (!partials) return LE_ERR_NOMEM;
    }
    const int nt = le_threads_for(n, a->n_threads);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nblocks; b++) {
        const int64_t i0 = b * LE_BLOCK, i1 = n - i0 < LE_BLOCK ? n : i0 + LE_BLOCK;
        double s = 0;
        if (kind == LE_MG_RANKING) {
            LE_MELEM_KIND(LE_MG_RANKING)
        } else {
            LE_MELEM_KIND(LE_MG_HINGE)
        }
        if (partials) partials[b] = s;
    }
    if (partials) {
        const double total = le_sum_partials(partials, nblocks);
        a->loss_value = red == LE_RED_MEAN ? total / (double)n : total;
        free(partials);
    }
    return LE_OK;
}

/* ================================================================ class rows */
/* multi_margin_loss, one row: loss (already / C); writes the gsc-scaled gradient
 * into g (a scratch row when the caller wants no gradient: one loop body for
 * both, so the loss is bitwise the same with and without a gradient). */
static inline double TFN(multi_row)(const T *xr, int64_t y, int64_t C, T margin, int p, T wy,
                                    T gsc, T *g) {
    const T base = margin - xr[y];
    T s = 0, gs = 0;
    for (int part = 0; part < 2; part++) {
        const int64_t d0 = part ? y + 1 : 0, d1 = part ? C : y;
        if (p == 1) {
#pragma omp simd reduction(+:s, gs)
            for (int64_t d = d0; d < d1; d++) {
                const T z = base + xr[d];
                const int on = z > 0;
                s += on ? z : (T)0;
                const T h = on ? gsc : (T)0;
                g[d] = h; gs += h;
            }
        } else {
#pragma omp simd reduction(+:s, gs)
            for (int64_t d = d0; d < d1; d++) {
                const T z = base + xr[d];
                const int on = z > 0;
                s += on ? z * z : (T)0;
                const T h = on ? 2 * gsc * z : (T)0;
                g[d] = h; gs += h;
            }
        }
    }
    g[y] = -gs;
    return (double)wy * (double)s / (double)C;
}

/* multilabel_margin_loss, one row.  nt_mask: scratch of C; 1 for non-target
 * classes.  g: gradient row, or a scratch row (as multi_row). */
static inline double TFN(multilabel_row)(const T *xr, const int64_t *tr, int64_t C, T gsc, T *g,
                                         T *nt_mask) {
    int64_t L = 0;
    for (int64_t d = 0; d < C; d++) nt_mask[d] = 1;
    for (; L < C; L++) {
        const int64_t lab = tr[L];
        if (lab < 0) break;
        nt_mask[lab] = 0;
    }
    memset(g, 0, (size_t)C * sizeof(T));
    double loss = 0;
    for (int64_t j = 0; j < L; j++) {
        const int64_t lab = tr[j];
        const T base = 1 - xr[lab];
        T s = 0, cnt = 0;
#pragma omp simd reduction(+:s, cnt)
        for (int64_t d = 0; d < C; d++) {
            const T z = base + xr[d];
            const int on = z > 0 && nt_mask[d] != 0;
            s += on ? z : (T)0;
            cnt += on ? (T)1 : (T)0;
            g[d] += on ? gsc : (T)0;
        }
        g[lab] -= cnt * gsc;
        loss += (double)s;
    }
    return loss / (double)C;
}

int TFN(le_mrow)(le_mrow_args *a) {
    const int64_t N = a->N, C = a->C;
    const T *x = (const T *)a->x;
    const int64_t *t = a->target;
    const T *w = (const T *)a->weight;
    const T *go = (const T *)a->go;
    T *lossv = (T *)a->loss, *g = (T *)a->grad;
    const int red = a->reduction, kind = a->kind, p = a->p;
    const T margin = (T)a->margin;
    /* targets first: nothing is written when one is out of range */
    if (kind == LE_MR_MULTI) {
        for (int64_t r = 0; r < N; r++)
            if (t[r] < 0 || t[r] >= C) { a->bad_index = r; return LE_ERR_TARGET_RANGE; }
    } else {
        /* branch-free scan (vectorised); the position is looked up only on failure */
        int bad = 0;
        const int64_t NC = N * C;
#pragma omp simd reduction(|:bad)
        for (int64_t i = 0; i < NC; i++) bad |= (t[i] < -1) | (t[i] >= C);
        if (bad) {
            for (int64_t i = 0; i < NC; i++)
                if (t[i] < -1 || t[i] >= C) { a->bad_index = i; return LE_ERR_TARGET_RANGE; }
        }
    }
    const double scr = red == LE_RED_MEAN ? a->go_scalar / (double)N : a->go_scalar;
    const int64_t nblocks = (N + LE_MROWS - 1) / LE_MROWS;
    double *partials = NULL;
    if (red != LE_RED_NONE) {
        partials = (double *)malloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof(double));
        if (!partials) return LE_ERR_NOMEM;
    }
    const int nt = le_threads_for(N * C, a->n_threads);
    int status = LE_OK;
#pragma omp parallel num_threads(nt)
    {
        /* scratch: [0, C) gradient row when none is wanted, [C, 2C) label mask */
        T *scratch = (T *)malloc((size_t)(C > 0 ? 2 * C : 1) * sizeof(T));
        if (!scratch) {
#pragma omp atomic write
            status = LE_ERR_NOMEM;
        }
        T *mask = scratch ? scratch + C : NULL;
#pragma omp for schedule(static)
        for (int64_t b = 0; b < nblocks; b++) {
            if (!scratch) continue;
            const int64_t r0 = b * LE_MROWS, r1 = N - r0 < LE_MROWS ? N : r0 + LE_MROWS;
            double s = 0;
            for (int64_t r = r0; r < r1; r++) {
                const double sc = (red == LE_RED_NONE && go) ? (double)go[r] : scr;
                double l;
                if (kind == LE_MR_MULTI) {
                    const T wy = w ? w[t[r]] : (T)1;
                    l = TFN(multi_row)(x + r * C, t[r], C, margin, p, wy,
                                       (T)(sc * (double)wy / (double)C), g ? g + r * C : scratch);
                } else {
                    l = TFN(multilabel_row)(x + r * C, t + r * C, C, (T)(sc / (double)C),
                                            g ? g + r * C : scratch, mask);
                }
                if (red == LE_RED_NONE) lossv[r] = (T)l; else s += l;
            }
            if (partials) partials[b] = s;
        }
        free(scratch);
    }
    if (status != LE_OK) { free(partials); return status; }
    if (partials) {
        const double total = le_sum_partials(partials, nblocks);
        a->loss_value = red == LE_RED_MEAN ? total / (double)N : total;
        free(partials);
    }
    return LE_OK;
}

/* ================================================================ embeddings */
/* p-norm of u - v + eps for any p (p = 1, 2 take the fast paths elsewhere).
 * *cnt receives the number of maximal (minimal) entries for p = +-inf. */
static double TFN(pnorm_gen)(const T *u, const T *v, int64_t D, double p, T eps, double *cnt) {
    *cnt = 1;
    if (isinf(p)) {
        double m = p > 0 ? 0.0 : INFINITY;
        for (int64_t d = 0; d < D; d++) {
            const double z = fabs((double)((u[d] - v[d]) + eps));
            if (z != z) return z;
            m = p > 0 ? (z > m ? z : m) : (z < m ? z : m);
        }
        double c = 0;
        for (int64_t d = 0; d < D; d++) c += fabs((double)((u[d] - v[d]) + eps)) == m;
        *cnt = c;
        return m;
    }
    double s = 0;
    if (p == 0) {
        for (int64_t d = 0; d < D; d++) s += ((u[d] - v[d]) + eps) != 0;
        return s;
    }
    for (int64_t d = 0; d < D; d++) s += pow(fabs((double)((u[d] - v[d]) + eps)), p);
    return pow(s, 1.0 / p);
}

/* torch's sign: 0 for 0 and for NaN */
static inline double TFN(sgn)(double z) { return z > 0 ? 1.0 : z < 0 ? -1.0 : 0.0; }

/* d ||z||_p / d z_i as torch's vector-norm backward computes it. */
static inline double TFN(pnorm_dgen)(double z, double nrm, double p, double cnt) {
    if (p == 0) return 0;
    if (isinf(p)) return (fabs(z) == nrm || z != z) ? TFN(sgn)(z) / cnt : 0.0;
    if (p < 1) return (z == 0 ? 0.0 : TFN(sgn)(z) * pow(fabs(z), p - 1)) * pow(nrm, 1 - p);
    if (nrm == 0) return 0;
    if (p < 2) return TFN(sgn)(z) * pow(fabs(z), p - 1) / pow(nrm, p - 1);
    return z * pow(fabs(z), p - 2) / pow(nrm, p - 1);
}

/* g += k * d||u - v + eps||/du (general p) */
static void TFN(pnorm_grad_gen)(const T *u, const T *v, int64_t D, double p, T eps, double nrm,
                                double cnt, double k, T *g, int accumulate) {
    for (int64_t d = 0; d < D; d++) {
        const double z = (double)((u[d] - v[d]) + eps);
        const double gd = k * TFN(pnorm_dgen)(z, nrm, p, cnt);
        g[d] = accumulate ? (T)((double)g[d] + gd) : (T)gd;
    }
}

/* Per-call constants of an embedding evaluation. */
typedef struct {
    int64_t D;
    int dist, pk;     /* pk: 1 (p = 1), 2 (p = 2), 0 (other p) */
    double p;
    T eps;
    double doff, dscale;
} TFN(emb_const);

/* Overflow fallbacks, taken only when a plain sum of squares or dot product is
 * not finite (|values| beyond ~1e154 in double, ~1e19 in float): the norm is
 * computed in double on values scaled by the largest magnitude, so results
 * stay finite wherever the mathematical result is. */
static double TFN(norm2_robust)(const T *u, const T *v, int64_t D, T eps) {
    /* ||u - v + eps|| when v is given, else ||u|| */
    double m = 0;
    for (int64_t d = 0; d < D; d++) {
        const double z = fabs(v ? (double)((u[d] - v[d]) + eps) : (double)u[d]);
        if (z != z) return z;
        m = z > m ? z : m;
    }
    if (m == 0 || isinf(m)) return m;
    double s = 0;
    for (int64_t d = 0; d < D; d++) {
        const double q = (v ? (double)((u[d] - v[d]) + eps) : (double)u[d]) / m;
        s += q * q;
    }
    return m * sqrt(s);
}

/* sum (u / ru) (v / rv) in double: the cosine of two rows of norms ru, rv. */
static double TFN(cos_robust)(const T *u, const T *v, int64_t D, double ru, double rv) {
    if (ru != ru || rv != rv) return ru + rv;
    if (!(ru > 0 && rv > 0)) return 0.0;
    double s = 0;
    for (int64_t d = 0; d < D; d++) s += ((double)u[d] / ru) * ((double)v[d] / rv);
    return s;
}

static inline int TFN(fin3)(double a, double b, double c) {
    return isfinite(a) && isfinite(b) && isfinite(c);
}

/* ---- one pair (pairwise_distance / cosine_similarity): value; VJP scaled by k */
static double TFN(pair_row)(const T *u, const T *v, const TFN(emb_const) *K, double k,
                            T *gu, T *gv) {
    const int64_t D = K->D;
    const T eps = K->eps;
    if (K->dist == LE_DIST_COS) {
        T suu = 0, svv = 0, suv = 0;
#pragma omp simd reduction(+:suu, svv, suv)
        for (int64_t d = 0; d < D; d++) { suu += u[d] * u[d]; svv += v[d] * v[d]; suv += u[d] * v[d]; }
        const int fin = TFN(fin3)((double)suu, (double)svv, (double)suv);
        const double ru = fin ? sqrt((double)suu) : TFN(norm2_robust)(u, NULL, D, 0);
        const double rv = fin ? sqrt((double)svv) : TFN(norm2_robust)(v, NULL, D, 0);
        /* torch's clamp_min: a NaN norm stays NaN */
        const double nu = ru < (double)eps ? (double)eps : ru, nv = rv < (double)eps ? (double)eps : rv;
        const double cs = fin ? (double)suv / (nu * nv)
                              : TFN(cos_robust)(u, v, D, ru, rv) * (ru / nu) * (rv / nv);
        if (gu) {
            const double kk = k * K->dscale;
            const T cuv = (T)(kk / nu / nv);
            const T cuu = (T)(ru == 0 ? 0.0 : -kk * cs / nu / ru);
            const T cvv = (T)(rv == 0 ? 0.0 : -kk * cs / nv / rv);
#pragma omp simd
            for (int64_t d = 0; d < D; d++) {
                const T ud = u[d], vd = v[d];
                gu[d] = cuv * vd + cuu * ud;
                gv[d] = cuv * ud + cvv * vd;
            }
        }
        return K->doff + K->dscale * cs;
    }
    double nrm;
    if (K->pk == 2) {
        T s = 0;
#pragma omp simd reduction(+:s)
        for (int64_t d = 0; d < D; d++) { const T z = (u[d] - v[d]) + eps; s += z * z; }
        nrm = isfinite((double)s) ? sqrt((double)s) : TFN(norm2_robust)(u, v, D, eps);
        if (gu) {
            const T f = (T)(nrm == 0 ? 0.0 : k / nrm);   /* NaN norm: NaN row, as torch */
#pragma omp simd
            for (int64_t d = 0; d < D; d++) {
                const T gz = f * ((u[d] - v[d]) + eps);
                gu[d] = gz; gv[d] = -gz;
            }
        }
    } else if (K->pk == 1) {
        T s = 0;
#pragma omp simd reduction(+:s)
        for (int64_t d = 0; d < D; d++) { const T z = (u[d] - v[d]) + eps; s += z < 0 ? -z : z; }
        nrm = (double)s;
        if (gu) {
            const T f = (T)k;
#pragma omp simd
            for (int64_t d = 0; d < D; d++) {
                const T z = (u[d] - v[d]) + eps;
                const T gz = f * (z > 0 ? (T)1 : z < 0 ? (T)-1 : (T)0);
                gu[d] = gz; gv[d] = -gz;
            }
        }
    } else {
        double cnt;
        nrm = TFN(pnorm_gen)(u, v, D, K->p, eps, &cnt);
        if (gu) {
            TFN(pnorm_grad_gen)(u, v, D, K->p, eps, nrm, cnt, k, gu, 0);
            for (int64_t d = 0; d < D; d++) gv[d] = -gu[d];
        }
    }
    return K->doff + K->dscale * nrm;
}

/* ---- triplet row: loss; gradients scaled by sc */
static double TFN(triplet_row)(const T *A, const T *P, const T *Nn, const TFN(emb_const) *K,
                               double margin, int swap, double sc, T *ga, T *gp, T *gn) {
    const int64_t D = K->D;
    const T eps = K->eps;
    double dap, dan, dpn = 0;
    /* cosine statistics */
    double ra = 0, rp = 0, rn = 0, na = 0, np_ = 0, nn = 0, cap = 0, can = 0, cpn = 0;
    double cnt_ap = 1, cnt_an = 1, cnt_pn = 1;
    if (K->dist == LE_DIST_COS) {
        T saa = 0, spp = 0, snn = 0, sap = 0, san = 0, spn = 0;
        if (swap) {
#pragma omp simd reduction(+:saa, spp, snn, sap, san, spn)
            for (int64_t d = 0; d < D; d++) {
                const T a = A[d], p = P[d], n = Nn[d];
                saa += a * a; spp += p * p; snn += n * n; sap += a * p; san += a * n; spn += p * n;
            }
        } else {
#pragma omp simd reduction(+:saa, spp, snn, sap, san)
            for (int64_t d = 0; d < D; d++) {
                const T a = A[d], p = P[d], n = Nn[d];
                saa += a * a; spp += p * p; snn += n * n; sap += a * p; san += a * n;
            }
        }
        const double e = (double)eps;
        const int fin = TFN(fin3)((double)saa, (double)spp, (double)snn) &&
                        TFN(fin3)((double)sap, (double)san, (double)spn);
        if (fin) {
            ra = sqrt((double)saa); rp = sqrt((double)spp); rn = sqrt((double)snn);
        } else {
            ra = TFN(norm2_robust)(A, NULL, D, 0); rp = TFN(norm2_robust)(P, NULL, D, 0);
            rn = TFN(norm2_robust)(Nn, NULL, D, 0);
        }
        na = ra < e ? e : ra; np_ = rp < e ? e : rp; nn = rn < e ? e : rn;
        if (fin) {
            cap = (double)sap / (na * np_); can = (double)san / (na * nn);
            if (swap) cpn = (double)spn / (np_ * nn);
        } else {
            cap = TFN(cos_robust)(A, P, D, ra, rp) * (ra / na) * (rp / np_);
            can = TFN(cos_robust)(A, Nn, D, ra, rn) * (ra / na) * (rn / nn);
            if (swap) cpn = TFN(cos_robust)(P, Nn, D, rp, rn) * (rp / np_) * (rn / nn);
        }
        dap = K->doff + K->dscale * cap;
        dan = K->doff + K->dscale * can;
        if (swap) dpn = K->doff + K->dscale * cpn;
    } else if (K->pk == 2 || K->pk == 1) {
        T s1 = 0, s2 = 0, s3 = 0;
        if (K->pk == 2) {
            if (swap) {
#pragma omp simd reduction(+:s1, s2, s3)
                for (int64_t d = 0; d < D; d++) {
                    const T z1 = (A[d] - P[d]) + eps, z2 = (A[d] - Nn[d]) + eps, z3 = (P[d] - Nn[d]) + eps;
                    s1 += z1 * z1; s2 += z2 * z2; s3 += z3 * z3;
                }
            } else {
#pragma omp simd reduction(+:s1, s2)
                for (int64_t d = 0; d < D; d++) {
                    const T z1 = (A[d] - P[d]) + eps, z2 = (A[d] - Nn[d]) + eps;
                    s1 += z1 * z1; s2 += z2 * z2;
                }
            }
            dap = isfinite((double)s1) ? sqrt((double)s1) : TFN(norm2_robust)(A, P, D, eps);
            dan = isfinite((double)s2) ? sqrt((double)s2) : TFN(norm2_robust)(A, Nn, D, eps);
            dpn = !swap ? 0.0 : isfinite((double)s3) ? sqrt((double)s3)
                                                     : TFN(norm2_robust)(P, Nn, D, eps);
        } else {
#pragma omp simd reduction(+:s1, s2, s3)
            for (int64_t d = 0; d < D; d++) {
                const T z1 = (A[d] - P[d]) + eps, z2 = (A[d] - Nn[d]) + eps, z3 = (P[d] - Nn[d]) + eps;
                s1 += z1 < 0 ? -z1 : z1; s2 += z2 < 0 ? -z2 : z2; s3 += z3 < 0 ? -z3 : z3;
            }
            dap = (double)s1; dan = (double)s2; dpn = (double)s3;
        }
        dap = K->doff + K->dscale * dap;
        dan = K->doff + K->dscale * dan;
        dpn = K->doff + K->dscale * dpn;
    } else {
        dap = K->doff + K->dscale * TFN(pnorm_gen)(A, P, D, K->p, eps, &cnt_ap);
        dan = K->doff + K->dscale * TFN(pnorm_gen)(A, Nn, D, K->p, eps, &cnt_an);
        if (swap) dpn = K->doff + K->dscale * TFN(pnorm_gen)(P, Nn, D, K->p, eps, &cnt_pn);
    }
    /* torch.minimum(d_an, d_pn): NaN wins; a tie splits the gradient */
    double dneg = dan, wn = 1, ws = 0;
    if (swap) {
        if (dpn != dpn || dan != dan) { dneg = dan + dpn; wn = 1; ws = 1; }
        else if (dpn < dan) { dneg = dpn; wn = 0; ws = 1; }
        else if (dpn == dan) { wn = 0.5; ws = 0.5; }
    }
    const double z = (margin + dap) - dneg;
    const double loss = z < 0 ? 0.0 : z;
    if (!ga) return loss;
    const double c = z >= 0 ? sc * K->dscale : 0.0;
    if (K->dist == LE_DIST_COS) {
        /* ga = Aa a + Ap p + An n, etc. */
        const T Ap = (T)(c / na / np_), An = (T)(-c * wn / na / nn);
        const T Aa = (T)(ra == 0 ? 0.0 : c * (-cap + wn * can) / na / ra);
        const T Bn = (T)(-c * ws / np_ / nn);
        const T Bp = (T)(rp == 0 ? 0.0 : c * (-cap + ws * cpn) / np_ / rp);
        const T Cn = (T)(rn == 0 ? 0.0 : c * (wn * can + ws * cpn) / nn / rn);
        const T Ba = Ap, Ca = An, Cp = Bn;
#pragma omp simd
        for (int64_t d = 0; d < D; d++) {
            const T a = A[d], p = P[d], n = Nn[d];
            ga[d] = Aa * a + Ap * p + An * n;
            gp[d] = Ba * a + Bp * p + Bn * n;
            gn[d] = Ca * a + Cp * p + Cn * n;
        }
        return loss;
    }
    const double dap0 = (dap - K->doff) / K->dscale, dan0 = (dan - K->doff) / K->dscale,
                 dpn0 = (dpn - K->doff) / K->dscale;
    if (K->pk == 2) {
        /* 0 for a zero distance; a NaN distance gives a NaN row, as torch */
        const T fap = (T)(dap0 == 0 ? 0.0 : c / dap0);
        const T fan = (T)(dan0 == 0 ? 0.0 : c * wn / dan0);
        const T fpn = (T)(!swap || dpn0 == 0 ? 0.0 : c * ws / dpn0);
#pragma omp simd
        for (int64_t d = 0; d < D; d++) {
            const T z1 = (A[d] - P[d]) + eps, z2 = (A[d] - Nn[d]) + eps, z3 = (P[d] - Nn[d]) + eps;
            const T u1 = fap * z1, u2 = fan * z2, u3 = fpn * z3;
            ga[d] = u1 - u2;
            gp[d] = -u1 - u3;
            gn[d] = u2 + u3;
        }
    } else if (K->pk == 1) {
        const T fap = (T)c, fan = (T)(c * wn), fpn = (T)(swap ? c * ws : 0.0);
#pragma omp simd
        for (int64_t d = 0; d < D; d++) {
            const T z1 = (A[d] - P[d]) + eps, z2 = (A[d] - Nn[d]) + eps, z3 = (P[d] - Nn[d]) + eps;
            const T u1 = fap * (z1 > 0 ? (T)1 : z1 < 0 ? (T)-1 : (T)0);
            const T u2 = fan * (z2 > 0 ? (T)1 : z2 < 0 ? (T)-1 : (T)0);
            const T u3 = fpn * (z3 > 0 ? (T)1 : z3 < 0 ? (T)-1 : (T)0);
            ga[d] = u1 - u2;
            gp[d] = -u1 - u3;
            gn[d] = u2 + u3;
        }
    } else {
        /* d/dA of d(A,P) is +phi_ap, d/dP is -phi_ap, etc. */
        for (int64_t d = 0; d < D; d++) {
            const double u1 = c * TFN(pnorm_dgen)((double)((A[d] - P[d]) + eps), dap0, K->p, cnt_ap);
            const double u2 = c * wn * TFN(pnorm_dgen)((double)((A[d] - Nn[d]) + eps), dan0, K->p, cnt_an);
            const double u3 = swap ? c * ws * TFN(pnorm_dgen)((double)((P[d] - Nn[d]) + eps), dpn0, K->p, cnt_pn) : 0.0;
            ga[d] = (T)(u1 - u2);
            gp[d] = (T)(-u1 - u3);
            gn[d] = (T)(u2 + u3);
        }
    }
    return loss;
}

/* ---- cosine_embedding_loss row */
static double TFN(cosemb_row)(const T *u, const T *v, int64_t D, T y, double margin, double sc,
                              T *gu, T *gv) {
    T suu = 0, svv = 0, suv = 0;
#pragma omp simd reduction(+:suu, svv, suv)
    for (int64_t d = 0; d < D; d++) { suu += u[d] * u[d]; svv += v[d] * v[d]; suv += u[d] * v[d]; }
    double s1 = (double)suu + 1e-12, s2 = (double)svv + 1e-12, den, cs;
    if (TFN(fin3)((double)suv, s1 * s2, 0.0)) {
        den = sqrt(s1 * s2);
        cs = (double)suv / den;
    } else {   /* overflow: norms scaled (sqrt(r^2 + 1e-12) = r sqrt(1 + (1e-6/r)^2)) */
        const double r1 = TFN(norm2_robust)(u, NULL, D, 0), r2 = TFN(norm2_robust)(v, NULL, D, 0);
        const double n1 = r1 > 0 ? r1 * sqrt(1 + (1e-6 / r1) * (1e-6 / r1)) : 1e-6;
        const double n2 = r2 > 0 ? r2 * sqrt(1 + (1e-6 / r2) * (1e-6 / r2)) : 1e-6;
        den = n1 * n2;
        cs = TFN(cos_robust)(u, v, D, r1, r2) * (r1 / n1) * (r2 / n2);
        s1 = n1 * n1; s2 = n2 * n2;
    }
    double loss = 0, dl = 0;
    if (y == (T)1) { loss = 1 - cs; dl = -1; }
    else if (y == (T)-1) {
        const double h = cs - margin;
        loss = h < 0 ? 0.0 : h;
        dl = h >= 0 ? 1.0 : 0.0;
    }
    if (gu) {
        const double k = sc * dl;
        const T cuv = (T)(k / den), cuu = (T)(-k * cs / s1), cvv = (T)(-k * cs / s2);
#pragma omp simd
        for (int64_t d = 0; d < D; d++) {
            const T ud = u[d], vd = v[d];
            gu[d] = cuv * vd + cuu * ud;
            gv[d] = cuv * ud + cvv * vd;
        }
    }
    return loss;
}

int TFN(le_emb)(le_emb_args *a) {
    const int64_t N = a->N, D = a->D;
    const T *A = (const T *)a->a, *B = (const T *)a->b, *Cc = (const T *)a->c;
    const T *y = (const T *)a->y;
    const T *go = (const T *)a->go;
    T *lossv = (T *)a->loss;
    T *ga = (T *)a->ga, *gb = (T *)a->gb, *gc = (T *)a->gc;
    TFN(emb_const) K;
    K.D = D; K.dist = a->dist; K.p = a->p; K.eps = (T)a->eps;
    K.pk = a->p == 2.0 ? 2 : a->p == 1.0 ? 1 : 0;
    K.doff = a->doff; K.dscale = a->dscale;
    const int mode = a->mode;
    const int red = mode == LE_EMB_PAIR ? LE_RED_NONE : a->reduction;
    const double scr = red == LE_RED_MEAN ? a->go_scalar / (double)N : a->go_scalar;
    const int64_t nblocks = (N + LE_MROWS - 1) / LE_MROWS;
    double *partials = NULL;
    if (red != LE_RED_NONE) {
        partials = (double *)malloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof(double));
        if (!partials) return LE_ERR_NOMEM;
    }
    const int nt = le_threads_for(N * D * (mode == LE_EMB_TRIPLET ? 3 : 2), a->n_threads);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nblocks; b++) {
        const int64_t r0 = b * LE_MROWS, r1 = N - r0 < LE_MROWS ? N : r0 + LE_MROWS;
        double s = 0;
        for (int64_t r = r0; r < r1; r++) {
            const double sc = (red == LE_RED_NONE && go) ? (double)go[r] : scr;
            const int64_t o = r * D;
            double l;
            if (mode == LE_EMB_PAIR)
                l = TFN(pair_row)(A + o, B + o, &K, sc, ga ? ga + o : NULL, gb ? gb + o : NULL);
            else if (mode == LE_EMB_TRIPLET)
                l = TFN(triplet_row)(A + o, B + o, Cc + o, &K, a->margin, a->swap, sc,
                                     ga ? ga + o : NULL, gb ? gb + o : NULL, gc ? gc + o : NULL);
            else
                l = TFN(cosemb_row)(A + o, B + o, D, y[r], a->margin, sc,
                                    ga ? ga + o : NULL, gb ? gb + o : NULL);
            if (red == LE_RED_NONE) lossv[r] = (T)l; else s += l;
        }
        if (partials) partials[b] = s;
    }
    if (partials) {
        const double total = le_sum_partials(partials, nblocks);
        a->loss_value = red == LE_RED_MEAN ? total / (double)N : total;
        free(partials);
    }
    return LE_OK;
}

#undef LE_MELEM_LOOP
#undef LE_MELEM_KIND
#undef T
#undef TFN
#endif
