"""Criterion objects mirroring ``torch.nn``.

``crit = CrossEntropyLoss(weight=w, label_smoothing=0.1)``; ``crit(x, t)``
returns the loss, ``crit.forward_backward(x, t)`` returns ``(loss, grad)``
from one fused pass, and ``crit.backward(grad_output=1.0)`` recomputes the
gradient for the inputs of the last call.  The constructor arguments are
attributes and may be changed after construction, as in torch.

The classes below :class:`Criterion` are generated from the registry by
``tools/gen_nn.py`` (do not edit them by hand; rerun it).
"""
from __future__ import annotations

from typing import Any, Callable, Literal, Optional, Tuple, cast  # noqa: F401

from . import _activations, _binary, _ctc, _linear_ce, _lse, _margin, _pointwise  # noqa: F401
from ._typing import (ArrayLike, DistanceFunction, FloatArray, GradOut, GradOutput, GradOuts,
                      Grads2, Grads3, Output, Reduction, VarGrads, WithGrad)

__all__ = ["Criterion", "BCELoss", "BCEWithLogitsLoss", "BalancedBCELoss", "CTCLoss",
           "CosineEmbeddingLoss", "CrossEntropyLoss", "DiceLoss", "GaussianNLLLoss",
           "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss", "LinearCrossEntropyLoss",
           "MSELoss", "MarginRankingLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
           "MultiMarginLoss", "NLLLoss", "OHEMBCELoss", "PoissonNLLLoss", "SigmoidFocalLoss",
           "SmoothL1Loss", "SoftMarginLoss", "SoftmaxFocalLoss", "TripletMarginLoss",
           "TripletMarginWithDistanceLoss"]


class Criterion:
    """Base class of the criteria: binds constructor arguments to a functional form.

    Subclasses set ``_func`` (the function of :mod:`lossengine.functional`)
    and ``_ctor`` (its keyword arguments held by the criterion, in
    constructor order, with their defaults).  This base constructor accepts
    them positionally or by name; the generated subclasses spell them out.

    Parameters
    ----------
    *args, **kwargs
        Values of the ``_ctor`` arguments.

    Returns
    -------
    Criterion
        Calling it (or :meth:`forward`) returns ``_func(*inputs, **arguments)``.

    Raises
    ------
    TypeError
        For too many positional arguments, an unknown keyword or an argument
        given twice.

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> class Tanh(le.nn.Criterion):
    ...     _func = staticmethod(le.tanh)
    >>> y, g = Tanh().forward_backward(np.array([0.0, 1.0]))
    >>> g.round(4)
    array([1.  , 0.42])
    """
    _func: Callable[..., Any]
    _ctor: Tuple[Tuple[str, Any], ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = [n for n, _ in self._ctor]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes at most {len(names)} positional "
                            f"arguments ({len(args)} given)")
        kw = dict(self._ctor)
        for n, v in zip(names, args):
            kw[n] = v
        for n, v in kwargs.items():
            if n not in kw:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword "
                                f"argument {n!r}")
            if n in names[:len(args)]:
                raise TypeError(f"{type(self).__name__}() got multiple values for "
                                f"argument {n!r}")
            kw[n] = v
        for n, v in kw.items():
            setattr(self, n, v)
        self._last: Optional[Tuple[Any, ...]] = None

    def _kwargs(self) -> dict[str, Any]:
        # attributes may have been changed after construction, as in torch
        return {n: getattr(self, n) for n, _ in self._ctor}

    def _run(self, inputs: Tuple[Any, ...]) -> Any:
        self._last = inputs
        return type(self)._func(*inputs, **self._kwargs())

    def _run_grad(self, inputs: Tuple[Any, ...], grad_output: Any, grad_out: Any) -> Any:
        self._last = inputs
        return type(self)._func(*inputs, **self._kwargs(), grad=True, grad_output=grad_output,
                                grad_out=grad_out)

    def _forward(self, *inputs: Any) -> Any:
        """The loss of `inputs` (the functional form's positional arrays)."""
        return self._run(inputs)

    def _forward_backward(self, *inputs: Any, grad_output: Any = None,
                          grad_out: Any = None) -> Any:
        """``(loss, gradient(s))`` for `inputs` in one fused pass."""
        return self._run_grad(inputs, grad_output, grad_out)

    def _backward(self, grad_output: Any = 1.0) -> Any:
        """Gradient(s) for the inputs of the last call, scaled by `grad_output`.

        Raises ``RuntimeError`` before any forward call.
        """
        if self._last is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before any "
                               "forward call")
        return type(self)._func(*self._last, **self._kwargs(), grad=True,
                                grad_output=grad_output)[1]

    # declared as callables (as torch.nn.Module.forward) so that each criterion
    # may spell out its own arrays without breaking the override rules
    __call__: Callable[..., Any] = _forward
    forward: Callable[..., Any] = _forward
    forward_backward: Callable[..., Any] = _forward_backward
    backward: Callable[..., Any] = _backward

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n, d in self._ctor
                         if getattr(self, n) is not d)
        return f"{type(self).__name__}({args})"



