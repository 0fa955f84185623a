/* Optimizer updates: one fused pass per parameter array (see optim.h).
 *
 * Each element body follows torch 2.13's single-tensor CPU path operation by
 * operation (same operands, same order, scalars rounded to the storage dtype
 * as torch converts its Python scalars), so float64 agrees with torch to
 * rounding.  Options are loop-invariant selects, so every loop is one
 * branch-free `omp simd` body.
 */
#ifndef LE_T
/* Selects with floating-point arms are only if-converted (vectorised) without
 * -ftrapping-math; traps are never enabled, IEEE results are unchanged.
 * fp-contract=off: no FMA contraction, so a result is the same at every ISA
 * level and follows the documented operation order. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#endif
#include "le_common.h"
#include "optim.h"

/* Elements per work chunk of the concatenated arrays. */
#define LE_OPT_CHUNK 16384
/* Total work below which a step stays on one thread. */
#define LE_OPT_PAR_MIN 65536

#define LE_T float
#define LE_TS f32
#define LE_SQRT sqrtf
#define LE_FABS fabsf
#include "optim.c"
#undef LE_T
#undef LE_TS
#undef LE_SQRT
#undef LE_FABS

#define LE_T double
#define LE_TS f64
#define LE_SQRT sqrt
#define LE_FABS fabs
#include "optim.c"
#undef LE_T
#undef LE_TS
#undef LE_SQRT
#undef LE_FABS


/* Elements [i0, i1) of array j, in its dtype. */
static void LE_FN(opt_run)(const le_optim_args *a, int64_t j, int64_t i0, int64_t i1) {
    if (a->f64 && a->f64[j]) LE_FN(opt_run_f64)(a, j, i0, i1);
    else LE_FN(opt_run_f32)(a, j, i0, i1);
}

/* Chunk c of the concatenated work: the arrays it overlaps, in order. */
static void LE_FN(opt_chunk)(const le_optim_args *a, int64_t c) {
    const int64_t N = a->off[a->n_arrays];
    int64_t lo = c * LE_OPT_CHUNK;
    const int64_t hi = lo + LE_OPT_CHUNK < N ? lo + LE_OPT_CHUNK : N;
    /* last array starting at or before lo */
    int64_t l = 0, r = a->n_arrays - 1;
    while (l < r) {
        const int64_t mid = (l + r + 1) / 2;
        if (a->off[mid] <= lo) l = mid; else r = mid - 1;
    }
    for (int64_t j = l; j < a->n_arrays && lo < hi; j++) {
        const int64_t e = a->off[j + 1] < hi ? a->off[j + 1] : hi;
        if (e > lo) LE_FN(opt_run)(a, j, lo - a->off[j], e - a->off[j]);
        lo = e > lo ? e : lo;
    }
}

int LE_FN(le_optim)(const le_optim_args *a) {
    if (a->n_arrays <= 0) return LE_OK;
    const int64_t N = a->off[a->n_arrays];
    if (N <= 0) return LE_OK;
    const int64_t nch = (N + LE_OPT_CHUNK - 1) / LE_OPT_CHUNK;
    int nt = N < LE_OPT_PAR_MIN ? 1 : le_threads_for(N, a->n_threads);
    if (nt > nch) nt = (int)nch;
    if (nt <= 1) {
        for (int64_t c = 0; c < nch; c++) LE_FN(opt_chunk)(a, c);
        return LE_OK;
    }
#if LE_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t c = 0; c < nch; c++) LE_FN(opt_chunk)(a, c);
#endif
    return LE_OK;
}

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))
#define OPT_SIMD _Pragma("omp simd")

/* torch's lerp(a, b, w): w small ? a + w (b - a) : b - (b - a)(1 - w); with
 * c = small ? w : w - 1 both are base + c (b - a), exactly. */
#define OPT_LERP(a, b, small, c) (((small) ? (a) : (b)) + (c) * ((b) - (a)))
/* torch.maximum: NaN in either operand gives NaN */
#define OPT_MAXIMUM(a, b) (((a) > (b) || (a) != (a)) ? (a) : (b))

/* Gradient as the update sees it: -g for maximize, + wd * p for L2 decay. */
#define OPT_GRAD(gi, pv) \
    const T g0_ = (gi) * sg; const T gw_ = g0_ + wd * (pv); const T g1 = hwd ? gw_ : g0_;

