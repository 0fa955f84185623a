/* O(n) selection of the k largest keys (radix select on order-preserving
 * integer keys).  Keys equal to 0 are never candidates.  Result: the k-th
 * largest key `t` and `cut`, the flat index of the last key equal to t that
 * is selected (keys equal to t are taken in increasing index order), so that
 * element i is selected iff key > t || (key == t && i <= cut). */
#ifndef LE_SELECT_H
#define LE_SELECT_H
#include <stdint.h>
#include "le_common.h"

/* `top` (optional, may be NULL): histogram of the top 16 bits of the keys
 * (65536 counts, candidates only) when the caller already has it. */
int LE_FN(le_select_u32)(const uint32_t *keys, int64_t n, int64_t k, const int64_t *top,
                         int n_threads, uint32_t *t, int64_t *cut);
int LE_FN(le_select_u64)(const uint64_t *keys, int64_t n, int64_t k, const int64_t *top,
                         int n_threads, uint64_t *t, int64_t *cut);

/* Order-preserving maps float -> unsigned (NaN above +inf for positive NaN);
 * never 0 for a real value, so 0 can mark non-candidates. */
static inline uint32_t le_key32(float v) {
    uint32_t b; v = v + 0.0f; memcpy(&b, &v, 4);
    uint32_t k = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
    return k ? k : 1u;
}
static inline uint64_t le_key64(double v) {
    uint64_t b; v = v + 0.0; memcpy(&b, &v, 8);
    uint64_t k = (b & 0x8000000000000000ull) ? ~b : (b | 0x8000000000000000ull);
    return k ? k : 1u;
}
#endif
