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

from . import lr_scheduler  # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop",
           "Adagrad", "Adadelta", "ASGD", "Rprop", "LBFGS", "SparseAdam", "lr_scheduler"]
