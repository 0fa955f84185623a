"""SGD, ASGD, Rprop, RMSprop, Adagrad and Adadelta (torch 2.13 semantics).

Every step is one call into the engine for all parameters (see
``csrc/optim.c``); what is computed here is the per-step scalars, in Python
double precision exactly as torch's single-tensor code computes them.
"""
import numpy as np

from . import _consts as C
from ._optimizer import Optimizer

__all__ = ["SGD", "ASGD", "Rprop", "RMSprop", "Adagrad", "Adadelta"]


def _flags(group):
    return C.F_MAXIMIZE if group["maximize"] else 0


class SGD(Optimizer):
    """Stochastic gradient descent with momentum (``torch.optim.SGD``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
        Parameters or parameter groups (see :class:`Optimizer`).
    lr : float, default 1e-3
    momentum : float, default 0
    dampening : float, default 0
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    nesterov : bool, default False
    maximize : bool, default False

    Raises
    ------
    ValueError
        "Invalid learning rate: ..." and torch's other checks; Nesterov
        without momentum or with dampening.

    Notes
    -----
    State: ``momentum_buffer`` (when momentum != 0), set to the first
    gradient at the first step as torch does.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import SGD
    >>> w = np.array([1.0, -1.0])
    >>> opt = SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.step([2 * w])       # gradient of |w|^2
    >>> w
    array([-0.9,  0.9])
    """

    _algo = C.SGD

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, g):
        if g["lr"] < 0.0:
            raise ValueError(f"Invalid learning rate: {g['lr']}")
        if g["momentum"] < 0.0:
            raise ValueError(f"Invalid momentum value: {g['momentum']}")
        if g["weight_decay"] < 0.0:
            raise ValueError(f"Invalid weight_decay value: {g['weight_decay']}")
        if g["nesterov"] and (g["momentum"] <= 0 or g["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _group_spec(self, g):
        self._check_group(g)
        wd, mom = g["weight_decay"], g["momentum"]
        fl = _flags(g) | (C.F_WD if wd != 0 else 0) | (C.F_NESTEROV if g["nesterov"] else 0)
        sc = (wd, mom, 1 - g["dampening"], -g["lr"])
        keys = ("momentum_buffer",) if mom != 0 else ()
        return (keys, (0,) * len(keys), (), (), fl, lambda cur: (sc, (), 0))


class ASGD(Optimizer):
    """Averaged stochastic gradient descent (``torch.optim.ASGD``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 1e-2
    lambd : float, default 1e-4
        Decay term.
    alpha : float, default 0.75
        Power for the eta update.
    t0 : float, default 1e6
        Step at which averaging starts.
    weight_decay : float, default 0
    maximize : bool, default False

    Raises
    ------
    ValueError
        "Invalid learning rate: ...", "Invalid weight_decay value: ...".

    Notes
    -----
    State: ``step``, ``eta``, ``mu`` (Python floats) and ``ax`` (the
    average).  torch keeps ``eta`` and ``mu`` as tensors of its default dtype;
    here they are Python floats (double), i.e. the results follow torch run
    with ``torch.set_default_dtype(torch.float64)``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import ASGD
    >>> w = np.array([1.0])
    >>> opt = ASGD([w], lr=0.1, lambd=0.0)
    >>> opt.step([np.array([1.0])])
    >>> w, opt.state[w]['ax']
    (array([0.9]), array([0.9]))
    """

    _algo = C.ASGD

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *,
                 maximize=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, g):
        C.check_nonneg(g["lr"], f"Invalid learning rate: {g['lr']}")
        C.check_nonneg(g["weight_decay"], f"Invalid weight_decay value: {g['weight_decay']}")

    def _group_spec(self, g):
        self._check_group(g)
        wd, lambd, lr, alpha, t0 = g["weight_decay"], g["lambd"], g["lr"], g["alpha"], g["t0"]
        fl = _flags(g) | (C.F_WD if wd != 0 else 0)

        def fn(cur):
            step, eta, mu = cur
            step = step + 1
            sc = (wd, 1 - lambd * eta, -eta, mu)
            new_eta = lr / ((1 + lambd * lr * step) ** alpha)
            new_mu = 1 / max(1, step - t0)
            return sc, (step, float(new_eta), float(new_mu)), (C.F_MU_ONE if mu == 1 else 0)

        return (("ax",), (0,), ("step", "eta", "mu"), (0, float(lr), 1.0), fl, fn)


class Rprop(Optimizer):
    """Resilient backpropagation (``torch.optim.Rprop``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 1e-2
        Initial step size.
    etas : (float, float), default (0.5, 1.2)
        Multiplicative decrease and increase factors.
    step_sizes : (float, float), default (1e-6, 50)
        Minimal and maximal step sizes.
    maximize : bool, default False

    Raises
    ------
    ValueError
        "Invalid learning rate: ...", "Invalid eta values: ...".

    Notes
    -----
    State: ``step``, ``prev`` and ``step_size``.  As in torch, a NaN product
    of gradient and previous gradient counts as a zero sign.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import Rprop
    >>> w = np.array([1.0, -1.0])
    >>> opt = Rprop([w], lr=0.1)
    >>> opt.step([w.copy()]); opt.step([w.copy()])
    >>> w
    array([ 0.78, -0.78])
    """

    _algo = C.RPROP

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 maximize=False):
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, g):
        C.check_nonneg(g["lr"], f"Invalid learning rate: {g['lr']}")
        try:
            e0, e1 = g["etas"]
        except (TypeError, ValueError):
            raise ValueError(f"etas must be a pair of floats, got {g['etas']!r}") from None
        if not 0.0 < e0 < 1.0 < e1:
            raise ValueError(f"Invalid eta values: {e0}, {e1}")
        try:
            _, _ = g["step_sizes"]
        except (TypeError, ValueError):
            raise ValueError(f"step_sizes must be a pair of floats, got "
                             f"{g['step_sizes']!r}") from None

    def _group_spec(self, g):
        self._check_group(g)
        em, ep = g["etas"]
        lo, hi = g["step_sizes"]
        sc = (em, ep, lo, hi)
        return (("prev", "step_size"), (0, g["lr"]), ("step",), (0,), _flags(g),
                lambda cur: (sc, (cur[0] + 1,), 0))