#define OPT_COMMON                                   \
    const T sg = (fl & LE_OPTF_MAXIMIZE) ? (T)-1 : (T)1; \
    const int hwd = (fl & LE_OPTF_WD) != 0;          \
    (void)sg; (void)hwd;

/* SGD. sc: wd, momentum, 1 - dampening, -lr.  s0: momentum buffer or NULL. */
static inline void TFN(opt_sgd)(T *p, const T *g, T *b, T *u1, T *u2, int64_t n,
                                const double *sc, int fl) {
    (void)u1; (void)u2;
    OPT_COMMON
    const T wd = (T)sc[0], mom = (T)sc[1], omd = (T)sc[2], nlr = (T)sc[3];
    const int fresh = (fl & LE_OPTF_FRESH) != 0, nest = (fl & LE_OPTF_NESTEROV) != 0;
    if (b) {
        OPT_SIMD for (int64_t i = 0; i < n; i++) {
            OPT_GRAD(g[i], p[i])
            const T bu = b[i] * mom + omd * g1;
            const T bb = fresh ? g1 : bu;
            b[i] = bb;
            const T dn = g1 + mom * bb;
            const T d = nest ? dn : bb;
            p[i] = p[i] + nlr * d;
        }
    } else {
        OPT_SIMD for (int64_t i = 0; i < n; i++) {
            OPT_GRAD(g[i], p[i])
            p[i] = p[i] + nlr * g1;
        }
    }
}

/* Adam / AdamW. sc: decay (1 - lr wd for AdamW, else 1), wd (Adam's L2),
 * 1 - beta1, beta2, 1 - beta2, sqrt(bias_correction2), eps, -lr / bias_correction1.
 * s0 exp_avg, s1 exp_avg_sq, s2 max_exp_avg_sq (amsgrad) */
static inline void TFN(opt_adam)(T *p, const T *g, T *m, T *v, T *vm, int64_t n,
                                 const double *sc, int fl) {
    OPT_COMMON
    const T decay = (T)sc[0], wd = (T)sc[1], w1 = (T)sc[2], b2 = (T)sc[3], omb2 = (T)sc[4];
    const T bc2s = (T)sc[5], eps = (T)sc[6], nss = (T)sc[7];
    const int small = LE_FABS(w1) < (T)0.5;
    const T c1 = small ? w1 : w1 - (T)1;
    if (vm && (fl & LE_OPTF_AMSGRAD)) {
        OPT_SIMD for (int64_t i = 0; i < n; i++) {
            const T pv = p[i] * decay;
            OPT_GRAD(g[i], p[i])
            const T mm = OPT_LERP(m[i], g1, small, c1);
            const T vv = v[i] * b2 + (omb2 * g1) * g1;
            const T vo = vm[i];
            const T mx = OPT_MAXIMUM(vo, vv);
            m[i] = mm; v[i] = vv; vm[i] = mx;
            const T den = LE_SQRT(mx) / bc2s + eps;
            p[i] = pv + (nss * mm) / den;
        }
    } else {
        OPT_SIMD for (int64_t i = 0; i < n; i++) {
            const T pv = p[i] * decay;
            OPT_GRAD(g[i], p[i])
            const T mm = OPT_LERP(m[i], g1, small, c1);
            const T vv = v[i] * b2 + (omb2 * g1) * g1;
            m[i] = mm; v[i] = vv;
            const T den = LE_SQRT(vv) / bc2s + eps;
            p[i] = pv + (nss * mm) / den;
        }
    }
}

/* Adamax. sc: wd, 1 - beta1, beta2, eps, -lr / bias_correction.
 * s0 exp_avg, s1 exp_inf */
static inline void TFN(opt_adamax)(T *p, const T *g, T *m, T *u, T *u2, int64_t n,
                                   const double *sc, int fl) {
    (void)u2;
    OPT_COMMON
    const T wd = (T)sc[0], w1 = (T)sc[1], b2 = (T)sc[2], eps = (T)sc[3], nclr = (T)sc[4];
    const int small = LE_FABS(w1) < (T)0.5;
    const T c1 = small ? w1 : w1 - (T)1;
    OPT_SIMD for (int64_t i = 0; i < n; i++) {
        OPT_GRAD(g[i], p[i])
        const T mm = OPT_LERP(m[i], g1, small, c1);
        const T a = u[i] * b2;
        const T b = LE_FABS(g1) + eps;
        const T uu = OPT_MAXIMUM(a, b);
        m[i] = mm; u[i] = uu;
        p[i] = p[i] + (nclr * mm) / uu;
    }
}

