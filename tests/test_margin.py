"""Margin / embedding losses and distances: golden values from torch 2.13
(checked without torch), errors, torch's quirks and subgradients, broadcasting,
the distance functions of triplet_margin_with_distance_loss, and parity with
torch when it is installed."""
import functools
import json
import os

import numpy as np
import pytest

import lossengine as le

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "data", "golden_margin.npz")


def _tol(dt):
    return (1e-4, 1e-5) if np.dtype(dt) == np.float32 else (1e-10, 1e-12)


def _close(a, b, dt, msg=""):
    rtol, atol = _tol(dt)
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=rtol, atol=atol, err_msg=msg)


def _le_kwargs(kw):
    kw = dict(kw)
    if "distance_function" in kw:
        kw["distance_function"] = {"None": None, "manhattan": "manhattan", "cosine": "cosine",
                                   "le.cosine_similarity": le.cosine_similarity,
                                   "le.pairwise_distance": le.pairwise_distance}[
            kw["distance_function"]]
    if "weight" in kw:
        kw["weight"] = np.asarray(kw["weight"])
    return kw


# ------------------------------------------------------------------ golden
def _golden():
    with np.load(GOLDEN, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_golden_provenance():
    g = _golden()
    assert str(g["meta/torch_version"]).startswith("2.13")
    assert len(g["meta/keys"]) > 100
    assert os.path.getsize(GOLDEN) < 2_000_000


@pytest.mark.parametrize("key", list(_golden()["meta/keys"]))
def test_golden(key):
    g = _golden()
    call = json.loads(str(g[f"{key}/call"]))
    ins = [g[f"{key}/in{i}"] for i in range(call["nin"])]
    f = getattr(le, call["name"])
    kw = _le_kwargs(call["kw"])
    go = g.get(f"{key}/go")
    out, grads = f(*ins, **kw, grad=True, grad_output=go)
    dt = call["dtype"]
    assert np.asarray(out).dtype == np.dtype(dt)
    _close(out, g[f"{key}/out"], dt, "value")
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == call["npred"]
    for i, gi in enumerate(grads):
        assert gi.dtype == np.dtype(dt) and gi.shape == ins[i].shape
        _close(gi, g[f"{key}/g{i}"], dt, f"grad {i}")


# ------------------------------------------------------------------ errors
X = np.arange(12, dtype=np.float64).reshape(3, 4) / 7


def test_reduction_errors():
    with pytest.raises(ValueError, match="reduction"):
        le.margin_ranking_loss(X, X, np.ones((3, 4)), reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        le.triplet_margin_with_distance_loss(X, X, X, reduction="batchmean")


def test_margin_ranking_errors():
    with pytest.raises(ValueError, match="same number of dimensions"):
        le.margin_ranking_loss(X, X[0], np.ones((3, 4)))
    with pytest.raises(ValueError, match="broadcast"):
        le.margin_ranking_loss(X, X[:, :3], np.ones((3, 4)))
    with pytest.raises(TypeError, match="margin"):
        le.margin_ranking_loss(X, X, np.ones((3, 4)), margin="1")
    with pytest.raises(TypeError, match="target"):
        le.margin_ranking_loss(X, X, np.array([["a"] * 4] * 3))


def test_multi_margin_errors():
    t = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        le.multi_margin_loss(X, t, p=3)
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        le.multi_margin_loss(X, t, weight=np.ones((1, 4)))
    with pytest.raises(ValueError, match="inconsistent weight size, expected 4"):
        le.multi_margin_loss(X, t, weight=np.ones(5))
    with pytest.raises(ValueError, match=r"target.*out of range \[0, 4\)"):
        le.multi_margin_loss(X, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"target value -1 at position \(2,\)"):
        le.multi_margin_loss(X, np.array([0, 1, -1]))
    with pytest.raises(ValueError, match="target"):
        le.multi_margin_loss(X, np.array([[0], [1], [2]]))
    with pytest.raises(TypeError, match="target"):
        le.multi_margin_loss(X, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="non-empty"):
        le.multi_margin_loss(np.zeros((3, 0)), t)
    with pytest.raises(ValueError, match="non-empty"):
        le.multi_margin_loss(np.zeros((2, 3, 4)), t)


def test_multi_margin_error_leaves_grad_out_untouched():
    buf = np.full((3, 4), 7.0)
    with pytest.raises(ValueError, match="out of range"):
        le.multi_margin_loss(X, np.array([0, 1, 9]), grad=True, grad_out=buf)
    assert np.all(buf == 7.0)


def test_multilabel_errors():
    with pytest.raises(ValueError, match="inconsistent target size"):
        le.multilabel_margin_loss(X, np.zeros((3, 3), np.int64))
    with pytest.raises(ValueError, match="inconsistent target size"):
        le.multilabel_margin_loss(X[0], np.zeros((1, 4), np.int64))
    # every entry is checked, also after the first -1 (as torch)
    with pytest.raises(ValueError, match=r"target value 7 at position \(0, 2\).*\[-1, 4\)"):
        le.multilabel_margin_loss(X, np.array([[0, -1, 7, 0], [0, -1, 0, 0], [1, -1, 0, 0]]))
    with pytest.raises(ValueError, match="target value -2"):
        le.multilabel_margin_loss(X, np.array([[-2, 0, 0, 0], [0, -1, 0, 0], [1, -1, 0, 0]]))
    with pytest.raises(TypeError, match="target"):
        le.multilabel_margin_loss(X, np.zeros((3, 4)))


def test_cosine_embedding_errors():
    with pytest.raises(ValueError, match="0D or 1D target"):
        le.cosine_embedding_loss(X, X, np.ones((3, 1)))
    with pytest.raises(ValueError, match="1D target tensor expects 2D input"):
        le.cosine_embedding_loss(X[0], X[0], np.ones(3))
    with pytest.raises(ValueError, match="0D target tensor expects 1D input"):
        le.cosine_embedding_loss(X, X, 1.0)
    with pytest.raises(ValueError, match="target"):
        le.cosine_embedding_loss(X, X, np.ones(2))


@pytest.mark.parametrize("f", [le.triplet_margin_loss, le.triplet_margin_with_distance_loss])
def test_triplet_errors(f):
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        f(X, X, X, margin=0)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        f(X, X, X, margin=-1.0)
    with pytest.raises(ValueError, match="anchor 2D, positive 1D, and negative 2D"):
        f(X, X[0], X)


def test_triplet_with_distance_callable():
    def d(a, b):
        return np.abs(a - b).max(-1)
    a, p, n = X, X[::-1].copy(), X * 0.5
    out = le.triplet_margin_with_distance_loss(a, p, n, distance_function=d, reduction="none",
                                               swap=True)
    expect = np.maximum(1.0 + d(a, p) - np.minimum(d(a, n), d(p, n)), 0)
    np.testing.assert_allclose(out, expect, rtol=1e-15)
    # value only
    with pytest.raises(ValueError, match="grad=True needs one of the engine's own distances"):
        le.triplet_margin_with_distance_loss(a, p, n, distance_function=d, grad=True)
    with pytest.raises(ValueError, match="not a known distance"):
        le.triplet_margin_with_distance_loss(a, p, n, distance_function="chebyshev")
    with pytest.raises(TypeError, match="distance_function"):
        le.triplet_margin_with_distance_loss(a, p, n, distance_function=3)


def test_triplet_with_distance_recognises_own_functions():
    rng = np.random.default_rng(1)
    a, p, n = (rng.standard_normal((6, 5)) for _ in range(3))
    pairs = [
        (None, dict(p=2.0)), ("euclidean", dict(p=2.0)), (le.pairwise_distance, dict(p=2.0)),
        ("manhattan", dict(p=1.0)),
        (functools.partial(le.pairwise_distance, p=3.0, eps=0.0), dict(p=3.0, eps=0.0)),
    ]
    for fn, tkw in pairs:
        r1 = le.triplet_margin_with_distance_loss(a, p, n, distance_function=fn, swap=True,
                                                  grad=True)
        r2 = le.triplet_margin_loss(a, p, n, swap=True, grad=True, **tkw)
        np.testing.assert_array_equal(r1[0], r2[0])
        for g1, g2 in zip(r1[1], r2[1]):
            np.testing.assert_array_equal(g1, g2)
    # cosine: the fused value equals the value-only path of an equivalent callable
    for fn, ref in (("cosine", lambda u, v: 1 - le.cosine_similarity(u, v)),
                    (le.cosine_similarity, lambda u, v: le.cosine_similarity(u, v)),
                    (functools.partial(le.cosine_similarity, eps=0.5),
                     lambda u, v: le.cosine_similarity(u, v, eps=0.5))):
        v1, g = le.triplet_margin_with_distance_loss(a, p, n, distance_function=fn,
                                                     reduction="none", grad=True)
        v2 = le.triplet_margin_with_distance_loss(a, p, n, distance_function=ref,
                                                  reduction="none")
        np.testing.assert_allclose(v1, v2, rtol=1e-13, atol=1e-15)
        assert len(g) == 3


def test_triplet_cosine_3d_uses_axis_1():
    rng = np.random.default_rng(2)
    a, p, n = (rng.standard_normal((2, 5, 3)) for _ in range(3))
    v1, g = le.triplet_margin_with_distance_loss(a, p, n, distance_function="cosine",
                                                 reduction="none", grad=True)
    v2 = le.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda u, v: 1 - le.cosine_similarity(u, v),
        reduction="none")
    assert v1.shape == (2, 3)
    np.testing.assert_allclose(v1, v2, rtol=1e-13, atol=1e-15)
    assert all(gi.shape == (2, 5, 3) for gi in g)


def test_distance_errors():
    with pytest.raises(ValueError, match="axis=1 is out of range"):
        le.cosine_similarity(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="broadcast"):
        le.pairwise_distance(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(TypeError, match="not both"):
        le.cosine_similarity(X, X, axis=0, dim=1)
    with pytest.raises(TypeError, match="p"):
        le.pairwise_distance(X, X, p="2")


def test_grad_out_tuple_errors():
    t = np.ones((3, 4))
    with pytest.raises(ValueError, match="grad_out must be a tuple of 2"):
        le.margin_ranking_loss(X, X + 1, t, grad=True, grad_out=np.zeros((3, 4)))
    g = np.zeros((3, 4))
    with pytest.raises(ValueError, match="grad_out arrays must not share memory"):
        le.margin_ranking_loss(X, X + 1, t, grad=True, grad_out=(g, g))
    with pytest.raises(ValueError, match=r"grad_out\[1\] must be None"):
        le.margin_ranking_loss(X, 0.5, t, grad=True, grad_out=(np.zeros((3, 4)), np.zeros(())))


# ------------------------------------------------------------------ quirks and kinks
def test_hinge_other_targets_torch_rule():
    x = np.array([0.5, 1.0, 0.3, 0.5, 2.0, np.nan])
    t = np.array([1.0, -1.0, -1.0, 0.0, 2.0, -1.0])
    l, g = le.hinge_embedding_loss(x, t, reduction="none", grad=True)
    # values and gradients of torch 2.13 for this call
    np.testing.assert_array_equal(l[:5], [0.5, 0.0, 0.7, 1.0, 2.0])
    assert np.isnan(l[5])
    np.testing.assert_array_equal(g, [1.0, -1.0, -1.0, 0.0, 1.0, 0.0])


def test_ranking_kink_passes_gradient():
    l, (g1, g2) = le.margin_ranking_loss(np.array([1.5, 1.0]), np.array([1.0, 1.5]),
                                         np.array([1.0, -1.0]), margin=0.5, reduction="none",
                                         grad=True)
    np.testing.assert_array_equal(l, [0.0, 0.0])
    np.testing.assert_array_equal(g1, [-1.0, 1.0])
    np.testing.assert_array_equal(g2, [1.0, -1.0])


def test_multi_margin_kink_no_gradient():
    l, g = le.multi_margin_loss(np.array([[1.0, 0.0, 0.5]]), np.array([0]), reduction="none",
                                grad=True)
    np.testing.assert_allclose(l, [0.5 / 3])
    np.testing.assert_allclose(g, [[-1 / 3, 0.0, 1 / 3]])
    l, g = le.multi_margin_loss(np.array([[1.0, 0.0, 0.5]]), np.array([0]), p=2,
                                reduction="none", grad=True)
    np.testing.assert_allclose(l, [0.25 / 3])
    np.testing.assert_allclose(g, [[-1 / 3, 0.0, 1 / 3]])


def test_multilabel_reads_up_to_first_minus_one():
    x = np.array([[1.0, 0.0, 0.5]])
    l, g = le.multilabel_margin_loss(x, np.array([[0, -1, 2]]), reduction="none", grad=True)
    np.testing.assert_allclose(l, [0.5 / 3])
    np.testing.assert_allclose(g, [[-1 / 3, 0.0, 1 / 3]])
    # a repeated label counts twice
    l2 = le.multilabel_margin_loss(x, np.array([[0, 0, -1]]), reduction="none")
    np.testing.assert_allclose(l2, [1.0 / 3])


def test_triplet_kinks():
    a = np.array([[0.0, 0.0]])
    # margin + d_ap - d_an == 0: the gradient passes (clamp_min)
    l, g = le.triplet_margin_loss(a, np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]]), eps=0.0,
                                  reduction="none", grad=True)
    np.testing.assert_array_equal(l, [0.0])
    np.testing.assert_allclose(g[1], [[1.0, 0.0]])
    np.testing.assert_allclose(g[2], [[-1.0, 0.0]])
    # swap tie: the gradient splits in halves (torch.minimum)
    l, g = le.triplet_margin_loss(a, np.array([[2.0, 0.0]]), np.array([[1.0, 0.0]]), eps=0.0,
                                  swap=True, reduction="none", grad=True)
    np.testing.assert_allclose(l, [2.0])
    np.testing.assert_allclose(g[0], [[-0.5, 0.0]])
    np.testing.assert_allclose(g[1], [[0.5, 0.0]])
    np.testing.assert_allclose(g[2], [[0.0, 0.0]])
    # zero distance: zero gradient (torch's norm backward)
    x = np.array([[1.0, 2.0]])
    l, g = le.triplet_margin_loss(x, x.copy(), x + 1, eps=0.0, reduction="none", grad=True)
    np.testing.assert_array_equal(g[0], [[0.0, 0.0]])


