"""Elementwise losses: golden values from PyTorch, errors, broadcasting,
GaussianNLL's var forms, NaN / extreme inputs, and parity with torch when it
is installed."""
import json
import os
import warnings

import numpy as np
import pytest

import lossengine as le

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "golden_pointwise.npz")
LOSSES = ("l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "poisson_nll_loss",
          "gaussian_nll_loss", "kl_div")


def _golden():
    with np.load(GOLDEN, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    keys = [str(k) for k in data["meta/keys"]]
    return data, keys


_DATA, _KEYS = _golden()


def _call_golden(data, k):
    name = str(data[f"{k}/func"])
    kw = json.loads(str(data[f"{k}/kwargs"]))
    for kk in list(data):
        if kk.startswith(f"{k}/kw_"):
            kw[kk[len(k) + 4:]] = data[kk]
    scalars = set(int(i) for i in data[f"{k}/scalar_args"])
    args = []
    i = 0
    while f"{k}/arg{i}" in data:
        a = data[f"{k}/arg{i}"]
        args.append(float(a) if i in scalars else a)
        i += 1
    go = data[f"{k}/grad_output"]
    go = float(go) if go.ndim == 0 else go
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return name, le.functional.__dict__[name](*args, **kw, grad=True, grad_output=go)


def test_golden_provenance():
    assert str(_DATA["meta/torch"]).startswith("2.13")
    assert len(_KEYS) > 100


@pytest.mark.parametrize("k", _KEYS)
def test_golden(k):
    name, (out, g) = _call_golden(_DATA, k)
    f32 = k.endswith("float32")
    rtol, atol = (1e-5, 1e-6) if f32 else (1e-10, 1e-12)
    expect = _DATA[f"{k}/out"]
    assert np.asarray(out).dtype == expect.dtype
    np.testing.assert_allclose(out, expect, rtol=rtol, atol=atol, equal_nan=True)
    grads = g if isinstance(g, tuple) else (g,)
    j = 0
    for gi in grads:
        if gi is None:          # var given as a Python number
            continue
        exp_g = _DATA[f"{k}/grad{j}"]
        # torch's sigmoid/tanh derivatives are formed from y (1 - y**2, y (1 - y)),
        # which loses relative accuracy in the tails; ours keep it
        gatol = atol if name not in ("sigmoid", "tanh", "elu") else (1e-6 if f32 else 1e-15)
        np.testing.assert_allclose(gi, exp_g, rtol=rtol, atol=gatol, equal_nan=True,
                                   err_msg=f"grad {j}")
        j += 1


# ---------------------------------------------------------------- errors
def test_errors():
    x = np.ones(3)
    with pytest.raises(ValueError, match="beta"):
        le.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="delta"):
        le.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="delta"):
        le.huber_loss(x, x, delta=-2)
    for f in (le.l1_loss, le.mse_loss, le.huber_loss):
        with pytest.raises(ValueError, match="Weights and input must have the same size"):
            f(x, x, weight=np.ones(2))
    with pytest.raises(ValueError, match="reduction"):
        le.mse_loss(x, x, reduction="batchmean")
    with pytest.raises(ValueError, match="reduction"):
        le.kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match="var has negative"):
        le.gaussian_nll_loss(x, x, -1.0)
    with pytest.raises(ValueError, match="var has negative"):
        le.gaussian_nll_loss(x, x, np.array([1.0, -1.0, 1.0]))
    vbig = np.ones((70000,), np.float32)
    vbig[-1] = -1e-30                     # last block, large (threaded) input
    for red in ("none", "mean"):
        with pytest.raises(ValueError, match="var has negative"):
            le.gaussian_nll_loss(vbig, vbig, vbig, reduction=red, grad=True)
    with pytest.raises(ValueError, match="var has negative"):     # broadcast var
        le.gaussian_nll_loss(np.ones((4, 3)), np.ones((4, 3)), np.array([1.0, -2.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        le.gaussian_nll_loss(np.ones((3, 2)), np.ones((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        le.gaussian_nll_loss(np.ones((3, 2)), np.ones((3, 2)), np.ones((1, 1)))
    with pytest.raises(ValueError, match="target"):
        le.l1_loss(np.ones((3, 2)), np.ones(3))
    with pytest.raises(TypeError, match="input"):
        le.mse_loss(np.array(["a"]), np.ones(1))
    with pytest.raises(TypeError, match="beta"):
        le.smooth_l1_loss(x, x, beta="1")
    with pytest.raises(ValueError, match="grad_output"):
        le.l1_loss(x, x, grad_output=1.0)
    with pytest.raises(TypeError, match="grad_out"):
        le.gaussian_nll_loss(x, x, x, grad=True, grad_out=np.zeros(3))
    with pytest.raises(ValueError, match="grad_out"):
        le.gaussian_nll_loss(x, x, 0.5, grad=True, grad_out=(np.zeros(3), np.zeros(3)))
    buf = np.zeros(6)
    with pytest.raises(ValueError, match="grad_out"):
        le.gaussian_nll_loss(x, x, x, grad=True, grad_out=(buf[:3], buf[:3]))
    with pytest.raises(ValueError, match="grad_out"):
        le.mse_loss(x, x, grad=True, grad_out=x)        # shares memory with input


def test_positional_options_are_keyword_only():
    x = np.ones(3)
    with pytest.raises(TypeError):
        le.l1_loss(x, x, "sum")
    with pytest.raises(TypeError):
        le.gaussian_nll_loss(x, x, x, True)


# ---------------------------------------------------------------- semantics
def test_weight_normalisation():
    x = np.array([1.0, 2.0])
    t = np.zeros(2)
    w = np.array([1.0, 3.0])
    assert le.l1_loss(x, t, weight=w) == pytest.approx(7 / 4)
    assert le.mse_loss(x, t, weight=w) == pytest.approx(13 / 4)
    assert le.huber_loss(x, t, weight=w) == pytest.approx((0.5 + 3 * 1.5) / 2)
    _, g = le.l1_loss(x, t, weight=w, grad=True)
    np.testing.assert_allclose(g, [0.25, 0.75])


def test_smooth_l1_beta0_is_l1():
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((2, 50))
    x[:5] = t[:5]
    for red in ("none", "mean", "sum"):
        a, ga = le.smooth_l1_loss(x, t, beta=0.0, reduction=red, grad=True)
        b, gb = le.l1_loss(x, t, reduction=red, grad=True)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ga, gb)
    assert np.all(ga[:5] == 0)


def test_broadcast_warns_and_sums_gradient():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 4))
    t = rng.standard_normal((3, 4))
    with pytest.warns(UserWarning, match="target size"):
        l, g = le.mse_loss(x, t, reduction="sum", grad=True)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, (2 * (x - t)).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(l, ((x - t) ** 2).sum())
    # grad_out receives the summed gradient
    buf = np.empty((1, 4))
    with pytest.warns(UserWarning):
        _, g2 = le.mse_loss(x, t, reduction="sum", grad=True, grad_out=buf)
    assert g2 is buf
    np.testing.assert_array_equal(g2, g)
    # poisson / kl broadcast silently
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        le.poisson_nll_loss(x, np.abs(t), grad=True)
        le.kl_div(x, np.abs(t), reduction="sum")


def test_kl_mean_warns_and_batchmean():
    x = np.log(np.full((4, 5), 0.2))
    t = np.full((4, 5), 0.2)
    with pytest.warns(UserWarning, match="batchmean"):
        le.kl_div(x, t)
    t2 = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    x2 = np.log(np.array([[0.3, 0.3, 0.4], [0.1, 0.1, 0.8]]))
    v, g = le.kl_div(x2, t2, reduction="batchmean", grad=True)
    ref = np.sum(np.where(t2 > 0, t2 * (np.log(np.where(t2 > 0, t2, 1)) - x2), 0)) / 2
    assert v == pytest.approx(ref)
    np.testing.assert_allclose(g, -t2 / 2)
    # 0-d input: batchmean is the sum
    assert le.kl_div(np.float64(-1.0), 0.5, reduction="batchmean") == \
        pytest.approx(0.5 * (np.log(0.5) + 1))
    # negative target -> NaN, zero target with -inf input -> NaN (as torch)
    r = le.kl_div(np.array([0.0, -np.inf]), np.array([-1.0, 0.0]), reduction="none")
    assert np.isnan(r).all()


def test_empty():
    e = np.zeros((0, 3))
    for f in (le.l1_loss, le.mse_loss, le.smooth_l1_loss, le.huber_loss, le.poisson_nll_loss):
        assert np.isnan(f(e, e))
        assert f(e, e, reduction="sum") == 0
        l, g = f(e, e, reduction="sum", grad=True)
        assert g.shape == e.shape
    assert np.isnan(le.kl_div(e, e, reduction="batchmean"))
    assert np.isnan(le.gaussian_nll_loss(e, e, e))


def test_poisson_stirling_only_above_one():
    x = np.zeros(3)
    t = np.array([0.0, 1.0, 3.0])
    a = le.poisson_nll_loss(x, t, full=True, reduction="none")
    b = le.poisson_nll_loss(x, t, reduction="none")
    np.testing.assert_array_equal(a[:2], b[:2])
    assert a[2] - b[2] == pytest.approx(3 * np.log(3) - 3 + 0.5 * np.log(2 * np.pi * 3))


def test_gaussian_var_forms():
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal((2, 4, 3))
    v = rng.random((4, 3)) + 0.5
    full, (gx, gv) = le.gaussian_nll_loss(x, t, v, grad=True)
    # var without the last axis, or with a size-1 axis: gradient summed over it
    vl = v[:, 0]
    a, (gx2, gv2) = le.gaussian_nll_loss(x, t, vl, grad=True)
    b, (gx3, gv3) = le.gaussian_nll_loss(x, t, np.repeat(vl[:, None], 3, 1), grad=True)
    assert a == pytest.approx(b)
    np.testing.assert_allclose(gx2, gx3)
    assert gv2.shape == (4,)
    np.testing.assert_allclose(gv2, gv3.sum(axis=1))
    c, (gx4, gv4) = le.gaussian_nll_loss(x, t, vl[:, None], grad=True)
    assert gv4.shape == (4, 1)
    np.testing.assert_allclose(gv4[:, 0], gv2)
    # a Python number: weak (keeps float32), gradient slot None
    x32, t32 = x.astype(np.float32), t.astype(np.float32)
    l, (g, gnone) = le.gaussian_nll_loss(x32, t32, 0.5, grad=True)
    assert gnone is None and g.dtype == np.float32 and l.dtype == np.float32
    l64 = le.gaussian_nll_loss(x, t, np.full((4, 3), 0.5))
    assert l == pytest.approx(l64, rel=1e-5)
    buf = np.empty_like(x32)
    _, (g5, none5) = le.gaussian_nll_loss(x32, t32, 0.5, grad=True, grad_out=(buf, None))
    assert g5 is buf and none5 is None
    # a float64 var raises the compute dtype (var is a prediction)
    assert le.gaussian_nll_loss(x32, t32, v).dtype == np.float64


def test_gaussian_eps_clamp_gradient_at_clamped_value():
    x = np.array([1.0, 2.0])
    t = np.array([0.0, 0.0])
    v = np.array([0.0, 1e-9])
    eps = 1e-6
    l, (gx, gv) = le.gaussian_nll_loss(x, t, v, eps=eps, reduction="sum", grad=True)
    assert l == pytest.approx(np.sum(0.5 * (np.log(eps) + x ** 2 / eps)))
    np.testing.assert_allclose(gx, x / eps)
    np.testing.assert_allclose(gv, 0.5 * (1 / eps - x ** 2 / eps ** 2))   # not zeroed


def test_nan_and_extremes():
    x = np.array([np.nan, 0.0, 1.0], np.float32)
    t = np.zeros(3, np.float32)
    l, g = le.l1_loss(x, t, reduction="none", grad=True)
    assert np.isnan(l[0]) and g[0] == 0          # torch: sign(NaN) -> 0
    for f in (le.mse_loss, le.smooth_l1_loss, le.huber_loss):
        l, g = f(x, t, reduction="none", grad=True)
        assert np.isnan(l[0]) and np.isnan(g[0]) and np.isfinite(g[1:]).all()
    assert np.isnan(le.mse_loss(x, t))
    big = np.array([1e4, -1e4], np.float32)
    for f in (le.l1_loss, le.smooth_l1_loss, le.huber_loss):
        l, g = f(big, np.zeros(2, np.float32), grad=True)
        assert np.isfinite(l) and np.isfinite(g).all()
    l, g = le.poisson_nll_loss(np.array([50.0, -80.0], np.float32), np.ones(2, np.float32),
                               grad=True)
    assert np.isfinite(l) and np.isfinite(g).all()


def test_criteria():
    rng = np.random.default_rng(4)
    x, t = rng.standard_normal((2, 5, 3))
    v = rng.random((5, 3)) + 0.1
    crit = le.nn.GaussianNLLLoss(full=True, reduction="sum")
    assert crit(x, t, v) == le.gaussian_nll_loss(x, t, v, full=True, reduction="sum")
    loss, (gx, gv) = crit.forward_backward(x, t, v)
    assert gv.shape == v.shape
    crit = le.nn.SmoothL1Loss(beta=0.3)
    np.testing.assert_array_equal(crit.backward() if False else crit(x, t),
                                  le.smooth_l1_loss(x, t, beta=0.3))
    crit = le.nn.KLDivLoss(reduction="batchmean", log_target=True)
    assert crit(x, t) == le.kl_div(x, t, reduction="batchmean", log_target=True)
    crit = le.nn.PoissonNLLLoss(log_input=False, full=True)
    assert crit(np.abs(x), np.abs(t)) == le.poisson_nll_loss(np.abs(x), np.abs(t),
                                                              log_input=False, full=True)
    for cls in ("L1Loss", "MSELoss", "HuberLoss"):
        assert hasattr(le.nn, cls)


# ---------------------------------------------------------------- torch parity
def _torch_case(name, x, t, v, kw, red, dt, go):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    xt = torch.tensor(x.astype(dt), requires_grad=True)
    tt = torch.tensor(t.astype(dt))
    args = [xt, tt]
    vt = None
    if v is not None:
        vt = torch.tensor(v.astype(dt), requires_grad=True)
        args.append(vt)
    tkw = {k: (torch.tensor(val) if isinstance(val, np.ndarray) else val) for k, val in kw.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = getattr(F, name)(*args, reduction=red, **tkw)
    y.backward(torch.tensor(go.astype(dt)).reshape(y.shape))
    return y.detach().numpy(), xt.grad.numpy(), None if vt is None else vt.grad.numpy()


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_torch_parity(name, dt):
    pytest.importorskip("torch")
    rng = np.random.default_rng(hash(name) % 1000)
    shape = (3, 17, 5)
    x = rng.standard_normal(shape) * 2
    t = rng.standard_normal(shape) * 2
    v = None
    kws = [{}]
    reds = ["none", "mean", "sum"]
    if name == "smooth_l1_loss":
        kws = [{"beta": 1.0}, {"beta": 0.3}, {"beta": 0.0}]
    elif name == "huber_loss":
        kws = [{"delta": 1.0}, {"delta": 2.5}, {"weight": rng.random(shape)}]
    elif name in ("l1_loss", "mse_loss"):
        kws = [{}, {"weight": rng.random(shape)}]
    elif name == "poisson_nll_loss":
        t = rng.integers(0, 8, size=shape).astype(np.float64)
        kws = [{}, {"full": True}, {"log_input": False, "full": True}, {"log_input": False}]
        x = np.where(True, np.abs(x), x)
    elif name == "kl_div":
        reds = reds + ["batchmean"]
        t = np.abs(t)
        t.reshape(-1)[::4] = 0
        kws = [{}, {"log_target": True}]
    elif name == "gaussian_nll_loss":
        v = rng.random(shape) + 0.05
        v.reshape(-1)[::7] = 1e-8
        kws = [{}, {"full": True, "eps": 1e-3}]
    rtol, atol = (1e-5, 1e-5) if dt == "float32" else (1e-10, 1e-12)
    for kw in kws:
        for red in reds:
            go = rng.standard_normal(shape) if red == "none" else np.array(0.7)
            ekw = {k: (val.astype(dt) if isinstance(val, np.ndarray) else val)
                   for k, val in kw.items()}
            y, gx, gv = _torch_case(name, x, t, v, ekw, red, dt, go)
            args = [x.astype(dt), t.astype(dt)] + ([v.astype(dt)] if v is not None else [])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out, g = getattr(le, name)(*args, reduction=red, **ekw, grad=True,
                                           grad_output=go if red == "none" else 0.7)
            np.testing.assert_allclose(out, y, rtol=rtol, atol=atol, err_msg=f"{kw} {red}")
            grads = g if isinstance(g, tuple) else (g,)
            np.testing.assert_allclose(grads[0], gx, rtol=rtol, atol=atol, err_msg=f"{kw} {red}")
            if gv is not None:
                np.testing.assert_allclose(grads[1], gv, rtol=rtol, atol=atol * 10,
                                           err_msg=f"{kw} {red} var")


def test_torch_parity_broadcast():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 6, 1))
    t = rng.standard_normal((4, 6, 3))
    v = rng.random((1, 6, 1)) + 0.1
    for name in ("l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "poisson_nll_loss"):
        y, gx, _ = _torch_case(name, x, t, None, {}, "mean", "float64", np.array(1.0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out, g = getattr(le, name)(x, t, grad=True)
        np.testing.assert_allclose(out, y, rtol=1e-12)
        np.testing.assert_allclose(g, gx, rtol=1e-10, atol=1e-14)
    xt = torch.tensor(x, requires_grad=True)
    vt = torch.tensor(v, requires_grad=True)
    y = torch.nn.functional.gaussian_nll_loss(xt, torch.tensor(t), vt)
    y.backward()
    out, (gx, gv) = le.gaussian_nll_loss(x, t, v, grad=True)
    np.testing.assert_allclose(out, y.item(), rtol=1e-12)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gv, vt.grad.numpy(), rtol=1e-10)


def test_smooth_l1_subnormal_beta():
    # 1/beta overflows float32: the kernel divides instead of multiplying
    x = np.array([0.0, 1e-41, 1.0], np.float32)
    l, g = le.smooth_l1_loss(x, np.zeros(3, np.float32), beta=1e-40, reduction="none",
                             grad=True)
    b = np.float64(np.float32(1e-40))
    np.testing.assert_allclose(g, [0.0, np.float64(np.float32(1e-41)) / b, 1.0], rtol=1e-5)
    assert np.all(np.isfinite(l))
