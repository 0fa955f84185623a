"""One registry of every function the engine offers.

It drives the ``lossengine.nn`` criteria, the generic test matrix
(tests/test_generic.py), ``lossengine bench`` and ``lossengine check``: a new
loss registers an :class:`Entry` in its family module and gets all of them.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np


@dataclass
class BenchCase:
    """A benchmark case: `make(rng, dtype)` returns (args, kwargs) for the
    engine function; `torch(args, kwargs)` (optional) returns a zero-argument
    callable running torch's forward+backward on the same data (built once,
    outside the timed region); `numpy` likewise for a NumPy implementation.
    `jax` likewise for JAX when installed (block_until_ready inside).
    `nbytes(args)` is the memory that must move for loss+gradient."""
    label: str
    make: Callable
    dtype: str = "float32"
    torch: Optional[Callable] = None
    numpy: Optional[Callable] = None
    jax: Optional[Callable] = None      # like torch: a zero-argument jitted value_and_grad call
    nbytes: Optional[Callable] = None
    grad: bool = True


@dataclass
class Entry:
    name: str                       # function name in lossengine.functional
    func: Callable
    preds: tuple                    # indices of the prediction arguments in args
    make_inputs: Callable           # (rng, shape, dtype, variant) -> (args list, kwargs dict)
    shapes: list                    # shapes for the generic matrix (first = default)
    size_shape: Callable            # n -> shape, for the vector-width size sweep
    variants: list = field(default_factory=lambda: ["default"])  # variant names for make_inputs
    reductions: tuple = ("none", "mean", "sum")            # () for activations
    kind: str = "loss"              # 'loss' or 'activation'
    criterion: Optional[str] = None  # lossengine.nn class name
    ctor: tuple = ()                # constructor parameters in order: (name, default)
    bench: list = field(default_factory=list)
    rtol32: float = 1e-4
    atol32: float = 1e-5
    rtol64: float = 1e-10
    atol64: float = 1e-12
    smooth: bool = True             # finite differences valid at random inputs
    torch_ref: Optional[Callable] = None   # (torch, args, kwargs) -> torch loss tensor


REGISTRY = {}


def register(entry):
    if entry.name in REGISTRY:
        raise ValueError(f"duplicate registry entry {entry.name!r}")
    REGISTRY[entry.name] = entry
    return entry


def entries(kind=None):
    _load_all()
    return [e for e in REGISTRY.values() if kind is None or e.kind == kind]


def get(name):
    _load_all()
    return REGISTRY[name]


_loaded = []


def _load_all():
    """Each family registers its entries in a module lossengine/_entries_<family>.py."""
    if _loaded:
        return
    import importlib
    import pkgutil
    from . import __path__ as pkg_path
    for m in sorted(pkgutil.iter_modules(pkg_path), key=lambda m: m.name):
        if m.name.startswith("_entries_"):
            importlib.import_module(f"{__package__}.{m.name}")
    _loaded.append(True)


def rng_for(name, shape, dtype, variant="", seed=0):
    """Deterministic generator per (entry, shape, dtype, variant)."""
    return np.random.default_rng(seed * 1000003 + _stable_hash(f"{name}|{variant}", shape, dtype))


def _stable_hash(name, shape, dtype):
    s = f"{name}|{tuple(shape)}|{dtype}"
    h = 2166136261
    for ch in s.encode():
        h = ((h ^ ch) * 16777619) % (2 ** 32)
    return h
