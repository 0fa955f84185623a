"""Log-sum-exp family: golden values from PyTorch, edge cases, errors."""
import json
import os

import numpy as np
import pytest

import lossengine as le

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "golden_lse.npz")


def _tol(dt):
    return dict(rtol=1e-4, atol=1e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-12)


def _golden_cases():
    with np.load(GOLDEN, allow_pickle=False) as z:
        names = list(z["__cases__"])
        data = {k: z[k] for k in z.files}
    return [(n, data) for n in names]


GOLDEN_CASES = _golden_cases()


@pytest.mark.parametrize("name,data", GOLDEN_CASES, ids=[c[0] for c in GOLDEN_CASES])
def test_golden(name, data):
    fn = str(data[f"{name}/fn"])
    opts = json.loads(str(data[f"{name}/opts"]))
    x = data[f"{name}/input"]
    kw = dict(opts)
    args = [x]
    if fn in ("cross_entropy", "nll_loss"):
        args.append(data[f"{name}/target"])
        if f"{name}/weight" in data:
            kw["weight"] = data[f"{name}/weight"]
    out, g = getattr(le, fn)(*args, **kw, grad=True, grad_output=data[f"{name}/grad_output"]
                             if data[f"{name}/out"].ndim else float(data[f"{name}/grad_output"]))
    assert np.asarray(out).dtype == x.dtype
    np.testing.assert_allclose(out, data[f"{name}/out"], **_tol(x.dtype))
    np.testing.assert_allclose(g, data[f"{name}/grad"], **_tol(x.dtype))
    assert np.isfinite(np.asarray(out)).all()


# ---------------------------------------------------------------- edge cases
@pytest.mark.parametrize("dt,big", [(np.float32, 1e4), (np.float64, 1e300)])
def test_extreme_logits_finite(dt, big):
    x = np.array([[big, -big, 0.0], [-big, -big, -big], [big, big, -big]], dtype=dt)
    t = np.array([1, 0, 2])
    for ls in (0.0, 0.3):
        for red in ("none", "mean", "sum"):
            out, g = le.cross_entropy(x, t, reduction=red, label_smoothing=ls, grad=True)
            assert np.isfinite(out).all() and np.isfinite(g).all()
    l = le.cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(l, [2 * big, np.log(3), 2 * big + np.log(2)], rtol=1e-6)
    y, g = le.log_softmax(x, grad=True)
    assert np.isfinite(y).all() and np.isfinite(g).all()
    assert np.isfinite(le.logsumexp(x)).all()


def test_nan_propagates_to_its_row_only():
    x = np.random.default_rng(0).standard_normal((4, 5))
    x[1, 2] = np.nan
    t = np.array([0, 1, 2, 3])
    l, g = le.cross_entropy(x, t, reduction="none", grad=True)
    assert np.isnan(l[1]) and np.isfinite(l[[0, 2, 3]]).all()
    assert np.isnan(g[1]).all() and np.isfinite(g[[0, 2, 3]]).all()
    assert np.isnan(le.cross_entropy(x, t))
    y = le.softmax(x)
    assert np.isnan(y[1]).all() and np.isfinite(y[[0, 2, 3]]).all()


def test_infinities_like_torch():
    # logsumexp shifts by 0 for an infinite max (torch): all -inf gives -inf
    assert le.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    assert le.logsumexp(np.array([np.inf, 1.0])) == np.inf
    # softmax / CE of a row containing +inf is NaN (inf - inf), as torch
    assert np.isnan(le.softmax(np.array([np.inf, 1.0]))).all()
    # a -inf logit that is not the target is harmless
    x = np.array([[-np.inf, 0.0, 1.0]])
    np.testing.assert_allclose(le.cross_entropy(x, np.array([2])), np.log1p(np.exp(-1.0)))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_empty_batch(dt):
    x = np.zeros((0, 4), dt)
    t = np.zeros(0, np.int64)
    assert np.isnan(le.cross_entropy(x, t))
    assert le.cross_entropy(x, t, reduction="sum") == 0
    assert le.cross_entropy(x, t, reduction="none").shape == (0,)
    l, g = le.cross_entropy(x, t, grad=True)
    assert np.isnan(l) and g.shape == (0, 4)
    assert le.nll_loss(x, t, reduction="sum") == 0
    assert le.softmax(np.zeros((0, 3), dt)).shape == (0, 3)


