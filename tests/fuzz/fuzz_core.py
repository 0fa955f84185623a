"""Fuzz cases: build one call from a JSON-able description and check it.

A *case* is a plain dict (JSON) that determines every input of a call: the
target function, a seed for the registry's ``make_inputs``, the shape and
dtype, then mutations (dtype casts, special values, option values, layouts,
``grad_output`` / ``grad_out`` / ``out`` modes).  ``run_case(case)`` rebuilds
the inputs, calls the function (several times: base call, ``grad_out`` call,
one call per layout) and returns its outcome and the failed checks.  The same
JSON reproduces the same call: ``python tests/fuzz/fuzz_run.py --repro JSON``.

This module runs inside the worker process (a crash kills only the worker).
"""
import inspect
import math
import os
import warnings

import numpy as np

import lossengine as le
from lossengine import _registry

# Exceptions a bad input may raise (SPEC section 2 "errors").
ALLOWED_ERRORS = (ValueError, TypeError)
GRAD_KEYS = ("grad", "grad_output", "grad_out", "out", "reduction")
# Options whose value may legitimately be NaN (a replacement value).
NAN_OK = {("threshold", "value")}
# Layouts of the same values (see make_layout).
LAYOUTS = ("F", "neg", "flip", "strided", "unaligned", "readonly", "C")


# --------------------------------------------------------------------- targets

class Target:
    """A function to fuzz: a registry entry or one of the other public names."""

    def __init__(self, name, cat, func, make_inputs, shapes, variants, reductions, preds):
        self.name, self.cat, self.func = name, cat, func
        self.make_inputs, self.shapes, self.variants = make_inputs, shapes, variants
        self.reductions, self.preds = tuple(reductions), tuple(preds)
        try:
            self.sig = inspect.signature(func)
        except (TypeError, ValueError):
            self.sig = None

    @property
    def params(self):
        return [] if self.sig is None else list(self.sig.parameters.values())

    def accepts(self, name):
        return self.sig is not None and name in self.sig.parameters


def _hem_inputs(rng, shape, dtype, variant):
    x = rng.standard_normal(shape).astype(dtype)
    args, kw = [x], {}
    n = x.size
    if "mask" in variant:
        m = rng.random(shape) < 0.6
        kw["mask"] = m
        n = int(m.sum())
    if "ratio" in variant:
        kw["ratio"] = float(rng.random())
    else:
        kw["k"] = int(rng.integers(0, n + 1))
    return args, kw


def _cw_inputs(rng, shape, dtype, variant):
    C = 1 + int(rng.integers(0, 6))
    t = rng.integers(0, C, size=shape)
    if "ignore" in variant and t.size:
        t.reshape(-1)[::3] = -100
    kw = {}
    if variant.startswith("scheme="):
        kw["scheme"] = variant.split("=")[1].split("+")[0]
    return [t, C], kw


def _threads_inputs(rng, shape, dtype, variant):
    return [int(rng.integers(1, 9))], {}


def _after_threads(prev):
    """set_num_threads accepted its argument: a loss call must still work
    (a setting the kernels cannot take would break every later call)."""
    n = le.get_num_threads()
    try:
        le.mse_loss(np.ones(3), np.zeros(3), grad=True)
    except Exception as exc:
        raise AssertionError(f"set_num_threads({n!r}) was accepted, then a loss call raised "
                             f"{type(exc).__name__}: {exc}") from None
    finally:
        le.set_num_threads(prev)


_EXTRA = [
    ("hard_example_mining", lambda: le.hard_example_mining, _hem_inputs,
     [(6, 5), (7,), (3, 4, 5), (0,)], ["k", "ratio", "mask+k", "mask+ratio"]),
    ("class_weights", lambda: le.class_weights, _cw_inputs,
     [(20,), (4, 5), (0,), (1,)],
     ["default", "ignore", "scheme=inverse", "scheme=inverse_sqrt+ignore",
      "scheme=effective_number"]),
    ("set_num_threads", lambda: le.set_num_threads, _threads_inputs, [()], ["default"]),
]


