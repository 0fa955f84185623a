"""Learning-rate schedulers, after ``torch.optim.lr_scheduler`` (PyTorch 2.13).

A scheduler adjusts ``group['lr']`` (and, for `OneCycleLR`/`CyclicLR`, the
momentum) of every dict in ``optimizer.param_groups``; that list of dicts is
all it uses, so it works with the optimizers of :mod:`lossengine.optim` and
with any object that has such a ``param_groups`` attribute. Constructors,
defaults, ``step()``, ``get_last_lr()``, ``state_dict()``/``load_state_dict()``,
``last_epoch`` and the ``'initial_lr'`` entry they keep in each group are
torch's, and so is the arithmetic: the learning-rate sequences equal torch's
(the chainable form, as torch's ``step()``; the closed form for the deprecated
``step(epoch)``, which warns as torch does).

Differences from torch, all deliberate: bad arguments that torch only trips
over later (``ZeroDivisionError``, ``KeyError``, ``RuntimeError``) raise
``ValueError``/``TypeError`` naming the argument, at construction and before a
param group is modified; the optimizer's ``step`` is not wrapped, so torch's
"``lr_scheduler.step()`` before ``optimizer.step()``" warning is not given;
``state_dict()`` returns a deep copy, and ``load_state_dict()`` copies too.
"""
import copy
import math
import numbers
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, MutableMapping

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
           "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "ReduceLROnPlateau",
           "SequentialLR", "ChainedScheduler"]

_EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available.")


# ----------------------------------------------------------------------------- helpers

def _check_optimizer(optimizer):
    """The duck-typed equivalent of torch's ``isinstance(optimizer, Optimizer)``."""
    groups = getattr(optimizer, "param_groups", None)
    if groups is None:
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer: optimizer must "
                        "have a param_groups attribute")
    if not isinstance(groups, list) or not all(isinstance(g, MutableMapping) for g in groups):
        raise TypeError("optimizer.param_groups must be a list of dicts, got "
                        f"{type(groups).__name__}")
    for i, g in enumerate(groups):
        if "lr" not in g:
            raise ValueError(f"optimizer.param_groups[{i}] has no 'lr' entry")
    return optimizer


def _int(x, name, minimum=None):
    if not isinstance(x, numbers.Integral) or isinstance(x, bool):
        raise TypeError(f"{name} must be an int, got {type(x).__name__}")
    if minimum is not None and x < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {x}")
    return x


def _number(x, name):
    if not isinstance(x, numbers.Real) or isinstance(x, bool):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    return x


def _per_group(name, optimizer, value):
    """One value per param group: a list/tuple of the right length, or a scalar repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has {n}.")
        return list(value)
    return [value] * n


def _lrs(optimizer):
    return [group["lr"] for group in optimizer.param_groups]


def _momentum_uses_beta1(optimizer):
    """True: cycle ``betas[0]``; False: cycle ``momentum``. Like torch, decided by the
    optimizer's ``defaults`` when it has them, else by what every group holds."""
    defaults = getattr(optimizer, "defaults", None)
    if isinstance(defaults, Mapping):
        keys = [defaults]
    else:
        keys = optimizer.param_groups
    if keys and all("betas" in k for k in keys):
        return True
    if keys and all("momentum" in k for k in keys):
        return False
    raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                     "option enabled")


def _set_momentum(group, value, use_beta1):
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _callable_state(fns):
    """torch's convention: a plain function is not saved (None); a callable object's
    ``__dict__`` is."""
    return [None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
            for fn in fns]


# ----------------------------------------------------------------------------- base

