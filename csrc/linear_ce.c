/* Fused linear + cross-entropy (csrc/linear_ce.h).
 *
 * The logits L = X W^T + b, (N, V), are never stored whole.  Two sweeps:
 *
 *  1. forward: tasks (row block of LE_LCE_ROWS rows) x (segment of
 *     LE_LCE_SEG vocabulary tiles).  Each task computes its logit tiles with
 *     one GEMM each into a per-thread buffer that stays in cache and keeps a
 *     running max and sum of exp per row (and the target's logit, and the sum
 *     of logits for label smoothing).  The segments' partials are merged per
 *     row in segment order: log-sum-exp per row, then the loss.
 *  2. gradient (only with dx): vocabulary tiles in order.  For each tile, every
 *     row block recomputes its logits (one GEMM) into an (N, tile) buffer,
 *     turns them into d loss / d logits in place and adds
 *     dX[block] += dL[block] W[tile] (one GEMM); then
 *     dW[tile] = dL^T X (one GEMM, K = N, split over fixed column chunks) and
 *     dbias[tile] = column sums of dL.
 *
 * So the gradient costs four GEMMs of N.V.D: keeping a row block's logits for
 * the whole vocabulary (three GEMMs) would cost LE_LCE_ROWS.V per thread and
 * accumulate dW over row blocks with K = LE_LCE_ROWS, re-reading and writing
 * all of dW once per row block.  Peak extra memory: N.tile (the tile buffer)
 * + threads.LE_LCE_ROWS.tile + a few N-vectors.
 *
 * Determinism: the row blocks, segments, tiles and dW column chunks are fixed
 * by the sizes and `tile`, never by the thread count; every output element is
 * written by one task, dX[block] accumulates over tiles in tile order, and
 * every BLAS call runs on one thread.  So results are bitwise the same for any
 * thread count.  Different `tile` values regroup the sums: equal within
 * rounding, not bitwise.
 *
 * exp is the engine's own (le_math.h), as in cross_entropy.c.
 */
#ifndef LE_T
#include "le_common.h"
#include "le_math.h"
#include "linear_ce.h"
#include <stdlib.h>

/* Rows per block: the unit of parallel work and the GEMMs' n dimension. */
#define LE_LCE_ROWS 128
/* Vocabulary tiles per forward segment, so that few rows (one block) still
 * spread over threads when the vocabulary is large. */
#define LE_LCE_SEG 8
/* dW / dbias columns per task in the gradient sweep. */
#define LE_LCE_WCOLS 256
/* Multiply-adds below which a call (or one tile of the gradient sweep) stays
 * on one thread. */
#define LE_LCE_PAR_MIN (double)(1 << 22)

#if LE_HAVE_OPENMP
static inline int le_lce_tid(void) { return omp_get_thread_num(); }
#else
static inline int le_lce_tid(void) { return 0; }
#endif

#define LE_T float
#define LE_TS f32
#define LE_EXPT le_expf_sum
#define LE_GEMM_FN le_sgemm_fn
#include "linear_ce.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_GEMM_FN

#define LE_T double
#define LE_TS f64
#define LE_EXPT le_exp_sum
#define LE_GEMM_FN le_dgemm_fn
#include "linear_ce.c"
#undef LE_T
#undef LE_TS
#undef LE_EXPT
#undef LE_GEMM_FN

#else /* ------------------------------------------------------------ template */
#define T LE_T
#define TFN(name) LE_FN(LE_CAT(name, LE_TS))

/* Column-major C (m x n, ldc) = op(A) op(B) + beta C through the caller's
 * BLAS.  Empty products are handled here: BLAS rejects leading dimensions
 * below 1, which K = D = 0 would give. */