def targets():
    """Every fuzz target by name: registry entries first (present and future),
    then the public functions outside the registry."""
    out = {}
    for e in _registry.entries():
        reds = e.reductions if e.kind == "loss" else ()
        out[e.name] = Target(e.name, "entry", e.func, e.make_inputs, list(e.shapes),
                             list(e.variants), reds, e.preds)
    for name, get, mk, shapes, variants in _EXTRA:
        if name in out:
            continue
        try:
            f = get()
        except AttributeError:
            continue
        out[name] = Target(name, "extra", f, mk, shapes, variants, (), ())
    if os.environ.get("LOSSENGINE_FUZZ_SELFTEST"):
        out.update(_selftest_targets())
    return out


def _selftest_targets():
    """Deliberately broken functions: the harness's own tests check that each
    defect is caught (crash, hang, wrong exception, modified input, layout-
    dependent result, grad_out not returned)."""
    import time

    def abort(x, *, grad=False):
        os.abort()

    def hang(x, *, grad=False):
        time.sleep(3600)

    def raises(x, *, grad=False):
        raise IndexError("index 7 is out of bounds")

    def writes(x, *, grad=False):
        x = np.asarray(x)
        if x.flags.writeable and x.size:
            x.reshape(-1)[0] = 42
        return x.sum()

    def layout(x, *, grad=False):
        return float(np.asarray(x).ravel(order="K")[1]) if np.size(x) > 1 else 0.0

    def gout(x, *, grad=False, grad_output=None, grad_out=None):
        x = np.asarray(x, np.float64)
        return (x.sum(), np.ones_like(x)) if grad else x.sum()

    def ignores_out(x, *, grad=False, out=None):
        return np.asarray(x) * 2

    def mk(rng, shape, dtype, variant):
        return [rng.standard_normal(shape).astype(dtype)], {}
    out = {}
    for name, f in [("abort", abort), ("hang", hang), ("raises", raises), ("writes", writes),
                    ("layout", layout), ("gout", gout), ("out", ignores_out)]:
        out["_selftest_" + name] = Target("_selftest_" + name, "extra", f, mk, [(3, 4)],
                                          ["default"], (), (0,))
    return out


def unregistered_public():
    known = set(targets())
    return sorted(n for n in getattr(le.functional, "__all__", []) if n not in known)


# ------------------------------------------------------------------ expressions

_NS = {"np": np, "nan": math.nan, "inf": math.inf, "__builtins__": {
    "float": float, "int": int, "object": object, "complex": complex, "bool": bool,
    "str": str, "list": list, "tuple": tuple, "range": range, "None": None}}


def ev(expr):
    """An option value from its source text (cases carry values as text so that
    NaN, 2**63, object() ... survive JSON and print as they are written)."""
    return eval(expr, dict(_NS))  # noqa: S307 - the harness's own literals


# --------------------------------------------------------------------- building

def _argkeys(args, kw):
    return [f"a{i}" for i in range(len(args))] + [f"k:{k}" for k in kw]


def _get(args, kw, key):
    if key.startswith("a"):
        i = int(key[1:])
        return args[i] if i < len(args) else None
    return kw.get(key[2:])


def _set(args, kw, key, value):
    if key.startswith("a"):
        i = int(key[1:])
        if i < len(args):
            args[i] = value
    else:
        kw[key[2:]] = value


_SPECIAL_F = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "big": 1e30, "-big": -1e30,
              "sub": 5e-324, "sub32": 1e-40, "zero": 0.0, "-zero": -0.0, "max": None}


def _inject(a, kind, where, rng):
    """A copy of `a` with special values at some positions."""
    if not isinstance(a, np.ndarray) or a.size == 0:
        return a
    a = np.array(a, copy=True)
    flat = a.reshape(-1)
    if where == "all":
        idx = np.arange(flat.size)
    elif where == "one":
        idx = rng.integers(0, flat.size, size=1)
    else:
        idx = np.flatnonzero(rng.random(flat.size) < 0.3)
    if a.dtype.kind == "f":
        v = np.finfo(a.dtype).max if kind == "max" else _SPECIAL_F.get(kind, math.nan)
        with np.errstate(all="ignore"):
            flat[idx] = v
    elif a.dtype.kind in "iu":
        info = np.iinfo(a.dtype)
        v = {"big": info.max, "-big": info.min, "max": info.max, "zero": 0}.get(kind)
        if v is None:
            v = info.max if kind in ("inf", "nan", "sub", "sub32") else info.min
        flat[idx] = v
    elif a.dtype.kind == "b" and kind in ("zero", "-zero"):
        flat[idx] = False
    return a


