/* Run-time ISA choice for the Cython bridges: LE_PICK(name) evaluates to the
 * variant of `name` built for the level stored in le_isa_level (0 baseline,
 * 1 AVX2+FMA, 2 AVX-512). */
#ifndef LE_DISPATCH_H
#define LE_DISPATCH_H

/* Bits of a kernel's `stream` argument: the caller knows the pages of these
 * outputs are present (a reused buffer), so large ones may be written with
 * streaming stores (le_stream.h).  LE_STREAM_LOSS: the per-element loss or
 * activation value; LE_STREAM_GRAD: the gradient. */
#define LE_STREAM_LOSS 1
#define LE_STREAM_GRAD 2
int le_cpu_best_isa(void);
const char *le_isa_name(int level);
int le_openmp_enabled(void);
int le_omp_max_threads(void);
const char *le_compiler(void);
extern int le_isa_level;
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define LE_PICK(name) (le_isa_level >= 2 ? name##_avx512 : le_isa_level == 1 ? name##_avx2 : name##_baseline)
#else
#define LE_PICK(name) (name##_baseline)
#endif

/* Declares the three ISA variants of a kernel. */
#define LE_DECL_ISA(ret, name, args) \
    ret name##_baseline args; ret name##_avx2 args; ret name##_avx512 args;
#endif
