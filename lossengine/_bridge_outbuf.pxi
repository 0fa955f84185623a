# Large output arrays: NumPy arrays whose memory comes from a small cache.
#
# A fresh multi-megabyte buffer costs the kernel's page-fault path: every page is
# zeroed by the OS on first touch (for a 64 MB gradient that is a fifth of an
# MSE call).  A training loop asks for the same gradient shape every step and
# drops the previous one, so lossengine keeps a few recently freed large blocks
# and hands them out again.  The arrays are ordinary NumPy arrays that own their
# data: NumPy's own allocation hook (NEP 49) is pointed at this allocator only
# while lossengine creates an output, and NumPy calls back here when the array
# dies.  Blocks of 4 MiB or more are 2 MiB aligned and asked to use huge pages,
# as NumPy does for its own large arrays.  Nothing else in the process is
# affected; the cache is bounded and can be emptied or switched off.
import os

cdef extern from *:
    """
    #include <stdlib.h>
    #include <string.h>
    #include <stdint.h>
    #include <sys/mman.h>
    #include <pthread.h>

    #define OB_HEADER 64                       /* keeps the data 64-byte aligned */
    #define OB_MAGIC 0x6c6f73736f7574ULL
    #define OB_SLOTS 8
    #define OB_HUGE ((size_t)2 << 20)
    #define OB_MIN_CACHE ((size_t)4 << 20)            /* OUTBUF_MIN_BYTES below */

    typedef struct { uint64_t magic; size_t cap; } ob_head;

    static pthread_mutex_t ob_lock = PTHREAD_MUTEX_INITIALIZER;
    static ob_head *ob_slot[OB_SLOTS];          /* oldest first */
    static int ob_n = 0;
    static size_t ob_bytes = 0, ob_limit = 0;
    static size_t ob_hits = 0, ob_misses = 0;
    static int ob_last_hit = 0;

    static ob_head *ob_new_block(size_t need) {
        void *p = NULL;
        size_t cap = (need + 4095) & ~(size_t)4095;
        size_t align = cap >= 2 * OB_HUGE ? OB_HUGE : 64;
        if (posix_memalign(&p, align, cap)) return NULL;
    #ifdef MADV_HUGEPAGE
        if (align == OB_HUGE) madvise(p, cap, MADV_HUGEPAGE);
    #endif
        ob_head *h = (ob_head *)p;
        h->magic = OB_MAGIC; h->cap = cap;
        return h;
    }

    static void ob_drop_oldest_locked(void) {
        ob_head *h = ob_slot[0];
        memmove(ob_slot, ob_slot + 1, (size_t)(ob_n - 1) * sizeof(ob_head *));
        ob_n--;
        ob_bytes -= h->cap;
        free(h);
    }

    static void *ob_malloc(void *ctx, size_t size) {
        (void)ctx;
        size_t need = (size ? size : 1) + OB_HEADER;
        ob_head *h = NULL;
        pthread_mutex_lock(&ob_lock);
        /* the smallest cached block that fits without wasting more than 1/8 */
        int best = -1;
        for (int i = 0; i < ob_n; i++) {
            size_t c = ob_slot[i]->cap;
            if (c >= need && c - need <= need / 8 && (best < 0 || c < ob_slot[best]->cap)) best = i;
        }
        if (best >= 0) {
            h = ob_slot[best];
            memmove(ob_slot + best, ob_slot + best + 1, (size_t)(ob_n - best - 1) * sizeof(ob_head *));
            ob_n--;
            ob_bytes -= h->cap;
            ob_hits++;
        } else {
            ob_misses++;
        }
        ob_last_hit = h != NULL;
        pthread_mutex_unlock(&ob_lock);
        if (!h) h = ob_new_block(need);
        return h ? (char *)h + OB_HEADER : NULL;
    }

    static void ob_free(void *ctx, void *ptr, size_t size) {
        (void)ctx; (void)size;
        if (!ptr) return;
        ob_head *h = (ob_head *)((char *)ptr - OB_HEADER);
        pthread_mutex_lock(&ob_lock);
        if (h->cap >= OB_MIN_CACHE && h->cap <= ob_limit) {
            while (ob_n > 0 && (ob_n == OB_SLOTS || ob_bytes + h->cap > ob_limit))
                ob_drop_oldest_locked();
            ob_slot[ob_n++] = h;
            ob_bytes += h->cap;
            h = NULL;
        }
        pthread_mutex_unlock(&ob_lock);
        if (h) free(h);
    }

    static void *ob_calloc(void *ctx, size_t nelem, size_t elsize) {
        if (elsize && nelem > SIZE_MAX / elsize) return NULL;
        void *p = ob_malloc(ctx, nelem * elsize);
        if (p) memset(p, 0, nelem * elsize);
        return p;
    }

    static void *ob_realloc(void *ctx, void *ptr, size_t new_size) {
        if (!ptr) return ob_malloc(ctx, new_size);
        ob_head *h = (ob_head *)((char *)ptr - OB_HEADER);
        if (new_size + OB_HEADER <= h->cap && new_size + OB_HEADER >= h->cap / 2) return ptr;
        void *q = ob_malloc(ctx, new_size);
        if (!q) return NULL;
        size_t old = h->cap - OB_HEADER;
        memcpy(q, ptr, old < new_size ? old : new_size);
        ob_free(ctx, ptr, 0);
        return q;
    }

    static PyDataMem_Handler ob_handler = {
        "lossengine_output_cache",
        1,
        {NULL, ob_malloc, ob_calloc, ob_realloc, ob_free}
    };

    static void ob_set_limit(size_t limit) {
        pthread_mutex_lock(&ob_lock);
        ob_limit = limit;
        while (ob_n > 0 && ob_bytes > ob_limit) ob_drop_oldest_locked();
        pthread_mutex_unlock(&ob_lock);
    }

    static void ob_clear(void) {
        pthread_mutex_lock(&ob_lock);
        while (ob_n > 0) ob_drop_oldest_locked();
        pthread_mutex_unlock(&ob_lock);
    }

    static PyObject *ob_capsule(void) {
        return PyCapsule_New(&ob_handler, "mem_handler", NULL);
    }
    """
    size_t ob_limit, ob_bytes, ob_hits, ob_misses
    int ob_n, ob_last_hit
    void ob_set_limit(size_t limit)
    void ob_clear()
    object ob_capsule()