class LRScheduler:
    """Base class of the schedulers: holds the optimizer, ``base_lrs`` and ``last_epoch``.

    A subclass implements :meth:`get_lr` (the chainable form, from the current
    ``group['lr']``), optionally ``_get_closed_form_lr`` (used by the deprecated
    ``step(epoch)``). Construction records ``group['initial_lr']`` (if absent)
    and performs the initial step, which sets the learning rates of epoch 0.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    last_epoch : int
        The index of the last epoch; ``-1`` (default) starts afresh. Another value
        resumes and needs ``'initial_lr'`` in every group.

    Attributes
    ----------
    optimizer : object
        The optimizer.
    base_lrs : list
        ``group['initial_lr']`` of every group.
    last_epoch : int
        The number of ``step()`` calls since epoch 0.

    Raises
    ------
    TypeError
        `optimizer` has no ``param_groups`` list of dicts, or `last_epoch` is not an int.
    ValueError
        A group lacks ``'lr'``, or resuming (``last_epoch != -1``) without
        ``'initial_lr'`` in a group.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import LRScheduler
    >>> class Halving(LRScheduler):
    ...     def get_lr(self):
    ...         return [b * 0.5 ** self.last_epoch for b in self.base_lrs]
    >>> class Opt:  # any object with param_groups will do
    ...     param_groups = [{"lr": 1.0}]
    >>> s = Halving(Opt())
    >>> s.step(); s.step()
    >>> s.get_last_lr()
    [0.25]
    """

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        _int(last_epoch, "last_epoch", -1)
        if last_epoch != -1:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        f"resuming a scheduler with last_epoch={last_epoch} >= 0 (load the "
                        "optimizer's state first, or start with last_epoch=-1)")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """Reset the step count and take the step that sets epoch 0's rates."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    # -- state
    _state_excluded = ("optimizer",)

    def state_dict(self):
        """The scheduler's state: every attribute but the optimizer (a deep copy).

        Returns
        -------
        dict
            The state, for :meth:`load_state_dict`.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import StepLR
        >>> class Opt:
        ...     def __init__(self): self.param_groups = [{"lr": 1.0}]
        >>> s = StepLR(Opt(), step_size=2)
        >>> s.step(); s.step(); s.step()
        >>> t = StepLR(Opt(), step_size=2)
        >>> t.load_state_dict(s.state_dict())
        >>> t.last_epoch, t.get_last_lr()
        (3, [0.1])
        """
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                if k not in self._state_excluded}

    def load_state_dict(self, state_dict):
        """Restore the state returned by :meth:`state_dict`.

        The optimizer's learning rates are not touched (they belong to the
        optimizer's own state); the next :meth:`step` continues the sequence.

        Parameters
        ----------
        state_dict : dict
            A state from :meth:`state_dict` (it is copied, not kept).

        Raises
        ------
        TypeError
            `state_dict` is not a dict.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import ExponentialLR
        >>> class Opt:
        ...     def __init__(self): self.param_groups = [{"lr": 1.0}]
        >>> s = ExponentialLR(Opt(), gamma=0.5)
        >>> s.step()
        >>> t = ExponentialLR(Opt(), gamma=0.9)
        >>> t.load_state_dict(s.state_dict())
        >>> t.gamma, t.last_epoch
        (0.5, 1)
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        self.__dict__.update(copy.deepcopy({k: v for k, v in state_dict.items()
                                            if k not in self._state_excluded}))

    def get_last_lr(self):
        """The learning rates the last step set, one per param group.

        Returns
        -------
        list
            ``[group['lr'], ...]`` as of the last step.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import ConstantLR
        >>> class Opt:
        ...     param_groups = [{"lr": 0.3}]
        >>> ConstantLR(Opt(), factor=0.5).get_last_lr()
        [0.15]
        """
        return list(self._last_lr)

    def get_lr(self):
        """The learning rates of the current ``last_epoch`` (called by :meth:`step`).

        Subclasses implement it; call :meth:`get_last_lr` to read the rates.

        Returns
        -------
        list
            One learning rate per param group.

        Raises
        ------
        NotImplementedError
            On the base class.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import StepLR
        >>> class Opt:
        ...     param_groups = [{"lr": 1.0}]
        >>> StepLR(Opt(), 3).get_last_lr()   # not get_lr(), which warns
        [1.0]
        """
        raise NotImplementedError

    def _warn_outside_step(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please "
                          "use `get_last_lr()`.", UserWarning, stacklevel=3)

    def step(self, epoch=None):
        """Advance one epoch (or, deprecated, jump to `epoch`) and set the learning rates.

        Parameters
        ----------
        epoch : int, optional
            Deprecated, as in torch (warns): set ``last_epoch = epoch`` and use the
            closed form where the scheduler has one.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import MultiStepLR
        >>> class Opt:
        ...     param_groups = [{"lr": 1.0}]
        >>> s = MultiStepLR(Opt(), milestones=[2, 4], gamma=0.5)
        >>> lrs = []
        >>> for _ in range(5):
        ...     s.step(); lrs.append(s.get_last_lr()[0])
        >>> lrs
        [1.0, 0.5, 0.5, 0.25, 0.25]
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed = getattr(self, "_get_closed_form_lr", None)
                values = closed() if closed is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise ValueError(f"{type(self).__name__} computed {len(values)} learning rates for "
                             f"{len(groups)} param groups (groups added after construction?)")
        for group, lr in zip(groups, values):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)


# ----------------------------------------------------------------------------- lambda schedulers

def _lambdas(optimizer, lr_lambda):
    n = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
        fns = list(lr_lambda)
    else:
        fns = [lr_lambda] * n
    for fn in fns:
        if not callable(fn):
            raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
    return fns


class _LambdaState:
    """state_dict/load_state_dict for schedulers holding ``lr_lambdas``."""

    def state_dict(self):
        state = LRScheduler.state_dict(self)
        state["lr_lambdas"] = _callable_state(self.lr_lambdas)
        return state

    def load_state_dict(self, state_dict):
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        rest = {k: v for k, v in state_dict.items() if k != "lr_lambdas"}
        LRScheduler.load_state_dict(self, rest)
        for fn, saved in zip(self.lr_lambdas, state_dict.get("lr_lambdas", ())):
            if saved is not None:
                fn.__dict__.update(copy.deepcopy(saved))


class LambdaLR(_LambdaState, LRScheduler):
    """``lr = initial_lr * lr_lambda(epoch)`` per param group.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    lr_lambda : callable or list of callables
        ``epoch -> factor``; a list gives one per param group.
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer or a non-callable `lr_lambda`.
    ValueError
        A list of the wrong length.

    Notes
    -----
    ``state_dict()`` saves the ``__dict__`` of callable objects and nothing of
    plain functions and lambdas, as torch.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import LambdaLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = LambdaLR(Opt(), lambda e: 0.9 ** e)
    >>> s.step(); s.step()
    >>> round(s.get_last_lr()[0], 12)
    0.81
    """

    _state_excluded = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        return [base_lr * fn(self.last_epoch)
                for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaState, LRScheduler):
    """``lr = lr * lr_lambda(epoch)`` at every step after the first.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    lr_lambda : callable or list of callables
        ``epoch -> factor``; a list gives one per param group.
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer or a non-callable `lr_lambda`.
    ValueError
        A list of the wrong length.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import MultiplicativeLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = MultiplicativeLR(Opt(), lambda e: 0.5)
    >>> s.step(); s.step()
    >>> s.get_last_lr()
    [0.25]
    """

    _state_excluded = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        if self._is_initial:
            return _lrs(self.optimizer)
        return [group["lr"] * fn(self.last_epoch)
                for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups)]


# ----------------------------------------------------------------------------- step schedules

class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    step_size : int
        The period of the decay, ``> 0``.
    gamma : float
        The factor (default 0.1).
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer, `step_size` or `gamma` type.
    ValueError
        ``step_size <= 0``.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import StepLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = StepLR(Opt(), step_size=2, gamma=0.5)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     s.step(); lrs.append(s.get_last_lr()[0])
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _number(step_size, "step_size")
        if not step_size > 0:
            raise ValueError(f"step_size must be > 0, got {step_size}")
        self.step_size = step_size
        self.gamma = _number(gamma, "gamma")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by `gamma` at each milestone epoch.

    A milestone listed k times multiplies by ``gamma**k``, as torch.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    milestones : iterable of int
        The epochs of the decays.
    gamma : float
        The factor (default 0.1).
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer, a non-int milestone or a non-number `gamma`.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import MultiStepLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = MultiStepLR(Opt(), milestones=[1, 3], gamma=0.1)
    >>> s.step(); s.step(); s.step()
    >>> round(s.get_last_lr()[0], 12)
    0.01
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        ms = list(milestones)
        for m in ms:
            _int(m, "milestones")
        self.milestones = Counter(ms)
        self.gamma = _number(gamma, "gamma")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        if self.last_epoch not in self.milestones:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma ** self.milestones[self.last_epoch]
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        ms = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(ms, self.last_epoch)
                for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    """Scale the learning rate by `factor` until epoch `total_iters`, then restore it.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    factor : float
        The factor, in ``(0, 1]`` (default 1/3).
    total_iters : int
        The epoch at which the factor is removed (default 5).
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer or argument type.
    ValueError
        `factor` outside ``(0, 1]``, ``total_iters < 0``.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import ConstantLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = ConstantLR(Opt(), factor=0.5, total_iters=2)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     s.step(); lrs.append(s.get_last_lr()[0])
    >>> lrs
    [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        _number(factor, "factor")
        if factor > 1.0 or factor <= 0:
            # torch accepts 0 but then divides by it when restoring the rate.
            raise ValueError("Constant multiplicative factor expected to be in (0, 1], "
                             f"got factor={factor}")
        self.factor = factor
        self.total_iters = _int(total_iters, "total_iters", 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _lrs(self.optimizer)
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor going linearly from `start_factor` to
    `end_factor` over `total_iters` epochs.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    start_factor : float
        The first factor, in ``(0, 1]`` (default 1/3).
    end_factor : float
        The last factor, in ``[0, 1]`` (default 1).
    total_iters : int
        The number of epochs of the ramp (default 5).
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer or argument type.
    ValueError
        A factor out of range, ``total_iters < 0``.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import LinearLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = LinearLR(Opt(), start_factor=0.25, total_iters=3)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     s.step(); lrs.append(round(s.get_last_lr()[0], 12))
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        _number(start_factor, "start_factor")
        _number(end_factor, "end_factor")
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             f"less or equal to 1, got start_factor={start_factor}")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1, "
                             f"got end_factor={end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = _int(total_iters, "total_iters", 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        # The ratio of consecutive factors, so that the chain multiplies up to
        # start + (end - start) * epoch / total_iters.
        delta = self.end_factor - self.start_factor
        ratio = 1.0 + delta / (self.total_iters * self.start_factor + (self.last_epoch - 1) * delta)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor)
                           * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by `gamma` every epoch.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    gamma : float
        The factor.
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer or a non-number `gamma`.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import ExponentialLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = ExponentialLR(Opt(), gamma=0.5)
    >>> s.step(); s.step()
    >>> s.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = _number(gamma, "gamma")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        if self._is_initial:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the learning rate as ``(1 - epoch/total_iters) ** power``, reaching 0 at
    `total_iters`.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    total_iters : int
        The number of epochs of the decay, ``> 0`` (default 5).
    power : float
        The power (default 1).
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer or argument type.
    ValueError
        ``total_iters <= 0``.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import PolynomialLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = PolynomialLR(Opt(), total_iters=4, power=1.0)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(5):
    ...     s.step(); lrs.append(round(s.get_last_lr()[0], 12))
    >>> lrs
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = _int(total_iters, "total_iters", 1)
        self.power = _number(power, "power")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for base_lr in self.base_lrs]


