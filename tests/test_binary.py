"""Binary family and class-imbalance toolkit: golden values, torch parity,
errors, edge cases, OHEM selection (ties, large inputs, both selection paths),
hard_example_mining, class_weights."""
import math
import os

import numpy as np
import pytest

import lossengine as le
from reference_binary import ohem_selection
import reference_binary as R

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "golden_binary.npz")
TOL = {"float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12)}


def _close(a, b, dt, what=""):
    rtol, atol = TOL[dt]
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=rtol, atol=atol, err_msg=what)


# ---------------------------------------------------------------- golden data
def _golden_call(name, red, d, k):
    x = d[k + "/x"]
    a = [d[k + f"/arg{i}"] for i in range(4) if k + f"/arg{i}" in d.files]
    if name == "binary_cross_entropy":
        return le.binary_cross_entropy(x, a[0], a[1], reduction=red, grad=True)
    if name == "binary_cross_entropy_with_logits":
        return le.binary_cross_entropy_with_logits(x, a[0], a[1], reduction=red,
                                                   pos_weight=a[2], grad=True)
    if name == "soft_margin_loss":
        return le.soft_margin_loss(x, a[0], reduction=red, grad=True)
    if name == "multilabel_soft_margin_loss":
        return le.multilabel_soft_margin_loss(x, a[0], a[1], reduction=red, grad=True)
    if name == "sigmoid_focal_loss":
        return le.sigmoid_focal_loss(x, a[0], reduction=red, grad=True)
    if name == "softmax_focal_loss":
        return le.softmax_focal_loss(x, a[0], alpha=[0.2, 0.5, 0.3], reduction=red, grad=True)
    if name == "dice_loss":
        return le.dice_loss(x, a[0], reduction=red, grad=True)
    if name == "balanced_binary_cross_entropy":
        return le.balanced_binary_cross_entropy(x, a[0], reduction=red, grad=True)
    if name == "ohem_binary_cross_entropy":
        return le.ohem_binary_cross_entropy(x, a[0], reduction=red, grad=True)
    raise KeyError(name)


def _golden_keys():
    if not os.path.exists(GOLDEN):
        return []
    d = np.load(GOLDEN)
    return sorted({k.rsplit("/", 1)[0] for k in d.files if not k.startswith("meta/")})


@pytest.mark.parametrize("key", _golden_keys())
def test_golden(key):
    d = np.load(GOLDEN)
    assert str(d["meta/torch_version"]).startswith("2.13")
    name, red, dt = key.split("/")
    loss, g = _golden_call(name, red, d, key)
    assert np.asarray(loss).dtype == np.dtype(dt) and g.dtype == np.dtype(dt)
    _close(loss, d[key + "/loss"], dt, "loss")
    _close(g, d[key + "/grad"], dt, "grad")


def test_golden_file_small_and_pickle_free():
    assert os.path.getsize(GOLDEN) < 2 << 20
    d = np.load(GOLDEN, allow_pickle=False)
    assert len(d.files) > 100


# ---------------------------------------------------------------- torch parity
def _torch():
    return pytest.importorskip("torch")


def _bshape(shape, kind):
    nd = len(shape)
    return {"full": shape, "last": shape[-1:], "chan": (shape[1],) + (1,) * (nd - 2),
            "scalar": (), "one": (1,) * nd, "split": (shape[0],) + (1,) * (nd - 2) + (shape[-1],),
            "batch": (shape[0],) + (1,) * (nd - 1)}[kind]


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("red", ["none", "mean", "sum"])
@pytest.mark.parametrize("wk,pk", [(None, None), ("full", "chan"), ("chan", "last"),
                                   ("scalar", "scalar"), ("split", "one"), ("batch", "full"),
                                   (None, "split")])
