/* Parallel memory copy: the bandwidth yardstick of `lossengine bench`
 * (bytes that must move / this copy's bandwidth at the same thread count).
 * Large copies use streaming stores, as the kernels' large outputs do, so
 * the yardstick is the best a copy can do rather than one that also pays a
 * read-for-ownership of the destination. */
#include "le_common.h"
#include "le_stream.h"
#include "memcopy.h"

void LE_FN(le_memcopy)(void *dst, const void *src, int64_t nbytes, int n_threads) {
    const int64_t chunk = 1 << 20;
    const int64_t nchunks = (nbytes + chunk - 1) / chunk;
    const int nt = le_threads_for(nbytes, n_threads);
    const int stream = nbytes >= LE_STREAM_MIN_BYTES && ((uintptr_t)dst % 8 == 0)
                       && ((uintptr_t)src % 8 == 0) && nbytes % 8 == 0;
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static) nowait
        for (int64_t i = 0; i < nchunks; i++) {
            const int64_t off = i * chunk;
            const int64_t len = nbytes - off < chunk ? nbytes - off : chunk;
            if (stream)
                le_stream_f64((double *)((char *)dst + off), (const double *)((const char *)src + off),
                              len / 8);
            else
                memcpy((char *)dst + off, (const char *)src + off, (size_t)len);
        }
        if (stream) le_stream_fence();
    }
}
