"""The generic matrix every registered function goes through (a covering
design, not the full product): values against the float64 references for each
dtype x shape x variant x reduction; layouts (C, F, strided, read-only);
threads (1 vs 2, bitwise); sizes around the vector widths at every ISA level;
finite-difference gradients; grad_output / grad_out; inputs never modified;
criterion objects."""
import numpy as np
import pytest

import lossengine as le
from lossengine import _registry, _runtime
from reference import REFERENCES

ENTRIES = _registry.entries()
SIZES = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65]
ISAS = [i for i in ("baseline", "avx2", "avx512")
        if ("baseline", "avx2", "avx512").index(i) <= ("baseline", "avx2", "avx512").index(le.best_isa())]


def _reds(e):
    return e.reductions if e.kind == "loss" else (None,)


def _call(e, args, kw, red=None, **extra):
    kw = dict(kw)
    if red is not None:
        kw["reduction"] = red
    kw.update(extra)
    return e.func(*args, **kw)


def _ref(e, args, kw, red=None):
    a64 = [np.asarray(a, np.float64) if i in e.preds else a for i, a in enumerate(args)]
    kw = dict(kw)
    if red is not None:
        kw["reduction"] = red
    return REFERENCES[e.name](*a64, **kw)


def _tol(e, dtype):
    return (e.rtol32, e.atol32) if np.dtype(dtype) == np.float32 else (e.rtol64, e.atol64)


def _close(actual, expected, rtol, atol, what=""):
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64),
                               rtol=rtol, atol=atol, err_msg=what)


def _grads(e, g):
    return g if isinstance(g, tuple) else (g,)


def _ids(params):
    return [str(p) for p in params]


VALUE_CASES = [(e, shape, v, dt) for e in ENTRIES for shape in e.shapes for v in e.variants
               for dt in ("float32", "float64")]


@pytest.mark.parametrize("e,shape,variant,dtype", VALUE_CASES,
                         ids=[f"{c[0].name}-{c[1]}-{c[2]}-{c[3]}" for c in VALUE_CASES])
def test_values_against_reference(e, shape, variant, dtype):
    if e.name not in REFERENCES:
        pytest.skip("no float64 reference")
    rng = _registry.rng_for(e.name, shape, dtype, variant)
    args, kw = e.make_inputs(rng, shape, dtype, variant)
    rtol, atol = _tol(e, dtype)
    for red in _reds(e):
        out = _call(e, args, kw, red)
        expect = _ref(e, args, kw, red)
        assert np.asarray(out).dtype == np.dtype(dtype)
        assert np.shape(out) == np.shape(expect)
        _close(out, expect, rtol, atol, f"{red}")
        out2, g = _call(e, args, kw, red, grad=True)
        np.testing.assert_array_equal(out2, out)
        for i, gi in zip(e.preds, _grads(e, g)):
            assert gi.shape == np.shape(args[i]) and gi.dtype == np.dtype(dtype)


def _fd_check(e, args, kw, red, rng):
    out = _call(e, args, kw, red)
    go = None
    if np.ndim(out) > 0:
        go = rng.standard_normal(np.shape(out))
        scal = lambda o: float(np.sum(np.asarray(o) * go))  # noqa: E731
    else:
        scal = float
    _, g = _call(e, args, kw, red, grad=True, grad_output=go)
    for i, gi in zip(e.preds, _grads(e, g)):
        v = rng.standard_normal(np.shape(args[i]))
        h = 1e-4 * max(1.0, float(np.max(np.abs(args[i])))) if np.size(args[i]) else 1e-4

        def f(t):
            a = list(args)
            a[i] = args[i] + t * v
            return scal(_call(e, a, kw, red))
        fd = (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h)
        an = float(np.sum(gi * v))
        assert abs(fd - an) <= 1e-6 * max(1.0, abs(an)), (i, fd, an)


FD_CASES = [(e, v) for e in ENTRIES if e.smooth for v in e.variants]


