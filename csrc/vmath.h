#ifndef LE_VMATH_H
#define LE_VMATH_H
#include <stdint.h>
#include "le_dispatch.h"
LE_DECL_ISA(int, le_vmath_f32, (int op, const float *x, float *y, int64_t n))
LE_DECL_ISA(int, le_vmath_f64, (int op, const double *x, double *y, int64_t n))
#endif