def _cast(a, dt):
    if not isinstance(a, np.ndarray):
        return a
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dt == "object":
            return a.astype(object)
        if dt == "list":
            return a.tolist()
        if dt == "scalar":
            return a.reshape(-1)[0].item() if a.size else 0.5
        return a.astype(dt)


def make_layout(a, layout):
    """The same values in another memory layout: always a new buffer (optimizer
    cases update their parameters in place)."""
    if not isinstance(a, np.ndarray):
        return a
    if layout == "C":
        return np.array(a, copy=True, order="C")
    if layout == "readonly":
        r = np.array(a, copy=True)
        r.flags.writeable = False
        return r
    if a.ndim == 0 or a.size == 0:
        return np.array(a, copy=True)
    if layout == "F":
        return np.array(a, order="F", copy=True)
    if layout == "neg":
        return np.array(a[..., ::-1], copy=True)[..., ::-1]
    if layout == "flip":
        sl = tuple(slice(None, None, -1) for _ in a.shape)
        return np.array(a[sl], copy=True)[sl]
    if layout == "strided":
        big = np.zeros(tuple(2 * s + 1 for s in a.shape), dtype=a.dtype)
        sl = tuple(slice(1, None, 2) for _ in a.shape)
        big[sl] = a
        return big[sl]
    if layout == "unaligned":
        if a.dtype.kind == "O" or a.dtype.itemsize == 1:
            return np.array(a, copy=True)
        raw = np.zeros(a.nbytes + 1, np.uint8)[1:]
        u = raw.view(a.dtype).reshape(a.shape)
        u[...] = a
        return u
    raise ValueError(layout)


