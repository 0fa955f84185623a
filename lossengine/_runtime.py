"""Thread count and ISA level shared by every kernel module."""
import operator
import os
import warnings

from . import _ce, _outbuf, _vmath

_KERNEL_MODULES = [_ce, _vmath]
MAX_THREADS = 1 << 16      # kernels take the count as a C int
_ISA_NAMES = ("baseline", "avx2", "avx512")


def register_kernel_module(mod):
    """Kernel bridges added by other families join the ISA setting here."""
    if mod not in _KERNEL_MODULES:
        _KERNEL_MODULES.append(mod)
        mod._set_isa(_state["isa"])


def _default_threads():
    for var in ("LOSSENGINE_NUM_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(var)
        if v:
            try:
                n = int(v.split(",")[0])
                if 1 <= n <= MAX_THREADS:
                    return n
            except ValueError:
                pass
            warnings.warn(f"ignoring {var}={v!r}: expected an integer in [1, {MAX_THREADS}]",
                          RuntimeWarning)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _initial_isa():
    best = _ce._best_isa()
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


_state = {"threads": _default_threads(), "isa": 0}


def _apply_isa(level):
    _state["isa"] = level
    for m in _KERNEL_MODULES:
        m._set_isa(level)


_apply_isa(_initial_isa())


def set_num_threads(n):
    """Set the number of threads kernels may use (an int in [1, 2**16]; more
    than the cores is allowed)."""
    msg = f"set_num_threads: n must be an integer in [1, {MAX_THREADS}], got {n!r}"
    if isinstance(n, bool):
        raise ValueError(msg)
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(msg) from None
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(msg)
    _state["threads"] = n


def get_num_threads():
    """The number of threads kernels may use."""
    return _state["threads"]


def isa():
    """Name of the SIMD level in use: 'baseline', 'avx2' or 'avx512'."""
    return _ISA_NAMES[_state["isa"]]


def best_isa():
    return _ISA_NAMES[_ce._best_isa()]


def _set_isa(name):
    """Force an ISA level (tests); returns the previous one. Must be supported."""
    prev = isa()
    lvl = _ISA_NAMES.index(name)
    if lvl > _ce._best_isa():
        raise ValueError(f"ISA {name!r} is not supported by this CPU")
    _apply_isa(lvl)
    return prev


def build_info():
    return _ce._build_info()


def set_output_cache(nbytes):
    """Bound the memory kept for reuse by large output arrays (bytes; 0 turns
    the cache off and frees what it holds).  Default 1 GiB (an eighth of the
    physical memory if that is less), or the LOSSENGINE_OUTPUT_CACHE
    environment variable read at import.

    Outputs of 4 MiB or more (gradients, per-element losses) are ordinary
    NumPy arrays whose memory, once the array is freed, is kept here and
    handed to the next output of about the same size: a training loop then
    stops paying the operating system's zeroing of fresh pages each step.
    Only memory of arrays you have dropped is kept; up to 8 blocks."""
    _outbuf.set_limit(nbytes)


def get_output_cache():
    """The output cache's state: dict with 'limit', 'cached_bytes',
    'cached_blocks', 'hits' and 'misses'."""
    return _outbuf.info()


def empty_output_cache():
    """Free the memory the output cache holds (arrays in use are untouched)."""
    _outbuf.clear()
