"""Activations: accuracy in the tails and near 0, derivatives at kinks,
PReLU's weight gradient, errors, and parity with torch when installed."""
import numpy as np
import pytest

import lossengine as le

ACTS = {  # name: list of keyword sets
    "sigmoid": [{}], "log_sigmoid": [{}], "softplus": [{}, {"beta": 2.0, "threshold": 3.0},
                                                       {"beta": -0.5}],
    "relu": [{}], "relu6": [{}], "leaky_relu": [{}, {"negative_slope": 0.3}],
    "elu": [{}, {"alpha": 0.5}], "threshold": [{"threshold": 0.5, "value": -2.0}],
    "hardtanh": [{}, {"min_val": -0.5, "max_val": 2.0}], "tanh": [{}],
    "softshrink": [{}, {"lambd": 0.0}, {"lambd": 2.0}], "softsign": [{}],
}
KINKS = np.array([0.0, 6.0, -1.0, 1.0, 0.5, -0.5, 2.0, -2.0, -0.0, np.nan, np.inf, -np.inf])


def _x(rng, dt, n=300):
    x = rng.standard_normal(n) * 4
    x[: KINKS.size] = KINKS
    return x.astype(dt)


def _torch_fn(name):
    import torch
    F = torch.nn.functional
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "log_sigmoid": F.logsigmoid}.get(
        name) or getattr(F, name)


@pytest.mark.parametrize("name", list(ACTS))
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_torch_parity(name, dt):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = _x(rng, dt)
    go = rng.standard_normal(x.shape).astype(dt)
    for kw in ACTS[name]:
        xt = torch.tensor(x.astype(np.float64), requires_grad=True)
        y = _torch_fn(name)(xt, **kw)
        y.backward(torch.tensor(go.astype(np.float64)))
        out, g = getattr(le, name)(x, **kw, grad=True, grad_output=go)
        rtol, atol = (1e-4, 1e-5) if dt == "float32" else (1e-10, 1e-12)
        np.testing.assert_allclose(out, y.detach().numpy(), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=str(kw))
        gatol = atol if name not in ("sigmoid", "tanh") else max(atol, 1e-15)
        gt = xt.grad.numpy()
        if name == "softsign":      # torch: NaN at +-inf (inf/inf); ours: the limit 0
            assert np.all(g[np.isinf(x)] == 0)
            gt = np.where(np.isinf(x), 0.0, gt)
        np.testing.assert_allclose(g, gt, rtol=rtol, atol=gatol,
                                   equal_nan=True, err_msg=f"grad {kw}")
        # value only call agrees bitwise with the fused one
        np.testing.assert_array_equal(getattr(le, name)(x, **kw), out)


def test_kink_subgradients():
    x = np.array([0.0, 6.0, -1.0, 1.0, 0.5, -0.5])
    assert le.relu(x, grad=True)[1][0] == 0
    g = le.relu6(x, grad=True)[1]
    assert g[0] == 0 and g[1] == 0
    g = le.hardtanh(x, grad=True)[1]
    assert g[2] == 0 and g[3] == 0 and g[0] == 1
    g = le.threshold(x, 0.5, -2.0, grad=True)[1]
    assert g[4] == 0 and g[3] == 1
    assert le.threshold(x, 0.5, -2.0)[4] == -2.0
    assert le.elu(x, alpha=2.0, grad=True)[1][0] == 2.0
    assert le.leaky_relu(x, 0.2, grad=True)[1][0] == pytest.approx(0.2)
    g = le.softshrink(x, grad=True)[1]
    assert g[4] == 0 and g[5] == 0 and g[2] == 1


