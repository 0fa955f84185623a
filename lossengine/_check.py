"""``lossengine check``: fused derivatives against finite differences.

Every registered function's ``grad=True`` gradient is compared with a
fourth-order central finite difference of the loss, taken in float64 at random
inputs drawn by the function's registry entry, for each variant and each
reduction.  Where a function accepts ``hess=True`` (SPEC section 7), the
diagonal Hessian it returns is compared with finite differences of its own
gradient in the same way.

The gradient is checked along one random direction ``v`` per prediction
argument: the directional derivative ``d/dt s(x + t v)`` at ``t = 0``, where
``s`` is ``sum(grad_output * loss)`` for array results and the scalar itself for
reduced ones, must equal ``sum(g * v)``.  ``v`` scales with ``max(1, |x|)``
element by element, so the step is relative.  A float32 gradient is compared
with the float64 finite difference taken at the same (exactly representable)
float32 inputs, within the entry's float32 tolerance: the accuracy the
contract promises against a float64 reference.
"""
import inspect
import re
import warnings
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import _registry

#: Steps of the finite differences, relative (times ``max(1, |x|)``): the first
#: two consecutive ones that agree give the estimate (the smaller step's), so
#: strongly curved inputs (a log near 0) get a smaller step, and an input that
#: leaves the function's domain (a probability pushed past 1) is retried smaller.
STEPS = (1e-3, 2.5e-4, 6.25e-5, 1.5625e-5, 3.90625e-6)
#: float64 tolerance: the finite difference itself is good to about 1e-9 here,
#: far from the 1e-10 agreement with torch the values are held to elsewhere.
RTOL64_FD = 1e-6
#: Positions per prediction argument at which the Hessian diagonal is checked.
HESS_POSITIONS = 6

_EPS64 = np.finfo(np.float64).eps


@dataclass
class Case:
    """One comparison: a variant, a reduction, a prediction argument."""
    variant: str
    reduction: Optional[str]
    arg: int
    kind: str                    # 'grad' or 'hess'
    err: float = 0.0             # |fd - analytic| / scale
    ok: bool = True
    detail: str = ""

    def __post_init__(self):
        self.err = float(self.err)
        self.ok = bool(self.ok)


@dataclass
class Report:
    """Outcome of :func:`check_entry` for one registry entry."""
    name: str
    dtype: str
    cases: list = field(default_factory=list)
    skipped: list = field(default_factory=list)   # (variant, reduction, arg, reason)
    errors: list = field(default_factory=list)    # (variant, reduction, message)

    @property
    def ok(self):
        return not self.errors and all(c.ok for c in self.cases)

    @property
    def max_err(self):
        return max((c.err for c in self.cases), default=0.0)

    def count(self, kind):
        return sum(c.kind == kind for c in self.cases)


def accepts(func, name):
    """Whether ``func`` takes a keyword argument ``name``.

    Parameters
    ----------
    func : callable
        The function to inspect.
    name : str
        A parameter name, e.g. ``'hess'``.

    Returns
    -------
    bool
        True when ``func``'s signature names ``name`` (a ``**kwargs`` catch-all
        does not count: it promises nothing about ``name``).

    Examples
    --------
    >>> import lossengine as le
    >>> accepts(le.mse_loss, "grad")
    True
    """
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params


def _tolerances(e, dtype):
    if np.dtype(dtype) == np.float32:
        return e.rtol32, e.atol32
    return max(e.rtol64, RTOL64_FD), e.atol64


def _call(e, args, kw, red, **extra):
    kw = dict(kw)
    if red is not None:
        kw["reduction"] = red
    kw.update(extra)
    return e.func(*args, **kw)


def _as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


def _is_float_array(a):
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _fd4(vals, t):
    """Fourth-order central difference at 0 from f(2t), f(t), f(-t), f(-2t)."""
    return (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * t)


class _Undefined(Exception):
    """A perturbed input left the function's domain (error or non-finite)."""


def _guarded(f):
    def g(t):
        try:
            with np.errstate(all="ignore"):
                y = f(t)
        except (ValueError, FloatingPointError) as exc:
            raise _Undefined(str(exc)) from None
        if not np.all(np.isfinite(y)):
            raise _Undefined("non-finite value")
        return y
    return g