def build(t, case):
    """(args, kw) of the case's call, without grad/grad_output/grad_out/out."""
    rng = np.random.default_rng(case["seed"])
    shape = tuple(case["shape"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args, kw = t.make_inputs(rng, shape, case["dtype"], case["variant"])
    args, kw = list(args), dict(kw)
    mrng = np.random.default_rng(case["seed"] ^ 0x5EED)
    if case.get("ignore_all") and t.accepts("ignore_index"):
        ig = kw.get("ignore_index", -100)
        for i, a in enumerate(args):
            if i not in t.preds and isinstance(a, np.ndarray) and a.dtype.kind in "iu":
                args[i] = np.full_like(a, ig)
    for key, kind, where in case.get("specials", []):
        _set(args, kw, key, _inject(_get(args, kw, key), kind, where, mrng))
    for key, dt in case.get("casts", {}).items():
        if _get(args, kw, key) is not None:
            _set(args, kw, key, _cast(_get(args, kw, key), dt))
    names = [p.name for p in t.params]
    for name, expr in case.get("opts", {}).items():
        value = ev(expr)
        i = names.index(name) if name in names else -1
        if 0 <= i < len(args) and t.params[i].kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                       inspect.Parameter.POSITIONAL_OR_KEYWORD):
            args[i] = value
        else:
            kw[name] = value
    return args, kw


def compute_dtype(t, args):
    for i in t.preds:
        a = args[i] if i < len(args) else None
        if isinstance(a, (list, tuple)):
            a = np.asarray(a)
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.dtype.itemsize >= 8:
            return np.dtype(np.float64)
    return np.dtype(np.float32)


# ---------------------------------------------------------------------- results

def _leaves(r):
    if isinstance(r, tuple):
        out = []
        for x in r:
            out += _leaves(x)
        return out
    return [r]


def _bits(x):
    x = np.ascontiguousarray(x)
    if x.dtype.kind == "O":
        return x, None
    b = x.view(np.uint8).reshape(x.shape + (x.dtype.itemsize,))
    return b, (np.isnan(x) if x.dtype.kind in "fc" else None)


def _ulps(a, b):
    try:
        a = np.asarray(a, np.float64)
        b = np.asarray(b, np.float64)
        with np.errstate(all="ignore"):
            d = np.abs(a - b) / np.maximum(np.spacing(np.maximum(np.abs(a), np.abs(b))), 5e-324)
        d = d[np.isfinite(d)]
        return float(d.max()) if d.size else float("inf")
    except Exception:
        return float("nan")


def same(r1, r2):
    """None when r1 and r2 are bitwise the same (NaNs of any payload equal),
    else a description of the first difference."""
    l1, l2 = _leaves(r1), _leaves(r2)
    if len(l1) != len(l2):
        return f"structure differs: {len(l1)} vs {len(l2)} parts"
    for i, (a, b) in enumerate(zip(l1, l2)):
        if a is None or b is None:
            if (a is None) != (b is None):
                return f"part {i}: {type(a).__name__} vs {type(b).__name__}"
            continue
        a1, b1 = np.asarray(a), np.asarray(b)
        if a1.shape != b1.shape or a1.dtype != b1.dtype:
            return f"part {i}: {a1.dtype}{a1.shape} vs {b1.dtype}{b1.shape}"
        if a1.dtype.kind == "O":
            if not all(x is y or x == y for x, y in zip(a1.ravel(), b1.ravel())):
                return f"part {i}: object values differ"
            continue
        ba, na = _bits(a1)
        bb, nb = _bits(b1)
        eq = np.all(ba == bb, axis=-1) if ba.ndim else np.array(ba == bb)
        if na is not None:
            eq = eq | (na & nb)
        if not np.all(eq):
            bad = np.flatnonzero(~eq.reshape(-1))
            j = int(bad[0])
            return (f"part {i}: {bad.size} of {eq.size} elements differ, first at flat "
                    f"{j}: {a1.reshape(-1)[j]!r} vs {b1.reshape(-1)[j]!r} "
                    f"(max {_ulps(a1, b1):.3g} ulp)")
    return None


def snapshot(args, kw):
    snap = []
    for key, a in zip(_argkeys(args, kw), list(args) + list(kw.values())):
        if isinstance(a, np.ndarray):
            c = np.array(a, copy=True)
            snap.append((key, a, c, a.flags.writeable))
    return snap


def modified(snap):
    for key, a, c, w in snap:
        if a.dtype.kind == "O":
            if not all(x is y for x, y in zip(a.ravel(), c.ravel())):
                return f"{key} (object array) modified"
        elif a.tobytes() != c.tobytes():
            return f"{key} modified: " + (same(a, c) or "")
        if a.flags.writeable != w:
            return f"{key}: writeable flag changed"
    return None


def _grads_of(t, res, grad):
    """The gradient part of a result (tuple of arrays/None) or None."""
    if not grad or not isinstance(res, tuple) or len(res) != 2:
        return None
    g = res[1]
    return g if isinstance(g, tuple) else (g,)


# ------------------------------------------------------------------------ calls

def _call(t, args, kw, extra):
    kwargs = dict(kw)
    kwargs.update(extra)
    prev = le.get_num_threads()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                r = t.func(*args, **kwargs)
                if t.name == "set_num_threads":
                    _after_threads(prev)
                return "ok", r
    except ValueError as exc:
        return "ValueError", exc
    except TypeError as exc:
        return "TypeError", exc
    except MemoryError as exc:
        # a valid request larger than the worker's memory cap (e.g.
        # num_classes=2**31-1): a limit of this machine, not a defect
        return "MemoryError", exc
    except BaseException as exc:  # noqa: BLE001 - every other type is a finding
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return "error", exc
    finally:
        if t.name == "set_num_threads":
            le.set_num_threads(prev)


def _exc_text(exc):
    return f"{type(exc).__name__}: {exc}"[:400]


def _names_argument(t, exc):
    msg = str(exc)
    names = [p.name for p in t.params] + ["input", "target", "weight", "grad_out", "out"]
    return any(n in msg for n in names)


def _grad_out_buffers(t, args, mode, dtype):
    """grad_out for the case's mode: (value, expected_ok, description)."""
    shapes = []
    for i in t.preds:
        a = args[i] if i < len(args) else None
        shapes.append(None if not isinstance(a, (np.ndarray, list)) else np.shape(a))
    bad_dt = np.float32 if dtype == np.float64 else np.float64

    def one(s, m):
        if s is None:
            return None
        if m == "good":
            return np.full(s, np.nan, dtype)
        if m == "good_F":
            return np.array(np.full(s, np.nan, dtype), order="F")
        if m == "good_strided":
            if not s:
                return np.full(s, np.nan, dtype)
            big = np.full(tuple(2 * d for d in s), np.nan, dtype)
            return big[tuple(slice(None, None, 2) for _ in s)]
        if m == "wrong_shape":
            return np.zeros(tuple(s) + (2,), dtype)
        if m == "wrong_dtype":
            return np.zeros(s, bad_dt)
        if m == "readonly":
            r = np.zeros(s, dtype)
            r.flags.writeable = False
            return r
        if m == "list":
            return np.zeros(s, dtype).tolist()
        raise ValueError(m)

    if mode == "alias":
        bufs = []
        for i, s in zip(t.preds, shapes):
            a = args[i] if i < len(args) else None
            if isinstance(a, np.ndarray) and a.dtype == dtype and a.flags.writeable and a.size:
                bufs.append(a)
            else:
                bufs.append(one(s, "good"))
        if not any(b is args[i] for b, i in zip(bufs, t.preds) if i < len(args)):
            return None
        val = tuple(bufs) if len(bufs) > 1 else bufs[0]
        return val, False
    ok = mode.startswith("good")
    if mode == "wrong_len":
        if len(shapes) == 1:
            return None
        return tuple(one(s, "good") for s in shapes) + (np.zeros(1, dtype),), False
    bufs = [one(s, mode) for s in shapes]
    if all(b is None for b in bufs):
        return None
    return (tuple(bufs) if len(bufs) > 1 else bufs[0]), ok


def _grad_output_value(mode, loss_shape, dtype, rng):
    if mode is None:
        return None
    if mode.startswith("expr:"):
        return ev(mode[5:])
    if mode == "loss_shaped":
        return rng.standard_normal(loss_shape).astype(dtype)
    if mode == "loss_shaped_int":
        return rng.integers(-3, 4, size=loss_shape)
    if mode == "loss_shaped_F":
        return np.asfortranarray(rng.standard_normal(loss_shape))
    if mode == "bcast":
        return rng.standard_normal((1,) * len(loss_shape) + tuple(loss_shape[-1:])
                                   if loss_shape else ())
    if mode == "bad_shape":
        return np.ones(tuple(loss_shape) + (3,))
    raise ValueError(mode)


def run_case(case, targets_by_name):
    """Run one case; returns {'outcome': ..., 'failures': [...], 'calls': n,
    'unnamed': message or None}."""
    t = targets_by_name[case["t"]]
    res = {"outcome": None, "failures": [], "calls": 0, "unnamed": None, "error": None}

    def fail(check, detail):
        res["failures"].append({"check": check, "detail": str(detail)[:1500]})

    try:
        args, kw = build(t, case)
    except Exception as exc:  # the generator could not make this shape
        res["outcome"] = "skip"
        res["error"] = _exc_text(exc)
        return res
    extra = {}
    if t.reductions and case.get("red") is not None:
        extra["reduction"] = ev(case["red"])
    grad = bool(case.get("grad")) and t.accepts("grad")
    if t.accepts("grad"):
        extra["grad"] = grad
    rng = np.random.default_rng(case["seed"] + 7)
    go_mode = case.get("go")
    if go_mode and t.accepts("grad_output"):
        loss_shape = ()
        if not go_mode.startswith("expr:"):
            st, probe = _call(t, args, kw, {k: v for k, v in extra.items() if k != "grad"})
            res["calls"] += 1
            if st == "ok":
                loss_shape = np.shape(probe)
        extra["grad_output"] = _grad_output_value(go_mode, loss_shape, compute_dtype(t, args),
                                                  rng)

    # 1. the base call
    snap = snapshot(args, kw)
    status, out = _call(t, args, kw, extra)
    res["calls"] += 1
    res["outcome"] = status
    m = modified(snap)
    if m:
        fail("input_modified", m)
    if status == "MemoryError":
        res["outcome"] = "skip"
        return res
    if status == "error":
        res["error"] = _exc_text(out)
        fail("exception_type", _exc_text(out))
        return res
    if status != "ok":
        res["error"] = _exc_text(out)
        if not _names_argument(t, out):
            res["unnamed"] = _exc_text(out)
    if status == "ok":
        _check_accepted(t, case, args, kw, extra, out, fail)

    # 2. grad_out
    gmode = case.get("gout")
    if gmode and grad and t.accepts("grad_out") and t.preds:
        dt = compute_dtype(t, args)
        built = _grad_out_buffers(t, args, gmode, dt)
        if built is not None:
            bufs, expect_ok = built
            snap = snapshot(args, kw)
            st2, out2 = _call(t, args, kw, dict(extra, grad_out=bufs))
            res["calls"] += 1
            m = modified(snap)
            if m:
                fail("input_modified", f"with grad_out={gmode}: {m}")
            if st2 == "error":
                fail("exception_type", f"with grad_out={gmode}: {_exc_text(out2)}")
            elif expect_ok:
                if status == "ok" and st2 != "ok":
                    fail("grad_out", f"grad_out={gmode} rejected: {_exc_text(out2)}")
                elif status != "ok" and st2 == "ok":
                    fail("grad_out", f"accepted with grad_out={gmode}, rejected without "
                                     f"({res['error']})")
                elif st2 == "ok":
                    g = out2[1] if isinstance(out2, tuple) else None
                    gs = g if isinstance(g, tuple) else (g,)
                    bs = bufs if isinstance(bufs, tuple) else (bufs,)
                    for k, (gi, bi) in enumerate(zip(gs, bs)):
                        if bi is not None and gi is not bi:
                            fail("grad_out", f"gradient {k} is not the grad_out object "
                                             f"(grad_out={gmode})")
                    d = same(out2, out)
                    if d:
                        fail("grad_out", f"grad_out={gmode} result differs from the "
                                         f"allocated one: {d}")
            elif st2 == "ok" and status == "ok":
                fail("accepted_invalid", f"grad_out={gmode} accepted")

    # 3. out= (functions whose result is an array, once they accept it)
    omode = case.get("out")
    if omode and status == "ok" and t.accepts("out"):
        _check_out(t, args, kw, extra, out, omode, res, fail)

    # 4. layouts: the same values in other memory layouts
    keys = _argkeys(args, kw)
    for key, layout in case.get("layouts", []):
        a2, k2 = list(args), dict(kw)
        changed = []
        for k in (keys if key == "*" else [key]):
            v = _get(args, kw, k)
            if isinstance(v, np.ndarray):
                _set(a2, k2, k, make_layout(v, layout))
                changed.append(k)
        if not changed:
            continue
        snap = snapshot(a2, k2)
        st3, out3 = _call(t, a2, k2, extra)
        res["calls"] += 1
        m = modified(snap)
        what = f"{'/'.join(changed)} {layout}"
        if m:
            fail("input_modified", f"layout {what}: {m}")
        if st3 == "error":
            fail("exception_type", f"layout {what}: {_exc_text(out3)}")
        elif st3 != status:
            fail("layout", f"layout {what}: {st3} vs {status} in C order "
                           f"({_exc_text(out3) if st3 != 'ok' else res['error']})")
        elif st3 == "ok":
            d = same(out3, out)
            if d:
                fail("layout", f"layout {what} gives a different result: {d}")
    return res


def _check_out(t, args, kw, extra, base, mode, res, fail):
    """out= receives the result like a ufunc's out and is returned (SPEC 2)."""
    value = base[0] if isinstance(base, tuple) else base
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return
    shape, dt = value.shape, value.dtype
    bad_dt = np.float32 if dt == np.float64 else np.float64
    if mode == "good":
        buf, ok = np.full(shape, np.nan, dt), True
    elif mode == "good_F":
        buf, ok = np.array(np.full(shape, np.nan, dt), order="F"), True
    elif mode == "wrong_shape":
        buf, ok = np.zeros(shape + (2,), dt), False
    elif mode == "wrong_dtype":
        buf, ok = np.zeros(shape, bad_dt), False
    elif mode == "readonly":
        buf, ok = np.zeros(shape, dt), False
        buf.flags.writeable = False
    elif mode == "alias":      # exactly the input: allowed for elementwise functions
        a = args[0] if args else None
        if not (isinstance(a, np.ndarray) and a.shape == shape and a.dtype == dt
                and a.flags.writeable):
            return
        # a copy in the same layout: the call may overwrite its input, and the
        # later checks (layouts) read the original
        a = a.copy(order="K")
        args = [a] + list(args[1:])
        buf, ok = a, None
    else:
        return
    snap = snapshot(args, kw) if mode != "alias" else []
    st, out2 = _call(t, args, kw, dict(extra, out=buf))
    res["calls"] += 1
    m = modified(snap)
    if m:
        fail("input_modified", f"with out={mode}: {m}")
    if st == "error":
        fail("exception_type", f"with out={mode}: {_exc_text(out2)}")
    elif ok is False and st == "ok":
        fail("accepted_invalid", f"out={mode} accepted")
    elif ok and st != "ok":
        fail("out", f"out={mode} rejected: {_exc_text(out2)}")
    elif st == "ok":
        v2 = out2[0] if isinstance(out2, tuple) else out2
        if v2 is not buf:
            fail("out", f"the result is not the out object (out={mode})")
        d = same(out2, base)
        if d:
            fail("out", f"out={mode} result differs from the allocated one: {d}")


def _scalar_nan(v):
    try:
        return isinstance(v, (float, np.floating)) and math.isnan(float(v))
    except Exception:
        return False


_RANGE_PROBES = ("-1.0", "0.0", "float('inf')", "float('-inf')", "1e300", "-1e300", "2.0",
                 "0.5", "-0.5")


def _range_checked(t, args, kw, extra, name):
    """The first out-of-range value of option `name` that the call rejects
    with a ValueError naming it, or None."""
    names = [p.name for p in t.params]
    i = names.index(name) if name in names else -1
    for expr in _RANGE_PROBES:
        a2, k2 = list(args), dict(kw)
        if 0 <= i < len(a2):
            a2[i] = ev(expr)
        else:
            k2[name] = ev(expr)
        st, exc = _call(t, a2, k2, extra)
        if st == "ValueError" and name in str(exc):
            return expr
    return None


def _check_accepted(t, case, args, kw, extra, out, fail):
    """Checks on a call that returned normally."""
    for name, expr in case.get("opts", {}).items():
        v = ev(expr)
        p = t.sig.parameters.get(name) if t.sig is not None else None
        default = p.default if p is not None else None
        if _scalar_nan(v) and (t.name, name) not in NAN_OK and not isinstance(default, bool):
            # NaN slips through comparisons: an option with a range check must
            # reject NaN too.  Whether it has one is seen from its answers to
            # out-of-range values.
            rejected = _range_checked(t, args, kw, extra, name)
            if rejected:
                fail("accepted_invalid", f"{name}={expr} accepted, but {name}={rejected} "
                                         f"is rejected (NaN passes the range check)")
        elif (isinstance(v, str) and v == "bogus" or type(v) is object) and not isinstance(
                default, bool):
            fail("accepted_invalid", f"{name}={expr} accepted")
    red = case.get("red")
    if red is not None and t.reductions and ev(red) not in t.reductions:
        fail("accepted_invalid", f"reduction={red} accepted")
    if not extra.get("grad") and extra.get("grad_output") is not None:
        fail("accepted_invalid", "grad_output accepted with grad=False")
    # only index targets can be ignored (probability targets have no ignore_index)
    index_targets = any(i not in t.preds and isinstance(a, np.ndarray) and a.dtype.kind in "iu"
                        for i, a in enumerate(args))
    if case.get("ignore_all") and extra.get("grad") and t.accepts("ignore_index") \
            and index_targets:
        gs = _grads_of(t, out, True) or ()
        specials = any(k.startswith("a0") or k.startswith("k:weight")
                       for k, _, _ in case.get("specials", []))
        for g in gs:
            if g is not None and not specials and np.size(g) and not np.all(
                    np.asarray(g) == 0):
                bad = np.asarray(g)[np.asarray(g) != 0].reshape(-1)[:3]
                fail("ignored_grad", f"every target ignored but the gradient is not zero "
                                     f"(e.g. {bad.tolist()})")
                break


# -------------------------------------------------------------------- optimizers

def optim_classes():
    """Optimizer classes of lossengine.optim, or {} while it does not exist."""
    try:
        import importlib
        optim = importlib.import_module("lossengine.optim")
    except ImportError:
        return {}
    base = getattr(optim, "Optimizer", None)
    out = {}
    for name in dir(optim):
        c = getattr(optim, name)
        if (isinstance(c, type) and hasattr(c, "step") and c is not base
                and (base is None or issubclass(c, base))):
            out[f"optim.{name}"] = c
    return out


def run_optim_case(case, classes):
    """One optimizer case: construct, step a few times, check; like run_case."""
    cls = classes[case["t"]]
    res = {"outcome": None, "failures": [], "calls": 0, "unnamed": None, "error": None}

    def fail(check, detail):
        res["failures"].append({"check": check, "detail": str(detail)[:1500]})

    rng = np.random.default_rng(case["seed"])
    params = []
    for shape, dt in zip(case["pshapes"], case["pdtypes"]):
        params.append(_cast((rng.standard_normal(shape) * 2), dt))
    opts = {k: ev(v) for k, v in case.get("opts", {}).items()}
    sparse = cls.__name__ == "SparseAdam"
    lbfgs = cls.__name__ == "LBFGS"

    def grads_for(ps, step):
        grng = np.random.default_rng(case["seed"] * 31 + step)
        gs = []
        for j, p in enumerate(ps):
            mode = case["gmodes"][j % len(case["gmodes"])]
            shape = np.shape(p)
            g = grng.standard_normal(shape)
            if mode == "none":
                gs.append(None)
                continue
            if mode == "wrong_shape":
                g = np.zeros(tuple(shape) + (2,))
            elif mode == "nan":
                g = np.full(shape, np.nan)
            elif mode == "list":
                g = g.tolist()
            g = _cast(g, case["gdtype"]) if isinstance(g, np.ndarray) else g
            if sparse and isinstance(g, np.ndarray) and g.ndim >= 1:
                n = g.shape[0]
                idx = grng.integers(0, max(n, 1), size=max(n // 2, 1)) if n else np.zeros(0, int)
                g = (idx, np.asarray(g)[:len(idx)] if n else g[:0])
            gs.append(g)
        if case.get("extra_grad"):
            gs.append(np.zeros(3))
        return gs

    def run(ps):
        """(status, exc, params after) for a run over params `ps` (modified in place)."""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                opt = cls(ps, **opts)
                for step in range(case["steps"]):
                    gs = grads_for(ps, step)
                    gsnap = [np.array(g, copy=True) if isinstance(g, np.ndarray) else None
                             for g in gs]
                    psnap = [np.array(p, copy=True) if isinstance(p, np.ndarray) else None
                             for p in ps]
                    try:
                        if lbfgs:
                            opt.step(lambda: (float(sum(np.sum(np.asarray(p, np.float64) ** 2)
                                                        for p in ps)) / 2,
                                              [np.array(p, copy=True) for p in ps]))
                        else:
                            opt.step(gs)
                    except ALLOWED_ERRORS:
                        for j, (p, s) in enumerate(zip(ps, psnap)):
                            if s is not None and p.tobytes() != s.tobytes():
                                fail("input_modified",
                                     f"param {j} changed by a step that raised")
                        raise
                    finally:
                        for j, (g, s) in enumerate(zip(gs, gsnap)):
                            if s is not None and isinstance(g, np.ndarray) and \
                                    g.tobytes() != s.tobytes():
                                fail("input_modified", f"grad {j} modified by step")
            return "ok", None
        except ValueError as exc:
            return "ValueError", exc
        except TypeError as exc:
            return "TypeError", exc
        except MemoryError as exc:
            return "MemoryError", exc
        except Exception as exc:  # noqa: BLE001
            return "error", exc

    base = [np.array(p, copy=True) if isinstance(p, np.ndarray) else p for p in params]
    st, exc = run(base)
    res["calls"] += 1
    res["outcome"] = st
    if st == "MemoryError":
        res["outcome"] = "skip"
        return res
    if st == "error":
        res["error"] = _exc_text(exc)
        fail("exception_type", _exc_text(exc))
        return res
    if st != "ok":
        res["error"] = _exc_text(exc)
        if "param" not in str(exc) and "lr" not in str(exc) and not any(
                k in str(exc) for k in opts):
            res["unnamed"] = _exc_text(exc)
        return res
    for layout in case.get("layouts", []):
        ps = [make_layout(p, layout) if isinstance(p, np.ndarray) else p for p in params]
        if layout == "readonly":
            continue  # rejected by contract; not a same-values layout for in-place updates
        st2, exc2 = run(ps)
        res["calls"] += 1
        if st2 != "ok":
            fail("layout", f"params {layout}: {st2} {exc2}")
            continue
        d = same(tuple(np.ascontiguousarray(p) for p in ps),
                 tuple(np.ascontiguousarray(p) for p in base))
        if d:
            fail("layout", f"params {layout} give different updates: {d}")
    return res
