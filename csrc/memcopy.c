/* Parallel memory copy: the bandwidth yardstick of `lossengine bench`
 * (bytes that must move / this copy's bandwidth at the same thread count). */
#include "le_common.h"
#include "memcopy.h"

void LE_FN(le_memcopy)(void *dst, const void *src, int64_t nbytes, int n_threads) {
    const int64_t chunk = 1 << 20;
    const int64_t nchunks = (nbytes + chunk - 1) / chunk;
    const int nt = le_threads_for(nbytes, n_threads);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < nchunks; i++) {
        const int64_t off = i * chunk;
        const int64_t len = nbytes - off < chunk ? nbytes - off : chunk;
        memcpy((char *)dst + off, (const char *)src + off, (size_t)len);
    }
}