static void TFN(lce_gemm)(void *gemm, char ta, char tb, int64_t m, int64_t n, int64_t k,
                          const T *A, int64_t lda, const T *B, int64_t ldb, T beta,
                          T *C, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < m; i++)
                C[j * ldc + i] = beta == 0 ? (T)0 : beta * C[j * ldc + i];
        return;
    }
    int im = (int)m, in = (int)n, ik = (int)k, ilda = (int)lda, ildb = (int)ldb,
        ildc = (int)ldc;
    T alpha = 1, bt = beta;
    ((LE_GEMM_FN)gemm)(&ta, &tb, &im, &in, &ik, &alpha, (T *)A, &ilda, (T *)B, &ildb, &bt,
                       C, &ildc);
}

/* Logits of rows [r0, r0+nr) x columns [j0, j0+nv) into buf (row-major, ld nv). */
static void TFN(lce_logits)(const le_lce_args *a, int64_t r0, int64_t nr, int64_t j0,
                            int64_t nv, T *buf) {
    const int64_t D = a->D;
    const T *X = (const T *)a->x, *W = (const T *)a->w, *b = (const T *)a->bias;
    /* L^T (nv x nr, column-major) = W[tile] (nv x D) . X[block]^T (D x nr) */
    TFN(lce_gemm)(a->gemm, 'T', 'N', nv, nr, D, W + j0 * D, D, X + r0 * D, D, 0, buf, nv);
    if (b) {
        for (int64_t i = 0; i < nr; i++) {
            T *row = buf + i * nv;
#pragma omp simd
            for (int64_t c = 0; c < nv; c++) row[c] += b[j0 + c];
        }
    }
}

static inline T TFN(lce_max)(const T *x, int64_t n) {
    T m = -(T)INFINITY;
#pragma omp simd reduction(max:m)
    for (int64_t c = 0; c < n; c++) m = x[c] > m ? x[c] : m;
    return m;
}