class RMSprop(Optimizer):
    """RMSprop (``torch.optim.RMSprop``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 1e-2
    alpha : float, default 0.99
        Smoothing constant.
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False
        Normalize by an estimate of the gradient's variance.
    maximize : bool, default False

    Raises
    ------
    ValueError
        torch's checks ("Invalid learning rate: ..." etc.).

    Notes
    -----
    State: ``step``, ``square_avg``, ``grad_avg`` (centered) and
    ``momentum_buffer`` (momentum > 0).

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import RMSprop
    >>> w = np.array([1.0])
    >>> opt = RMSprop([w], lr=0.01)
    >>> opt.step([np.array([1.0])])
    >>> np.round(w, 6)
    array([0.9])
    """

    _algo = C.RMSPROP

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, g):
        C.check_nonneg(g["lr"], f"Invalid learning rate: {g['lr']}")
        C.check_nonneg(g["eps"], f"Invalid epsilon value: {g['eps']}")
        C.check_nonneg(g["momentum"], f"Invalid momentum value: {g['momentum']}")
        C.check_nonneg(g["weight_decay"], f"Invalid weight_decay value: {g['weight_decay']}")
        C.check_nonneg(g["alpha"], f"Invalid alpha value: {g['alpha']}")

    def _group_spec(self, g):
        self._check_group(g)
        wd, al, mom = g["weight_decay"], g["alpha"], g["momentum"]
        fl = _flags(g) | (C.F_WD if wd != 0 else 0)
        sc = (wd, al, 1 - al, g["eps"], mom, -g["lr"])
        keys = ("square_avg", "grad_avg" if g["centered"] else None,
                "momentum_buffer" if mom > 0 else None)
        return (keys, (0, 0, 0), ("step",), (0,), fl, lambda cur: (sc, (cur[0] + 1,), 0))