def test_cosine_similarity_eps_branch():
    x1 = np.array([[3e-9, 4e-9], [1.0, 2.0], [0.0, 0.0]])
    x2 = np.array([[1.0, 0.0], [3e-9, 4e-9], [1.0, 1.0]])
    c, (g1, g2) = le.cosine_similarity(x1, x2, grad=True)
    # torch 2.13: each norm clamped at eps separately
    np.testing.assert_allclose(c, [0.3, 0.4919349550499537, 0.0], rtol=1e-12)
    np.testing.assert_allclose(g1[0], [8.2e7, -2.4e7], rtol=1e-9)
    np.testing.assert_allclose(g2[0], [0.0, 0.4], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(g1[2], [7.0710678118654755e7] * 2, rtol=1e-9)
    np.testing.assert_array_equal(g2[2], [0.0, 0.0])


def test_cosine_embedding_other_targets_zero():
    l, (g1, g2) = le.cosine_embedding_loss(X, X[::-1].copy(), np.array([0.0, 2.0, np.nan]),
                                           reduction="none", grad=True)
    np.testing.assert_array_equal(l, [0.0, 0.0, 0.0])
    assert not g1.any() and not g2.any()


# ------------------------------------------------------------------ shapes and broadcasting
def test_output_shapes_like_torch():
    assert np.shape(le.multi_margin_loss(np.ones(3), np.array(1), reduction="none")) == ()
    assert np.shape(le.multi_margin_loss(np.ones(3), np.array([1]), reduction="none")) == (1,)
    assert np.shape(le.multi_margin_loss(np.float64(2.0), np.array(0), reduction="none")) == ()
    assert np.shape(le.multilabel_margin_loss(np.ones(3), np.array([0, -1, 1]),
                                              reduction="none")) == ()
    assert np.shape(le.multilabel_margin_loss(np.ones((2, 3)), np.zeros((2, 3), np.int64),
                                              reduction="none")) == (2,)
    assert np.shape(le.pairwise_distance(np.ones(5), np.zeros(5))) == ()
    assert np.shape(le.pairwise_distance(np.ones((2, 3, 5)), np.zeros(5), keepdim=True)) == \
        (2, 3, 1)
    assert np.shape(le.cosine_similarity(np.ones((2, 5, 3)), np.ones((1, 5, 3)))) == (2, 3)
    assert np.shape(le.triplet_margin_loss(np.ones(4), np.zeros(4), np.ones(4),
                                           reduction="none")) == ()


def test_empty_batch():
    for f, args in ((le.multi_margin_loss, (np.zeros((0, 3)), np.zeros(0, np.int64))),
                    (le.multilabel_margin_loss, (np.zeros((0, 3)), np.zeros((0, 3), np.int64))),
                    (le.triplet_margin_loss, (np.zeros((0, 3)),) * 3),
                    (le.cosine_embedding_loss, (np.zeros((0, 3)), np.zeros((0, 3)),
                                                np.zeros(0))),
                    (le.margin_ranking_loss, (np.zeros(0), np.zeros(0), np.zeros(0)))):
        assert np.isnan(f(*args))
        assert f(*args, reduction="sum") == 0
        assert f(*args, reduction="none").shape == (0,)
        _, g = f(*args, grad=True)
        assert all(gi.size == 0 for gi in (g if isinstance(g, tuple) else (g,)))


def test_python_scalar_prediction_gets_none():
    t = np.array([1.0, -1.0, 1.0])
    x = np.array([0.2, 0.4, 1.5])
    l, (g1, g2) = le.margin_ranking_loss(x, 0.5, t, grad=True, reduction="sum")
    assert g2 is None
    l_ref, (h1, _) = le.margin_ranking_loss(x, np.full(3, 0.5), t, grad=True, reduction="sum")
    assert l == l_ref
    np.testing.assert_array_equal(g1, h1)
    assert np.asarray(l).dtype == np.float64


def test_broadcast_gradients_are_summed():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 5))
    p = rng.standard_normal((1, 5))
    n = rng.standard_normal((4, 5))
    _, g = le.triplet_margin_loss(a, p, n, reduction="sum", grad=True)
    _, gf = le.triplet_margin_loss(a, np.repeat(p, 4, 0), n, reduction="sum", grad=True)
    np.testing.assert_allclose(g[1], gf[1].sum(0, keepdims=True), rtol=1e-13)
    buf = np.zeros((1, 5))
    _, g2 = le.triplet_margin_loss(a, p, n, reduction="sum", grad=True,
                                   grad_out=(np.zeros((4, 5)), buf, np.zeros((4, 5))))
    assert g2[1] is buf
    np.testing.assert_array_equal(buf, g[1])


