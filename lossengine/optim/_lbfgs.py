"""L-BFGS (torch.optim.LBFGS) with an optional strong-Wolfe line search.

The search direction's dot products use NumPy; every vector update (the
two-loop recursion's axpys, moving and restoring the parameters) runs in the
engine's multi-array kernel (``csrc/optim.c``, LE_OPT_AXPY / LE_OPT_COPY).
"""
import numbers

import numpy as np

from . import _consts as C
from ._optimizer import Optimizer, _k, _threads

__all__ = ["LBFGS"]


def _axpy(y, a, x):
    """y += a x for flat C-contiguous vectors (in place)."""
    _k.optim_simple(C.AXPY, [y], [x], float(a), _threads())


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    # minimizer of the cubic through (x1, f1, g1), (x2, f2, g2), clipped to bounds
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square ** 0.5
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along d from x satisfying the strong Wolfe conditions
    (the bracketing / zoom scheme of minFunc, as torch implements it)."""
    d_norm = float(np.max(np.abs(d)))
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = float(np.dot(g_new, d))
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(np.dot(g_new, d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
        bracket_gtd = [gtd, gtd_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(np.dot(g_new, d))
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    t = bracket[low_pos]
    return bracket_f[low_pos], bracket_g[low_pos], t, ls_func_evals


class LBFGS(Optimizer):
    """L-BFGS (``torch.optim.LBFGS``): limited-memory quasi-Newton steps.

    Parameters
    ----------
    params : sequence of ndarray
        One group only (torch's restriction).
    lr : float, default 1
    max_iter : int, default 20
        Iterations per ``step``.
    max_eval : int, optional
        Function evaluations per ``step`` (default ``max_iter * 5 // 4``).
    tolerance_grad : float, default 1e-7
    tolerance_change : float, default 1e-9
    history_size : int, default 100
    line_search_fn : None or 'strong_wolfe', default None

    Raises
    ------
    ValueError
        "Invalid learning rate: ...", several groups, an unknown
        `line_search_fn`.

    Notes
    -----
    ``step(closure)``: ``closure()`` evaluates the model at the current
    parameters and returns ``(loss, grads)`` (one gradient or None per
    parameter).  ``step`` returns the first loss, as torch.  The state
    (``func_evals``, ``n_iter``, direction, history...) is kept under the
    first parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.optim import LBFGS
    >>> x = np.array([3.0, -1.0])
    >>> def closure():
    ...     return float(((x - 1.0) ** 2).sum()), [2 * (x - 1.0)]
    >>> opt = LBFGS([x], line_search_fn='strong_wolfe')
    >>> loss0 = opt.step(closure)
    >>> np.allclose(x, 1.0)
    True
    """

    _array_state_checked = False

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        self._check_group(defaults)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    def add_param_group(self, param_group):
        """LBFGS holds exactly one group, of one dtype (see :class:`Optimizer`).

        Raises
        ------
        ValueError
            A second group.
        TypeError
            Parameters of several dtypes.
        """
        if getattr(self, "param_groups", None):
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)
        dts = {p.dtype for p in self.param_groups[0]["params"]}
        if len(dts) > 1:
            self.param_groups.pop()
            raise TypeError("LBFGS: all parameters must have one dtype")

    def _check_group(self, g):
        C.check_nonneg(g["lr"], f"Invalid learning rate: {g['lr']}")
        if g["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError("only 'strong_wolfe' is supported")
        # the counts drive loops and the history length: integers >= 1, checked
        # here so a bad value fails before any parameter moves
        for name in ("max_iter", "max_eval", "history_size"):
            v = g[name]
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"Invalid {name} value: {v!r} (expected an integer >= 1)")
        for name in ("tolerance_grad", "tolerance_change"):
            v = g[name]
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not v >= 0:
                raise ValueError(f"Invalid {name} value: {v!r} (expected a number >= 0)")

    # ----------------------------------------------------------------- helpers
    def _params(self):
        return self.param_groups[0]["params"]

    def _flat_grad(self, grads):
        ps = self._params()
        if isinstance(grads, np.ndarray) or grads is None:
            raise TypeError("closure must return (loss, grads) with one gradient (or None) "
                            "per parameter")
        grads = list(grads)
        if len(grads) != len(ps):
            raise ValueError(f"grads: expected {len(ps)} entries (one per parameter), got "
                             f"{len(grads)}")
        dtype = ps[0].dtype
        parts = []
        for i, (p, g) in enumerate(zip(ps, grads)):
            if g is None:
                parts.append(np.zeros(p.size, dtype))
                continue
            g = np.asarray(g)
            if g.dtype != dtype:
                raise TypeError(f"grads[{i}]: dtype {g.dtype} differs from the parameter's "
                                f"{dtype}")
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}]: shape {g.shape} differs from the parameter's "
                                 f"{p.shape}")
            parts.append(g.reshape(-1))
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    def _closure(self, closure):
        out = closure()
        try:
            loss, grads = out
        except (TypeError, ValueError):
            raise TypeError("closure must return (loss, grads)") from None
        return loss, self._flat_grad(grads)

    def _slices(self, flat):
        out, off = [], 0
        for p in self._params():
            out.append(flat[off:off + p.size])
            off += p.size
        return out

    def _add_grad(self, step_size, update):
        ps = self._params()
        targets = [p if p.flags.c_contiguous and p.flags.aligned else np.array(p, order="C")
                   for p in ps]
        _k.optim_simple(C.AXPY, [t.reshape(-1) for t in targets], self._slices(update),
                        float(step_size), _threads())
        for p, t in zip(ps, targets):
            if t is not p:
                p[...] = t

    def _clone_param(self):
        return np.concatenate([p.reshape(-1) for p in self._params()])

    def _set_param(self, flat):
        ps = self._params()
        targets = [p if p.flags.c_contiguous and p.flags.aligned else np.array(p, order="C")
                   for p in ps]
        _k.optim_simple(C.COPY, [t.reshape(-1) for t in targets], self._slices(flat), 0.0,
                        _threads())
        for p, t in zip(ps, targets):
            if t is not p:
                p[...] = t

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss, flat_grad = self._closure(closure)
        self._set_param(x)
        return float(loss), flat_grad

    # -------------------------------------------------------------------- step
    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations.

        Parameters
        ----------
        closure : callable
            ``closure()`` -> ``(loss, grads)`` at the current parameters.

        Returns
        -------
        object
            The loss returned by the first closure call.

        Raises
        ------
        TypeError
            `closure` not callable or returning something else than
            ``(loss, grads)``; gradients of another dtype.
        ValueError
            Wrong number or shape of gradients, invalid hyperparameters.
        """
        if not callable(closure):
            raise TypeError("LBFGS.step needs a closure returning (loss, grads)")
        group = self.param_groups[0]
        self._check_group(group)
        for i, p in enumerate(self._params()):
            if not p.flags.writeable:
                raise ValueError(f"params[{i}]: the parameter array is read-only")
        lr = group["lr"]
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = int(group["history_size"])

        orig_loss, flat_grad = self._closure(closure)
        p0 = self._params()[0]
        state = self._states.setdefault(id(p0), {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        if flat_grad.size == 0 or np.max(np.abs(flat_grad)) <= tolerance_grad:
            return orig_loss

        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * flat_grad.dtype.type(t)
                ys = float(np.dot(y, s))
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(np.dot(y, y))
                num_old = len(old_dirs)
                al = [0.0] * num_old      # the pairs held, not history_size of them
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = float(np.dot(old_stps[i], q)) * ro[i]
                    _axpy(q, -al[i], old_dirs[i])
                d = r = q * flat_grad.dtype.type(H_diag)
                for i in range(num_old):
                    be_i = float(np.dot(old_dirs[i], r)) * ro[i]
                    _axpy(r, al[i] - be_i, old_stps[i])

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.sum(np.abs(flat_grad)))) * lr
            else:
                t = lr

            gtd = float(np.dot(flat_grad, d))
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    loss, flat_grad = self._closure(closure)
                    loss = float(loss)
                    opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if np.max(np.abs(d * flat_grad.dtype.type(t))) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = d
        state["t"] = float(t)
        state["old_dirs"] = old_dirs
        state["old_stps"] = old_stps
        state["ro"] = ro
        state["H_diag"] = float(H_diag)
        state["prev_flat_grad"] = prev_flat_grad
        state["prev_loss"] = prev_loss
        return orig_loss