def test_bce_with_logits_parity(dt, red, wk, pk):
    torch = _torch()
    rng = np.random.default_rng(1)
    shape = (3, 4, 5, 6)
    x = (rng.standard_normal(shape) * 4).astype(dt)
    y = rng.random(shape).astype(dt)
    w = None if wk is None else np.asarray(rng.random(_bshape(shape, wk)) + 0.5).astype(dt)
    pw = None if pk is None else np.asarray(rng.random(_bshape(shape, pk)) * 3 + 0.2).astype(dt)
    loss, g = le.binary_cross_entropy_with_logits(x, y, w, reduction=red, pos_weight=pw, grad=True)
    xt = torch.from_numpy(x.astype(np.float64)).requires_grad_(True)
    tw = None if w is None else torch.from_numpy(w.astype(np.float64))
    tp = None if pw is None else torch.from_numpy(pw.astype(np.float64))
    lt = torch.nn.functional.binary_cross_entropy_with_logits(
        xt, torch.from_numpy(y.astype(np.float64)), tw, reduction=red, pos_weight=tp)
    lt.sum().backward()
    _close(loss, lt.detach().numpy(), dt)
    _close(g, xt.grad.numpy(), dt)


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("red", ["none", "mean", "sum"])
@pytest.mark.parametrize("wk", [None, "full", "last", "chan", "scalar", "split"])
def test_bce_parity(dt, red, wk):
    torch = _torch()
    rng = np.random.default_rng(2)
    shape = (3, 4, 5, 6)
    x = rng.uniform(0.01, 0.99, shape).astype(dt)
    y = rng.random(shape).astype(dt)
    x.reshape(-1)[:3] = [0.0, 1.0, 0.5]
    y.reshape(-1)[:3] = [1.0, 0.0, 0.5]
    w = None if wk is None else np.asarray(rng.random(_bshape(shape, wk)) + 0.5).astype(dt)
    loss, g = le.binary_cross_entropy(x, y, w, reduction=red, grad=True)
    xt = torch.from_numpy(x.astype(np.float64)).requires_grad_(True)
    lt = torch.nn.functional.binary_cross_entropy(
        xt, torch.from_numpy(y.astype(np.float64)),
        None if w is None else torch.from_numpy(w.astype(np.float64)), reduction=red)
    lt.sum().backward()
    _close(loss, lt.detach().numpy(), dt)
    # at x = 0 or 1 torch's gradient is (x - y) / 1e-12: compare relatively
    np.testing.assert_allclose(g, xt.grad.numpy(), rtol=TOL[dt][0], atol=TOL[dt][1])


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("red", ["none", "mean", "sum"])
def test_soft_margin_and_multilabel_parity(dt, red):
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((7, 9)) * 3).astype(dt)
    ypm = np.where(rng.random((7, 9)) < 0.5, -1.0, 1.0).astype(dt)
    y01 = (ypm > 0).astype(dt)
    w = (rng.random(9) + 0.5).astype(dt)
    for fn, tfn, y, kw, tkw in [
            (le.soft_margin_loss, F.soft_margin_loss, ypm, {}, {}),
            (le.multilabel_soft_margin_loss, F.multilabel_soft_margin_loss, y01, {}, {}),
            (le.multilabel_soft_margin_loss, F.multilabel_soft_margin_loss, y01,
             {"weight": w}, {"weight": torch.from_numpy(w.astype(np.float64))})]:
        loss, g = fn(x, y, reduction=red, grad=True, **kw)
        xt = torch.from_numpy(x.astype(np.float64)).requires_grad_(True)
        lt = tfn(xt, torch.from_numpy(y.astype(np.float64)), reduction=red, **tkw)
        lt.sum().backward()
        _close(loss, lt.detach().numpy(), dt)
        _close(g, xt.grad.numpy(), dt)


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_criteria_match_torch(dt):
    torch = _torch()
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((4, 3, 5)) * 2).astype(dt)
    y = (rng.random((4, 3, 5)) < 0.4).astype(dt)
    pw = (rng.random((3, 1)) + 1).astype(dt)
    crit = le.nn.BCEWithLogitsLoss(pos_weight=pw)
    tcrit = torch.nn.BCEWithLogitsLoss(pos_weight=torch.from_numpy(pw.astype(np.float64)))
    loss, g = crit.forward_backward(x, y)
    xt = torch.from_numpy(x.astype(np.float64)).requires_grad_(True)
    lt = tcrit(xt, torch.from_numpy(y.astype(np.float64)))
    lt.backward()
    _close(loss, lt.item(), dt)
    _close(g, xt.grad.numpy(), dt)
    _close(crit.backward(2.0), 2 * xt.grad.numpy(), dt)


