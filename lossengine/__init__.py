"""lossengine: C-accelerated loss functions with fused gradients for NumPy.

Every function follows ``torch.nn.functional`` (names, defaults, results) and
takes ``grad=True`` to return ``(loss, gradient)`` computed in the same pass.
"""
__version__ = "0.1.0"


def _load_core():
    import os
    try:
        from . import _core  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != __name__ + "._core":
            raise
        here = os.path.dirname(os.path.abspath(__file__))
        source_tree = os.path.exists(os.path.join(os.path.dirname(here), "setup.py"))
        where = ("This is lossengine's source tree, which has not been built: run "
                 "`pip install .` and import lossengine from another directory, or build "
                 "in place with `python setup.py build_ext --inplace`."
                 if source_tree else "Reinstall lossengine with `pip install lossengine`.")
        raise ImportError(f"lossengine's compiled core (lossengine._core) is missing in "
                          f"{here}. {where}") from None


_load_core()

from ._runtime import (get_num_threads, set_num_threads, isa, best_isa, build_info,  # noqa: E402,F401
                       set_output_cache, get_output_cache, empty_output_cache)
from .functional import *  # noqa: E402,F401,F403
from . import functional, nn  # noqa: E402,F401
from . import init, optim  # noqa: E402,F401

# spelled so that type checkers see the re-exports (PEP 484: `__all__ +=`)
__all__ = list(functional.__all__)
__all__ += ["get_num_threads", "set_num_threads", "isa", "best_isa", "build_info",
            "set_output_cache", "get_output_cache", "empty_output_cache", "functional", "nn",
            "init", "optim", "__version__"]