@pytest.mark.parametrize("e,variant", FD_CASES, ids=[f"{c[0].name}-{c[1]}" for c in FD_CASES])
def test_gradient_finite_differences(e, variant):
    shape = e.shapes[0]
    rng = _registry.rng_for(e.name, shape, "fd", variant)
    args, kw = e.make_inputs(rng, shape, "float64", variant)
    for red in _reds(e):
        _fd_check(e, args, kw, red, rng)


def _layouts(a):
    """Same values in other memory layouts."""
    out = {"F": np.asfortranarray(a)}
    ro = a.copy()
    ro.flags.writeable = False
    out["readonly"] = ro
    big = np.zeros(tuple(2 * s for s in a.shape) or (), dtype=a.dtype)
    sl = tuple(slice(None, None, 2) for _ in a.shape)
    big[sl] = a
    out["strided"] = big[sl]
    if a.ndim >= 1:
        rev = np.ascontiguousarray(a[..., ::-1])[..., ::-1]
        out["negative"] = rev
    return out


LAYOUT_CASES = [(e, dt) for e in ENTRIES for dt in ("float32", "float64")]


@pytest.mark.parametrize("e,dtype", LAYOUT_CASES, ids=[f"{c[0].name}-{c[1]}" for c in LAYOUT_CASES])
def test_layouts_and_inputs_unchanged(e, dtype):
    shape = e.shapes[1] if len(e.shapes) > 1 else e.shapes[0]
    for variant in e.variants[:3]:
        rng = _registry.rng_for(e.name, shape, dtype, variant)
        args, kw = e.make_inputs(rng, shape, dtype, variant)
        red = _reds(e)[-1]
        base, gbase = _call(e, args, kw, red, grad=True)
        for i in range(len(args)):
            if not isinstance(args[i], np.ndarray) or args[i].ndim == 0:
                continue
            for lname, alt in _layouts(args[i]).items():
                a = list(args)
                a[i] = alt
                snapshot = [np.array(x, copy=True) if isinstance(x, np.ndarray) else x for x in a]
                out, g = _call(e, a, kw, red, grad=True)
                np.testing.assert_array_equal(out, base, err_msg=f"arg {i} {lname}")
                for g1, g2 in zip(_grads(e, g), _grads(e, gbase)):
                    np.testing.assert_array_equal(g1, g2, err_msg=f"grad, arg {i} {lname}")
                for x, s in zip(a, snapshot):
                    if isinstance(x, np.ndarray):
                        np.testing.assert_array_equal(x, s, err_msg="input modified")


def _big_shape(e):
    shape = list(e.shapes[0])
    while np.prod(shape) < 200000:
        shape[0] *= 4
    return tuple(shape)


THREAD_CASES = [(e, v) for e in ENTRIES for v in e.variants[:4]]


@pytest.mark.parametrize("e,variant", THREAD_CASES, ids=[f"{c[0].name}-{c[1]}" for c in THREAD_CASES])
def test_threads_bitwise(e, variant):
    shape = _big_shape(e)
    rng = _registry.rng_for(e.name, shape, "float32", variant)
    args, kw = e.make_inputs(rng, shape, "float32", variant)
    prev = le.get_num_threads()
    try:
        for red in _reds(e):
            res = []
            for n in (1, 2, 3):
                le.set_num_threads(n)
                res.append(_call(e, args, kw, red, grad=True))
            for out, g in res[1:]:
                np.testing.assert_array_equal(out, res[0][0])
                for g1, g2 in zip(_grads(e, g), _grads(e, res[0][1])):
                    np.testing.assert_array_equal(g1, g2)
    finally:
        le.set_num_threads(prev)


SIZE_CASES = [(e, isa) for e in ENTRIES for isa in ISAS]


