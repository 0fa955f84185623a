"""lossengine: C-accelerated loss functions with fused gradients for NumPy.

Every function follows ``torch.nn.functional`` (names, defaults, results) and
takes ``grad=True`` to return ``(loss, gradient)`` computed in the same pass.
"""
__version__ = "0.1.0"

from ._runtime import (get_num_threads, set_num_threads, isa, best_isa, build_info,  # noqa: F401
                       set_output_cache, get_output_cache, empty_output_cache)
from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all
from . import functional, nn  # noqa: F401

__all__ = list(_functional_all) + ["get_num_threads", "set_num_threads", "isa", "best_isa",
                                   "build_info", "set_output_cache", "get_output_cache",
                                   "empty_output_cache", "functional", "nn", "__version__"]