class Adagrad(Optimizer):
    """Adagrad (``torch.optim.Adagrad``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 1e-2
    lr_decay : float, default 0
    weight_decay : float, default 0
    initial_accumulator_value : float, default 0
    eps : float, default 1e-10
    maximize : bool, default False

    Raises
    ------
    ValueError
        torch's checks ("Invalid learning rate: ..." etc.).

    Notes
    -----
    As in torch, the state (``step``, ``sum``) of the constructor's parameters
    is created by the constructor, filled with `initial_accumulator_value`.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import Adagrad
    >>> w = np.array([1.0])
    >>> opt = Adagrad([w], lr=0.1)
    >>> opt.step([np.array([2.0])])
    >>> w
    array([0.9])
    """

    _algo = C.ADAGRAD

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)
        for g in self.param_groups:
            for p in g["params"]:
                self._states[id(p)] = {"step": 0,
                                       "sum": np.full(p.shape, initial_accumulator_value,
                                                      p.dtype)}

    def _check_group(self, g):
        C.check_nonneg(g["lr"], f"Invalid learning rate: {g['lr']}")
        C.check_nonneg(g["lr_decay"], f"Invalid lr_decay value: {g['lr_decay']}")
        C.check_nonneg(g["weight_decay"], f"Invalid weight_decay value: {g['weight_decay']}")
        C.check_nonneg(g["initial_accumulator_value"], "Invalid initial_accumulator_value "
                       f"value: {g['initial_accumulator_value']}")
        C.check_nonneg(g["eps"], f"Invalid epsilon value: {g['eps']}")

    def _group_spec(self, g):
        self._check_group(g)
        wd, lr, lr_decay, eps = g["weight_decay"], g["lr"], g["lr_decay"], g["eps"]
        fl = _flags(g) | (C.F_WD if wd != 0 else 0)

        def fn(cur):
            step = cur[0] + 1
            clr = lr / (1 + (step - 1) * lr_decay)
            return (wd, eps, -clr), (step,), 0

        # lazily created state (parameters added later) uses the constructor's
        # initial_accumulator_value, as torch does
        return (("sum",), (self.defaults["initial_accumulator_value"],), ("step",), (0,),
                fl, fn)


class Adadelta(Optimizer):
    """Adadelta (``torch.optim.Adadelta``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 1.0
    rho : float, default 0.9
    eps : float, default 1e-6
    weight_decay : float, default 0
    maximize : bool, default False

    Raises
    ------
    ValueError
        torch's checks ("Invalid learning rate: ...", "Invalid rho value: ...").

    Notes
    -----
    State: ``step``, ``square_avg``, ``acc_delta``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import Adadelta
    >>> w = np.array([1.0])
    >>> opt = Adadelta([w])
    >>> opt.step([np.array([1.0])])
    >>> np.round(w, 6)
    array([0.996838])
    """

    _algo = C.ADADELTA

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, g):
        C.check_nonneg(g["lr"], f"Invalid learning rate: {g['lr']}")
        if not 0.0 <= g["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {g['rho']}")
        C.check_nonneg(g["eps"], f"Invalid epsilon value: {g['eps']}")
        C.check_nonneg(g["weight_decay"], f"Invalid weight_decay value: {g['weight_decay']}")

    def _group_spec(self, g):
        self._check_group(g)
        wd, rho = g["weight_decay"], g["rho"]
        fl = _flags(g) | (C.F_WD if wd != 0 else 0)
        sc = (wd, rho, 1 - rho, g["eps"], -g["lr"])
        return (("square_avg", "acc_delta"), (0, 0), ("step",), (0,), fl,
                lambda cur: (sc, (cur[0] + 1,), 0))