def test_accuracy_tails_and_small():
    x = np.concatenate([np.logspace(-300, 0, 200), -np.logspace(-300, 0, 200),
                        np.linspace(-40, 40, 401)])
    # float64: within a few ulp of NumPy's tanh everywhere (small |x| included)
    np.testing.assert_allclose(le.tanh(x), np.tanh(x), rtol=1.2e-15, atol=0)
    sech2 = 1 / np.cosh(x) ** 2
    np.testing.assert_allclose(le.tanh(x, grad=True)[1], sech2, rtol=1e-14, atol=0)
    s = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(x) / (1 + np.exp(x)))
    np.testing.assert_allclose(le.sigmoid(x), s, rtol=1e-15, atol=0)
    ds = np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))) ** 2
    np.testing.assert_allclose(le.sigmoid(x, grad=True)[1], ds, rtol=1e-14, atol=0)
    ls = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(le.log_sigmoid(x), ls, rtol=1e-15, atol=1e-300)
    # float32: relative accuracy near 0 and in the tails
    x32 = x.astype(np.float32)
    x64 = x32.astype(np.float64)
    np.testing.assert_allclose(le.tanh(x32), np.tanh(x64), rtol=1e-6, atol=1e-37)
    np.testing.assert_allclose(le.elu(x32[x32 > -80]), np.where(x64 > 0, x64, np.expm1(x64))[x32 > -80],
                               rtol=1e-6, atol=1e-37)
    # extreme inputs stay finite
    big = np.array([1e4, -1e4, 1e30, -1e30], np.float32)
    for name in ("sigmoid", "log_sigmoid", "softplus", "tanh", "softsign", "elu"):
        y, g = getattr(le, name)(big, grad=True)
        assert np.all(np.isfinite(y)) and np.all(np.isfinite(g)), name
    y, g = le.softplus(np.array([800.0]), threshold=1000.0, grad=True)
    assert y[0] == pytest.approx(800.0) and g[0] == 1.0     # torch: inf, nan
    assert le.log_sigmoid(np.array([-1e300]))[0] == -1e300


def test_dtypes_and_shapes():
    assert le.sigmoid(np.arange(3)).dtype == np.float32
    assert le.relu(np.float16([1, -1])).dtype == np.float32
    y = le.tanh(2.0)
    assert np.ndim(y) == 0 and y == pytest.approx(np.tanh(2.0))
    y, g = le.relu(np.ones((0, 3)), grad=True)
    assert y.shape == (0, 3) and g.shape == (0, 3)
    x = np.linspace(-2, 2, 24).reshape(2, 3, 4)
    _, g = le.softsign(x, grad=True, grad_output=np.arange(4.0))  # broadcast grad_output
    np.testing.assert_allclose(g, np.arange(4.0) / (1 + np.abs(x)) ** 2)
    xf = np.asfortranarray(x)
    np.testing.assert_array_equal(le.elu(xf), le.elu(x))


def test_errors():
    x = np.ones(3)
    with pytest.raises(ValueError, match="lambd"):
        le.softshrink(x, -1.0)
    with pytest.raises(ValueError, match="min_val"):
        le.hardtanh(x, 2.0, 1.0)
    with pytest.raises(ValueError, match="beta"):
        le.softplus(x, beta=0)
    with pytest.raises(TypeError, match="negative_slope"):
        le.leaky_relu(x, "a")
    with pytest.raises(TypeError):
        le.threshold(x, 0.5)
    with pytest.raises(ValueError, match="weight"):
        le.prelu(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="weight"):
        le.prelu(np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match="weight"):
        le.prelu(np.ones((2, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="grad_output"):
        le.tanh(x, grad_output=np.ones(3))
    with pytest.raises(ValueError, match="grad_output"):
        le.tanh(x, grad=True, grad_output=np.ones(4))
    with pytest.raises(TypeError, match="grad_out"):
        le.prelu(x, np.ones(1), grad=True, grad_out=np.ones(3))


def test_prelu():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 5, 2))
    w = np.array([0.1, 0.2, 0.3])
    go = rng.standard_normal(x.shape)
    y, (gx, gw) = le.prelu(x, w, grad=True, grad_output=go)
    wb = w.reshape(1, 3, 1, 1)
    np.testing.assert_allclose(y, np.where(x > 0, x, wb * x))
    np.testing.assert_allclose(gx, np.where(x > 0, go, wb * go))
    np.testing.assert_allclose(gw, np.where(x > 0, 0, x * go).sum(axis=(0, 2, 3)))
    y1, (gx1, gw1) = le.prelu(x, np.array(0.25), grad=True)
    assert gw1.shape == ()
    np.testing.assert_allclose(gw1, np.where(x > 0, 0, x).sum())
    assert le.prelu(np.float64(-2.0), np.array([0.5])) == -1.0
    # weight float64 raises the compute dtype (weight is a prediction)
    assert le.prelu(x.astype(np.float32), w).dtype == np.float64
    bx, bw = np.empty_like(x), np.empty(3)
    _, (g1, g2) = le.prelu(x, w, grad=True, grad_out=(bx, bw))
    assert g1 is bx and g2 is bw
    # large input: weight gradient identical for any thread count
    xb = rng.standard_normal((8, 3, 40000)).astype(np.float32)
    prev = le.get_num_threads()
    try:
        res = []
        for n in (1, 2, 3):
            le.set_num_threads(n)
            res.append(le.prelu(xb, w.astype(np.float32), grad=True)[1][1])
        for r in res[1:]:
            np.testing.assert_array_equal(r, res[0])
    finally:
        le.set_num_threads(prev)


