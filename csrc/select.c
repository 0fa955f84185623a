/* Radix select: the k largest of n order-preserving integer keys in O(n).
 *
 * Keys are read 16 bits at a time from the top: one histogram of the current
 * digit over the keys that share the prefix found so far, then a walk down
 * the histogram picks the digit holding the k-th largest key.  32-bit keys
 * take two histogram passes, 64-bit keys four; no sort, no data movement.
 * Histograms are per thread over static chunks and merged: integer counts,
 * so the result never depends on the thread count.  Ties at the threshold
 * are broken by flat index (lower index first): if only some of the keys
 * equal to the threshold are needed, one early-exit scan finds the index of
 * the last one taken.
 */
#ifndef LE_SEL_K
#include "le_common.h"
#include "select.h"
#include <stdlib.h>

#define LE_DIGITS 65536

#define LE_SEL_K uint32_t
#define LE_SEL_BITS 32
#define LE_SEL_NAME le_select_u32
#include "select.c"
#undef LE_SEL_K
#undef LE_SEL_BITS
#undef LE_SEL_NAME

#define LE_SEL_K uint64_t
#define LE_SEL_BITS 64
#define LE_SEL_NAME le_select_u64
#include "select.c"
#undef LE_SEL_K
#undef LE_SEL_BITS
#undef LE_SEL_NAME

#else /* ------------------------------------------------------------ template */
#define K LE_SEL_K

int LE_FN(LE_SEL_NAME)(const K *keys, int64_t n, int64_t k, const int64_t *top,
                       int n_threads, K *t_out, int64_t *cut_out) {
    if (k <= 0) {                       /* nothing selected */
        *t_out = (K)~(K)0; *cut_out = -1;
        return LE_OK;
    }
    const int nt = le_threads_for(n, n_threads);
    int64_t *hist = (int64_t *)malloc((size_t)nt * LE_DIGITS * sizeof(int64_t));
    int64_t *h = (int64_t *)malloc(LE_DIGITS * sizeof(int64_t));
    if (!hist || !h) { free(hist); free(h); return LE_ERR_NOMEM; }
    K prefix = 0, pmask = 0;
    int64_t need = k, eq = 0;
    for (int shift = LE_SEL_BITS - 16; shift >= 0; shift -= 16) {
        if (shift == LE_SEL_BITS - 16 && top) {
            memcpy(h, top, LE_DIGITS * sizeof(int64_t));
        } else {
            const K pfx = prefix, pm = pmask;
            const int sh = shift;
#pragma omp parallel num_threads(nt)
            {
                int tid = 0;
#if LE_HAVE_OPENMP
                tid = omp_get_thread_num();
#endif
                int64_t *lh = hist + (int64_t)tid * LE_DIGITS;
                memset(lh, 0, LE_DIGITS * sizeof(int64_t));
#pragma omp for schedule(static)
                for (int64_t i = 0; i < n; i++) {
                    const K key = keys[i];
                    if (key != 0 && (key & pm) == pfx) lh[(key >> sh) & 0xffff]++;
                }
            }
            memcpy(h, hist, LE_DIGITS * sizeof(int64_t));
            for (int tt = 1; tt < nt; tt++) {
                const int64_t *lh = hist + (int64_t)tt * LE_DIGITS;
                for (int d = 0; d < LE_DIGITS; d++) h[d] += lh[d];
            }
        }
        int64_t cum = 0;
        int d = LE_DIGITS - 1;
        for (; d > 0; d--) {
            if (cum + h[d] >= need) break;
            cum += h[d];
        }
        need -= cum;
        eq = h[d];
        prefix |= (K)d << shift;
        pmask |= (K)0xffff << shift;
    }
    free(hist); free(h);
    const K t = prefix;
    int64_t cut = INT64_MAX;
    if (need < eq) {                    /* only the first `need` keys equal to t */
        int64_t c = 0;
        for (int64_t i = 0; i < n; i++) {
            if (keys[i] == t && ++c == need) { cut = i; break; }
        }
    }
    *t_out = t; *cut_out = cut;
    return LE_OK;
}

#undef K
#endif
