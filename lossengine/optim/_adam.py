"""The Adam family: Adam, AdamW, Adamax, NAdam, RAdam and SparseAdam.

Step-dependent scalars (bias corrections, NAdam's mu products, RAdam's
rectification) are computed here in Python double precision with torch's
expressions; the elementwise updates run in ``csrc/optim.c``.
"""
import math

import numpy as np

from . import _consts as C
from ._optimizer import Optimizer, _threads, _k

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "SparseAdam"]


def _flags(group):
    return C.F_MAXIMIZE if group["maximize"] else 0


class Adam(Optimizer):
    """Adam (``torch.optim.Adam``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
        Parameters or parameter groups (see :class:`Optimizer`).
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    amsgrad : bool, default False
    maximize : bool, default False

    Raises
    ------
    ValueError
        "Invalid learning rate: ...", "Invalid epsilon value: ...",
        "Invalid beta parameter at index 0: ...", etc.

    Notes
    -----
    State: ``step`` (int), ``exp_avg``, ``exp_avg_sq`` and, with amsgrad,
    ``max_exp_avg_sq``.  One fused pass per array updates the parameter and
    all its state.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import Adam
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adam([w], lr=0.1)
    >>> opt.step([np.array([0.5, -0.5])])
    >>> w
    array([ 0.9, -1.9])
    """

    _algo = C.ADAM
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, g):
        C.check_nonneg(g["lr"], f"Invalid learning rate: {g['lr']}")
        C.check_nonneg(g["eps"], f"Invalid epsilon value: {g['eps']}")
        C.check_betas(g["betas"])
        C.check_nonneg(g["weight_decay"], f"Invalid weight_decay value: {g['weight_decay']}")

    def _group_spec(self, g):
        self._check_group(g)
        lr, eps, wd = g["lr"], g["eps"], g["weight_decay"]
        beta1, beta2 = g["betas"]
        ams = bool(g["amsgrad"])
        fl = _flags(g) | (C.F_AMSGRAD if ams else 0)
        if self._decoupled:
            decay = 1 - lr * wd if wd != 0 else 1.0
            l2 = 0.0
        else:
            decay = 1.0
            l2 = wd
            fl |= C.F_WD if wd != 0 else 0

        def fn(cur):
            step = cur[0] + 1
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = lr / bias_correction1
            bias_correction2_sqrt = bias_correction2 ** 0.5
            return ((decay, l2, 1 - beta1, beta2, 1 - beta2, bias_correction2_sqrt, eps,
                     -step_size), (step,), 0)

        keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq" if ams else None)
        return (keys, (0, 0, 0), ("step",), (0,), fl, fn)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (``torch.optim.AdamW``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
        Decoupled: the parameter is multiplied by ``1 - lr * weight_decay``.
    amsgrad : bool, default False
    maximize : bool, default False

    Raises
    ------
    ValueError
        As :class:`Adam`.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import AdamW
    >>> w = np.array([1.0])
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> opt.step([np.array([1.0])])
    >>> w
    array([0.85])
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm (``torch.optim.Adamax``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    maximize : bool, default False

    Raises
    ------
    ValueError
        torch's checks ("Invalid learning rate: ..." etc.).

    Notes
    -----
    State: ``step``, ``exp_avg``, ``exp_inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import Adamax
    >>> w = np.array([1.0])
    >>> opt = Adamax([w], lr=0.1)
    >>> opt.step([np.array([3.0])])
    >>> np.round(w, 6)
    array([0.9])
    """

    _algo = C.ADAMAX

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)

    _check_group = Adam._check_group

    def _group_spec(self, g):
        self._check_group(g)
        lr, eps, wd = g["lr"], g["eps"], g["weight_decay"]
        beta1, beta2 = g["betas"]
        fl = _flags(g) | (C.F_WD if wd != 0 else 0)

        def fn(cur):
            step = cur[0] + 1
            bias_correction = 1 - beta1 ** step
            clr = lr / bias_correction
            return (wd, 1 - beta1, beta2, eps, -clr), (step,), 0

        return (("exp_avg", "exp_inf"), (0, 0), ("step",), (0,), fl, fn)


class NAdam(Optimizer):
    """NAdam, Adam with Nesterov momentum (``torch.optim.NAdam``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum_decay : float, default 4e-3
    decoupled_weight_decay : bool, default False
        Decay the parameter as AdamW does instead of adding an L2 term.
    maximize : bool, default False

    Raises
    ------
    ValueError
        torch's checks ("Invalid momentum_decay value: ..." etc.).

    Notes
    -----
    State: ``step``, ``mu_product`` (a Python float), ``exp_avg``,
    ``exp_avg_sq``.  torch keeps ``mu_product`` as a tensor of its default
    dtype; here it is double, i.e. results follow torch run with
    ``torch.set_default_dtype(torch.float64)``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import NAdam
    >>> w = np.array([1.0])
    >>> opt = NAdam([w], lr=0.1)
    >>> opt.step([np.array([1.0])])
    >>> np.round(w, 6)
    array([0.894355])
    """

    _algo = C.NADAM

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, g):
        Adam._check_group(self, g)
        C.check_nonneg(g["momentum_decay"], f"Invalid momentum_decay value: "
                       f"{g['momentum_decay']}")

    def _group_spec(self, g):
        self._check_group(g)
        lr, eps, wd, md = g["lr"], g["eps"], g["weight_decay"], g["momentum_decay"]
        beta1, beta2 = g["betas"]
        fl = _flags(g)
        if g["decoupled_weight_decay"]:
            decay = 1 - lr * wd if wd != 0 else 1.0
            l2 = 0.0
        else:
            decay = 1.0
            l2 = wd
            fl |= C.F_WD if wd != 0 else 0

        def fn(cur):
            step, mu_product = cur
            step = step + 1
            bias_correction2 = 1 - beta2 ** step
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
            mu_product = mu_product * mu
            mu_product_next = mu_product * mu_next
            c_grad = -lr * (1.0 - mu) / (1.0 - mu_product)
            c_avg = (-lr * mu_next) / (1.0 - mu_product_next)
            return ((decay, l2, 1 - beta1, beta2, 1 - beta2, bias_correction2, eps, c_grad,
                     c_avg), (step, float(mu_product)), 0)

        return (("exp_avg", "exp_avg_sq"), (0, 0), ("step", "mu_product"), (0, 1.0), fl, fn)


class RAdam(Optimizer):
    """RAdam, rectified Adam (``torch.optim.RAdam``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    decoupled_weight_decay : bool, default False
    maximize : bool, default False

    Raises
    ------
    ValueError
        torch's checks ("Invalid learning rate: ..." etc.).

    Notes
    -----
    State: ``step``, ``exp_avg``, ``exp_avg_sq``.  The first steps (while the
    variance's rectification term ``rho_t <= 5``) are plain momentum steps.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import RAdam
    >>> w = np.array([1.0])
    >>> opt = RAdam([w], lr=0.1)
    >>> opt.step([np.array([2.0])])
    >>> w
    array([0.8])
    """

    _algo = C.RADAM

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        self._check_group(defaults)
        super().__init__(params, defaults)

    _check_group = Adam._check_group

    def _group_spec(self, g):
        self._check_group(g)
        lr, eps, wd = g["lr"], g["eps"], g["weight_decay"]
        beta1, beta2 = g["betas"]
        fl = _flags(g)
        if g["decoupled_weight_decay"]:
            decay = 1 - lr * wd if wd != 0 else 1.0
            l2 = 0.0
        else:
            decay = 1.0
            l2 = wd
            fl |= C.F_WD if wd != 0 else 0

        def fn(cur):
            step = cur[0] + 1
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                xfl = C.F_RECT
            else:
                rect, xfl = 0.0, 0
            return ((decay, l2, 1 - beta1, beta2, 1 - beta2, bias_correction1, lr,
                     bias_correction2 ** 0.5, eps, rect), (step,), xfl)

        return (("exp_avg", "exp_avg_sq"), (0, 0), ("step",), (0,), fl, fn)


class SparseAdam(Optimizer):
    """Adam for row-sparse gradients (``torch.optim.SparseAdam``).

    Parameters
    ----------
    params : sequence of ndarray or of dict
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    maximize : bool, default False

    Raises
    ------
    ValueError
        "Invalid learning rate: ..." (lr must be > 0), "Invalid epsilon
        value: ..." (eps > 0), invalid betas.

    Notes
    -----
    ``step(grads)`` takes, per parameter, ``None`` or a row-sparse pair
    ``(indices, values)``: integer row indices into ``param.shape[0]`` and
    ``values`` of shape ``(len(indices),) + param.shape[1:]``.  Duplicate
    indices are summed (torch's coalescing); only the rows present are
    updated, the moments of the other rows are left as they are.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import SparseAdam
    >>> emb = np.zeros((4, 2))
    >>> opt = SparseAdam([emb], lr=0.1)
    >>> opt.step([(np.array([1, 1]), np.ones((2, 2)))])
    >>> np.round(emb[:2], 6)
    array([[ 0. ,  0. ],
           [-0.1, -0.1]])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, g):
        if not 0.0 < g["lr"]:
            raise ValueError(f"Invalid learning rate: {g['lr']}")
        if not 0.0 < g["eps"]:
            raise ValueError(f"Invalid epsilon value: {g['eps']}")
        C.check_betas(g["betas"])

    def step(self, grads):
        """One step with row-sparse gradients.

        Parameters
        ----------
        grads : sequence of ((indices, values) or None)
            One entry per parameter in group order.

        Returns
        -------
        None

        Raises
        ------
        TypeError
            An entry that is not a pair of arrays, non-integer indices,
            values of another dtype than the parameter.
        ValueError
            Wrong count, an index out of range, values of the wrong shape, a
            0-d parameter, arrays sharing memory.
        """
        grads = self._grad_list(grads)
        for g in self.param_groups:
            self._check_group(g)
        work = []
        idx = 0
        for g in self.param_groups:
            for p in g["params"]:
                entry = grads[idx]
                if entry is not None:
                    work.append((g, p) + self._prepare(p, entry, idx))
                idx += 1
        # every check made: now update
        for g, p, rows, vals, st in work:
            beta1, beta2 = g["betas"]
            if st is None:
                st = {"step": 0, "exp_avg": np.zeros(p.shape, p.dtype),
                      "exp_avg_sq": np.zeros(p.shape, p.dtype)}
                self._states[id(p)] = st
            st["step"] = step = st["step"] + 1
            if rows.size == 0:
                continue
            if g["maximize"]:
                vals = -vals
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = g["lr"] * math.sqrt(bias_correction2) / bias_correction1
            target = p if p.flags.c_contiguous else np.ascontiguousarray(p)
            _k.sparse_adam(target, st["exp_avg"], st["exp_avg_sq"], rows, vals,
                           1 - beta1, 1 - beta2, g["eps"], -step_size, _threads())
            if target is not p:
                p[...] = target

    def _prepare(self, p, entry, idx):
        """Validated (rows, coalesced values, state) of one parameter."""
        if p.ndim == 0:
            raise ValueError(f"params[{idx}]: SparseAdam needs parameters with at least "
                             "one dimension (rows)")
        if isinstance(entry, np.ndarray) or not isinstance(entry, (tuple, list)) \
                or len(entry) != 2:
            raise TypeError(f"grads[{idx}]: expected a row-sparse pair (indices, values) "
                            "or None")
        ind = np.asarray(entry[0])
        vals = np.asarray(entry[1])
        if ind.dtype.kind not in "iu" and ind.size:
            raise TypeError(f"grads[{idx}]: indices must be integers, got {ind.dtype}")
        if ind.ndim != 1:
            raise ValueError(f"grads[{idx}]: indices must be 1-D, got shape {ind.shape}")
        if vals.dtype != p.dtype:
            raise TypeError(f"grads[{idx}]: values dtype {vals.dtype} differs from the "
                            f"parameter's {p.dtype}")
        if vals.shape != (ind.shape[0],) + p.shape[1:]:
            raise ValueError(f"grads[{idx}]: values shape {vals.shape}, expected "
                             f"{(ind.shape[0],) + p.shape[1:]}")
        ind = ind.astype(np.int64, copy=False)
        if ind.size and (ind.min() < 0 or ind.max() >= p.shape[0]):
            raise ValueError(f"grads[{idx}]: row index out of range [0, {p.shape[0]})")
        st = self._states.get(id(p)) or None
        if st is not None:
            for name in ("exp_avg", "exp_avg_sq"):
                a = st.get(name)
                if not isinstance(a, np.ndarray) or a.dtype != p.dtype or a.shape != p.shape \
                        or not a.flags.c_contiguous or not a.flags.writeable:
                    raise ValueError(f"state of params[{idx}]: {name!r} must be a writeable "
                                     f"C-contiguous array of the parameter's dtype and shape")
                if np.shares_memory(a, p) or np.shares_memory(a, vals):
                    raise ValueError(f"state of params[{idx}]: {name!r} shares memory with "
                                     "the parameter or the gradient")
        if np.shares_memory(vals, p):
            raise ValueError(f"grads[{idx}] shares memory with params[{idx}]")
        # coalesce: sorted distinct rows, duplicates summed (values are copied,
        # so the caller's gradient is never modified)
        rows, inv = np.unique(ind, return_inverse=True)
        if rows.size == ind.size and np.all(rows == ind):
            summed = np.array(vals, order="C", copy=True)
        else:
            summed = np.zeros((rows.size,) + p.shape[1:], p.dtype)
            np.add.at(summed, inv.reshape(-1), vals)
        return rows.astype(np.int64), summed, st