def test_ohem_parity_with_dbnet_torch():
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    shape = (4, 1, 40, 40)
    x = rng.permutation(np.linspace(0.01, 0.99, np.prod(shape))).reshape(shape)
    y = (rng.random(shape) < 0.1).astype(np.float64)
    m = (rng.random(shape) < 0.8).astype(np.float64)
    loss, g = le.ohem_binary_cross_entropy(x, y, m, grad=True)
    xt = torch.from_numpy(x).requires_grad_(True)
    yt, mt = torch.from_numpy(y), torch.from_numpy(m)
    positive = (yt * mt).byte()
    negative = ((1 - yt) * mt).byte()
    npos = int(positive.float().sum())
    nneg = min(int(negative.float().sum()), int(npos * 3.0))
    lt = F.binary_cross_entropy(xt, yt, reduction="none")
    neg, _ = (lt * negative.double()).view(-1).topk(nneg)
    bal = ((lt * positive.double()).sum() + neg.sum()) / (npos + nneg + 1e-6)
    bal.backward()
    _close(loss, bal.item(), "float64")
    _close(g, xt.grad.numpy(), "float64")


# ---------------------------------------------------------------- errors
def test_bce_value_errors_and_nan():
    x = np.array([[0.2, 1.5], [0.3, 0.4]])
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r"input.*between 0 and 1.*\[0, 1\]"):
        le.binary_cross_entropy(x, y)
    with pytest.raises(ValueError, match="input"):
        le.binary_cross_entropy(-x, y, reduction="none", grad=True)
    with pytest.raises(ValueError, match=r"target.*between 0 and 1"):
        le.binary_cross_entropy(np.full((2, 2), 0.5), y * 2)
    with pytest.raises(ValueError, match="input"):
        le.balanced_binary_cross_entropy(x, y)
    with pytest.raises(ValueError, match="input"):
        le.ohem_binary_cross_entropy(x, y)
    xn = np.array([np.nan, 0.5], np.float32)
    loss = le.binary_cross_entropy(xn, np.array([1.0, 0.0], np.float32), reduction="none")
    assert np.isnan(loss[0]) and np.isfinite(loss[1])
    assert np.isnan(le.binary_cross_entropy(xn, np.array([1.0, 0.0], np.float32)))
    # the clamps
    assert le.binary_cross_entropy(np.array([0.0]), np.array([1.0])) == 100.0
    assert le.binary_cross_entropy(np.array([1.0]), np.array([1.0])) == 0.0


def test_shape_errors():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="different to the input size"):
        le.binary_cross_entropy(x + 0.5, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="Target size"):
        le.binary_cross_entropy_with_logits(x, np.zeros((3,)))
    with pytest.raises(ValueError, match="pos_weight"):
        le.binary_cross_entropy_with_logits(x, x, pos_weight=np.ones(2))
    with pytest.raises(ValueError, match="weight"):
        le.binary_cross_entropy(x + 0.5, x, np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match="target"):
        le.soft_margin_loss(x, np.ones((3, 3)))
    with pytest.raises(ValueError, match="mask"):
        le.ohem_binary_cross_entropy(x + 0.5, x, np.ones(3, bool))
    with pytest.raises(TypeError, match="input"):
        le.binary_cross_entropy(np.array(["a"]), np.zeros(1))
    with pytest.raises(ValueError, match="reduction"):
        le.dice_loss(x, x, reduction="batchmean")


