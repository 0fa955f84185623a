"""Type aliases of the public API (annotations only; nothing here runs kernels).

A loss or activation called with ``grad=False`` returns :data:`Output`: an
array, or a NumPy scalar (``numpy.float32``/``numpy.float64``) for a reduced
loss or a 0-d input.  With ``grad=True`` it returns ``(output, gradient)``;
the gradient is an array shaped like its prediction, or a tuple of them (in
argument order) when a function has several predictions.
"""
from typing import (Any, Callable, Literal, Optional, Sequence, Tuple, TypeAlias, TypedDict,
                    TypeVar, Union)

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayLike", "FloatArray", "BoolArray", "Output", "Reduction", "GradOutput",
           "GradOut", "GradOuts", "Out", "Grads2", "Grads3", "PreluGrads", "VarGrads",
           "DistanceFunction", "WeightScheme", "WithGrad", "MaybeGrad",
           "BuildInfo", "OutputCacheInfo"]

#: Anything :func:`numpy.asarray` accepts (arrays, nested lists, scalars).
ArrayLike: TypeAlias = npt.ArrayLike
#: A float32 or float64 array (results and gradients).
FloatArray: TypeAlias = npt.NDArray[np.floating[Any]]
#: A boolean array (:func:`lossengine.hard_example_mining`).
BoolArray: TypeAlias = npt.NDArray[np.bool_]
#: A result: an array, or a NumPy scalar for a reduced loss or a 0-d input.
Output: TypeAlias = Union[FloatArray, np.floating[Any]]
#: The ``reduction`` argument of the losses.
Reduction: TypeAlias = Literal["none", "mean", "sum"]
#: ``grad_output``: a scalar, or an array broadcastable to the unreduced output.
GradOutput: TypeAlias = Optional[ArrayLike]
#: ``grad_out`` of a one-prediction function: a preallocated gradient array.
GradOut: TypeAlias = Optional[npt.NDArray[Any]]
#: ``out``: a preallocated array receiving an array result (as a NumPy ufunc's ``out``).
Out: TypeAlias = Optional[npt.NDArray[Any]]
#: ``grad_out`` of a several-prediction function: one array (or None) per prediction.
GradOuts: TypeAlias = Optional[Sequence[Optional[npt.NDArray[Any]]]]
#: Gradients of two predictions (``None`` for one given as a Python scalar).
Grads2: TypeAlias = Tuple[Optional[FloatArray], Optional[FloatArray]]
#: Gradients of three predictions (``None`` for one given as a Python scalar).
Grads3: TypeAlias = Tuple[Optional[FloatArray], Optional[FloatArray], Optional[FloatArray]]
#: Gradients of :func:`lossengine.prelu`: ``(d/d input, d/d weight)``.
PreluGrads: TypeAlias = Tuple[FloatArray, FloatArray]
#: Gradients of :func:`lossengine.gaussian_nll_loss`: ``(d/d input, d/d var)``
#: (``None`` for a Python-number ``var``).
VarGrads: TypeAlias = Tuple[FloatArray, Optional[FloatArray]]
#: ``distance_function`` of :func:`lossengine.triplet_margin_with_distance_loss`.
DistanceFunction: TypeAlias = Union[None, Literal["euclidean", "manhattan", "cosine"],
                                    Callable[..., Any]]
#: ``scheme`` of :func:`lossengine.class_weights`.
WeightScheme: TypeAlias = Literal["inverse_log", "inverse", "inverse_sqrt", "effective_number"]

_G = TypeVar("_G")
#: The result of ``grad=True``: ``(output, gradient(s))``, e.g. ``WithGrad[FloatArray]``.
WithGrad: TypeAlias = Tuple[Output, _G]
#: The result when ``grad`` is only known at run time (a ``bool`` variable).
MaybeGrad: TypeAlias = Union[Output, Tuple[Output, _G]]


class BuildInfo(TypedDict):
    """:func:`lossengine.build_info`."""
    openmp: bool
    compiler: str


class OutputCacheInfo(TypedDict):
    """:func:`lossengine.get_output_cache`."""
    limit: int
    cached_bytes: int
    cached_blocks: int
    hits: int
    misses: int