class BCELoss(Criterion):
    """Criterion form of :func:`lossengine.binary_cross_entropy`.

    Binary cross entropy of probabilities, as torch's
    ``F.binary_cross_entropy``.  The constructor arguments become attributes
    (changeable later); the arrays are given to the call.

    Parameters
    ----------
    weight : array_like, optional
        Broadcast to the target by NumPy's rules.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    BCELoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.binary_cross_entropy` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.binary_cross_entropy` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.BCELoss()
    >>> x, t = np.array([0.9, 0.2]), np.array([1.0, 0.0])
    >>> round(float(crit(x, t)), 4)
    0.1643
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (2,)
    >>> crit
    BCELoss()
    """

    _func = staticmethod(_binary.binary_cross_entropy)
    _ctor = (('weight', None), ('reduction', 'mean'))

    def __init__(self, weight: Optional[ArrayLike] = None, reduction: Reduction = 'mean') -> None:
        self.weight = weight
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class BCEWithLogitsLoss(Criterion):
    """Criterion form of :func:`lossengine.binary_cross_entropy_with_logits`.

    Binary cross entropy on logits, as torch's
    ``F.binary_cross_entropy_with_logits``.  The constructor arguments become
    attributes (changeable later); the arrays are given to the call.

    Parameters
    ----------
    weight : array_like, optional
        Broadcast against the target by NumPy's rules.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.
    pos_weight : array_like, optional
        Weight of the positive term, broadcast against the target (per class:
        ``(C,)`` for channels-last data, ``(C, 1, 1)`` for NCHW).

    Returns
    -------
    BCEWithLogitsLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.binary_cross_entropy_with_logits` with these
        arguments; ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.binary_cross_entropy_with_logits` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.BCEWithLogitsLoss(pos_weight=np.array([2.0]))
    >>> x, t = np.array([2.0, -1.0]), np.array([1.0, 0.0])
    >>> round(float(crit(x, t)), 4)
    0.2836
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (2,)
    >>> crit
    BCEWithLogitsLoss(pos_weight=array([2.]))
    """

    _func = staticmethod(_binary.binary_cross_entropy_with_logits)
    _ctor = (('weight', None), ('reduction', 'mean'), ('pos_weight', None))

    def __init__(self, weight: Optional[ArrayLike] = None, reduction: Reduction = 'mean',
                 pos_weight: Optional[ArrayLike] = None) -> None:
        self.weight = weight
        self.reduction = reduction
        self.pos_weight = pos_weight
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class BalancedBCELoss(Criterion):
    """Criterion form of :func:`lossengine.balanced_binary_cross_entropy`.

    Class-balanced binary cross entropy ``-(beta y log p + (1 - beta)(1 - y)
    log(1 - p))``.  The constructor arguments become attributes (changeable
    later); the arrays are given to the call.

    Parameters
    ----------
    beta : float, optional
        Weight of the positive term; per-sample fraction of negatives when None.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` averages over elements.
    from_logits : bool, default False
        ``p = sigmoid(input)`` with stable log-sigmoids (no clamp, as
        BCE-with-logits); otherwise logs are clamped at -100 as
        :func:`binary_cross_entropy` and the gradient has torch's
        ``max(p (1 - p), 1e-12)`` denominator.

    Returns
    -------
    BalancedBCELoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.balanced_binary_cross_entropy` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.balanced_binary_cross_entropy` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.BalancedBCELoss()
    >>> p, y = np.array([0.9, 0.2, 0.4, 0.1]), np.array([1.0, 0.0, 0.0, 0.0])
    >>> round(float(crit(p, y)), 4)
    0.0722
    >>> loss, g = crit.forward_backward(p, y)
    >>> g.shape
    (4,)
    >>> crit
    BalancedBCELoss()
    """

    _func = staticmethod(_binary.balanced_binary_cross_entropy)
    _ctor = (('beta', None), ('reduction', 'mean'), ('from_logits', False))

    def __init__(self, beta: Optional[float] = None, reduction: Reduction = 'mean',
                 from_logits: bool = False) -> None:
        self.beta = beta
        self.reduction = reduction
        self.from_logits = from_logits
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class CTCLoss(Criterion):
    """Criterion form of :func:`lossengine.ctc_loss`.

    Connectionist temporal classification loss, as torch's ``F.ctc_loss``.  The
    constructor arguments become attributes (changeable later); the arrays are
    given to the call.

    Parameters
    ----------
    blank : int, default 0
        The blank class, in ``[0, C)``.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` divides each loss by ``max(target_length, 1)``, then averages
        over the batch; ``'sum'`` adds.
    zero_infinity : bool, default False
        Turn infinite losses into 0 with a zero gradient (NaN is not touched).

    Returns
    -------
    CTCLoss
        ``crit(log_probs, targets, input_lengths, target_lengths)`` (or
        ``crit.forward(...)``) returns the loss of :func:`lossengine.ctc_loss`
        with these arguments; ``crit.forward_backward(log_probs, targets,
        input_lengths, target_lengths, grad_output=None, grad_out=None)``
        returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.ctc_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.CTCLoss()
    >>> log_probs = le.log_softmax(np.zeros((4, 1, 3)), axis=-1)
    >>> round(float(crit(log_probs, [[1, 2]], [4], [2])), 4)
    0.8432
    >>> loss, g = crit.forward_backward(log_probs, [[1, 2]], [4], [2])
    >>> g.shape
    (4, 1, 3)
    >>> crit
    CTCLoss()
    """

    _func = staticmethod(_ctc.ctc_loss)
    _ctor = (('blank', 0), ('reduction', 'mean'), ('zero_infinity', False))

    def __init__(self, blank: int = 0, reduction: Reduction = 'mean',
                 zero_infinity: bool = False) -> None:
        self.blank = blank
        self.reduction = reduction
        self.zero_infinity = zero_infinity
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, log_probs: ArrayLike, targets: ArrayLike, input_lengths: ArrayLike,
                target_lengths: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((log_probs, targets, input_lengths, target_lengths)))

    __call__ = forward

    def forward_backward(self, log_probs: ArrayLike, targets: ArrayLike, input_lengths: ArrayLike,
                         target_lengths: ArrayLike, *, grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (log_probs, targets, input_lengths, target_lengths)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class CosineEmbeddingLoss(Criterion):
    """Criterion form of :func:`lossengine.cosine_embedding_loss`.

    Cosine embedding loss, as torch's ``F.cosine_embedding_loss``.  The
    constructor arguments become attributes (changeable later); the arrays are
    given to the call.

    Parameters
    ----------
    margin : float, default 0.0
        The margin for ``-1`` targets.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    CosineEmbeddingLoss
        ``crit(input1, input2, target)`` (or ``crit.forward(...)``) returns the
        loss of :func:`lossengine.cosine_embedding_loss` with these arguments;
        ``crit.forward_backward(input1, input2, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.cosine_embedding_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.CosineEmbeddingLoss()
    >>> x1, x2 = np.array([[1.0, 0.0], [1.0, 1.0]]), np.ones((2, 2))
    >>> round(float(crit(x1, x2, [1, -1])), 4)
    0.6464
    >>> loss, g = crit.forward_backward(x1, x2, [1, -1])
    >>> [gi.shape for gi in g]
    [(2, 2), (2, 2)]
    >>> crit
    CosineEmbeddingLoss()
    """

    _func = staticmethod(_margin.cosine_embedding_loss)
    _ctor = (('margin', 0.0), ('reduction', 'mean'))

    def __init__(self, margin: float = 0.0, reduction: Reduction = 'mean') -> None:
        self.margin = margin
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input1: ArrayLike, input2: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input1, input2, target)))

    __call__ = forward

    def forward_backward(self, input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOuts = None) -> WithGrad[Grads2]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input1, input2, target)
        return cast(WithGrad[Grads2], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> Grads2:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(Grads2, self._backward(grad_output))


class CrossEntropyLoss(Criterion):
    """Criterion form of :func:`lossengine.cross_entropy`.

    Cross entropy between logits and class targets, as torch's
    ``F.cross_entropy``.  The constructor arguments become attributes
    (changeable later); the arrays are given to the call.

    Parameters
    ----------
    weight : array_like, optional
        ``(C,)`` weights of the classes.
    ignore_index : int, default -100
        Index targets equal to it add nothing and get a zero gradient (not
        allowed with probability targets).  An int64.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` divides by the summed weight of the non-ignored targets (index
        targets) or by the number of positions (probability targets).
    label_smoothing : float, default 0.0
        In ``[0, 1]``; combines with `weight` and `ignore_index` exactly as torch.

    Returns
    -------
    CrossEntropyLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.cross_entropy` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.cross_entropy` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> x, t = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]]), [0, 1]
    >>> round(float(crit(x, t)), 4)
    0.5047
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (2, 3)
    >>> crit
    CrossEntropyLoss(label_smoothing=0.1)
    """

    _func = staticmethod(_lse.cross_entropy)
    _ctor = (('weight', None), ('ignore_index', -100), ('reduction', 'mean'),
             ('label_smoothing', 0.0))

    def __init__(self, weight: Optional[ArrayLike] = None, ignore_index: int = -100,
                 reduction: Reduction = 'mean', label_smoothing: float = 0.0) -> None:
        self.weight = weight
        self.ignore_index = ignore_index
        self.reduction = reduction
        self.label_smoothing = label_smoothing
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class DiceLoss(Criterion):
    """Criterion form of :func:`lossengine.dice_loss`.

    Dice loss per sample ``1 - 2 sum(p y) / (sum(p**2) + sum(y**2) + eps)``.
    The constructor arguments become attributes (changeable later); the arrays
    are given to the call.

    Parameters
    ----------
    eps : float, default 1e-3
        Added to the denominator.
    from_logits : bool, default False
        Apply a sigmoid to `input` first.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        Over samples; ``'none'`` has shape ``(N,)`` (``()`` for one sample).
    squared : bool, default True
        Square the terms of the denominator.

    Returns
    -------
    DiceLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.dice_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.dice_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.DiceLoss()
    >>> p, y = np.array([[0.9, 0.1], [0.2, 0.7]]), np.eye(2)
    >>> round(float(crit(p, y)), 4)
    0.0485
    >>> loss, g = crit.forward_backward(p, y)
    >>> g.shape
    (2, 2)
    >>> crit
    DiceLoss()
    """

    _func = staticmethod(_binary.dice_loss)
    _ctor = (('eps', 0.001), ('from_logits', False), ('reduction', 'mean'), ('squared', True))

    def __init__(self, eps: float = 0.001, from_logits: bool = False,
                 reduction: Reduction = 'mean', squared: bool = True) -> None:
        self.eps = eps
        self.from_logits = from_logits
        self.reduction = reduction
        self.squared = squared
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class GaussianNLLLoss(Criterion):
    """Criterion form of :func:`lossengine.gaussian_nll_loss`.

    Gaussian negative log likelihood, as torch's ``F.gaussian_nll_loss``.  The
    constructor arguments become attributes (changeable later); the arrays are
    given to the call.

    Parameters
    ----------
    full : bool, default False
        Add the constant ``0.5 * log(2 pi)``.
    eps : float, default 1e-6
        Lower clamp of the variance.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    GaussianNLLLoss
        ``crit(input, target, var)`` (or ``crit.forward(...)``) returns the loss
        of :func:`lossengine.gaussian_nll_loss` with these arguments;
        ``crit.forward_backward(input, target, var, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.gaussian_nll_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.GaussianNLLLoss()
    >>> mu, t, var = np.array([0.0, 1.0]), np.array([0.5, 1.0]), np.array([1.0, 2.0])
    >>> round(float(crit(mu, t, var)), 4)
    0.2358
    >>> loss, g = crit.forward_backward(mu, t, var)
    >>> [gi.shape for gi in g]
    [(2,), (2,)]
    >>> crit
    GaussianNLLLoss()
    """

    _func = staticmethod(_pointwise.gaussian_nll_loss)
    _ctor = (('full', False), ('eps', 1e-06), ('reduction', 'mean'))

    def __init__(self, full: bool = False, eps: float = 1e-06,
                 reduction: Reduction = 'mean') -> None:
        self.full = full
        self.eps = eps
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike, var: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target, var)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, var: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOuts = None) -> WithGrad[VarGrads]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target, var)
        return cast(WithGrad[VarGrads], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> VarGrads:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(VarGrads, self._backward(grad_output))


class HingeEmbeddingLoss(Criterion):
    """Criterion form of :func:`lossengine.hinge_embedding_loss`.

    Hinge embedding loss, as torch's ``F.hinge_embedding_loss``.  The
    constructor arguments become attributes (changeable later); the arrays are
    given to the call.

    Parameters
    ----------
    margin : float, default 1.0
        The margin for ``-1`` targets.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    HingeEmbeddingLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.hinge_embedding_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.hinge_embedding_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.HingeEmbeddingLoss()
    >>> x, t = np.array([0.3, 0.4]), np.array([1.0, -1.0])
    >>> round(float(crit(x, t)), 4)
    0.45
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (2,)
    >>> crit
    HingeEmbeddingLoss()
    """

    _func = staticmethod(_margin.hinge_embedding_loss)
    _ctor = (('margin', 1.0), ('reduction', 'mean'))

    def __init__(self, margin: float = 1.0, reduction: Reduction = 'mean') -> None:
        self.margin = margin
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class HuberLoss(Criterion):
    """Criterion form of :func:`lossengine.huber_loss`.

    Huber loss, as torch's ``F.huber_loss``.  The constructor arguments become
    attributes (changeable later); the arrays are given to the call.

    Parameters
    ----------
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.
    delta : float, default 1.0
        Where the loss turns from quadratic to linear, ``> 0``.

    Returns
    -------
    HuberLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.huber_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.huber_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.HuberLoss(delta=2.0)
    >>> x, t = np.array([0.5, 3.0]), np.array([0.0, 0.0])
    >>> round(float(crit(x, t)), 4)
    2.0625
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.round(4)
    array([0.25, 1.  ])
    >>> crit
    HuberLoss(delta=2.0)
    """

    _func = staticmethod(_pointwise.huber_loss)
    _ctor = (('reduction', 'mean'), ('delta', 1.0))

    def __init__(self, reduction: Reduction = 'mean', delta: float = 1.0) -> None:
        self.reduction = reduction
        self.delta = delta
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class KLDivLoss(Criterion):
    """Criterion form of :func:`lossengine.kl_div`.

    Kullback-Leibler divergence terms, as torch's ``F.kl_div``.  The constructor
    arguments become attributes (changeable later); the arrays are given to the
    call.

    Parameters
    ----------
    reduction : {'none', 'mean', 'sum', 'batchmean'}, default 'mean'
        ``'batchmean'`` divides the sum by ``input.shape[0]`` (the KL
        divergence per sample); ``'mean'`` divides by the element count and
        warns, as torch does.
    log_target : bool, default False
        Whether `target` holds log-probabilities.

    Returns
    -------
    KLDivLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.kl_div` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.kl_div` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.KLDivLoss(reduction='batchmean')
    >>> logq, p = np.log([[0.25, 0.75]]), np.array([[0.5, 0.5]])
    >>> round(float(crit(logq, p)), 4)
    0.1438
    >>> loss, g = crit.forward_backward(logq, p)
    >>> g.shape
    (1, 2)
    >>> crit
    KLDivLoss(reduction='batchmean')
    """

    _func = staticmethod(_pointwise.kl_div)
    _ctor = (('reduction', 'mean'), ('log_target', False))

    def __init__(self, reduction: Literal['none', 'mean', 'sum', 'batchmean'] = 'mean',
                 log_target: bool = False) -> None:
        self.reduction = reduction
        self.log_target = log_target
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class L1Loss(Criterion):
    """Criterion form of :func:`lossengine.l1_loss`.

    Absolute error ``|input - target|``, as torch's ``F.l1_loss``.  The
    constructor arguments become attributes (changeable later); the arrays are
    given to the call.

    Parameters
    ----------
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    L1Loss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.l1_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.l1_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.L1Loss()
    >>> x, t = np.array([0.5, 3.0]), np.array([0.0, 1.0])
    >>> round(float(crit(x, t)), 4)
    1.25
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.round(4)
    array([0.5, 0.5])
    >>> crit
    L1Loss()
    """

    _func = staticmethod(_pointwise.l1_loss)
    _ctor = (('reduction', 'mean'),)

    def __init__(self, reduction: Reduction = 'mean') -> None:
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class LinearCrossEntropyLoss(Criterion):
    """Criterion form of :func:`lossengine.linear_cross_entropy`.

    Cross entropy of the logits ``input @ weight.T + bias`` without storing
    them.  The constructor arguments become attributes (changeable later); the
    arrays are given to the call.

    Parameters
    ----------
    ignore_index : int
        Target value that contributes neither loss nor gradient.
    reduction : {'mean', 'sum', 'none'}
        'mean' divides by the number of non-ignored targets (NaN when there
        is none); 'none' returns one loss per position (0 where ignored).
    label_smoothing : float in [0, 1]
        Mixes the one-hot target with the uniform distribution, as torch.
    tile : int, optional
        Vocabulary columns per tile (>= 1); None picks a power of two from
        the L2 cache size (a 128-row tile filling about a quarter of it).
        Changes speed, not results (beyond rounding).

    Returns
    -------
    LinearCrossEntropyLoss
        ``crit(input, weight, target, bias)`` (or ``crit.forward(...)``) returns
        the loss of :func:`lossengine.linear_cross_entropy` with these
        arguments; ``crit.forward_backward(input, weight, target, bias,
        grad_output=None, grad_out=None)`` returns ``(loss, grad)`` from one
        fused pass and ``crit.backward(grad_output=1.0)`` the gradient for the
        inputs of the last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.linear_cross_entropy` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.LinearCrossEntropyLoss(label_smoothing=0.1)
    >>> x, w, t = np.array([[1.0, -1.0], [0.5, 2.0]]), np.eye(3, 2), [0, 2]
    >>> round(float(crit(x, w, t, np.zeros(3))), 4)
    1.3653
    >>> loss, g = crit.forward_backward(x, w, t, np.zeros(3))
    >>> [gi.shape for gi in g]
    [(2, 2), (3, 2), (3,)]
    >>> crit
    LinearCrossEntropyLoss(label_smoothing=0.1)
    """

    _func = staticmethod(_linear_ce.linear_cross_entropy)
    _ctor = (('ignore_index', -100), ('reduction', 'mean'), ('label_smoothing', 0.0),
             ('tile', None))

    def __init__(self, ignore_index: int = -100, reduction: Reduction = 'mean',
                 label_smoothing: float = 0.0, tile: Optional[int] = None) -> None:
        self.ignore_index = ignore_index
        self.reduction = reduction
        self.label_smoothing = label_smoothing
        self.tile = tile
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, weight: ArrayLike, target: ArrayLike,
                bias: Optional[ArrayLike] = None) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, weight, target, bias)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, weight: ArrayLike, target: ArrayLike,
                         bias: Optional[ArrayLike] = None, *, grad_output: GradOutput = None,
                         grad_out: GradOuts = None) -> WithGrad[Grads3]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, weight, target, bias)
        return cast(WithGrad[Grads3], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> Grads3:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(Grads3, self._backward(grad_output))


class MSELoss(Criterion):
    """Criterion form of :func:`lossengine.mse_loss`.

    Squared error ``(input - target)**2``, as torch's ``F.mse_loss``.  The
    constructor arguments become attributes (changeable later); the arrays are
    given to the call.

    Parameters
    ----------
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    MSELoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.mse_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.mse_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.MSELoss()
    >>> x, t = np.array([0.5, 3.0]), np.array([0.0, 1.0])
    >>> round(float(crit(x, t)), 4)
    2.125
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.round(4)
    array([0.5, 2. ])
    >>> crit
    MSELoss()
    """

    _func = staticmethod(_pointwise.mse_loss)
    _ctor = (('reduction', 'mean'),)

    def __init__(self, reduction: Reduction = 'mean') -> None:
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class MarginRankingLoss(Criterion):
    """Criterion form of :func:`lossengine.margin_ranking_loss`.

    Ranking loss ``max(0, -target * (input1 - input2) + margin)``
    (``F.margin_ranking_loss``).  The constructor arguments become attributes
    (changeable later); the arrays are given to the call.

    Parameters
    ----------
    margin : float, default 0.0
        The required gap.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    MarginRankingLoss
        ``crit(input1, input2, target)`` (or ``crit.forward(...)``) returns the
        loss of :func:`lossengine.margin_ranking_loss` with these arguments;
        ``crit.forward_backward(input1, input2, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.margin_ranking_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.MarginRankingLoss(margin=0.1)
    >>> x1, x2, t = np.array([1.0, 0.2]), np.array([0.5, 0.8]), np.array([-1.0, 1.0])
    >>> round(float(crit(x1, x2, t)), 4)
    0.65
    >>> loss, g = crit.forward_backward(x1, x2, t)
    >>> [gi.shape for gi in g]
    [(2,), (2,)]
    >>> crit
    MarginRankingLoss(margin=0.1)
    """

    _func = staticmethod(_margin.margin_ranking_loss)
    _ctor = (('margin', 0.0), ('reduction', 'mean'))

    def __init__(self, margin: float = 0.0, reduction: Reduction = 'mean') -> None:
        self.margin = margin
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input1: ArrayLike, input2: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input1, input2, target)))

    __call__ = forward

    def forward_backward(self, input1: ArrayLike, input2: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOuts = None) -> WithGrad[Grads2]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input1, input2, target)
        return cast(WithGrad[Grads2], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> Grads2:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(Grads2, self._backward(grad_output))


class MultiLabelMarginLoss(Criterion):
    """Criterion form of :func:`lossengine.multilabel_margin_loss`.

    Multi-label hinge loss, as torch's ``F.multilabel_margin_loss``.  The
    constructor arguments become attributes (changeable later); the arrays are
    given to the call.

    Parameters
    ----------
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` averages over N.

    Returns
    -------
    MultiLabelMarginLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.multilabel_margin_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.multilabel_margin_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.MultiLabelMarginLoss()
    >>> x, t = np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]])
    >>> round(float(crit(x, t)), 4)
    0.85
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (1, 4)
    >>> crit
    MultiLabelMarginLoss()
    """

    _func = staticmethod(_margin.multilabel_margin_loss)
    _ctor = (('reduction', 'mean'),)

    def __init__(self, reduction: Reduction = 'mean') -> None:
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class MultiLabelSoftMarginLoss(Criterion):
    """Criterion form of :func:`lossengine.multilabel_soft_margin_loss`.

    Multi-label one-versus-all loss, as torch's
    ``F.multilabel_soft_margin_loss``.  The constructor arguments become
    attributes (changeable later); the arrays are given to the call.

    Parameters
    ----------
    weight : array_like, optional
        Broadcast to the input (usually ``(C,)``).
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'`` has shape ``input.shape[:-1]``; ``'mean'`` averages over it.

    Returns
    -------
    MultiLabelSoftMarginLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.multilabel_soft_margin_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.multilabel_soft_margin_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.MultiLabelSoftMarginLoss()
    >>> x, t = np.array([[2.0, -1.0]]), np.array([[1.0, 0.0]])
    >>> round(float(crit(x, t)), 4)
    0.2201
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (1, 2)
    >>> crit
    MultiLabelSoftMarginLoss()
    """

    _func = staticmethod(_binary.multilabel_soft_margin_loss)
    _ctor = (('weight', None), ('reduction', 'mean'))

    def __init__(self, weight: Optional[ArrayLike] = None, reduction: Reduction = 'mean') -> None:
        self.weight = weight
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class MultiMarginLoss(Criterion):
    """Criterion form of :func:`lossengine.multi_margin_loss`.

    Multi-class hinge loss, as torch's ``F.multi_margin_loss``.  The constructor
    arguments become attributes (changeable later); the arrays are given to the
    call.

    Parameters
    ----------
    p : int, default 1
        1 or 2.
    margin : float, default 1.0
        The margin.
    weight : array_like, optional
        ``(C,)`` class weights, indexed by the target class.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` averages the per-sample losses over N.

    Returns
    -------
    MultiMarginLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.multi_margin_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.multi_margin_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.MultiMarginLoss()
    >>> x, t = np.array([[0.1, 0.2, 0.4]]), [2]
    >>> round(float(crit(x, t)), 4)
    0.5
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (1, 3)
    >>> crit
    MultiMarginLoss()
    """

    _func = staticmethod(_margin.multi_margin_loss)
    _ctor = (('p', 1), ('margin', 1.0), ('weight', None), ('reduction', 'mean'))

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Optional[ArrayLike] = None,
                 reduction: Reduction = 'mean') -> None:
        self.p = p
        self.margin = margin
        self.weight = weight
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class NLLLoss(Criterion):
    """Criterion form of :func:`lossengine.nll_loss`.

    Negative log-likelihood of log-probabilities at class targets, as torch's
    ``F.nll_loss``.  The constructor arguments become attributes (changeable
    later); the arrays are given to the call.

    Parameters
    ----------
    weight : array_like, optional
        ``(C,)`` weights of the classes.
    ignore_index : int, default -100
        Targets equal to it add nothing and get a zero gradient.  An int64.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` divides by the summed weight of the non-ignored targets.

    Returns
    -------
    NLLLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.nll_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.nll_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.NLLLoss()
    >>> logp, t = le.log_softmax(np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])), [0, 1]
    >>> round(float(crit(logp, t)), 4)
    0.3964
    >>> loss, g = crit.forward_backward(logp, t)
    >>> g.shape
    (2, 3)
    >>> crit
    NLLLoss()
    """

    _func = staticmethod(_lse.nll_loss)
    _ctor = (('weight', None), ('ignore_index', -100), ('reduction', 'mean'))

    def __init__(self, weight: Optional[ArrayLike] = None, ignore_index: int = -100,
                 reduction: Reduction = 'mean') -> None:
        self.weight = weight
        self.ignore_index = ignore_index
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class OHEMBCELoss(Criterion):
    """Criterion form of :func:`lossengine.ohem_binary_cross_entropy`.

    Balanced BCE with online hard-negative mining (DBNet's
    BalanceCrossEntropyLoss).  The constructor arguments become attributes
    (changeable later); the arrays are given to the call.

    Parameters
    ----------
    negative_ratio : float, default 3.0
        Negatives kept per positive (finite, ``>= 0``).
    eps : float, default 1e-6
        Added to the ``'mean'`` divisor (``>= 0``).
    from_logits : bool, default False
        Whether `input` holds logits.
    min_negatives : int, default 0
        Keep at least this many negatives (mining on all-background images).
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'sum'`` is the numerator above; ``'none'`` the per-element losses
        times the selection.

    Returns
    -------
    OHEMBCELoss
        ``crit(input, target, mask)`` (or ``crit.forward(...)``) returns the
        loss of :func:`lossengine.ohem_binary_cross_entropy` with these
        arguments; ``crit.forward_backward(input, target, mask,
        grad_output=None, grad_out=None)`` returns ``(loss, grad)`` from one
        fused pass and ``crit.backward(grad_output=1.0)`` the gradient for the
        inputs of the last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.ohem_binary_cross_entropy` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.OHEMBCELoss(negative_ratio=2.0)
    >>> p = np.array([0.9, 0.4, 0.3, 0.2, 0.1]); y = (p > 0.5).astype(float)
    >>> round(float(crit(p, y)), 4)
    0.3243
    >>> loss, g = crit.forward_backward(p, y)
    >>> g.shape
    (5,)
    >>> crit
    OHEMBCELoss(negative_ratio=2.0)
    """

    _func = staticmethod(_binary.ohem_binary_cross_entropy)
    _ctor = (('negative_ratio', 3.0), ('eps', 1e-06), ('from_logits', False), ('min_negatives', 0),
             ('reduction', 'mean'))

    def __init__(self, negative_ratio: float = 3.0, eps: float = 1e-06, from_logits: bool = False,
                 min_negatives: int = 0, reduction: Reduction = 'mean') -> None:
        self.negative_ratio = negative_ratio
        self.eps = eps
        self.from_logits = from_logits
        self.min_negatives = min_negatives
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike,
                mask: Optional[ArrayLike] = None) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target, mask)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike,
                         mask: Optional[ArrayLike] = None, *, grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target, mask)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class PoissonNLLLoss(Criterion):
    """Criterion form of :func:`lossengine.poisson_nll_loss`.

    Poisson negative log likelihood, as torch's ``F.poisson_nll_loss``.  The
    constructor arguments become attributes (changeable later); the arrays are
    given to the call.

    Parameters
    ----------
    log_input : bool, default True
        Whether `input` is the log of the rate.
    full : bool, default False
        Add the Stirling approximation term.
    eps : float, default 1e-8
        Added to the rate before the log when ``log_input=False``.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    PoissonNLLLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.poisson_nll_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.poisson_nll_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.PoissonNLLLoss()
    >>> x, t = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    >>> round(float(crit(x, t)), 4)
    0.8591
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.round(4)
    array([0.    , 0.3591])
    >>> crit
    PoissonNLLLoss()
    """

    _func = staticmethod(_pointwise.poisson_nll_loss)
    _ctor = (('log_input', True), ('full', False), ('eps', 1e-08), ('reduction', 'mean'))

    def __init__(self, log_input: bool = True, full: bool = False, eps: float = 1e-08,
                 reduction: Reduction = 'mean') -> None:
        self.log_input = log_input
        self.full = full
        self.eps = eps
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class SigmoidFocalLoss(Criterion):
    """Criterion form of :func:`lossengine.sigmoid_focal_loss`.

    Sigmoid focal loss on logits, as torchvision's ``sigmoid_focal_loss``.  The
    constructor arguments become attributes (changeable later); the arrays are
    given to the call.

    Parameters
    ----------
    alpha : float, default 0.25
        Weight of the positives; a negative value turns the weighting off.
    gamma : float, default 2.0
        Focusing exponent, ``>= 0``.
    reduction : {'none', 'mean', 'sum'}, default 'none'
        torchvision's default is ``'none'``.

    Returns
    -------
    SigmoidFocalLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.sigmoid_focal_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.sigmoid_focal_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.SigmoidFocalLoss(reduction='sum')
    >>> x, t = np.array([2.0, -1.0]), np.array([1.0, 0.0])
    >>> round(float(crit(x, t)), 4)
    0.0174
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (2,)
    >>> crit
    SigmoidFocalLoss(reduction='sum')
    """

    _func = staticmethod(_binary.sigmoid_focal_loss)
    _ctor = (('alpha', 0.25), ('gamma', 2.0), ('reduction', 'none'))

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0,
                 reduction: Reduction = 'none') -> None:
        self.alpha = alpha
        self.gamma = gamma
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class SmoothL1Loss(Criterion):
    """Criterion form of :func:`lossengine.smooth_l1_loss`.

    Smooth L1 loss, as torch's ``F.smooth_l1_loss``.  The constructor arguments
    become attributes (changeable later); the arrays are given to the call.

    Parameters
    ----------
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.
    beta : float, default 1.0
        Where the loss turns from quadratic to linear, ``>= 0``.

    Returns
    -------
    SmoothL1Loss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.smooth_l1_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.smooth_l1_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.SmoothL1Loss(beta=0.5)
    >>> x, t = np.array([0.25, 3.0]), np.array([0.0, 1.0])
    >>> round(float(crit(x, t)), 4)
    0.9062
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.round(4)
    array([0.25, 0.5 ])
    >>> crit
    SmoothL1Loss(beta=0.5)
    """

    _func = staticmethod(_pointwise.smooth_l1_loss)
    _ctor = (('reduction', 'mean'), ('beta', 1.0))

    def __init__(self, reduction: Reduction = 'mean', beta: float = 1.0) -> None:
        self.reduction = reduction
        self.beta = beta
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class SoftMarginLoss(Criterion):
    """Criterion form of :func:`lossengine.soft_margin_loss`.

    Soft margin loss ``log(1 + exp(-y x))``, as torch's ``F.soft_margin_loss``.
    The constructor arguments become attributes (changeable later); the arrays
    are given to the call.

    Parameters
    ----------
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    SoftMarginLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.soft_margin_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.soft_margin_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.SoftMarginLoss()
    >>> x, t = np.array([2.0, -1.0]), np.array([1.0, 1.0])
    >>> round(float(crit(x, t)), 4)
    0.7201
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (2,)
    >>> crit
    SoftMarginLoss()
    """

    _func = staticmethod(_binary.soft_margin_loss)
    _ctor = (('reduction', 'mean'),)

    def __init__(self, reduction: Reduction = 'mean') -> None:
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class SoftmaxFocalLoss(Criterion):
    """Criterion form of :func:`lossengine.softmax_focal_loss`.

    Multi-class focal loss on logits with integer targets.  The constructor
    arguments become attributes (changeable later); the arrays are given to the
    call.

    Parameters
    ----------
    gamma : float, default 2.0
        Focusing exponent, ``>= 0``.
    alpha : float or array_like, optional
        A scalar for all classes or a ``(C,)`` array.
    weight : array_like, optional
        ``(C,)`` class weights.
    ignore_index : int, default -100
        Targets equal to it add nothing and get a zero gradient.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'mean'`` divides by the summed `weight` of the non-ignored targets.

    Returns
    -------
    SoftmaxFocalLoss
        ``crit(input, target)`` (or ``crit.forward(...)``) returns the loss of
        :func:`lossengine.softmax_focal_loss` with these arguments;
        ``crit.forward_backward(input, target, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.softmax_focal_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.SoftmaxFocalLoss(gamma=1.0)
    >>> x, t = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]]), [0, 1]
    >>> round(float(crit(x, t)), 4)
    0.1427
    >>> loss, g = crit.forward_backward(x, t)
    >>> g.shape
    (2, 3)
    >>> crit
    SoftmaxFocalLoss(gamma=1.0)
    """

    _func = staticmethod(_binary.softmax_focal_loss)
    _ctor = (('gamma', 2.0), ('alpha', None), ('weight', None), ('ignore_index', -100),
             ('reduction', 'mean'))

    def __init__(self, gamma: float = 2.0, alpha: Optional[ArrayLike] = None,
                 weight: Optional[ArrayLike] = None, ignore_index: int = -100,
                 reduction: Reduction = 'mean') -> None:
        self.gamma = gamma
        self.alpha = alpha
        self.weight = weight
        self.ignore_index = ignore_index
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, input: ArrayLike, target: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((input, target)))

    __call__ = forward

    def forward_backward(self, input: ArrayLike, target: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOut = None) -> WithGrad[FloatArray]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (input, target)
        return cast(WithGrad[FloatArray], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> FloatArray:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(FloatArray, self._backward(grad_output))


class TripletMarginLoss(Criterion):
    """Criterion form of :func:`lossengine.triplet_margin_loss`.

    Triplet loss ``max(margin + d(a, p) - d(a, n), 0)``, as torch's
    ``F.triplet_margin_loss``.  The constructor arguments become attributes
    (changeable later); the arrays are given to the call.

    Parameters
    ----------
    margin : float, default 1.0
        ``> 0``.
    p : float, default 2.0
        The norm degree: any real ``p`` (``inf`` too); 1 and 2 are fast paths.
    eps : float, default 1e-6
        Added to the differences; ``>= 0``.
    swap : bool, default False
        Use ``min(d(a, n), d(p, n))`` as the negative distance.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    TripletMarginLoss
        ``crit(anchor, positive, negative)`` (or ``crit.forward(...)``) returns
        the loss of :func:`lossengine.triplet_margin_loss` with these arguments;
        ``crit.forward_backward(anchor, positive, negative, grad_output=None,
        grad_out=None)`` returns ``(loss, grad)`` from one fused pass and
        ``crit.backward(grad_output=1.0)`` the gradient for the inputs of the
        last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.triplet_margin_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.TripletMarginLoss()
    >>> a, p, n = np.zeros((1, 2)), np.array([[0.6, 0.8]]), np.array([[0.0, 1.5]])
    >>> round(float(crit(a, p, n)), 4)
    0.5
    >>> loss, g = crit.forward_backward(a, p, n)
    >>> [gi.shape for gi in g]
    [(1, 2), (1, 2), (1, 2)]
    >>> crit
    TripletMarginLoss()
    """

    _func = staticmethod(_margin.triplet_margin_loss)
    _ctor = (('margin', 1.0), ('p', 2.0), ('eps', 1e-06), ('swap', False), ('reduction', 'mean'))

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-06, swap: bool = False,
                 reduction: Reduction = 'mean') -> None:
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((anchor, positive, negative)))

    __call__ = forward

    def forward_backward(self, anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOuts = None) -> WithGrad[Grads3]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (anchor, positive, negative)
        return cast(WithGrad[Grads3], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> Grads3:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(Grads3, self._backward(grad_output))


class TripletMarginWithDistanceLoss(Criterion):
    """Criterion form of :func:`lossengine.triplet_margin_with_distance_loss`.

    Triplet loss with a chosen distance, as torch's
    ``F.triplet_margin_with_distance_loss``.  The constructor arguments become
    attributes (changeable later); the arrays are given to the call.

    Parameters
    ----------
    distance_function : str or callable, optional
        ``None`` or ``'euclidean'`` (:func:`pairwise_distance`, p=2, eps=1e-6),
        ``'manhattan'`` (p=1, eps=1e-6), ``'cosine'`` (``1 - cosine_similarity``,
        eps=1e-8, over axis 1 -- the only axis of a 1-d input), the functions
        :func:`pairwise_distance` / :func:`cosine_similarity` themselves (or
        ``functools.partial`` of them with keyword arguments): all fused, with
        gradients.  Any other callable ``f(x1, x2)`` returning an array of
        distances gives the value only.
    margin : float, default 1.0
        ``> 0``.
    swap : bool, default False
        Use ``min(d(a, n), d(p, n))`` as the negative distance.
    reduction : {'none', 'mean', 'sum'}, default 'mean'
        ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
        function's description for the divisor); ``'sum'``: its sum.

    Returns
    -------
    TripletMarginWithDistanceLoss
        ``crit(anchor, positive, negative)`` (or ``crit.forward(...)``) returns
        the loss of :func:`lossengine.triplet_margin_with_distance_loss` with
        these arguments; ``crit.forward_backward(anchor, positive, negative,
        grad_output=None, grad_out=None)`` returns ``(loss, grad)`` from one
        fused pass and ``crit.backward(grad_output=1.0)`` the gradient for the
        inputs of the last call.

    Raises
    ------
    ValueError, TypeError
        When called, as :func:`lossengine.triplet_margin_with_distance_loss` (the constructor does
        not validate, so attributes may be set in any order).

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> crit = le.nn.TripletMarginWithDistanceLoss(distance_function='cosine')
    >>> a, p, n = np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]), np.array([[0.0, 1.0]])
    >>> round(float(crit(a, p, n)), 4)
    0.2929
    >>> loss, g = crit.forward_backward(a, p, n)
    >>> [gi.shape for gi in g]
    [(1, 2), (1, 2), (1, 2)]
    >>> crit
    TripletMarginWithDistanceLoss(distance_function='cosine')
    """

    _func = staticmethod(_margin.triplet_margin_with_distance_loss)
    _ctor = (('distance_function', None), ('margin', 1.0), ('swap', False), ('reduction', 'mean'))

    def __init__(self, distance_function: DistanceFunction = None, margin: float = 1.0,
                 swap: bool = False, reduction: Reduction = 'mean') -> None:
        self.distance_function = distance_function
        self.margin = margin
        self.swap = swap
        self.reduction = reduction
        self._last: Optional[Tuple[Any, ...]] = None

    def forward(self, anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike) -> Output:
        """The loss; the same as calling the criterion."""
        return cast(Output, self._run((anchor, positive, negative)))

    __call__ = forward

    def forward_backward(self, anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike, *,
                         grad_output: GradOutput = None,
                         grad_out: GradOuts = None) -> WithGrad[Grads3]:
        """``(loss, grad)`` in one fused pass (see the class docstring)."""
        inputs = (anchor, positive, negative)
        return cast(WithGrad[Grads3], self._run_grad(inputs, grad_output, grad_out))

    def backward(self, grad_output: GradOutput = 1.0) -> Grads3:
        """The gradient for the inputs of the last call, times `grad_output`."""
        return cast(Grads3, self._backward(grad_output))