def test_option_errors():
    x = np.full((2, 3), 0.5)
    with pytest.raises(ValueError, match="gamma"):
        le.sigmoid_focal_loss(x, x, gamma=-1)
    with pytest.raises(ValueError, match="gamma"):
        le.softmax_focal_loss(x, np.zeros(2, int), gamma=-0.5)
    with pytest.raises(ValueError, match="alpha"):
        le.softmax_focal_loss(x, np.zeros(2, int), alpha=np.ones(2))
    with pytest.raises(ValueError, match="beta"):
        le.balanced_binary_cross_entropy(x, x, beta=1.5)
    with pytest.raises(ValueError, match="negative_ratio"):
        le.ohem_binary_cross_entropy(x, x, negative_ratio=-1)
    with pytest.raises(ValueError, match="min_negatives"):
        le.ohem_binary_cross_entropy(x, x, min_negatives=-1)
    with pytest.raises(ValueError, match="eps"):
        le.dice_loss(x, x, eps=-1)
    with pytest.raises(ValueError, match="target"):
        le.softmax_focal_loss(x, np.array([0, 3]))
    with pytest.raises(TypeError, match="target"):
        le.softmax_focal_loss(x, np.array([0.0, 1.0]))


# ---------------------------------------------------------------- stability
def test_soft_margin_stable_where_torch_overflows():
    x = np.array([-100.0, 100.0, 1e4, -1e4], np.float32)
    y = np.array([1.0, -1.0, -1.0, -1.0], np.float32)
    loss, g = le.soft_margin_loss(x, y, reduction="none", grad=True)
    np.testing.assert_allclose(loss, [100.0, 100.0, 1e4, 0.0], rtol=1e-6)
    np.testing.assert_allclose(g, [-1.0, 1.0, 1.0, 0.0], atol=1e-6)


def test_bce_with_logits_extreme_logits():
    for dt, big in (("float32", 1e4), ("float64", 1e300)):
        x = np.array([big, -big, big, -big], dt)
        y = np.array([1.0, 0.0, 0.0, 1.0], dt)
        loss, g = le.binary_cross_entropy_with_logits(x, y, reduction="none", grad=True,
                                                      pos_weight=np.array(2.0, dt))
        np.testing.assert_allclose(loss, [0, 0, big, 2 * big], rtol=1e-12)
        np.testing.assert_allclose(g, [0, 0, 1, -2], atol=1e-12)
        fl = le.sigmoid_focal_loss(x, y, reduction="none")
        assert np.all(np.isfinite(fl))


# ---------------------------------------------------------------- beyond torch
def test_softmax_focal_gamma0_equals_cross_entropy():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 5, 3, 7))
    t = rng.integers(0, 5, (4, 3, 7))
    t[0, 0, :3] = -100
    w = rng.random(5) + 0.5
    for red in ("none", "mean", "sum"):
        a = le.softmax_focal_loss(x, t, gamma=0.0, weight=w, reduction=red, grad=True)
        b = le.cross_entropy(x, t, w, reduction=red, grad=True)
        np.testing.assert_allclose(a[0], b[0], rtol=1e-12)
        np.testing.assert_allclose(a[1], b[1], rtol=1e-12, atol=1e-15)
    # a scalar alpha scales everything
    a = le.softmax_focal_loss(x, t, alpha=0.25, reduction="sum")
    b = le.softmax_focal_loss(x, t, reduction="sum")
    np.testing.assert_allclose(a, 0.25 * b, rtol=1e-12)


def test_softmax_focal_confident_rows():
    x = np.array([[30.0, -30.0, -30.0], [0.0, 0.0, 0.0]])
    loss, g = le.softmax_focal_loss(x, np.array([0, 1]), reduction="none", grad=True)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(g))
    assert loss[0] < 1e-40


def test_dice_and_balanced_shapes():
    rng = np.random.default_rng(7)
    x = rng.random((3, 4, 5))
    y = (rng.random((3, 4, 5)) < 0.5).astype(float)
    assert le.dice_loss(x, y, reduction="none").shape == (3,)
    assert np.ndim(le.dice_loss(x[0, 0], y[0, 0], reduction="none")) == 0
    np.testing.assert_allclose(le.dice_loss(x, y, eps=2e-3, reduction="none"),
                               R.dice_loss(x, y, eps=2e-3, reduction="none"), rtol=1e-12)
    # beta=None: per-sample fraction of negatives
    b = 1 - y.reshape(3, -1).mean(1)
    expect = -(b[:, None, None] * y * np.log(x) + (1 - b[:, None, None]) * (1 - y) * np.log1p(-x))
    np.testing.assert_allclose(le.balanced_binary_cross_entropy(x, y, reduction="none"), expect,
                               rtol=1e-12)