def test_all_ignored():
    x = np.random.default_rng(1).standard_normal((3, 4))
    t = np.full(3, -100)
    assert np.isnan(le.cross_entropy(x, t))
    assert le.cross_entropy(x, t, reduction="sum") == 0
    l, g = le.cross_entropy(x, t, reduction="sum", grad=True)
    assert (g == 0).all()
    np.testing.assert_array_equal(le.cross_entropy(x, t, reduction="none"), 0)


def test_ignore_index_with_smoothing_and_weight():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 4))
    t = np.array([0, -100, 3, 2, -100])
    w = np.array([1.0, 2.0, 0.5, 3.0])
    # hand formula: (1-e)*nll + e/C * smooth, both over sum of w[t] (non-ignored)
    lp = x - np.log(np.exp(x).sum(1, keepdims=True))
    valid = t != -100
    ts = np.where(valid, t, 0)
    nll = -(w[ts] * lp[np.arange(5), ts])[valid].sum()
    sm = -(w * lp).sum(1)[valid].sum()
    expect = (0.8 * nll + 0.2 / 4 * sm) / w[ts][valid].sum()
    np.testing.assert_allclose(le.cross_entropy(x, t, w, label_smoothing=0.2), expect, rtol=1e-12)


def test_channels_last_matches_transposed():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 6, 4)).astype(np.float32)   # N H W C
    t = rng.integers(0, 4, (2, 5, 6))
    a, ga = le.cross_entropy(x, t, axis=-1, label_smoothing=0.1, grad=True)
    xt = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    b, gb = le.cross_entropy(xt, t, label_smoothing=0.1, grad=True)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(ga, np.moveaxis(gb, 1, -1), rtol=1e-5, atol=1e-8)
    assert le.cross_entropy(x, t, dim=-1, label_smoothing=0.1) == a


def test_dtype_promotion_and_targets():
    x16 = np.random.default_rng(4).standard_normal((3, 4)).astype(np.float16)
    assert le.cross_entropy(x16, [0, 1, 2]).dtype == np.float32
    assert le.cross_entropy(x16.astype(np.float64), [0, 1, 2]).dtype == np.float64
    assert le.cross_entropy([[1, 2], [3, 4]], [0, 1]).dtype == np.float32   # int logits
    for tdt in (np.int8, np.uint8, np.int16, np.int32, np.uint32, np.int64):
        np.testing.assert_array_equal(le.cross_entropy(x16, np.array([0, 1, 2], tdt)),
                                      le.cross_entropy(x16, [0, 1, 2]))
    # a float32 weight does not raise a float32 input to float64, a float64 input stays
    assert le.cross_entropy(x16.astype(np.float32), [0, 1, 2], np.ones(4)).dtype == np.float32


def test_prediction_never_written():
    x = np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32)
    x.flags.writeable = False
    t = np.array([0, 1, 2, 0])
    l, g = le.cross_entropy(x, t, grad=True)
    assert not np.shares_memory(g, x)