# ----------------------------------------------------------------------------- cosine schedules

class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the initial learning rate to `eta_min` over `T_max` epochs
    (SGDR without restarts; beyond `T_max` the cosine continues, as torch).

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    T_max : int
        The half period, ``> 0``.
    eta_min : float
        The minimum learning rate (default 0).
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer or argument type.
    ValueError
        ``T_max <= 0``.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import CosineAnnealingLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = CosineAnnealingLR(Opt(), T_max=2)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(2):
    ...     s.step(); lrs.append(round(s.get_last_lr()[0], 12))
    >>> lrs
    [1.0, 0.5, 0.0]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _number(T_max, "T_max")
        if not T_max > 0:
            raise ValueError(f"T_max must be > 0, got {T_max}")
        self.T_max = T_max
        self.eta_min = _number(eta_min, "eta_min")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _lrs(self.optimizer)
        if self._step_count == 1 and self.last_epoch > 0:
            # First step after resuming: no previous rate to chain from.
            return [self.eta_min + (base_lr - self.eta_min)
                    * (1 + math.cos(self.last_epoch * math.pi / self.T_max)) / 2
                    for base_lr in self.base_lrs]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            # At the trough the ratio below would be 0/0: step up additively instead.
            return [group["lr"]
                    + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                    for base_lr, group in zip(self.base_lrs, groups)]
        ratio = ((1 + math.cos(math.pi * self.last_epoch / self.T_max))
                 / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max)))
        return [ratio * (group["lr"] - self.eta_min) + self.eta_min for group in groups]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR): periods ``T_0, T_0*T_mult, ...``.

    ``step(epoch)`` with a (possibly fractional) epoch is supported and does not
    warn, as torch.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    T_0 : int
        The first period, ``> 0``.
    T_mult : int
        The growth factor of the period, ``>= 1`` (default 1).
    eta_min : float
        The minimum learning rate (default 0).
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    ValueError
        A non-positive or non-int `T_0`, `T_mult` < 1 or not an int, a non-number
        `eta_min`, or a negative `epoch` in :meth:`step`.
    TypeError
        A bad optimizer.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import CosineAnnealingWarmRestarts
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = CosineAnnealingWarmRestarts(Opt(), T_0=2)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     s.step(); lrs.append(round(s.get_last_lr()[0], 12))
    >>> lrs
    [1.0, 0.5, 1.0, 0.5]
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or isinstance(T_0, bool) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or isinstance(T_mult, bool) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)) or isinstance(eta_min, bool):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type "
                             f"{type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_outside_step()
        return [self.eta_min
                + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or go to `epoch` (an int or a fraction, e.g. per batch).

        Parameters
        ----------
        epoch : float, optional
            The (fractional) epoch, ``>= 0``.

        Raises
        ------
        ValueError
            A negative `epoch`.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import CosineAnnealingWarmRestarts
        >>> class Opt:
        ...     param_groups = [{"lr": 1.0}]
        >>> s = CosineAnnealingWarmRestarts(Opt(), T_0=4)
        >>> s.step(2.0)
        >>> round(s.get_last_lr()[0], 12)
        0.5
        """
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            _number(epoch, "epoch")
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._get_lr_called_within_step = True
        try:
            values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)


# ----------------------------------------------------------------------------- cyclic schedules

class OneCycleLR(LRScheduler):
    """The 1cycle policy: warm up from ``max_lr/div_factor`` to `max_lr`, then anneal to
    ``initial_lr/final_div_factor`` (Smith & Topin 2018), stepping once per batch.

    With `cycle_momentum` the momentum moves inversely between `max_momentum` and
    `base_momentum`: ``betas[0]`` when the optimizer's ``defaults`` (or, lacking
    ``defaults``, every param group) have ``'betas'``, else ``'momentum'``.
    Each group also receives ``'max_lr'``, ``'min_lr'`` (and ``'max_momentum'``,
    ``'base_momentum'``), and its ``'initial_lr'`` is overwritten, as torch.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    max_lr : float or list of float
        The peak learning rate (per group with a list).
    total_steps : int, optional
        The number of steps of the cycle; else ``epochs * steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        Used when `total_steps` is None.
    pct_start : float
        The fraction of the cycle spent increasing the rate (default 0.3); a float.
    anneal_strategy : {'cos', 'linear'}
        The annealing shape.
    cycle_momentum : bool
        Cycle the momentum too (default True).
    base_momentum, max_momentum : float or list of float
        The momentum bounds (default 0.85 and 0.95).
    div_factor : float
        ``initial_lr = max_lr / div_factor`` (default 25).
    final_div_factor : float
        ``min_lr = initial_lr / final_div_factor`` (default 1e4).
    three_phase : bool
        Use a symmetric warm-up/cool-down, then anneal to ``min_lr`` (fast.ai style).
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer.
    ValueError
        Bad step counts, `pct_start` not a float in ``[0, 1]``, an unknown
        `anneal_strategy`, a list of the wrong length, `cycle_momentum` on an
        optimizer without momentum or betas; stepping past `total_steps`.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import OneCycleLR
    >>> class Opt:
    ...     param_groups = [{"lr": 0.0, "momentum": 0.9}]
    >>> s = OneCycleLR(Opt(), max_lr=1.0, total_steps=10, anneal_strategy="linear")
    >>> s.get_last_lr()
    [0.04]
    >>> for _ in range(2):
    ...     s.step()
    >>> s.get_last_lr(), round(s.optimizer.param_groups[0]["momentum"], 12)
    ([1.0], 0.85)
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True,
                 base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        _check_optimizer(optimizer)
        _int(last_epoch, "last_epoch", -1)
        if total_steps is not None:
            if (not isinstance(total_steps, int) or isinstance(total_steps, bool)
                    or total_steps <= 0):
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if (not isinstance(steps_per_epoch, int) or isinstance(steps_per_epoch, bool)
                    or steps_per_epoch <= 0):
                raise ValueError("Expected positive integer steps_per_epoch, but got "
                                 f"{steps_per_epoch}")
            steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        _number(div_factor, "div_factor")
        _number(final_div_factor, "final_div_factor")
        if div_factor == 0 or final_div_factor == 0:
            raise ValueError("div_factor and final_div_factor must be non-zero, got "
                             f"{div_factor} and {final_div_factor}")
        if cycle_momentum:
            use_beta1 = _momentum_uses_beta1(optimizer)
            max_moms = _per_group("max_momentum", optimizer, max_momentum)
            base_moms = _per_group("base_momentum", optimizer, base_momentum)
        if last_epoch != -1:
            need = ["initial_lr", "max_lr", "min_lr"]
            if cycle_momentum:
                need += ["max_momentum", "base_momentum"]
            for i, group in enumerate(optimizer.param_groups):
                for key in need:
                    if key not in group:
                        raise ValueError(f"param {key!r} is not specified in param_groups[{i}] "
                                         f"when resuming with last_epoch={last_epoch}")
        # Checks done; from here on the groups are modified.
        self.optimizer = optimizer
        self.total_steps = steps
        warm_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                {"end_step": warm_end, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * self.total_steps) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum",
                 "end_momentum": "max_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                {"end_step": warm_end, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]
        self._anneal_func_type = anneal_strategy
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = use_beta1
            if last_epoch == -1:
                for m_mom, b_mom, group in zip(max_moms, base_moms, optimizer.param_groups):
                    _set_momentum(group, m_mom, use_beta1)
                    group["max_momentum"] = m_mom
                    group["base_momentum"] = b_mom
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        self._warn_outside_step()
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(f"Tried to step {step_num} times. The specified number of total "
                             f"steps is {self.total_steps}")
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == last:
                    if end_step == start_step:
                        raise ValueError(
                            f"OneCycleLR phase {i} is empty at step {step_num} (pct_start and "
                            f"total_steps={self.total_steps} give it no steps)")
                    pct = (step_num - start_step) / (end_step - start_step)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        mom = self._anneal(group[phase["start_momentum"]],
                                           group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(group, mom, self.use_beta1)
        return lrs


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith 2017) between `base_lr` and `max_lr`, stepped per batch.

    Modes ``'triangular'``, ``'triangular2'`` (amplitude halved every cycle) and
    ``'exp_range'`` (amplitude scaled by ``gamma**iteration``), or a custom
    `scale_fn`. With `cycle_momentum` the momentum cycles inversely between
    `max_momentum` and `base_momentum` (``betas[0]`` for optimizers with betas,
    as in :class:`OneCycleLR`).

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    base_lr, max_lr : float or list of float
        The cycle's bounds (per group with a list); `base_lr` replaces the
        groups' learning rates when starting.
    step_size_up : int
        Iterations of the increasing half, ``> 0`` (default 2000).
    step_size_down : int, optional
        Iterations of the decreasing half, ``>= 0`` (default: `step_size_up`).
    mode : {'triangular', 'triangular2', 'exp_range'}
        The amplitude policy (ignored when `scale_fn` is given).
    gamma : float
        The base of ``'exp_range'`` (default 1).
    scale_fn : callable, optional
        ``x -> scale`` in ``[0, 1]``, overriding `mode`.
    scale_mode : {'cycle', 'iterations'}
        What `scale_fn` receives (the cycle number or the iteration).
    cycle_momentum : bool
        Cycle the momentum too (default True).
    base_momentum, max_momentum : float or list of float
        The momentum bounds (default 0.8 and 0.9).
    last_epoch : int
        ``-1`` to start; else resume (see :class:`LRScheduler`).

    Raises
    ------
    TypeError
        A bad optimizer or a non-callable `scale_fn`.
    ValueError
        An unknown `mode` without `scale_fn`, an unknown `scale_mode`, bad step
        sizes, a list of the wrong length, `cycle_momentum` on an optimizer
        without momentum or betas.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import CyclicLR
    >>> class Opt:
    ...     param_groups = [{"lr": 0.5, "momentum": 0.9}]
    >>> s = CyclicLR(Opt(), base_lr=0.1, max_lr=0.5, step_size_up=2)
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     s.step(); lrs.append(round(s.get_last_lr()[0], 12))
    >>> lrs
    [0.1, 0.3, 0.5, 0.3, 0.1]
    """

    _state_excluded = ("optimizer", "_scale_fn_custom")

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        _check_optimizer(optimizer)
        _int(last_epoch, "last_epoch", -1)
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        _number(step_size_up, "step_size_up")
        up = float(step_size_up)
        if step_size_down is not None:
            _number(step_size_down, "step_size_down")
        down = float(step_size_down) if step_size_down is not None else up
        if not up > 0:
            raise ValueError(f"step_size_up must be > 0, got {step_size_up}")
        if not down >= 0:
            raise ValueError(f"step_size_down must be >= 0, got {step_size_down}")
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn must be callable, got {type(scale_fn).__name__}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        if cycle_momentum:
            use_beta1 = _momentum_uses_beta1(optimizer)
            base_moms = _per_group("base_momentum", optimizer, base_momentum)
            max_moms = _per_group("max_momentum", optimizer, max_momentum)
        # Checks done; from here on the groups are modified.
        self.optimizer = optimizer
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = max_lrs
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_mode()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = use_beta1
            self.base_momentums = base_moms
            self.max_momentums = max_moms
            if last_epoch == -1:
                for m_mom, b_mom, group in zip(max_moms, base_moms, optimizer.param_groups):
                    _set_momentum(group, m_mom, use_beta1)
                    group["max_momentum"] = m_mom
                    group["base_momentum"] = b_mom
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_mode(self):
        # The built-in modes fix what their scale function receives, as torch.
        if self._scale_fn_custom is not None:
            return
        self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x):
        """The amplitude scale at `x` (the cycle number or the iteration, per `scale_mode`).

        Parameters
        ----------
        x : float
            The cycle (1, 2, ...) or the iteration.

        Returns
        -------
        float
            The scale.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import CyclicLR
        >>> class Opt:
        ...     param_groups = [{"lr": 0.1}]
        >>> s = CyclicLR(Opt(), 0.1, 1.0, mode="triangular2", cycle_momentum=False)
        >>> s.scale_fn(3)
        0.25
        """
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / 2.0 ** (x - 1)
        return self.gamma ** x

    def get_lr(self):
        self._warn_outside_step()
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        arg = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = [base_lr + (max_lr - base_lr) * scale_factor * self.scale_fn(arg)
               for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, b_mom, m_mom in zip(self.optimizer.param_groups, self.base_momentums,
                                           self.max_momentums):
                _set_momentum(group, m_mom - (m_mom - b_mom) * scale_factor * self.scale_fn(arg),
                              self.use_beta1)
        return lrs

    def state_dict(self):
        state = super().state_dict()
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = (None if fn is None or isinstance(fn, types.FunctionType)
                                     else copy.deepcopy(fn.__dict__))
        return state

    def load_state_dict(self, state_dict):
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        saved = state_dict.get("_scale_fn_custom")
        super().load_state_dict(state_dict)
        if saved is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(copy.deepcopy(saved))
        self._init_scale_mode()


# ----------------------------------------------------------------------------- plateau

class ReduceLROnPlateau(LRScheduler):
    """Reduce the learning rate by `factor` when a metric has stopped improving.

    After more than `patience` epochs without improvement (beyond `threshold`),
    every group's rate becomes ``max(lr * factor, min_lr)`` (unless that changes
    it by at most `eps`), then `cooldown` epochs pass before counting resumes.
    ``step(metrics)`` takes the metric.

    Parameters
    ----------
    optimizer : object
        Anything with a ``param_groups`` list of dicts holding ``'lr'``.
    mode : {'min', 'max'}
        Whether the metric should decrease or increase.
    factor : float
        The factor, ``< 1`` (default 0.1).
    patience : int
        Epochs without improvement tolerated (default 10).
    threshold : float
        The significance of an improvement (default 1e-4).
    threshold_mode : {'rel', 'abs'}
        Relative (``best * (1 -/+ threshold)``) or absolute (``best -/+ threshold``).
    cooldown : int
        Epochs to wait after a reduction (default 0).
    min_lr : float or list of float
        A lower bound of the rate (per group with a list).
    eps : float
        The smallest change applied (default 1e-8).

    Raises
    ------
    TypeError
        A bad optimizer.
    ValueError
        ``factor >= 1``, an unknown `mode` or `threshold_mode`, a `min_lr` list of the
        wrong length, negative `patience`/`cooldown`.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import ReduceLROnPlateau
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> s = ReduceLROnPlateau(Opt(), patience=1, factor=0.5)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
    ...     s.step(loss)
    >>> s.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        _number(factor, "factor")
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got factor={factor}")
        _check_optimizer(optimizer)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got "
                                 f"{len(min_lr)}")
            default_min_lr, min_lrs = None, list(min_lr)
        else:
            default_min_lr, min_lrs = min_lr, [min_lr] * len(optimizer.param_groups)
        _int(patience, "patience", 0)
        _int(cooldown, "cooldown", 0)
        self._check_modes(mode, threshold_mode)
        self.factor = factor
        self.optimizer = optimizer
        self.default_min_lr = default_min_lr
        self.min_lrs = min_lrs
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    @staticmethod
    def _check_modes(mode, threshold_mode):
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown! (expected 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown! "
                             "(expected 'rel' or 'abs')")

    def _init_is_better(self, mode, threshold, threshold_mode):
        self._check_modes(mode, threshold_mode)
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        """True while the cooldown after a reduction lasts."""
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics, epoch=None):
        """Record this epoch's metric and reduce the rates if it has plateaued.

        Parameters
        ----------
        metrics : float
            The metric (anything ``float()`` accepts).
        epoch : int, optional
            Deprecated, as in torch (warns): the epoch number to record.

        Raises
        ------
        TypeError
            `metrics` is not convertible to float.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import ReduceLROnPlateau
        >>> class Opt:
        ...     param_groups = [{"lr": 1.0}]
        >>> s = ReduceLROnPlateau(Opt(), mode="max", patience=0)
        >>> s.step(0.5); s.step(0.4)
        >>> s.get_last_lr()
        [0.1]
        """
        try:
            current = float(metrics)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"metrics must be a real number, got {metrics!r}") from exc
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # ignore bad epochs during cooldown
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _lrs(self.optimizer)

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise ValueError(
                    f"The number of param groups in the optimizer ({len(groups)}) differs from "
                    f"when ReduceLROnPlateau was initialized ({len(self.min_lrs)}); set its "
                    "min_lrs to match")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