def test_class_weights():
    t = np.array([[0, 0, 1, 2], [2, 2, -100, 0]])
    p = np.array([3, 1, 3, 0]) / 7
    np.testing.assert_allclose(le.class_weights(t, 4), 1 / np.log(1.02 + p))
    assert le.class_weights(t, 4)[3] == pytest.approx(1 / math.log(1.02))
    for scheme, raw in (("inverse", 1 / p[:3]), ("inverse_sqrt", 1 / np.sqrt(p[:3])),
                        ("effective_number",
                         (1 - 0.9) / (1 - 0.9 ** np.array([3.0, 1.0, 3.0])))):
        w = le.class_weights(t, 4, scheme=scheme, beta=0.9)
        assert w.dtype == np.float64 and w.shape == (4,)
        np.testing.assert_allclose(w[:3], raw * 3 / raw.sum())
        assert w[3] == 0 and w.sum() == pytest.approx(3)
    t255 = np.array([0, 1, 255, 255])
    np.testing.assert_allclose(le.class_weights(t255, 2, scheme="inverse", ignore_index=255),
                               [1.0, 1.0])
    with pytest.raises(ValueError, match="target"):
        le.class_weights(np.array([0, 5]), 4)
    with pytest.raises(ValueError, match="scheme"):
        le.class_weights(t, 4, scheme="median")
    with pytest.raises(ValueError, match="c must"):
        le.class_weights(t, 4, c=1.0)
    with pytest.raises(TypeError, match="target"):
        le.class_weights(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match="num_classes"):
        le.class_weights(t, 0)


# ---------------------------------------------------------------- selection
def _ref_topk(v, k, mask=None):
    flat = np.asarray(v, np.float64).reshape(-1)
    cand = np.ones(flat.size, bool) if mask is None else np.asarray(mask).reshape(-1)
    idx = np.flatnonzero(cand)
    order = idx[np.argsort(-flat[idx], kind="stable")]
    out = np.zeros(flat.size, bool)
    out[order[:k]] = True
    return out.reshape(np.shape(v))


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("n,levels", [(50, 0), (5000, 7), (400000, 0), (400000, 997),
                                      (400000, 3)])
def test_hard_example_mining(dt, n, levels):
    rng = np.random.default_rng(n + levels)
    v = rng.random(n)
    if levels:
        v = np.floor(v * levels) / levels        # ties
    v = v.astype(dt)
    mask = rng.random(n) < 0.7
    for k in (0, 1, n // 3, int(mask.sum())):
        if k > mask.sum():
            continue
        np.testing.assert_array_equal(le.hard_example_mining(v, k=k, mask=mask),
                                      _ref_topk(v, k, mask))
    np.testing.assert_array_equal(le.hard_example_mining(v, ratio=0.25),
                                  _ref_topk(v, int(0.25 * n)))


def test_hard_example_mining_special_values_and_errors():
    v = np.array([1.0, np.nan, -np.inf, np.inf, -0.0, 0.0, -2.0, 3.0])
    np.testing.assert_array_equal(le.hard_example_mining(v, k=2),
                                  [False, True, False, True, False, False, False, False])
    # -0.0 and 0.0 tie: the lower index wins
    np.testing.assert_array_equal(le.hard_example_mining(v[[4, 5]], k=1), [True, False])
    m = le.hard_example_mining(v, k=7)
    assert not m[2] and m.sum() == 7
    with pytest.raises(ValueError, match="exactly one"):
        le.hard_example_mining(v, k=1, ratio=0.5)
    with pytest.raises(ValueError, match="k must"):
        le.hard_example_mining(v, k=9)
    with pytest.raises(ValueError, match="mask"):
        le.hard_example_mining(v, k=1, mask=np.ones(3, bool))


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["band", "ties", "few_ties", "logits_mask"])
def test_ohem_large_matches_reference(dt, kind):
    """Large inputs take the sampled-bracket selection (or its fallback when
    ties crowd the threshold); compare with a stable-sort reference."""
    rng = np.random.default_rng(hash(kind) % 1000)
    shape = (4, 1, 300, 300)
    y = (rng.random(shape) < 0.1).astype(dt)
    mask = None
    kw = {}
    if kind == "logits_mask":
        x = (rng.standard_normal(shape) * 3).astype(dt)
        mask = rng.random(shape) < 0.9
        kw["from_logits"] = True
    else:
        x = rng.uniform(0.001, 0.999, shape)
        if kind == "ties":
            x = np.round(x * 20) / 21 + 0.01
        elif kind == "few_ties":
            x = np.round(x * 3000) / 3001 + 1e-4
        x = x.astype(dt)
    _check_ohem_large(x, y, mask, kw, dt)