def test_dtype_promotion():
    x32 = np.ones((2, 3), np.float32)
    assert le.triplet_margin_loss(x32, x32 * 2, x32 * 3).dtype == np.float32
    assert le.triplet_margin_loss(x32, x32.astype(np.float64), x32).dtype == np.float64
    assert le.multi_margin_loss(np.ones((2, 3), np.int32), np.array([0, 1])).dtype == np.float32
    # int32 targets work
    assert np.isfinite(le.multilabel_margin_loss(x32, np.zeros((2, 3), np.int32)))


def test_nan_propagates_per_row():
    x = np.ones((3, 4))
    x[1, 2] = np.nan
    l = le.triplet_margin_loss(x, x * 0.5, x * 2, reduction="none")
    assert np.isnan(l[1]) and np.isfinite(l[[0, 2]]).all()
    l = le.cosine_embedding_loss(x, x * 0.5, np.ones(3), reduction="none")
    assert np.isnan(l[1]) and np.isfinite(l[[0, 2]]).all()
    l = le.margin_ranking_loss(x, x * 0.5, np.ones((3, 4)), reduction="none")
    assert np.isnan(l[1, 2]) and np.isfinite(np.delete(l.ravel(), 6)).all()


def test_extreme_values_finite():
    """Sums of squares that overflow take a scaled path: finite wherever the
    mathematical result is."""
    big = np.array([[1e300, -1e300]])
    assert np.isfinite(le.multi_margin_loss(big * 1e-10, np.array([0])))
    rng = np.random.default_rng(9)
    a, p, n = (rng.standard_normal((4, 6)) for _ in range(3))
    S = 1e300
    d, (g1, g2) = le.pairwise_distance(a * S, p * S, eps=0.0, grad=True)
    np.testing.assert_allclose(d / S, le.pairwise_distance(a, p, eps=0.0), rtol=1e-14)
    np.testing.assert_allclose(g1, le.pairwise_distance(a, p, eps=0.0, grad=True)[1][0],
                               rtol=1e-13)
    c, g = le.cosine_similarity(a * S, p * S, grad=True)
    np.testing.assert_allclose(c, le.cosine_similarity(a, p), rtol=1e-13)
    assert all(np.isfinite(x).all() for x in g)
    for kw in ({}, {"swap": True}):
        v, g = le.triplet_margin_loss(a * S, p * S, n * S, reduction="none", grad=True, **kw)
        np.testing.assert_allclose(v, np.maximum(1 + le.pairwise_distance(a * S, p * S) -
                                                 le.pairwise_distance(a * S, n * S), 0) if not kw
                                   else v, rtol=1e-14)
        assert np.isfinite(v).all() and all(np.isfinite(x).all() for x in g)
        v, g = le.triplet_margin_with_distance_loss(a * S, p * S, n * S, reduction="none",
                                                    distance_function="cosine", grad=True, **kw)
        v0 = le.triplet_margin_with_distance_loss(a, p, n, reduction="none",
                                                  distance_function="cosine", **kw)
        np.testing.assert_allclose(v, v0, rtol=1e-12, atol=1e-14)
        assert all(np.isfinite(x).all() for x in g)
    t = np.array([1.0, -1.0, 1.0, -1.0])
    v, g = le.cosine_embedding_loss(a * S, p * S, t, margin=-0.5, reduction="none", grad=True)
    np.testing.assert_allclose(v, le.cosine_embedding_loss(a, p, t, margin=-0.5,
                                                           reduction="none"), rtol=1e-11)
    assert all(np.isfinite(x).all() for x in g)
    x = np.array([[3e4, -3e4]], np.float32)
    assert np.isfinite(le.cosine_similarity(x, x * 0.5)).all()
    x = np.full((2, 8), 1e20, np.float32)   # float32 squares overflow
    assert np.isfinite(le.pairwise_distance(x, -x)).all()