def _fd_converged(f, smooth, tol_of):
    """Finite difference of f at 0 from the first two consecutive STEPS whose
    estimates agree within tol_of(fmax, t); returns (fd, fmax, t, converged).

    For a non-smooth function a step is used only if f has no kink within
    +-2t: the second differences at t and 2t, d2(t) and d2(2t), agree there up
    to O(t^2), while a kink near 0 makes them differ by about its slope jump
    over t (a symmetric kink such as |x| is invisible to the central first
    difference itself, which just averages the two one-sided slopes).  No
    usable step raises _Undefined with the reason.  For a smooth function
    whose steps never agree, the smallest step's estimate is returned with
    converged=False (and judged as it is)."""
    g = _guarded(f)
    prev = None
    defined = False
    kinked = False
    f0 = None
    for t in STEPS:
        try:
            vals = [g(2 * t), g(t), g(-t), g(-2 * t)]
            if not smooth and f0 is None:
                f0 = g(0.0)
        except _Undefined:
            prev = None
            continue
        defined = True
        fd = _fd4(vals, t)
        fmax = max(abs(v) for v in vals)
        if not smooth:
            d2_t = (vals[1] - 2 * f0 + vals[2]) / t ** 2
            d2_2t = (vals[0] - 2 * f0 + vals[3]) / (4 * t ** 2)
            if abs(d2_t - d2_2t) * t > tol_of(fmax, t):
                kinked = True
                prev = None
                continue
        if prev is not None:
            fmax = max(fmax, prev[1])
            if abs(prev[0] - fd) <= tol_of(fmax, t):
                return fd, fmax, t, True
        prev = (fd, fmax, t)
    if not defined:
        raise _Undefined("the inputs leave the function's domain within every "
                         "finite-difference step")
    if kinked:
        raise _Undefined("a kink lies within every finite-difference step")
    if prev is None or not smooth:
        raise _Undefined("the finite differences do not converge")
    return prev[0], prev[1], prev[2], False


def _rel_err(err, scale, rtol, fmax, t):
    """err relative to the scale of the derivative, that scale floored by the
    rounding noise of the difference (so that err/... <= rtol is the test)."""
    noise = 64 * _EPS64 * max(fmax, 1.0) / t
    return err / (scale + noise / rtol)


def _check_grad(e, args, args64, kw, red, go64, gs, rng, rtol, atol, report, variant):
    for i, gi in zip(e.preds, gs):
        if gi is None or not _is_float_array(args[i]):
            report.skipped.append((variant, red, i, "prediction given as a scalar"))
            continue
        if gi.size == 0:
            report.skipped.append((variant, red, i, "empty prediction"))
            continue
        x = args64[i]
        v = rng.standard_normal(x.shape) * np.maximum(1.0, np.abs(x))

        def f(t, i=i, v=v):
            a = list(args64)
            a[i] = x + t * v
            out = _call(e, a, kw, red)
            return float(np.sum(go64 * out)) if go64 is not None else float(out)

        g64 = np.asarray(gi, np.float64)
        an = float(np.sum(g64 * v))
        # the error allowed per element (rtol*|g_i| + atol) summed along v
        scale = float(np.sum(np.abs(g64 * v)) + atol * np.sum(np.abs(v)))

        def tol_of(fmax, t):
            return rtol * scale + 64 * _EPS64 * max(fmax, 1.0) / t

        try:
            fd, fmax, t, conv = _fd_converged(f, e.smooth, tol_of)
        except _Undefined as exc:
            report.skipped.append((variant, red, i, str(exc)))
            continue
        err = abs(fd - an)
        ok = err <= tol_of(fmax, t)
        note = "" if conv else " (finite differences did not converge)"
        detail = "" if ok else f"finite difference {fd:.10g}, gradient {an:.10g}{note}"
        report.cases.append(Case(variant, red, i, "grad", _rel_err(err, scale, rtol, fmax, t), ok,
                                 detail))


def _hess_map(e, h):
    """The Hessian output as {argument index: array}."""
    if isinstance(h, tuple):
        return {i: hi for i, hi in zip(e.preds, h) if hi is not None}
    return {e.preds[0]: h}