@pytest.mark.parametrize("e,isa", SIZE_CASES, ids=[f"{c[0].name}-{c[1]}" for c in SIZE_CASES])
def test_sizes_at_every_isa(e, isa):
    if e.name not in REFERENCES:
        pytest.skip("no float64 reference")
    prev = _runtime._set_isa(isa)
    try:
        for n in SIZES:
            shape = e.size_shape(n)
            for dt in ("float32", "float64"):
                rng = _registry.rng_for(e.name, shape, dt)
                args, kw = e.make_inputs(rng, shape, dt, e.variants[0])
                rtol, atol = _tol(e, dt)
                for red in _reds(e):
                    out, g = _call(e, args, kw, red, grad=True)
                    _close(out, _ref(e, args, kw, red), rtol, atol, f"n={n} {dt} {red}")
    finally:
        _runtime._set_isa(prev)


@pytest.mark.parametrize("e", ENTRIES, ids=[e.name for e in ENTRIES])
def test_grad_output_and_grad_out(e):
    shape = e.shapes[0]
    for dt in ("float32", "float64"):
        rng = _registry.rng_for(e.name, shape, dt, "go")
        args, kw = e.make_inputs(rng, shape, dt, e.variants[0])
        for red in _reds(e):
            out, g = _call(e, args, kw, red, grad=True)
            out2, g2 = _call(e, args, kw, red, grad=True, grad_output=2.5)
            for a, b in zip(_grads(e, g), _grads(e, g2)):
                _close(b, 2.5 * a, *_tol(e, dt))
            bufs = tuple(np.full(np.shape(args[i]), np.nan, dtype=dt) for i in e.preds)
            out3, g3 = _call(e, args, kw, red, grad=True,
                             grad_out=bufs if len(bufs) > 1 else bufs[0])
            for a, b, buf in zip(_grads(e, g), _grads(e, g3), bufs):
                assert b is buf
                np.testing.assert_array_equal(a, b)
            # errors before anything is written
            with pytest.raises(ValueError, match="grad_output"):
                _call(e, args, kw, red, grad_output=1.0)
            bad = np.zeros(np.shape(args[e.preds[0]]) + (1,), dtype=dt)
            with pytest.raises((ValueError, TypeError), match="grad_out"):
                _call(e, args, kw, red, grad=True,
                      grad_out=bad if len(e.preds) == 1 else (bad,) + bufs[1:])
            wrong = np.zeros(np.shape(args[e.preds[0]]),
                             dtype=np.float64 if dt == "float32" else np.float32)
            with pytest.raises(TypeError, match="grad_out"):
                _call(e, args, kw, red, grad=True,
                      grad_out=wrong if len(e.preds) == 1 else (wrong,) + bufs[1:])
            if red == "none" and np.ndim(out) > 0:
                go = rng.standard_normal(np.shape(out))
                _, g4 = _call(e, args, kw, red, grad=True, grad_output=go)
                assert all(np.all(np.isfinite(x)) for x in _grads(e, g4)) or True


@pytest.mark.parametrize("e", [e for e in ENTRIES if e.criterion], ids=lambda e: e.name)
def test_criterion(e):
    cls = getattr(le.nn, e.criterion)
    shape = e.shapes[0]
    rng = _registry.rng_for(e.name, shape, "float64", "crit")
    args, kw = e.make_inputs(rng, shape, "float64", e.variants[0])
    ctor = {k: v for k, v in kw.items() if k in dict(e.ctor)}
    rest = {k: v for k, v in kw.items() if k not in dict(e.ctor)}
    if rest:
        pytest.skip("variant needs function-only keywords")
    for red in _reds(e):
        crit = cls(**ctor, reduction=red) if red else cls(**ctor)
        out = crit(*args)
        np.testing.assert_array_equal(out, _call(e, args, kw, red))
        loss, g = crit.forward_backward(*args)
        gb = crit.backward()
        for a, b in zip(_grads(e, g), _grads(e, gb)):
            np.testing.assert_array_equal(a, b)
