"""The engine's own vectorised exp/log/log1p against NumPy float64, at every
ISA level, with the error bounds stated in csrc/le_math.h."""
import numpy as np
import pytest

import lossengine as le
from lossengine import _core, _runtime

LEVELS = ("baseline", "avx2", "avx512")
ISAS = [i for i in LEVELS if LEVELS.index(i) <= LEVELS.index(le.best_isa())]
OPS = {"exp": 0, "log": 1, "log1p": 2, "exp_neg": 3, "exp_sum": 4}


def _run(op, x):
    y = np.empty_like(x)
    _core.vmath(OPS[op], x, y)
    return y


def _ulp_err(y, ref, dtype):
    """Error in units of the last place of the correctly rounded result."""
    r = ref.astype(dtype)
    spacing = np.abs(np.spacing(r)).astype(np.float64)
    return np.abs(y.astype(np.float64) - ref) / spacing


def _inputs(op, dtype, rng):
    f32 = dtype == np.float32
    n = 200000
    if op in ("exp_neg", "exp_sum"):
        lo = -86.5 if f32 else -707.0
        x = np.concatenate([rng.uniform(lo, 0, n), rng.uniform(-1, 0, n), np.linspace(lo, 0, 5001)])
    elif op == "exp":
        lo, hi = (-86.5, 88.7) if f32 else (-707.0, 709.7)
        x = np.concatenate([rng.uniform(lo, hi, n), rng.uniform(-1, 1, n),
                            rng.uniform(-1e-6, 1e-6, 1000), np.linspace(lo, hi, 5001)])
    elif op == "log":
        e = 125 if f32 else 1020
        x = np.concatenate([np.exp2(rng.uniform(-e, e, n)), rng.uniform(0.5, 2, n),
                            1 + rng.uniform(-1e-6, 1e-6, 1000)])
    else:
        x = np.concatenate([rng.uniform(-0.999, 4, n), rng.uniform(-1e-3, 1e-3, n),
                            np.exp2(rng.uniform(-60, 60, n)), -np.exp2(rng.uniform(-60, -1, 1000))])
    return x.astype(dtype)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op,bound", [("exp", 2.0), ("exp_neg", 2.0), ("exp_sum", 2.0), ("log", 2.0),
                                      ("log1p", 3.0)])
def test_error_bound(isa, dtype, op, bound):
    prev = _runtime._set_isa(isa)
    try:
        rng = np.random.default_rng(1)
        x = _inputs(op, dtype, rng)
        y = _run(op, x)
        xd = x.astype(np.float64)
        op = "exp" if op.startswith("exp") else op
        if dtype == np.float64:
            # float64 results judged against a float64 reference plus its own
            # half-ulp: allow that slack on top of the bound
            ref = getattr(np, op)(xd)
            err = _ulp_err(y, ref, dtype)
            assert err.max() <= bound + 1.0, (op, x[np.argmax(err)], err.max())
        else:
            ref = getattr(np, op)(xd)
            err = _ulp_err(y, ref, dtype)
            assert err.max() <= bound, (op, x[np.argmax(err)], err.max())
    finally:
        _runtime._set_isa(prev)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values(isa, dtype):
    prev = _runtime._set_isa(isa)
    try:
        with np.errstate(all="ignore"):
            x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1e30, -1e30, 1e300 if dtype == np.float64 else 3e38],
                         dtype=dtype)
            for op in ("exp", "log", "log1p"):
                y = _run(op, x)
                ref = getattr(np, op)(x.astype(np.float64)).astype(dtype)
                # below the flush threshold exp returns 0 where numpy gives a subnormal
                np.testing.assert_array_equal(np.isnan(y), np.isnan(ref), err_msg=op)
                fin = np.isfinite(ref)
                np.testing.assert_array_equal(y[~fin & ~np.isnan(ref)], ref[~fin & ~np.isnan(ref)],
                                              err_msg=op)
                np.testing.assert_allclose(y[fin], ref[fin], rtol=4 * np.finfo(dtype).eps,
                                           atol=1e-300, err_msg=op)
            neg = np.array([np.nan, -np.inf, -0.0, 0.0, -1e30, -100.0, -700.0], dtype=dtype)
            yn = _run("exp_neg", neg)
            ref = np.exp(neg.astype(np.float64)).astype(dtype)
            np.testing.assert_array_equal(np.isnan(yn), np.isnan(ref))
            np.testing.assert_allclose(yn[1:], ref[1:], rtol=4 * np.finfo(dtype).eps,
                                       atol=4e-38 if dtype == np.float32 else 1e-300)
            ys = _run("exp_sum", neg)
            assert np.isnan(ys[0]) and (ys[1:] >= 0).all()
            np.testing.assert_allclose(ys[1:], ref[1:], rtol=4 * np.finfo(dtype).eps,
                                       atol=3e-38 if dtype == np.float32 else 1e-300)
            tiny = np.array([np.finfo(dtype).smallest_subnormal, np.finfo(dtype).tiny / 3], dtype=dtype)
            np.testing.assert_allclose(_run("log", tiny), np.log(tiny.astype(np.float64)),
                                       rtol=4 * np.finfo(dtype).eps)
    finally:
        _runtime._set_isa(prev)