/* NAdam. sc: decay (decoupled), wd (L2), 1 - beta1, beta2, 1 - beta2,
 * bias_correction2, eps, -lr (1 - mu) / (1 - mu_product),
 * -lr mu_next / (1 - mu_product mu_next).  s0 exp_avg, s1 exp_avg_sq */
static inline void TFN(opt_nadam)(T *p, const T *g, T *m, T *v, T *u2, int64_t n,
                                  const double *sc, int fl) {
    (void)u2;
    OPT_COMMON
    const T decay = (T)sc[0], wd = (T)sc[1], w1 = (T)sc[2], b2 = (T)sc[3], omb2 = (T)sc[4];
    const T bc2 = (T)sc[5], eps = (T)sc[6], c1g = (T)sc[7], c2m = (T)sc[8];
    const int small = LE_FABS(w1) < (T)0.5;
    const T c1 = small ? w1 : w1 - (T)1;
    OPT_SIMD for (int64_t i = 0; i < n; i++) {
        T pv = p[i] * decay;
        OPT_GRAD(g[i], pv)
        const T mm = OPT_LERP(m[i], g1, small, c1);
        const T vv = v[i] * b2 + (omb2 * g1) * g1;
        m[i] = mm; v[i] = vv;
        const T den = LE_SQRT(vv / bc2) + eps;
        pv = pv + (c1g * g1) / den;
        p[i] = pv + (c2m * mm) / den;
    }
}

/* RAdam. sc: decay, wd, 1 - beta1, beta2, 1 - beta2, bias_correction1, lr,
 * sqrt(bias_correction2), eps, rect.  s0 exp_avg, s1 exp_avg_sq */
static inline void TFN(opt_radam)(T *p, const T *g, T *m, T *v, T *u2, int64_t n,
                                  const double *sc, int fl) {
    (void)u2;
    OPT_COMMON
    const T decay = (T)sc[0], wd = (T)sc[1], w1 = (T)sc[2], b2 = (T)sc[3], omb2 = (T)sc[4];
    const T bc1 = (T)sc[5], lr = (T)sc[6], bc2s = (T)sc[7], eps = (T)sc[8], rect = (T)sc[9];
    const int small = LE_FABS(w1) < (T)0.5;
    const T c1 = small ? w1 : w1 - (T)1;
    const int rc = (fl & LE_OPTF_RECT) != 0;
    OPT_SIMD for (int64_t i = 0; i < n; i++) {
        const T pv = p[i] * decay;
        OPT_GRAD(g[i], pv)
        const T mm = OPT_LERP(m[i], g1, small, c1);
        const T vv = v[i] * b2 + (omb2 * g1) * g1;
        m[i] = mm; v[i] = vv;
        const T bce = mm / bc1;
        /* torch: scalar / tensor is tensor.reciprocal() * scalar */
        const T ad = ((T)1 / (LE_SQRT(vv) + eps)) * bc2s;
        const T ur = ((bce * lr) * ad) * rect;
        const T up = bce * lr;
        p[i] = pv - (rc ? ur : up);
    }
}

/* RMSprop. sc: wd, alpha, 1 - alpha, eps, momentum, -lr.
 * s0 square_avg, s1 grad_avg (centered) or NULL, s2 momentum_buffer or NULL */