int TFN(le_lce)(le_lce_args *a) {
    const int64_t N = a->N, D = a->D, V = a->V;
    const int64_t vt = a->tile < 1 ? 1 : (a->tile > V ? V : a->tile);
    const double eps = a->label_smoothing;
    const int64_t *tg = a->target;
    const int64_t ii = a->ignore_index;
    const int grad = a->dx != NULL;
    a->loss_value = 0;
    a->count = 0;
    if (N <= 0 || V <= 0) return LE_OK;   /* the Python layer fills the outputs */

    const int64_t ntile = (V + vt - 1) / vt;
    const int64_t nseg = (ntile + LE_LCE_SEG - 1) / LE_LCE_SEG;
    const int64_t nblk = (N + LE_LCE_ROWS - 1) / LE_LCE_ROWS;
    const int64_t rows = N < LE_LCE_ROWS ? N : LE_LCE_ROWS;
    /* Threads only where the GEMMs dwarf a parallel region's start-up
     * (LE_PAR_MIN is sized for elementwise work); results do not depend on it. */
    const double work = (double)N * (double)V * (double)(D + 1);
    const int nt = work >= LE_LCE_PAR_MIN ? le_threads_for(INT64_MAX, a->n_threads) : 1;

    /* per segment and row: running max, sum of exp, sum of logits; per row:
     * target logit, log-sum-exp, upstream gradient */
    double *pm = (double *)malloc((size_t)(nseg * N) * sizeof(double));
    double *ps = (double *)malloc((size_t)(nseg * N) * sizeof(double));
    double *psl = (double *)malloc((size_t)(nseg * N) * sizeof(double));
    double *ly = (double *)malloc((size_t)N * sizeof(double));
    double *lse = (double *)malloc((size_t)N * sizeof(double));
    T *tbuf = (T *)malloc((size_t)(nt * rows * vt) * sizeof(T));
    if (!pm || !ps || !psl || !ly || !lse || !tbuf) {
        free(pm); free(ps); free(psl); free(ly); free(lse); free(tbuf);
        return LE_ERR_NOMEM;
    }
    for (int64_t r = 0; r < N; r++) ly[r] = 0;

    /* ---- sweep 1: log-sum-exp per row ------------------------------------ */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
    for (int64_t task = 0; task < nblk * nseg; task++) {
        const int64_t blk = task / nseg, seg = task % nseg;
        const int64_t r0 = blk * LE_LCE_ROWS;
        const int64_t nr = N - r0 < LE_LCE_ROWS ? N - r0 : LE_LCE_ROWS;
        T *buf = tbuf + (size_t)le_lce_tid() * (size_t)(rows * vt);
        double *M = pm + seg * N + r0, *S = ps + seg * N + r0, *SL = psl + seg * N + r0;
        for (int64_t i = 0; i < nr; i++) { M[i] = -INFINITY; S[i] = 0; SL[i] = 0; }
        const int64_t t_end = (seg + 1) * LE_LCE_SEG < ntile ? (seg + 1) * LE_LCE_SEG : ntile;
        for (int64_t t = seg * LE_LCE_SEG; t < t_end; t++) {
            const int64_t j0 = t * vt, nv = V - j0 < vt ? V - j0 : vt;
            TFN(lce_logits)(a, r0, nr, j0, nv, buf);
            for (int64_t i = 0; i < nr; i++) {
                const T *row = buf + i * nv;
                const T mt = TFN(lce_max)(row, nv);
                const T mold = (T)M[i];
                const T mnew = mt > mold ? mt : mold;
                /* all -inf so far: shift by 0 (the terms are then tiny or NaN,
                 * and are scaled away by the first finite maximum) */
                const T sh = mnew == -(T)INFINITY ? (T)0 : mnew;
                if (mnew != mold && mold != -(T)INFINITY)
                    S[i] *= exp((double)mold - (double)mnew);
                else if (mnew != mold)
                    S[i] = 0;
                T acc = 0;
#pragma omp simd reduction(+:acc)
                for (int64_t c = 0; c < nv; c++) acc += LE_EXPT(row[c] - sh);
                S[i] += (double)acc;
                M[i] = (double)mnew;
                if (eps > 0) {
                    double sacc = 0;
#pragma omp simd reduction(+:sacc)
                    for (int64_t c = 0; c < nv; c++) sacc += (double)row[c];
                    SL[i] += sacc;
                }
                const int64_t y = tg[r0 + i];
                if (y >= j0 && y < j0 + nv) ly[r0 + i] = (double)row[y - j0];
            }
        }
    }

    /* merge the segments per row, in segment order; the loss */
    double total = 0, count = 0;
    T *lossv = (T *)a->loss;
    for (int64_t r = 0; r < N; r++) {
        double M = -INFINITY;
        for (int64_t g = 0; g < nseg; g++) M = pm[g * N + r] > M ? pm[g * N + r] : M;
        double S = 0, SL = 0;
        for (int64_t g = 0; g < nseg; g++) {
            const double mg = pm[g * N + r];
            S += ps[g * N + r] * (mg == M ? 1.0 : exp(mg - M));
            SL += psl[g * N + r];
        }
        const double ls = log(S);
        lse[r] = (M == -INFINITY ? 0.0 : M) + ls;
        double l = 0;
        if (tg[r] != ii) {
            l = (M - ly[r]) + ls;
            if (eps > 0) l = (1.0 - eps) * l + eps * ((M - SL / (double)V) + ls);
            count += 1;
            total += l;
        }
        if (lossv) lossv[r] = (T)l;
    }
    a->count = count;
    a->loss_value = a->reduction == LE_RED_MEAN ? total / count : total;
    free(pm); free(ps); free(psl); free(ly);
    pm = ps = psl = ly = NULL;
    if (!grad) {
        free(lse); free(tbuf);
        return LE_OK;
    }

    /* ---- sweep 2: gradients ---------------------------------------------- */
    free(tbuf);
    double *sc = (double *)malloc((size_t)N * sizeof(double));
    T *lb = (T *)malloc((size_t)(N * vt) * sizeof(T));
    if (!sc || !lb) {
        free(sc); free(lb); free(lse);
        return LE_ERR_NOMEM;
    }
    const T *go = (const T *)a->go;
    for (int64_t r = 0; r < N; r++) {
        double s = a->reduction == LE_RED_NONE ? (go ? (double)go[r] : a->go_scalar)
                 : a->reduction == LE_RED_MEAN ? a->go_scalar / count : a->go_scalar;
        sc[r] = tg[r] == ii ? 0.0 : s;
    }
    const T *X = (const T *)a->x, *W = (const T *)a->w;
    T *dX = (T *)a->dx, *dW = (T *)a->dw, *dB = (T *)a->dbias;
    const int64_t nwc = (vt + LE_LCE_WCOLS - 1) / LE_LCE_WCOLS;
    for (int64_t t = 0; t < ntile; t++) {
        const int64_t j0 = t * vt, nv = V - j0 < vt ? V - j0 : vt;
        const int ntt = (double)N * (double)nv * (double)(D + 1) >= LE_LCE_PAR_MIN ? nt : 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(ntt) if (ntt > 1)
        for (int64_t blk = 0; blk < nblk; blk++) {
            const int64_t r0 = blk * LE_LCE_ROWS;
            const int64_t nr = N - r0 < LE_LCE_ROWS ? N - r0 : LE_LCE_ROWS;
            T *buf = lb + r0 * nv;
            TFN(lce_logits)(a, r0, nr, j0, nv, buf);
            for (int64_t i = 0; i < nr; i++) {
                T *row = buf + i * nv;
                const double s = sc[r0 + i];
                if (s == 0) {
                    /* ignored row (or zero upstream gradient): exactly 0, even
                     * where its logits overflow */
                    for (int64_t c = 0; c < nv; c++) row[c] = 0;
                    continue;
                }
                const T l0 = (T)lse[r0 + i];
                const T ap = (T)s, b = (T)(s * eps / (double)V);
#pragma omp simd
                for (int64_t c = 0; c < nv; c++) row[c] = ap * LE_EXPT(row[c] - l0) - b;
                const int64_t y = tg[r0 + i];
                if (y >= j0 && y < j0 + nv) row[y - j0] -= (T)(s * (1.0 - eps));
            }
            /* dX[block]^T (D x nr) (+)= W[tile]^T (D x nv) . dL[block]^T (nv x nr) */
            TFN(lce_gemm)(a->gemm, 'N', 'N', D, nr, nv, W + j0 * D, D, buf, nv,
                          t == 0 ? (T)0 : (T)1, dX + r0 * D, D);
        }
#pragma omp parallel for schedule(dynamic, 1) num_threads(ntt) if (ntt > 1)
        for (int64_t wc = 0; wc < nwc; wc++) {
            const int64_t c0 = wc * LE_LCE_WCOLS;
            if (c0 >= nv) continue;
            const int64_t nc = nv - c0 < LE_LCE_WCOLS ? nv - c0 : LE_LCE_WCOLS;
            /* dW[cols]^T (D x nc) = X^T (D x N) . dL[:, cols] (N x nc) */
            TFN(lce_gemm)(a->gemm, 'N', 'T', D, nc, N, X, D, lb + c0, nv, 0,
                          dW + (j0 + c0) * D, D);
            if (dB) {
                double acc[LE_LCE_WCOLS];
                for (int64_t c = 0; c < nc; c++) acc[c] = 0;
                for (int64_t r = 0; r < N; r++) {
                    const T *row = lb + r * nv + c0;
#pragma omp simd
                    for (int64_t c = 0; c < nc; c++) acc[c] += (double)row[c];
                }
                for (int64_t c = 0; c < nc; c++) dB[j0 + c0 + c] = (T)acc[c];
            }
        }
    }
    free(sc); free(lb); free(lse);
    return LE_OK;
}

#undef T
#undef TFN
#endif