def _check_ohem_large(x, y, mask, kw, dt):
    loss_none = le.ohem_binary_cross_entropy(x, y, mask, reduction="none", **kw)
    # the per-element losses the kernel ranked (float of the compute dtype)
    raw = le.binary_cross_entropy_with_logits(x, y, reduction="none") if kw.get("from_logits") \
        else le.binary_cross_entropy(x, y, reduction="none")
    sel, npos, k = ohem_selection(raw, y, mask, 3.0, kw.get("min_negatives", 0))
    # the kernels may differ from `raw` by an ulp (different contraction of the
    # same formula): only elements within a few ulps of the threshold may differ
    got = loss_none != 0
    neg_raw = raw[sel & ~(np.asarray(y) >= 0.5)]
    thr = neg_raw.min() if neg_raw.size else np.inf
    near = np.abs(raw - thr) <= 8 * np.spacing(np.asarray(thr, raw.dtype))
    np.testing.assert_array_equal(got[~near], (sel & (raw != 0))[~near])
    assert got.sum() == (sel & (raw != 0)).sum()
    rt = 1e-6 if dt == "float32" else 1e-14
    np.testing.assert_allclose(loss_none[~near], np.where(sel, raw, 0)[~near], rtol=rt)
    loss, g = le.ohem_binary_cross_entropy(x, y, mask, grad=True, **kw)
    expect = np.where(sel, raw, 0).astype(np.float64).sum() / (npos + k + 1e-6)
    np.testing.assert_allclose(loss, expect, rtol=1e-5 if dt == "float32" else 1e-12)
    assert np.all(g[~got] == 0)


_ISAS = [i for i in ("baseline", "avx2", "avx512")
         if ("baseline", "avx2", "avx512").index(i) <= ("baseline", "avx2", "avx512").index(le.best_isa())]