static inline void TFN(opt_rmsprop)(T *p, const T *g, T *sq, T *ga, T *b, int64_t n,
                                    const double *sc, int fl) {
    OPT_COMMON
    const T wd = (T)sc[0], al = (T)sc[1], oma = (T)sc[2], eps = (T)sc[3], mom = (T)sc[4];
    const T nlr = (T)sc[5];
    const int small = LE_FABS(oma) < (T)0.5;
    const T c1 = small ? oma : oma - (T)1;
#define RMS_BODY(CENT, MOM)                                                 \
    OPT_SIMD for (int64_t i = 0; i < n; i++) {                              \
        OPT_GRAD(g[i], p[i])                                                \
        const T s = sq[i] * al + (oma * g1) * g1;                           \
        sq[i] = s;                                                          \
        T avg;                                                              \
        if (CENT) {                                                         \
            const T a = OPT_LERP(ga[i], g1, small, c1);                     \
            ga[i] = a;                                                      \
            avg = LE_SQRT(s + ((T)-1 * a) * a);                             \
        } else {                                                            \
            avg = LE_SQRT(s);                                               \
        }                                                                   \
        avg = avg + eps;                                                    \
        if (MOM) {                                                          \
            const T bb = b[i] * mom + g1 / avg;                             \
            b[i] = bb;                                                      \
            p[i] = p[i] + nlr * bb;                                         \
        } else {                                                            \
            p[i] = p[i] + (nlr * g1) / avg;                                 \
        }                                                                   \
    }
    if (ga && b) { RMS_BODY(1, 1) }
    else if (ga) { RMS_BODY(1, 0) }
    else if (b) { RMS_BODY(0, 1) }
    else { RMS_BODY(0, 0) }
#undef RMS_BODY
}

/* Adagrad. sc: wd, eps, -clr.  s0 sum */
static inline void TFN(opt_adagrad)(T *p, const T *g, T *s, T *u1, T *u2, int64_t n,
                                    const double *sc, int fl) {
    (void)u1; (void)u2;
    OPT_COMMON
    const T wd = (T)sc[0], eps = (T)sc[1], nclr = (T)sc[2];
    OPT_SIMD for (int64_t i = 0; i < n; i++) {
        OPT_GRAD(g[i], p[i])
        const T ss = s[i] + g1 * g1;
        s[i] = ss;
        const T sd = LE_SQRT(ss) + eps;
        p[i] = p[i] + (nclr * g1) / sd;
    }
}

/* Adadelta. sc: wd, rho, 1 - rho, eps, -lr.  s0 square_avg, s1 acc_delta */
static inline void TFN(opt_adadelta)(T *p, const T *g, T *v, T *acc, T *u2, int64_t n,
                                     const double *sc, int fl) {
    (void)u2;
    OPT_COMMON
    const T wd = (T)sc[0], rho = (T)sc[1], omr = (T)sc[2], eps = (T)sc[3], nlr = (T)sc[4];
    OPT_SIMD for (int64_t i = 0; i < n; i++) {
        OPT_GRAD(g[i], p[i])
        const T vv = v[i] * rho + (omr * g1) * g1;
        const T sd = LE_SQRT(vv + eps);
        T d = LE_SQRT(acc[i] + eps);
        d = d / sd;
        d = d * g1;
        const T aa = acc[i] * rho + (omr * d) * d;
        v[i] = vv; acc[i] = aa;
        p[i] = p[i] + nlr * d;
    }
}

/* ASGD. sc: wd, 1 - lambd eta, -eta, mu.  s0 ax */
static inline void TFN(opt_asgd)(T *p, const T *g, T *ax, T *u1, T *u2, int64_t n,
                                 const double *sc, int fl) {
    (void)u1; (void)u2;
    OPT_COMMON
    const T wd = (T)sc[0], decay = (T)sc[1], neta = (T)sc[2], mu = (T)sc[3];
    const int one = (fl & LE_OPTF_MU_ONE) != 0;
    OPT_SIMD for (int64_t i = 0; i < n; i++) {
        OPT_GRAD(g[i], p[i])
        T pv = p[i] * decay;
        pv = pv + neta * g1;
        p[i] = pv;
        const T a = ax[i] + (pv - ax[i]) * mu;
        ax[i] = one ? pv : a;
    }
}

/* Rprop. sc: etaminus, etaplus, step_size_min, step_size_max.
 * s0 prev, s1 step_size.  torch.sign(NaN) is 0, so a NaN product counts as 0. */
static inline void TFN(opt_rprop)(T *p, const T *g, T *prev, T *ss, T *u2, int64_t n,
                                  const double *sc, int fl) {
    (void)u2;
    OPT_COMMON
    const T em = (T)sc[0], ep = (T)sc[1], lo = (T)sc[2], hi = (T)sc[3];
    OPT_SIMD for (int64_t i = 0; i < n; i++) {
        const T g1 = g[i] * sg;
        const T s = g1 * prev[i];
        const T f = s > 0 ? ep : (s < 0 ? em : (T)1);
        T st = ss[i] * f;
        st = st < lo ? lo : st;          /* torch clamp: max(x, lo) then min(., hi), NaN kept */
        st = st > hi ? hi : st;
        const T gz = f == em ? (T)0 : g1;
        const T sgn = gz > 0 ? (T)1 : (gz < 0 ? (T)-1 : (T)0);
        ss[i] = st;
        prev[i] = gz;
        p[i] = p[i] + ((T)-1 * sgn) * st;
    }
}