def _check_hess(e, args, args64, kw, red, go, go64, loss, gs, rng, rtol, atol, report, variant):
    try:
        res = _call(e, args, kw, red, grad=True, hess=True,
                    **({} if go is None else {"grad_output": go}))
    except Exception as exc:  # a broken code path is a failure, reported with its message
        report.errors.append((variant, red, f"hess=True raised {type(exc).__name__}: {exc}"))
        return
    if not (isinstance(res, tuple) and len(res) == 3):
        report.errors.append((variant, red, "hess=True did not return (loss, g, h)"))
        return
    loss_h, g_h, h = res
    same = np.array_equal(np.asarray(loss_h), np.asarray(loss), equal_nan=True) and all(
        (a is None and b is None) or np.array_equal(a, b, equal_nan=True)
        for a, b in zip(_as_tuple(g_h), gs))
    if not same:
        report.errors.append((variant, red, "(loss, g) with hess=True differ from grad=True"))
    go_fd = go64 if go64 is not None else None
    pos_of = {i: k for k, i in enumerate(e.preds)}
    for i, hi in _hess_map(e, h).items():
        x = args64[i]
        if hi.shape != x.shape or hi.dtype != np.asarray(gs[pos_of[i]]).dtype:
            report.cases.append(Case(variant, red, i, "hess", np.inf, False,
                                     f"h has shape {hi.shape} and dtype {hi.dtype}"))
            continue
        if x.size == 0:
            continue
        flat = rng.choice(x.size, size=min(HESS_POSITIONS, x.size), replace=False)
        h64 = np.asarray(hi, np.float64)
        hmax = float(np.max(np.abs(h64)))
        worst = (0.0, True, "")
        for j in flat:
            idx = np.unravel_index(j, x.shape)
            s = max(1.0, abs(float(x[idx])))

            def f(t, idx=idx, s=s, i=i):
                a = list(args64)
                xi = x.copy()
                xi[idx] += t * s
                a[i] = xi
                kw_go = {} if go_fd is None else {"grad_output": go_fd}
                _, g = _call(e, a, kw, red, grad=True, **kw_go)
                return float(_as_tuple(g)[pos_of[i]][idx])

            scale = hmax + atol

            def tol_of(fmax, t, s=s):
                # f moved x[idx] by t*s: its difference quotient is s times the derivative
                return s * (rtol * scale) + 64 * _EPS64 * max(fmax, 1.0) / t

            try:
                fd, fmax, t, conv = _fd_converged(f, e.smooth, tol_of)
            except _Undefined as exc:
                report.skipped.append((variant, red, i, "Hessian: " + str(exc)))
                continue
            ok = abs(fd - s * h64[idx]) <= tol_of(fmax, t)
            fd /= s
            rel = _rel_err(abs(fd - h64[idx]), scale, rtol, fmax / s, t)
            if not ok:
                where = tuple(int(k) for k in idx)
                note = "" if conv else " (finite differences did not converge)"
                worst = (max(rel, worst[0]), False, worst[2] or
                         f"at {where}: finite difference {fd:.10g}, h {h64[idx]:.10g}{note}")
            elif rel > worst[0]:
                worst = (rel, worst[1], worst[2])
        report.cases.append(Case(variant, red, i, "hess", worst[0], worst[1], worst[2]))


def check_entry(e, dtype="float64", seed=0):
    """Check one registry entry's fused derivatives against finite differences.

    Parameters
    ----------
    e : lossengine._registry.Entry
        The entry: its ``make_inputs`` draws the inputs of every variant.
    dtype : {'float64', 'float32'}
        Compute dtype of the checked call.  The finite differences are always
        taken in float64.
    seed : int
        Seed mixed into each case's random generator.

    Returns
    -------
    Report
        Every comparison (``cases``), the skipped ones with their reasons and
        any call that raised.

    Raises
    ------
    ValueError
        If ``dtype`` is neither float64 nor float32.

    Examples
    --------
    >>> from lossengine import _registry
    >>> r = check_entry(_registry.get("mse_loss"))
    >>> r.ok, r.max_err < 1e-6
    (True, True)
    """
    if str(dtype) not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    report = Report(e.name, str(dtype))
    rtol, atol = _tolerances(e, dtype)
    shape = e.shapes[0]
    with_hess = accepts(e.func, "hess")
    with warnings.catch_warnings():
        # the functions repeat torch's warnings (broadcast targets, KL 'mean'): noise here
        warnings.simplefilter("ignore")
        _check_variants(e, dtype, seed, shape, rtol, atol, with_hess, report)
    return report


