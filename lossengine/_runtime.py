"""Thread count and ISA level: the one place that holds them.

The engine is one extension module (``lossengine._core``), so the ISA level
set here is the level of every kernel family.
"""
import operator
import os
import warnings

from . import _core

_ISA_NAMES = ("baseline", "avx2", "avx512")
MAX_THREADS = 1 << 16


def _env_threads():
    """LOSSENGINE_NUM_THREADS (read at import), or None: follow OpenMP."""
    v = os.environ.get("LOSSENGINE_NUM_THREADS")
    if not v:
        return None
    try:
        n = int(v.strip())
        if 1 <= n <= MAX_THREADS:
            return n
    except ValueError:
        pass
    warnings.warn(f"ignoring LOSSENGINE_NUM_THREADS={v!r}: expected an integer in "
                  f"[1, {MAX_THREADS}]", RuntimeWarning)
    return None


def _initial_isa():
    best = _core._best_isa()
    req = os.environ.get("LOSSENGINE_ISA")
    if not req:
        return best
    req = req.strip().lower()
    if req not in _ISA_NAMES:
        warnings.warn(f"LOSSENGINE_ISA={req!r} is unknown (expected one of {_ISA_NAMES}); "
                      f"using {_ISA_NAMES[best]}", RuntimeWarning)
        return best
    lvl = _ISA_NAMES.index(req)
    if lvl > best:
        warnings.warn(f"LOSSENGINE_ISA={req!r} is not supported by this CPU; "
                      f"using {_ISA_NAMES[best]}", RuntimeWarning)
        return best
    return lvl


# "threads": the count set by set_num_threads or LOSSENGINE_NUM_THREADS, or
# None to follow the OpenMP runtime's limit at each call.
_state = {"threads": _env_threads()}
_core._set_isa(_initial_isa())


def nthreads():
    """Threads for the kernel call being made now."""
    n = _state["threads"]
    return n if n is not None else _core._omp_max_threads()


def set_num_threads(n):
    """Set the number of threads the kernels may use.

    Parameters
    ----------
    n : int
        An integer in ``[1, 65536]`` (more than the cores is allowed).  Until
        it is called (and without ``LOSSENGINE_NUM_THREADS``), the kernels
        follow the OpenMP runtime's limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``).

    Raises
    ------
    ValueError
        If `n` is not an integer in that range.

    Examples
    --------
    >>> import lossengine as le
    >>> le.set_num_threads(1)
    >>> le.get_num_threads()
    1
    """
    if isinstance(n, bool):
        raise ValueError(f"set_num_threads: n must be an integer >= 1, got {n!r}")
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"set_num_threads: n must be an integer >= 1, got {n!r}") from None
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"set_num_threads: n must be an integer in [1, {MAX_THREADS}], "
                         f"got {n!r}")
    _state["threads"] = n


def get_num_threads():
    """The number of threads the kernels may use.

    Returns
    -------
    int
        The value given to :func:`set_num_threads` (or ``LOSSENGINE_NUM_THREADS``
        at import); otherwise the OpenMP runtime's current limit for the calling
        thread, which ``OMP_NUM_THREADS`` and ``threadpoolctl`` govern and which
        defaults to the CPUs this process may run on.

    Examples
    --------
    >>> import lossengine as le
    >>> le.get_num_threads() >= 1
    True
    """
    return nthreads()


def isa():
    """Name of the SIMD level in use: ``'baseline'``, ``'avx2'`` or ``'avx512'``.

    ``LOSSENGINE_ISA`` (read at import) selects a lower level than the best.

    Examples
    --------
    >>> import lossengine as le
    >>> le.isa() in ('baseline', 'avx2', 'avx512')
    True
    """
    return _ISA_NAMES[_core._get_isa()]


def best_isa():
    """Name of the best SIMD level this CPU supports (see :func:`isa`).

    Examples
    --------
    >>> import lossengine as le
    >>> le.best_isa() in ('baseline', 'avx2', 'avx512')
    True
    """
    return _ISA_NAMES[_core._best_isa()]


def _set_isa(name):
    """Force an ISA level (tests); returns the previous one. Must be supported."""
    prev = isa()
    lvl = _ISA_NAMES.index(name)
    if lvl > _core._best_isa():
        raise ValueError(f"ISA {name!r} is not supported by this CPU")
    _core._set_isa(lvl)
    return prev


def build_info():
    """Facts of the build: ``{'openmp': bool, 'compiler': str}``.

    Examples
    --------
    >>> import lossengine as le
    >>> sorted(le.build_info())
    ['compiler', 'openmp']
    """
    return _core._build_info()


def set_output_cache(nbytes):
    """Bound the memory kept for reuse by large output arrays.

    Outputs of 4 MiB or more (gradients, per-element losses) are ordinary
    NumPy arrays whose memory, once the array is freed, is kept here and
    handed to the next output of about the same size: a training loop then
    stops paying the operating system's zeroing of fresh pages each step.
    Only memory of arrays you have dropped is kept; up to 8 blocks.

    Parameters
    ----------
    nbytes : int
        Bytes, ``>= 0``; 0 turns the cache off and frees what it holds.  The
        default is 1 GiB (an eighth of the physical memory if that is less), or
        the ``LOSSENGINE_OUTPUT_CACHE`` environment variable read at import.

    Raises
    ------
    ValueError
        If `nbytes` is not an integer ``>= 0``.

    Examples
    --------
    >>> import lossengine as le
    >>> old = le.get_output_cache()['limit']
    >>> le.set_output_cache(0)
    >>> le.get_output_cache()['cached_blocks']
    0
    >>> le.set_output_cache(old)
    """
    _core.outbuf_set_limit(nbytes)


def get_output_cache():
    """The output cache's state (see :func:`set_output_cache`).

    Returns
    -------
    dict
        ``'limit'``, ``'cached_bytes'``, ``'cached_blocks'``, ``'hits'`` and
        ``'misses'``.

    Examples
    --------
    >>> import lossengine as le
    >>> sorted(le.get_output_cache())
    ['cached_blocks', 'cached_bytes', 'hits', 'limit', 'misses']
    """
    return _core.outbuf_info()


def empty_output_cache():
    """Free the memory the output cache holds (arrays in use are untouched).

    Examples
    --------
    >>> import lossengine as le
    >>> le.empty_output_cache()
    >>> le.get_output_cache()['cached_bytes']
    0
    """
    _core.outbuf_clear()