# ----------------------------------------------------------------------------- composition

def _check_members(owner, optimizer, schedulers):
    name = type(owner).__name__
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(f"{name} at index {i} should have `optimizer` as its attribute.")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(f"{name} does not support `ReduceLROnPlateau` scheduler as it "
                             "requires additional kwargs to be specified when calling `step`, "
                             f"but got one at index {i} in the given schedulers sequence.")
        if s.optimizer is not optimizer:
            raise ValueError(f"{name} expects all schedulers to belong to the same optimizer, "
                             f"but got scheduler {type(s).__name__} at index {i} with a "
                             "different optimizer.")


class _CompositeState:
    """state_dict/load_state_dict for schedulers holding ``_schedulers``."""

    _state_excluded = ("optimizer", "_schedulers")

    def state_dict(self):
        state = LRScheduler.state_dict(self)
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        subs = state_dict.get("_schedulers", [])
        if len(subs) != len(self._schedulers):
            raise ValueError(f"state_dict holds {len(subs)} schedulers, this "
                             f"{type(self).__name__} has {len(self._schedulers)}")
        LRScheduler.load_state_dict(self, {k: v for k, v in state_dict.items()
                                           if k != "_schedulers"})
        for s, sd in zip(self._schedulers, subs):
            s.load_state_dict(sd)