# ---------------------------------------------------------------- errors
def test_errors_name_the_argument():
    x = np.zeros((4, 3))
    t = np.array([0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"target.*value 3 .*position \(2,\)"):
        le.cross_entropy(x, np.array([0, 1, 3, 0]))
    with pytest.raises(ValueError, match="target"):
        le.nll_loss(x, np.array([0, -1, 0, 0]))
    with pytest.raises(ValueError, match="batch_size"):
        le.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match="target"):
        le.cross_entropy(np.zeros((2, 3, 4)), np.zeros((2, 5), np.int64))
    with pytest.raises(ValueError, match="weight"):
        le.cross_entropy(x, t, np.ones(4))
    with pytest.raises(ValueError, match="label_smoothing"):
        le.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(ValueError, match="label_smoothing"):
        le.cross_entropy(x, t, label_smoothing=-0.1)
    with pytest.raises(ValueError, match="reduction"):
        le.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match="dimensions"):
        le.cross_entropy(np.float64(1.0), np.array(0))
    with pytest.raises(TypeError, match="target"):
        le.cross_entropy(x, np.array([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(TypeError, match="target"):
        le.cross_entropy(x, np.array([True, False, True, False]))
    with pytest.raises(TypeError, match="target"):
        le.cross_entropy(x, np.zeros((4, 3), np.int64))       # probabilities must be float
    with pytest.raises(TypeError, match="target"):
        le.nll_loss(x, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="ignore_index"):
        le.cross_entropy(x, np.full((4, 3), 1 / 3), ignore_index=0)
    with pytest.raises(TypeError, match="input"):
        le.cross_entropy(np.array([["a"]]), [0])
    with pytest.raises(ValueError, match="axis"):
        le.cross_entropy(x, t, axis=3)
    with pytest.raises(ValueError, match="axis"):
        le.softmax(x, axis=2)
    with pytest.raises(ValueError, match="grad_output"):
        le.cross_entropy(x, t, grad=True, grad_output=np.ones(3))
    with pytest.raises(ValueError, match="grad_output"):
        le.cross_entropy(x, t, reduction="none", grad=True, grad_output=np.ones(3))
    with pytest.raises(ValueError, match="grad_out"):
        le.cross_entropy(x, t, grad_out=np.zeros((4, 3)))


def test_grad_out_checks_before_writing():
    x = np.random.default_rng(6).standard_normal((4, 3))
    t = np.array([0, 1, 2, 0])
    with pytest.raises(ValueError, match="share memory"):
        le.cross_entropy(x, t, grad=True, grad_out=x)
    ro = np.zeros((4, 3))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        le.cross_entropy(x, t, grad=True, grad_out=ro)
    buf = np.full((4, 3), 7.0)
    with pytest.raises(ValueError, match="target"):
        le.cross_entropy(x, np.array([0, 1, 5, 0]), grad=True, grad_out=buf)
    # a non-contiguous destination is honoured
    big = np.zeros((4, 6))
    l, g = le.cross_entropy(x, t, grad=True, grad_out=big[:, ::2])
    assert g.base is big
    np.testing.assert_array_equal(g, le.cross_entropy(x, t, grad=True)[1])


def test_softmax_scalar_and_keepdim():
    assert le.softmax(np.float64(3.0)) == 1.0
    x = np.random.default_rng(7).standard_normal((3, 4))
    assert le.logsumexp(x, axis=1, keepdim=True).shape == (3, 1)
    np.testing.assert_allclose(le.logsumexp(x, dim=0), np.log(np.exp(x).sum(0)))
    y, g = le.logsumexp(x, axis=1, keepdim=True, grad=True, grad_output=np.ones((3, 1)))
    np.testing.assert_allclose(g, le.softmax(x, axis=1))


# ---------------------------------------------------------------- torch parity
def test_torch_parity_random():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(8)
    for dt in (np.float32, np.float64):
        for shape in [(17, 33), (3, 7, 5, 9), (65,)]:
            x = (rng.standard_normal(shape) * 4).astype(dt)
            C = shape[1] if len(shape) > 1 else shape[0]
            pos = (shape[0],) + shape[2:] if len(shape) > 1 else ()
            t = rng.integers(0, C, pos)
            w = (rng.random(C) + 0.1).astype(dt)
            for red in ("none", "mean", "sum"):
                for ls in (0.0, 0.25):
                    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
                    y = F.cross_entropy(xt, torch.tensor(t), weight=torch.tensor(w.astype(np.float64)),
                                        reduction=red, label_smoothing=ls)
                    y.sum().backward()
                    l, g = le.cross_entropy(x, t, w, reduction=red, label_smoothing=ls, grad=True)
                    np.testing.assert_allclose(l, y.detach().numpy(), **_tol(dt))
                    np.testing.assert_allclose(g, xt.grad.numpy(), **_tol(dt))


def test_no_classes():
    x = np.zeros((3, 0))
    np.testing.assert_array_equal(le.cross_entropy(x, np.zeros((3, 0)), reduction="none"), 0)
    assert np.isnan(le.cross_entropy(x, np.zeros((3, 0))))
    assert le.cross_entropy(x, np.zeros((3, 0)), reduction="sum") == 0
    assert np.isnan(le.cross_entropy(x, np.array([-100, -100, -100])))
    with pytest.raises(ValueError, match="target"):
        le.cross_entropy(x, np.array([0, -100, -100]))