/* p += a g */
static inline void TFN(opt_axpy)(T *p, const T *g, T *u0, T *u1, T *u2, int64_t n,
                                 const double *sc, int fl) {
    (void)u0; (void)u1; (void)u2; (void)fl;
    const T a = (T)sc[0];
    OPT_SIMD for (int64_t i = 0; i < n; i++) p[i] = p[i] + a * g[i];
}

static inline void TFN(opt_copy)(T *p, const T *g, T *u0, T *u1, T *u2, int64_t n,
                                 const double *sc, int fl) {
    (void)u0; (void)u1; (void)u2; (void)fl; (void)sc;
    OPT_SIMD for (int64_t i = 0; i < n; i++) p[i] = g[i];
}

/* Elements [i0, i1) of array j. */
static void TFN(opt_run)(const le_optim_args *a, int64_t j, int64_t i0, int64_t i1) {
    T *p = (T *)a->p[j] + i0;
    const T *g = (const T *)a->g[j] + i0;
    T *s0 = a->s0 && a->s0[j] ? (T *)a->s0[j] + i0 : NULL;
    T *s1 = a->s1 && a->s1[j] ? (T *)a->s1[j] + i0 : NULL;
    T *s2 = a->s2 && a->s2[j] ? (T *)a->s2[j] + i0 : NULL;
    const double *sc = a->sc + j * LE_OPT_NS;
    const int fl = a->flags[j];
    const int64_t n = i1 - i0;
    switch (a->algo) {
    case LE_OPT_SGD: TFN(opt_sgd)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_ADAM: TFN(opt_adam)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_ADAMAX: TFN(opt_adamax)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_NADAM: TFN(opt_nadam)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_RADAM: TFN(opt_radam)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_RMSPROP: TFN(opt_rmsprop)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_ADAGRAD: TFN(opt_adagrad)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_ADADELTA: TFN(opt_adadelta)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_ASGD: TFN(opt_asgd)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_RPROP: TFN(opt_rprop)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_AXPY: TFN(opt_axpy)(p, g, s0, s1, s2, n, sc, fl); break;
    case LE_OPT_COPY: TFN(opt_copy)(p, g, s0, s1, s2, n, sc, fl); break;
    default: break;
    }
}

/* SparseAdam on distinct rows; see optim.h. */
int LE_FN(LE_CAT(le_sparse_adam, LE_TS))(void *pv, void *mv, void *vv, const int64_t *rows,
                                         const void *valsv, int64_t n_rows, int64_t row_len,
                                         const double *sc, int n_threads) {
    T *P = (T *)pv, *M = (T *)mv, *V = (T *)vv;
    const T *G = (const T *)valsv;
    const T w1 = (T)sc[0], w2 = (T)sc[1], eps = (T)sc[2], nss = (T)sc[3];
    const int64_t work = n_rows * row_len;
    int nt = work < LE_OPT_PAR_MIN ? 1 : le_threads_for(work, n_threads);
    (void)nt;
#if LE_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
#endif
    for (int64_t r = 0; r < n_rows; r++) {
        T *p = P + rows[r] * row_len, *m = M + rows[r] * row_len, *v = V + rows[r] * row_len;
        const T *g = G + r * row_len;
        OPT_SIMD for (int64_t i = 0; i < row_len; i++) {
            const T om = m[i], ov = v[i], gv = g[i];
            const T mu = (gv - om) * w1;
            const T vu = (gv * gv - ov) * w2;
            m[i] = om + mu;
            v[i] = ov + vu;
            const T num = mu + om;
            const T den = LE_SQRT(vu + ov) + eps;
            p[i] = p[i] + (num / den) * nss;
        }
    }
    return LE_OK;
}

#undef T
#undef TFN
#undef OPT_SIMD
#undef OPT_LERP
#undef OPT_MAXIMUM
#undef OPT_GRAD
#undef OPT_COMMON
#endif