class SequentialLR(_CompositeState, LRScheduler):
    """Run `schedulers` one after another, switching at the `milestones` epochs.

    At a milestone the next scheduler restarts from its epoch 0 (its closed form
    where it has one), as torch.

    Parameters
    ----------
    optimizer : object
        The optimizer of every scheduler.
    schedulers : list of LRScheduler
        At least one; not `ReduceLROnPlateau`.
    milestones : list of int
        ``len(schedulers) - 1`` switching epochs, increasing.
    last_epoch : int
        ``-1`` to start.

    Raises
    ------
    TypeError
        A bad optimizer, or a scheduler without ``optimizer``.
    ValueError
        No scheduler, a `ReduceLROnPlateau`, a scheduler of another optimizer, the
        wrong number of milestones.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import SequentialLR, ConstantLR, ExponentialLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> opt = Opt()
    >>> warm = ConstantLR(opt, factor=0.1, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> s = SequentialLR(opt, [warm, decay], milestones=[2])
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     s.step(); lrs.append(s.get_last_lr()[0])
    >>> lrs
    [0.1, 0.1, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_optimizer(optimizer)
        _int(last_epoch, "last_epoch", -1)
        schedulers = list(schedulers)
        milestones = list(milestones)
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler, but got "
                             "no scheduler.")
        _check_members(self, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be "
                             "one more than the number of milestone points, but got number of "
                             f"schedulers {len(schedulers)} and the number of milestones to be "
                             f"equal to {len(milestones)}")
        for i, group in enumerate(optimizer.param_groups):
            if "initial_lr" not in group:
                raise ValueError(f"param 'initial_lr' is not specified in param_groups[{i}]")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # Undo the initial steps the schedulers took when they were built, then
        # take the first one's again.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps(self)
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def _undo_initial_steps(self, sched):
        if hasattr(sched, "_schedulers"):
            for s in sched._schedulers:
                self._undo_initial_steps(s)
        elif hasattr(sched, "last_epoch"):
            sched.last_epoch -= 1

    def step(self):
        """Advance one epoch: step the current scheduler, or start the next one at a milestone.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import SequentialLR, StepLR, LinearLR
        >>> class Opt:
        ...     param_groups = [{"lr": 1.0}]
        >>> opt = Opt()
        >>> s = SequentialLR(opt, [LinearLR(opt, 0.5, total_iters=1), StepLR(opt, 1, 0.5)], [1])
        >>> s.step(); s.step()
        >>> s.get_last_lr()
        [0.5]
        """
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        sched = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            sched._update_lr(0)
        else:
            sched.step()
        self._last_lr = sched.get_last_lr()


class ChainedScheduler(_CompositeState, LRScheduler):
    """Step several schedulers together: their multiplicative effects compose.

    Parameters
    ----------
    schedulers : sequence of LRScheduler
        At least one; not `ReduceLROnPlateau`; all of the same optimizer.
    optimizer : object, optional
        The optimizer (default: that of the first scheduler).

    Raises
    ------
    TypeError
        A scheduler without ``optimizer``.
    ValueError
        No scheduler, a `ReduceLROnPlateau`, a scheduler of another optimizer.

    Examples
    --------
    >>> from lossengine.optim.lr_scheduler import ChainedScheduler, ConstantLR, ExponentialLR
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> opt = Opt()
    >>> s = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2),
    ...                       ExponentialLR(opt, gamma=0.5)])
    >>> lrs = [s.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     s.step(); lrs.append(s.get_last_lr()[0])
    >>> lrs
    [0.5, 0.25, 0.25, 0.125]
    """

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler to be "
                             "chained, but got no scheduler.")
        if optimizer is None:
            if not hasattr(schedulers[0], "optimizer"):
                raise TypeError(f"{type(self).__name__} at index 0 should have `optimizer` as "
                                "its attribute.")
            optimizer = schedulers[0].optimizer
        _check_optimizer(optimizer)
        _check_members(self, optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _lrs(optimizer)

    def step(self):
        """Step every chained scheduler, in order.

        Examples
        --------
        >>> from lossengine.optim.lr_scheduler import ChainedScheduler, StepLR
        >>> class Opt:
        ...     param_groups = [{"lr": 1.0}]
        >>> opt = Opt()
        >>> s = ChainedScheduler([StepLR(opt, 1, 0.5), StepLR(opt, 1, 0.5)])
        >>> s.step()
        >>> s.get_last_lr()
        [0.25]
        """
        for s in self._schedulers:
            s.step()
        self._last_lr = _lrs(self.optimizer)
