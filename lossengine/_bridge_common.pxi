# What every bridge shares: the ISA level, the OpenMP runtime's thread limit,
# build facts and the pointer helpers.  The engine is one extension module, so
# this state exists once (lossengine/_runtime.py is its Python face).

cdef extern from "le_dispatch.h":
    int le_cpu_best_isa()
    const char *le_isa_name(int level)
    int le_openmp_enabled()
    const char *le_compiler()
    int le_omp_max_threads()
    int le_isa_level

cdef extern from "le_common.h":
    int LE_OK, LE_ERR_TARGET_RANGE, LE_ERR_VALUE_RANGE, LE_ERR_NOMEM, LE_ERR_ARG

def _best_isa():
    return le_cpu_best_isa()

def _set_isa(int level):
    global le_isa_level
    le_isa_level = level

def _get_isa():
    return le_isa_level

def _omp_max_threads():
    """The OpenMP runtime's current thread limit for the calling thread
    (OMP_NUM_THREADS, omp_set_num_threads, threadpoolctl); 1 in a serial build."""
    return le_omp_max_threads()

def _build_info():
    return {"openmp": bool(le_openmp_enabled()),
            "compiler": le_compiler().decode("utf-8", "replace")}

cdef inline void *_ptr(object a):
    """Data pointer of a validated ndarray, or NULL for None."""
    if a is None:
        return NULL
    return cnp.PyArray_DATA(<cnp.ndarray>a)

cdef inline bint _is_f32(object a):
    return cnp.PyArray_TYPE(<cnp.ndarray>a) == cnp.NPY_FLOAT32