def _check_variants(e, dtype, seed, shape, rtol, atol, with_hess, report):
    for variant in e.variants:
        for red in (e.reductions or (None,)):
            rng = _registry.rng_for(e.name, shape, f"check-{dtype}", f"{variant}|{red}", seed=seed)
            try:
                args, kw = e.make_inputs(rng, shape, dtype, variant)
                out = _call(e, args, kw, red)
                go = go64 = None
                if np.ndim(out) > 0:
                    go = rng.standard_normal(np.shape(out)).astype(dtype)
                    go64 = go.astype(np.float64)
                kw_go = {} if go is None else {"grad_output": go}
                loss, g = _call(e, args, kw, red, grad=True, **kw_go)
            except Exception as exc:  # reported as a failure of this function
                report.errors.append((variant, red, f"{type(exc).__name__}: {exc}"))
                continue
            if not np.array_equal(np.asarray(loss), np.asarray(out), equal_nan=True):
                report.errors.append((variant, red,
                                      "the loss with grad=True differs from grad=False"))
            gs = _as_tuple(g)
            bad = [f"argument {i}: shape {np.shape(gi)} dtype {getattr(gi, 'dtype', None)}"
                   for i, gi in zip(e.preds, gs)
                   if gi is not None and (np.shape(gi) != np.shape(args[i])
                                          or gi.dtype != np.dtype(dtype))]
            if len(gs) != len(e.preds) or bad:
                report.errors.append((variant, red, "gradient of the wrong form: "
                                      + ("; ".join(bad) or f"{len(gs)} arrays")))
                continue
            args64 = [a.astype(np.float64) if (i in e.preds and _is_float_array(a)) else a
                      for i, a in enumerate(args)]
            try:
                _check_grad(e, args, args64, kw, red, go64, gs, rng, rtol, atol, report, variant)
                if with_hess:
                    _check_hess(e, args, args64, kw, red, go, go64, loss, gs, rng, rtol, atol,
                                report, variant)
            except Exception as exc:
                report.errors.append((variant, red, f"{type(exc).__name__}: {exc}"))


def _where(variant, red, arg=None):
    s = f"variant {variant!r}"
    if red is not None:
        s += f", reduction {red!r}"
    if arg is not None:
        s += f", argument {arg}"
    return s


def format_report(r, width=34):
    """One line for a :class:`Report` (plus indented lines for failures)."""
    n_var = len({c.variant for c in r.cases} | {s[0] for s in r.skipped})
    n = r.count("grad") + r.count("hess")
    hess = f", {r.count('hess')} Hessian" if r.count("hess") else ""
    counts = f"({r.count('grad')} gradient{hess} check{'s' if n != 1 else ''}"
    if r.skipped:
        counts += f", {len(r.skipped)} skipped"
    counts += ")"
    status = "ok" if r.ok else "FAIL"
    lines = [f"{r.name:{width}s} {status:4s}  max rel err {r.max_err:8.2e}  {counts}"]
    for c in r.cases:
        if not c.ok:
            lines.append(f"    FAIL {c.kind} {_where(c.variant, c.reduction, c.arg)}: "
                         f"rel err {c.err:.2e}; {c.detail}")
    for variant, red, msg in r.errors:
        lines.append(f"    FAIL {_where(variant, red)}: {msg}")
    reasons = {}
    for variant, red, arg, why in r.skipped:
        reasons.setdefault(why, []).append(_where(variant, red, arg))
    for why, where in reasons.items():
        more = f" and {len(where) - 2} more" if len(where) > 2 else ""
        lines.append(f"    skipped {len(where)}: {why} ({'; '.join(where[:2])}{more})")
    return "\n".join(lines)


def text_filter(pattern=None):
    """A predicate telling which names a ``--filter`` pattern selects.

    Parameters
    ----------
    pattern : str or None
        A regular expression searched case-insensitively anywhere in the
        text; text containing ``pattern`` literally (case-insensitively) also
        matches, so a label such as ``cross_entropy(32, 10)`` selects itself.
        A pattern that is not a valid expression is taken literally.  None
        selects everything.

    Returns
    -------
    callable
        ``keep(text) -> bool``.

    Examples
    --------
    >>> keep = text_filter("mse|^l1")
    >>> keep("mse_loss"), keep("l1_loss"), keep("smooth_l1_loss")
    (True, True, False)
    >>> text_filter("cross_entropy(32, 10)")("cross_entropy(32, 10) float32")
    True
    """
    if pattern is None:
        return lambda text: True
    lit = pattern.lower()
    try:
        rx = re.compile(pattern, re.IGNORECASE)
    except re.error:
        rx = None
    return lambda text: lit in text.lower() or (rx is not None and rx.search(text) is not None)


def select(pattern=None):
    """Registry entries whose name :func:`text_filter` ``pattern`` selects
    (every entry when ``pattern`` is None)."""
    keep = text_filter(pattern)
    return [e for e in _registry.entries() if keep(e.name)]
