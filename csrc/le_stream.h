/* Non-temporal ("streaming") stores for large outputs.
 *
 * A gradient that is far larger than the caches is written once and read
 * later by someone else; with ordinary stores every written line is first
 * read from memory (read-for-ownership), so a kernel that reads two arrays and
 * writes one moves four arrays' worth of bytes.  Streaming stores skip that
 * read.  Kernels compute a block into an L1-resident scratch buffer and hand
 * it to le_stream_* (alignment head and tail are stored normally), then call
 * le_stream_fence() before their results are published.
 *
 * Below LE_STREAM_MIN_BYTES of output the caller keeps ordinary stores: a
 * result that fits in cache is better left there for whoever reads it next.
 */
#ifndef LE_STREAM_H
#define LE_STREAM_H
#include <stdint.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#define LE_STREAM_MIN_BYTES ((int64_t)32 << 20)

#if defined(__AVX512F__)
#define LE_STREAM_ALIGN 64
#elif defined(__AVX__)
#define LE_STREAM_ALIGN 32
#else
#define LE_STREAM_ALIGN 16
#endif

static inline void le_stream_f32(float *dst, const float *src, int64_t n) {
    int64_t i = 0;
#if defined(__SSE2__)
    while (i < n && ((uintptr_t)(dst + i) & (LE_STREAM_ALIGN - 1))) { dst[i] = src[i]; i++; }
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) _mm512_stream_ps(dst + i, _mm512_loadu_ps(src + i));
#elif defined(__AVX__)
    for (; i + 8 <= n; i += 8) _mm256_stream_ps(dst + i, _mm256_loadu_ps(src + i));
#else
    for (; i + 4 <= n; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
#endif
#endif
    for (; i < n; i++) dst[i] = src[i];
}

static inline void le_stream_f64(double *dst, const double *src, int64_t n) {
    int64_t i = 0;
#if defined(__SSE2__)
    while (i < n && ((uintptr_t)(dst + i) & (LE_STREAM_ALIGN - 1))) { dst[i] = src[i]; i++; }
#if defined(__AVX512F__)
    for (; i + 8 <= n; i += 8) _mm512_stream_pd(dst + i, _mm512_loadu_pd(src + i));
#elif defined(__AVX__)
    for (; i + 4 <= n; i += 4) _mm256_stream_pd(dst + i, _mm256_loadu_pd(src + i));
#else
    for (; i + 2 <= n; i += 2) _mm_stream_pd(dst + i, _mm_loadu_pd(src + i));
#endif
#endif
    for (; i < n; i++) dst[i] = src[i];
}

/* Orders this thread's streaming stores before anything it does next
 * (streaming stores are weakly ordered). */
static inline void le_stream_fence(void) {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

#endif
