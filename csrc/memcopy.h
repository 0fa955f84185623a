#ifndef LE_MEMCOPY_H
#define LE_MEMCOPY_H
#include <stdint.h>
#include "le_dispatch.h"
LE_DECL_ISA(void, le_memcopy, (void *dst, const void *src, int64_t nbytes, int n_threads))
#endif