def test_criteria():
    crit = le.nn.TripletMarginWithDistanceLoss(distance_function="cosine", swap=True)
    rng = np.random.default_rng(4)
    a, p, n = (rng.standard_normal((5, 3)) for _ in range(3))
    loss, g = crit.forward_backward(a, p, n)
    assert loss == le.triplet_margin_with_distance_loss(a, p, n, distance_function="cosine",
                                                        swap=True)
    assert len(crit.backward()) == 3
    mm = le.nn.MultiMarginLoss(2, 0.5, np.ones(3))
    assert mm.p == 2 and mm.margin == 0.5
    assert "p=2" in repr(mm)


# ------------------------------------------------------------------ torch parity
def _torch_cases(rng):
    out = []
    N, D = 9, 17
    x, y, z = (rng.standard_normal((N, D)) for _ in range(3))
    pm = np.where(rng.random((N, D)) < 0.5, -1.0, 1.0)
    out.append(("margin_ranking_loss", [x, y, pm], 2, {"margin": 0.4}, {"margin": 0.4}))
    out.append(("hinge_embedding_loss", [x, rng.choice([-1.0, 1.0, 3.0], size=(N, D))], 1,
                {"margin": 0.5}, {"margin": 0.5}))
    ti = rng.integers(0, D, N)
    w = rng.random(D) + 0.5
    for p in (1, 2):
        out.append(("multi_margin_loss", [x, ti], 1, {"p": p, "margin": 0.8, "weight": w},
                    {"p": p, "margin": 0.8, "weight": "w"}))
    tl = np.full((N, D), -1)
    for i in range(N):
        k = rng.integers(1, 6)
        tl[i, :k] = rng.choice(D, k, replace=False)
    out.append(("multilabel_margin_loss", [x, tl], 1, {}, {}))
    out.append(("cosine_embedding_loss", [x, y, np.where(rng.random(N) < .5, -1.0, 1.0)], 2,
                {"margin": -0.1}, {"margin": -0.1}))
    for p in (2.0, 1.0, 1.5, 0.7, 4.0, float("inf")):
        for swap in (False, True):
            out.append(("triplet_margin_loss", [x, y, z], 3,
                        {"p": p, "swap": swap, "margin": 2.0, "eps": 1e-3},
                        {"p": p, "swap": swap, "margin": 2.0, "eps": 1e-3}))
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_parity(dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    for name, args, npred, kw, tkw in _torch_cases(rng):
        for red in ("none", "mean", "sum"):
            ins = [a.astype(dtype) if a.dtype.kind == "f" else a for a in args]
            ts = [torch.from_numpy(np.asarray(a, np.float64) if a.dtype.kind == "f" else a)
                  for a in ins]
            for t in ts[:npred]:
                t.requires_grad_(True)
            tk = dict(tkw)
            if tk.get("weight") == "w":
                tk["weight"] = torch.from_numpy(kw["weight"].astype(dtype).astype(np.float64))
            o = getattr(F, name)(*ts, **tk, reduction=red)
            go = rng.standard_normal(tuple(o.shape)) if o.ndim else None
            o.backward(torch.from_numpy(go) if go is not None else None)
            out, g = getattr(le, name)(*ins, **kw, reduction=red, grad=True, grad_output=go)
            msg = f"{name} {kw} {red} {dtype}"
            _close(out, o.detach().numpy(), dtype, msg)
            for gi, t in zip(g if isinstance(g, tuple) else (g,), ts):
                _close(gi, t.grad.numpy() if t.grad is not None else 0 * gi, dtype, msg)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_parity_distances(dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(6)
    x1 = rng.standard_normal((4, 6, 5)).astype(dtype)
    x2 = rng.standard_normal((1, 6, 5)).astype(dtype)
    x1[0, :, 1] = 1e-9
    for name, kw, tkw in (("pairwise_distance", {"p": 2.0}, {"p": 2.0}),
                          ("pairwise_distance", {"p": 1.0, "keepdim": True},
                           {"p": 1.0, "keepdim": True}),
                          ("pairwise_distance", {"p": 0.5}, {"p": 0.5}),
                          ("cosine_similarity", {}, {}),
                          ("cosine_similarity", {"axis": -1, "eps": 0.3}, {"dim": -1, "eps": 0.3}),
                          ("cosine_similarity", {"axis": 0}, {"dim": 0})):
        t1 = torch.from_numpy(x1.astype(np.float64)).requires_grad_(True)
        t2 = torch.from_numpy(x2.astype(np.float64)).requires_grad_(True)
        o = getattr(F, name)(t1, t2, **tkw)
        go = rng.standard_normal(tuple(o.shape))
        o.backward(torch.from_numpy(go))
        out, (g1, g2) = getattr(le, name)(x1, x2, **kw, grad=True, grad_output=go)
        msg = f"{name} {kw} {dtype}"
        _close(out, o.detach().numpy(), dtype, msg)
        _close(g1, t1.grad.numpy(), dtype, msg)
        _close(g2, t2.grad.numpy(), dtype, msg)


def test_torch_parity_triplet_with_distance():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(7)
    a, p, n = (rng.standard_normal((2, 5, 3)) for _ in range(3))
    for fn, tfn in (("cosine", lambda u, v: 1 - F.cosine_similarity(u, v)),
                    (le.cosine_similarity, F.cosine_similarity),
                    ("manhattan", lambda u, v: F.pairwise_distance(u, v, p=1.0)),
                    (None, None)):
        ts = [torch.from_numpy(v).requires_grad_(True) for v in (a, p, n)]
        o = F.triplet_margin_with_distance_loss(*ts, distance_function=tfn, swap=True,
                                                margin=0.5)
        o.backward()
        out, g = le.triplet_margin_with_distance_loss(a, p, n, distance_function=fn, swap=True,
                                                      margin=0.5, grad=True)
        _close(out, o.detach().numpy(), "float64", str(fn))
        for gi, t in zip(g, ts):
            _close(gi, t.grad.numpy(), "float64", str(fn))


def test_finite_differences_piecewise():
    """Piecewise losses off their kinks (checked here): the fused gradient is the
    derivative.  The generic matrix does the same on generated kink-free inputs."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((7, 6)) * 2
    t = rng.integers(0, 6, 7)
    tl = np.full((7, 6), -1)
    tl[:, 0] = t
    tl[:3, 1] = (t[:3] + 1) % 6
    v = rng.standard_normal(x.shape)
    P, Nn = rng.standard_normal((7, 6)), rng.standard_normal((7, 6))
    h = 1e-6

    def _first(r):
        return (r[0], r[1][0]) if isinstance(r, tuple) else r
    for f in (lambda x, **k: le.multi_margin_loss(x, t, p=2, reduction="sum", **k),
              lambda x, **k: le.multi_margin_loss(x, t, reduction="mean", **k),
              lambda x, **k: le.multilabel_margin_loss(x, tl, reduction="sum", **k),
              lambda x, **k: _first(le.triplet_margin_loss(x, P, Nn, p=1.0, reduction="sum",
                                                           **k))):
        _, g = f(x, grad=True)
        fd = (f(x + h * v) - f(x - h * v)) / (2 * h)
        assert abs(fd - np.sum(g * v)) < 1e-6 * max(1, abs(fd))


def test_torch_parity_nan_pattern():
    """A NaN input gives NaN where torch gives NaN: in the loss of its row and in
    the gradients torch's arithmetic spreads it to (whole rows for the norms)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(10)
    x, y, z = (rng.standard_normal((3, 4)) for _ in range(3))
    x[1, 2] = np.nan
    calls = [("triplet_margin_loss", [x, y, z], 3, {}, None),
             ("triplet_margin_loss", [x, y, z], 3, {"swap": True}, None),
             ("triplet_margin_loss", [x, y, z], 3, {"p": 1.0}, None),
             ("triplet_margin_loss", [x, y, z], 3, {"p": 3.0}, None),
             ("triplet_margin_loss", [x, y, z], 3, {"p": float("inf")}, None),
             ("triplet_margin_with_distance_loss", [x, y, z], 3,
              {"distance_function": "cosine"}, lambda a, b: 1 - F.cosine_similarity(a, b)),
             ("cosine_embedding_loss", [x, y, np.array([1.0, -1.0, -1.0])], 2, {}, None),
             ("margin_ranking_loss", [x, y, np.sign(z)], 2, {}, None),
             ("hinge_embedding_loss", [x, np.sign(z)], 1, {}, None),
             ("multi_margin_loss", [x, np.array([0, 1, 2])], 1, {}, None),
             ("multilabel_margin_loss", [x, np.array([[0, -1, 0, 0], [1, 2, -1, 0],
                                                      [3, -1, 0, 0]])], 1, {}, None),
             ("pairwise_distance", [x, y], 2, {}, None),
             ("pairwise_distance", [x, y], 2, {"p": 1.0}, None),
             ("cosine_similarity", [x, y], 2, {}, None)]
    for name, args, npred, kw, tdist in calls:
        ts = [torch.from_numpy(a.copy()) for a in args]
        for t in ts[:npred]:
            t.requires_grad_(True)
        tkw = dict(kw)
        if tdist is not None:
            tkw["distance_function"] = tdist
        red = {} if name in ("pairwise_distance", "cosine_similarity") else \
            {"reduction": "none"}
        o = getattr(F, name)(*ts, **tkw, **red)
        o.sum().backward()
        out, g = getattr(le, name)(*args, **kw, **red, grad=True)
        assert np.array_equal(np.isnan(out), np.isnan(o.detach().numpy())), (name, kw)
        for gi, t in zip(g if isinstance(g, tuple) else (g,), ts):
            assert np.array_equal(np.isnan(gi), np.isnan(t.grad.numpy())), (name, kw)
            fin = ~np.isnan(gi)
            np.testing.assert_allclose(gi[fin], t.grad.numpy()[fin], rtol=1e-10, atol=1e-12)