cdef extern from "numpy/arrayobject.h":
    object PyDataMem_SetHandler(object handler)

# Arrays smaller than this come from NumPy's default allocator (the C library
# reuses such sizes itself); larger ones from the cache.
OUTBUF_MIN_BYTES = 4 << 20


def _outbuf_default_limit():
    """1 GiB, or an eighth of the physical memory when that is less."""
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        ram = 0
    return min(1 << 30, ram // 8) if ram > 0 else 1 << 30


OUTBUF_DEFAULT_LIMIT = _outbuf_default_limit()

cdef object _handler = ob_capsule()


def outbuf_empty(shape, dtype):
    """An uninitialised C-contiguous array.  Returns (array, reused): reused
    is True when its memory was a cached block (pages already present)."""
    dt = _np.dtype(dtype)
    n = dt.itemsize
    for s in shape:
        n *= s
    if n < OUTBUF_MIN_BYTES or ob_limit == 0:
        return _np.empty(shape, dtype=dt), False
    old = PyDataMem_SetHandler(_handler)
    try:
        arr = _np.empty(shape, dtype=dt)
        hit = ob_last_hit != 0
    finally:
        PyDataMem_SetHandler(old)
    return arr, hit


def outbuf_set_limit(nbytes):
    if isinstance(nbytes, bool) or not isinstance(nbytes, (int, _np.integer)) or nbytes < 0:
        raise ValueError(f"nbytes must be an int >= 0, got {nbytes!r}")
    ob_set_limit(<size_t>int(nbytes))


def outbuf_clear():
    ob_clear()


def outbuf_info():
    return {"limit": ob_limit, "cached_bytes": ob_bytes, "cached_blocks": ob_n,
            "hits": ob_hits, "misses": ob_misses}


def _outbuf_limit_from_env():
    v = os.environ.get("LOSSENGINE_OUTPUT_CACHE")
    if v is None or v.strip() == "":
        return OUTBUF_DEFAULT_LIMIT
    try:
        n = int(v.strip())
        if n < 0:
            raise ValueError
        return n
    except ValueError:
        import warnings
        warnings.warn(f"LOSSENGINE_OUTPUT_CACHE={v!r} is not a byte count >= 0; "
                      f"using {OUTBUF_DEFAULT_LIMIT}", RuntimeWarning, stacklevel=2)
        return OUTBUF_DEFAULT_LIMIT


ob_set_limit(<size_t>_outbuf_limit_from_env())