def test_prelu_torch_parity():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    for shape, nw in [((4, 3, 7), 3), ((4, 3, 7), 1), ((5, 6), 6), ((9,), 1)]:
        x = rng.standard_normal(shape)
        x.reshape(-1)[:3] = [0.0, np.nan, -0.0]
        w = rng.random(nw)
        go = rng.standard_normal(shape)
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(w, requires_grad=True)
        y = torch.nn.functional.prelu(xt, wt)
        y.backward(torch.tensor(go))
        out, (gx, gw) = le.prelu(x, w, grad=True, grad_output=go)
        np.testing.assert_allclose(out, y.detach().numpy(), rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(gw, wt.grad.numpy(), rtol=1e-10, equal_nan=True)


def test_float32_exp_paths_ulp():
    """float32 sigmoid / log_sigmoid / softplus / tanh / elu and their derivatives
    (exp of a non-positive argument with FMA, log1p on [0, 1]) stay within a
    few ulp of the float64 formulas on dense sweeps, at every ISA level."""
    from lossengine import _runtime
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-80, 80, 200000), rng.uniform(-2, 2, 200000),
                        np.logspace(-30, 1.8, 4000), -np.logspace(-30, 1.8, 4000)]
                       ).astype(np.float32)
    x64 = x.astype(np.float64)
    e = np.exp(-np.abs(x64))
    q = 1 / (1 + e)
    refs = {
        "sigmoid": (np.where(x64 >= 0, q, e * q), e * q * q),
        "log_sigmoid": (np.minimum(x64, 0) - np.log1p(e), np.where(x64 >= 0, e * q, q)),
        "softplus": (np.where(x64 > 20, x64, np.maximum(x64, 0) + np.log1p(e)),
                     np.where(x64 > 20, 1.0, np.where(x64 >= 0, q, e * q))),
        "tanh": (np.tanh(x64), 1 / np.cosh(x64) ** 2),
        "elu": (np.where(x64 > 0, x64, np.expm1(x64)), np.where(x64 > 0, 1.0, np.exp(x64))),
    }
    small = np.abs(x64) < 40        # tanh's sech^2 flushes to 0 beyond (true value < 1e-34)

    def ulp(y, ref):
        sp = np.maximum(np.abs(np.spacing(ref.astype(np.float32))).astype(np.float64),
                        float(np.spacing(np.float32(1.2e-38))))
        return np.max(np.abs(y.astype(np.float64) - ref) / sp)

    for isa in [i for i in ("baseline", "avx2", "avx512")
                if ("baseline", "avx2", "avx512").index(i)
                <= ("baseline", "avx2", "avx512").index(le.best_isa())]:
        prev = _runtime._set_isa(isa)
        try:
            for name, (ry, rg) in refs.items():
                y, g = getattr(le, name)(x, grad=True)
                assert ulp(y, ry) <= 5, (isa, name, ulp(y, ry))
                m = small if name == "tanh" else slice(None)
                assert ulp(g[m], rg[m]) <= 6, (isa, name, ulp(g[m], rg[m]))
        finally:
            _runtime._set_isa(prev)
