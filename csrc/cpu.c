/* CPU feature detection and build facts (compiled once, baseline flags). */
#include "le_dispatch.h"
#if LE_HAVE_OPENMP
#include <omp.h>
#endif

int le_isa_level = 0;

int le_cpu_best_isa(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    /* __builtin_cpu_supports also checks that the OS saves the wide registers */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 1;
#endif
    return 0;
}

const char *le_isa_name(int level) {
    return level >= 2 ? "avx512" : level == 1 ? "avx2" : "baseline";
}

int le_openmp_enabled(void) { return LE_HAVE_OPENMP; }

int le_omp_max_threads(void) {
#if LE_HAVE_OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

const char *le_compiler(void) {
#ifdef LE_COMPILER
    return LE_COMPILER;
#else
    return "unknown";
#endif
}