@pytest.mark.parametrize("isa", _ISAS)
@pytest.mark.parametrize("kind", ["iid", "bracket_miss", "soft_blocks", "all_negatives"])
def test_ohem_large_paths_every_isa(isa, kind):
    """The fused sampled-bracket path at every ISA level; its fallback when the
    strided sample misrepresents the negatives (every 4th element, the ones an
    evenly strided sample sees, has a tiny loss); blocks of 0/1 targets (one
    log) next to blocks of soft targets; every negative taken (min_negatives)."""
    from lossengine import _runtime
    rng = np.random.default_rng(77)
    shape = (3, 100, 1000)
    dt = "float32"
    x = rng.uniform(0.001, 0.999, shape)
    y = (rng.random(shape) < 0.1).astype(np.float64)
    kw = {}
    if kind == "bracket_miss":
        x.reshape(-1)[::4] = rng.uniform(1e-4, 2e-3, x.size // 4)
    elif kind == "soft_blocks":
        soft = np.where(y > 0, 0.5 + 0.5 * rng.random(shape), 0.3 * rng.random(shape))
        y.reshape(-1)[x.size // 2:] = soft.reshape(-1)[x.size // 2:]
    elif kind == "all_negatives":
        kw["min_negatives"] = x.size
    x, y = x.astype(dt), y.astype(dt)
    prev = _runtime._set_isa(isa)
    try:
        _check_ohem_large(x, y, None, kw, dt)
    finally:
        _runtime._set_isa(prev)


def test_ohem_threads_bitwise_large():
    rng = np.random.default_rng(9)
    shape = (4, 1, 320, 320)
    x = rng.uniform(0.001, 0.999, shape).astype(np.float32)
    y = (rng.random(shape) < 0.1).astype(np.float32)
    prev = le.get_num_threads()
    try:
        res = []
        for n in (1, 2, 3):
            le.set_num_threads(n)
            res.append(le.ohem_binary_cross_entropy(x, y, grad=True))
            res.append(le.hard_example_mining(x, k=12345))
        for a, b in zip(res[2:], res[:-2]):
            if isinstance(a, tuple):
                np.testing.assert_array_equal(a[0], b[0])
                np.testing.assert_array_equal(a[1], b[1])
            else:
                np.testing.assert_array_equal(a, b)
    finally:
        le.set_num_threads(prev)


def test_ohem_no_positive_and_min_negatives():
    x = np.array([0.9, 0.2, 0.7, 0.1, 0.5])
    y = np.zeros(5)
    loss, g = le.ohem_binary_cross_entropy(x, y, grad=True)
    assert loss == 0.0 and np.all(g == 0)
    loss, g = le.ohem_binary_cross_entropy(x, y, min_negatives=2, grad=True)
    sel = np.array([True, False, True, False, False])
    expect = -np.log1p(-x[sel]).sum() / (2 + 1e-6)
    assert loss == pytest.approx(expect, rel=1e-12)
    assert np.all(g[~sel] == 0) and np.all(g[sel] > 0)


def test_ohem_soft_targets_not_truncated():
    x = np.array([0.3, 0.6, 0.2, 0.8])
    y = np.array([0.7, 0.55, 0.1, 0.3])      # two soft positives, two soft negatives
    loss, g = le.ohem_binary_cross_entropy(x, y, reduction="none", grad=True)
    bce = -(y * np.log(x) + (1 - y) * np.log1p(-x))
    np.testing.assert_allclose(loss, bce, rtol=1e-12)   # 2 positives -> up to 6 negatives
    np.testing.assert_allclose(g, (x - y) / (x * (1 - x)), rtol=1e-12)


def test_ohem_ties_lower_index_wins():
    x = np.full(10, 0.4)
    y = np.zeros(10)
    y[9] = 1.0
    loss = le.ohem_binary_cross_entropy(x, y, negative_ratio=3.0, reduction="none")
    assert np.all(loss[:3] > 0) and np.all(loss[3:9] == 0) and loss[9] > 0


def test_ohem_gradient_finite_differences_selection_fixed():
    """Selection held fixed: the gradient equals the finite difference of the
    loss restricted to the selected elements."""
    rng = np.random.default_rng(10)
    shape = (2, 1, 30, 30)
    x = rng.permutation(np.linspace(-3, 3, np.prod(shape))).reshape(shape)
    y = (rng.random(shape) < 0.12).astype(float)
    loss, g = le.ohem_binary_cross_entropy(x, y, from_logits=True, grad=True)
    sel = le.ohem_binary_cross_entropy(x, y, from_logits=True, reduction="none") != 0
    npos, k = int(y.sum()), int(sel.sum()) - int(y.sum())

    def f(xx):
        l = np.logaddexp(0, xx) - xx * y
        return np.where(sel, l, 0).sum() / (npos + k + 1e-6)
    v = rng.standard_normal(shape)
    h = 1e-5
    fd = (f(x + h * v) - f(x - h * v)) / (2 * h)
    assert abs(fd - np.sum(g * v)) < 1e-7 * max(1, abs(fd))
    assert f(x) == pytest.approx(loss, rel=1e-12)


def test_empty_inputs():
    e = np.zeros((0, 3), np.float32)
    for f in (le.binary_cross_entropy, le.binary_cross_entropy_with_logits, le.soft_margin_loss,
              le.sigmoid_focal_loss, le.balanced_binary_cross_entropy, le.dice_loss):
        assert np.isnan(f(e, e, reduction="mean"))
        assert f(e, e, reduction="sum") == 0
        loss, g = f(e, e, reduction="none", grad=True)
        assert g.shape == (0, 3)
    assert le.ohem_binary_cross_entropy(e, e) == 0
    assert le.hard_example_mining(np.zeros(0), k=0).shape == (0,)
