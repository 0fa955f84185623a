"""Optimizers for NumPy parameters with torch.optim's semantics.

Every optimizer updates its parameters in place with one fused C pass per
array (all arrays of a step in one call into the engine).  NumPy arrays carry
no ``.grad``: ``step(grads)`` takes the gradients, one per parameter (None to
skip); ``LBFGS.step(closure)`` takes a closure returning ``(loss, grads)``.
"""
from ._optimizer import Optimizer
from ._first_order import SGD, ASGD, Rprop, RMSprop, Adagrad, Adadelta
from ._adam import Adam, AdamW, Adamax, NAdam, RAdam, SparseAdam
from ._lbfgs import LBFGS

try:
    from . import lr_scheduler  # type: ignore[attr-defined]  # noqa: F401
except ImportError as _e:  # pragma: no cover - the scheduler module is optional here
    if "lr_scheduler" not in str(_e):
        raise

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop",
           "Adagrad", "Adadelta", "ASGD", "Rprop", "LBFGS", "SparseAdam"]
