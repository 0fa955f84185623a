"""linear_cross_entropy: golden values from torch (no torch needed), torch
parity, tiles, threads, grad_out, errors, finite differences, edge sizes."""
import os
import subprocess
import sys

import numpy as np
import pytest

import lossengine as le
from reference_linear_ce import linear_cross_entropy as ref_lce

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "golden_linear_ce.npz")
TOL = {np.dtype(np.float64): (1e-10, 1e-12), np.dtype(np.float32): (1e-4, 1e-5)}


def _close(a, b, dt, what=""):
    rtol, atol = TOL[np.dtype(dt)]
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=rtol, atol=atol, err_msg=what)


def _inputs(rng, lead, D, V, dt="float64", bias=True, ignore=False):
    x = rng.standard_normal(tuple(lead) + (D,)).astype(dt)
    w = (rng.standard_normal((V, D)) * 2 / np.sqrt(max(D, 1))).astype(dt)
    b = (rng.standard_normal(V) * 0.5).astype(dt) if bias else None
    t = rng.integers(0, V, size=tuple(lead))
    if ignore and t.size > 1:
        t.reshape(-1)[::3] = -100
    return x, w, t, b


def _ref_grads(x, w, t, b, go=None, **kw):
    """Reference gradients in float64 from the unfused chain (logits in full):
    d loss / d logits from the reference cross-entropy by finite-free algebra."""
    x64, w64 = np.asarray(x, np.float64), np.asarray(w, np.float64)
    lead, D = x64.shape[:-1], x64.shape[-1]
    X = x64.reshape(-1, D)
    logits = X @ w64.T + (0 if b is None else np.asarray(b, np.float64))
    _, g = le.cross_entropy(logits, np.asarray(t).reshape(-1), grad=True,
                            grad_output=None if go is None else
                            (np.asarray(go).reshape(-1) if kw.get("reduction") == "none" else go),
                            **kw)
    return (g @ w64).reshape(x64.shape), g.T @ X, (None if b is None else g.sum(axis=0))


# ---------------------------------------------------------------- golden (no torch)
def _golden():
    return np.load(GOLDEN, allow_pickle=False)


def test_golden_provenance():
    d = _golden()
    assert str(d["torch_version"]).startswith("2.13")
    assert int(d["n_cases"]) >= 8 and str(d["date"])


@pytest.mark.parametrize("k", range(10))
@pytest.mark.parametrize("tile", [None, 1, 7, 64])
def test_golden(k, tile):
    d = _golden()
    p = f"case{k}_"
    x, w, t = d[p + "x"], d[p + "w"], d[p + "t"]
    b = d[p + "b"] if p + "b" in d.files else None
    ii, eps, red, has_go = d[p + "params"]
    go = d[p + "go"]
    kw = dict(ignore_index=int(ii), label_smoothing=float(eps), reduction=str(red), tile=tile)
    loss = le.linear_cross_entropy(x, w, t, b, **kw)
    _close(loss, d[p + "loss"], x.dtype, "loss")
    gout = (go if red == "none" else float(go)) if has_go == "1" else None
    loss2, (dx, dw, db) = le.linear_cross_entropy(x, w, t, b, grad=True, grad_output=gout, **kw)
    np.testing.assert_array_equal(loss2, loss)
    _close(dx, d[p + "dx"], x.dtype, "dx")
    _close(dw, d[p + "dw"], x.dtype, "dw")
    if b is None:
        assert db is None
    else:
        _close(db, d[p + "db"], x.dtype, "db")


# ---------------------------------------------------------------- torch parity
PARITY = [((7,), 5, 11), ((1,), 1, 3), ((1,), 4, 1), ((37,), 9, 1000), ((2, 5), 3, 6),
          ((300,), 12, 257), ((4,), 1, 2000)]


@pytest.mark.parametrize("lead,D,V", PARITY)
@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("opts", ["plain", "ignore", "smooth", "ignore_smooth_nobias"])
def test_torch_parity(lead, D, V, dt, opts):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(hash((lead, D, V, dt, opts)) % 2**32)
    x, w, t, b = _inputs(rng, lead, D, V, dt, bias="nobias" not in opts, ignore="ignore" in opts)
    eps = 0.15 if "smooth" in opts else 0.0
    for red in ("mean", "sum", "none"):
        xt, wt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w))
        bt = None if b is None else torch.tensor(b, dtype=torch.float64, requires_grad=True)
        lt = torch.nn.functional.cross_entropy(
            torch.nn.functional.linear(xt, wt, bt).reshape(-1, V), torch.from_numpy(t).reshape(-1),
            reduction=red, label_smoothing=eps)
        go = rng.standard_normal(lead) if red == "none" else np.array(0.7)
        lt.backward(torch.from_numpy(go.reshape(-1)) if red == "none"
                    else torch.tensor(0.7, dtype=torch.float64))
        ref = lt.detach().numpy().reshape(lead) if red == "none" else lt.item()
        for tile in (None, 5):
            loss, (dx, dw, db) = le.linear_cross_entropy(
                x, w, t, b, reduction=red, label_smoothing=eps, tile=tile, grad=True,
                grad_output=go if red == "none" else 0.7)
            assert np.asarray(loss).dtype == np.dtype(dt) and np.shape(loss) == np.shape(ref)
            _close(loss, ref, dt, f"{red} loss")
            _close(dx, xt.grad.numpy(), dt, f"{red} dx")
            _close(dw, wt.grad.numpy(), dt, f"{red} dw")
            if b is not None:
                _close(db, bt.grad.numpy(), dt, f"{red} db")
            else:
                assert db is None


def test_large_logits_torch_parity():
    """Logits of a few hundred: the running max keeps exp in range."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w, t, b = _inputs(rng, (20,), 8, 500)
    w *= 60
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    lt = torch.nn.functional.cross_entropy(torch.nn.functional.linear(xt, wt, bt),
                                           torch.from_numpy(t))
    lt.backward()
    for dt in ("float64", "float32"):
        loss, (dx, dw, db) = le.linear_cross_entropy(*(a.astype(dt) for a in (x, w)), t,
                                                     b.astype(dt), tile=64, grad=True)
        assert np.isfinite(loss)
        if dt == "float64":
            _close(loss, lt.item(), dt)
            _close(dx, xt.grad.numpy(), dt)
            _close(dw, wt.grad.numpy(), dt)


# ---------------------------------------------------------------- reference (no torch)
@pytest.mark.parametrize("red", ["mean", "sum", "none"])
@pytest.mark.parametrize("bias", [True, False])
def test_against_unfused(red, bias):
    rng = np.random.default_rng(1)
    x, w, t, b = _inputs(rng, (3, 11), 7, 301, bias=bias, ignore=True)
    kw = dict(reduction=red, label_smoothing=0.1)
    go = rng.standard_normal((3, 11)) if red == "none" else 1.3
    loss, g = le.linear_cross_entropy(x, w, t, b, grad=True, grad_output=go, tile=64, **kw)
    _close(loss, ref_lce(x, w, t, b, **kw), "float64")
    for a, e in zip(g, _ref_grads(x, w, t, b, go=go, **kw)):
        if e is None:
            assert a is None
        else:
            _close(a, e, "float64")


def test_tiles_agree_within_rounding():
    """Different tiles regroup the sums: equal within rounding, not bitwise."""
    rng = np.random.default_rng(2)
    x, w, t, b = _inputs(rng, (50,), 10, 333, ignore=True)
    base = le.linear_cross_entropy(x, w, t, b, grad=True, label_smoothing=0.1, tile=333)
    for tile in (1, 2, 3, 32, 100, 332, 1000, None):
        loss, g = le.linear_cross_entropy(x, w, t, b, grad=True, label_smoothing=0.1, tile=tile)
        np.testing.assert_allclose(loss, base[0], rtol=1e-13)
        for a, e in zip(g, base[1]):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_threads_bitwise(dt):
    rng = np.random.default_rng(3)
    x, w, t, b = _inputs(rng, (300,), 16, 4000, dt, ignore=True)
    prev = le.get_num_threads()
    try:
        res = []
        for n in (1, 2, 3):
            le.set_num_threads(n)
            res.append([le.linear_cross_entropy(x, w, t, b, reduction=red, grad=True,
                                                label_smoothing=0.1, tile=128)
                        for red in ("mean", "none")])
    finally:
        le.set_num_threads(prev)
    for r in res[1:]:
        for (l1, g1), (l0, g0) in zip(r, res[0]):
            np.testing.assert_array_equal(l1, l0)
            for a, e in zip(g1, g0):
                np.testing.assert_array_equal(a, e)


def test_forward_bitwise_with_and_without_grad():
    rng = np.random.default_rng(4)
    x, w, t, b = _inputs(rng, (40,), 6, 100)
    for red in ("mean", "none"):
        np.testing.assert_array_equal(le.linear_cross_entropy(x, w, t, b, reduction=red),
                                      le.linear_cross_entropy(x, w, t, b, reduction=red,
                                                              grad=True)[0])


# ---------------------------------------------------------------- finite differences
@pytest.mark.parametrize("red", ["mean", "sum", "none"])
def test_finite_differences(red):
    rng = np.random.default_rng(6)
    x, w, t, b = _inputs(rng, (5,), 4, 9, ignore=True)
    kw = dict(reduction=red, label_smoothing=0.2, tile=2)
    go = rng.standard_normal(5) if red == "none" else None

    def f(xx, ww, bb):
        out = le.linear_cross_entropy(xx, ww, t, bb, **kw)
        return float(np.sum(out * go)) if go is not None else float(out)
    _, g = le.linear_cross_entropy(x, w, t, b, grad=True, grad_output=go, **kw)
    args = [x, w, b]
    for i in range(3):
        v = rng.standard_normal(args[i].shape)
        h = 1e-3

        def fi(s):
            a = list(args)
            a[i] = args[i] + s * v
            return f(*a)
        fd = (-fi(2 * h) + 8 * fi(h) - 8 * fi(-h) + fi(-2 * h)) / (12 * h)
        an = float(np.sum(g[i] * v))
        assert abs(fd - an) <= 1e-8 * max(1.0, abs(an)), (i, fd, an)


# ---------------------------------------------------------------- buffers, dtypes
def test_grad_out_tuple():
    rng = np.random.default_rng(7)
    x, w, t, b = _inputs(rng, (6,), 5, 20)
    loss, g = le.linear_cross_entropy(x, w, t, b, grad=True)
    bufs = (np.full_like(x, np.nan), np.full_like(w, np.nan), np.full_like(b, np.nan))
    loss2, g2 = le.linear_cross_entropy(x, w, t, b, grad=True, grad_out=bufs)
    assert all(a is c for a, c in zip(g2, bufs))
    for a, c in zip(g, g2):
        np.testing.assert_array_equal(a, c)
    # a non-contiguous buffer and None entries
    big = np.zeros((20, 10))
    loss3, g3 = le.linear_cross_entropy(x, w, t, b, grad=True, grad_out=(None, big[:, ::2], None))
    assert g3[1] is not None and np.shares_memory(g3[1], big)
    np.testing.assert_array_equal(g3[1], g[1])
    np.testing.assert_array_equal(g3[0], g[0])
    # without bias d_bias is None, and a d_bias buffer is an error
    _, g4 = le.linear_cross_entropy(x, w, t, grad=True, grad_out=(None, None, None))
    assert g4[2] is None
    with pytest.raises(ValueError, match="grad_out"):
        le.linear_cross_entropy(x, w, t, grad=True, grad_out=(None, None, np.zeros(20)))
    with pytest.raises(TypeError, match="grad_out"):
        le.linear_cross_entropy(x, w, t, b, grad=True, grad_out=bufs[:2])
    with pytest.raises(TypeError, match="grad_out"):
        le.linear_cross_entropy(x, w, t, b, grad=True, grad_out=(x.astype(np.float32), None, None))
    with pytest.raises(ValueError, match="grad_out"):
        le.linear_cross_entropy(x, w, t, b, grad=True, grad_out=(None, w, None))
    shared = np.zeros(200)
    with pytest.raises(ValueError, match="grad_out"):
        le.linear_cross_entropy(x, w, t, b, grad=True,
                                grad_out=(None, shared[:100].reshape(20, 5),
                                          shared[90:110]))
    with pytest.raises(ValueError, match="grad_out"):
        le.linear_cross_entropy(x, w, t, b, grad_out=bufs)


def test_inputs_unchanged_and_layouts():
    rng = np.random.default_rng(8)
    x, w, t, b = _inputs(rng, (9,), 6, 30)
    snap = [a.copy() for a in (x, w, t, b)]
    base = le.linear_cross_entropy(x, w, t, b, grad=True, reduction="sum")
    wf = np.asfortranarray(w)
    xs = np.zeros((18, 12))
    xs[::2, ::2] = x
    out = le.linear_cross_entropy(xs[::2, ::2], wf, t.astype(np.int32), b, grad=True,
                                  reduction="sum")
    np.testing.assert_array_equal(out[0], base[0])
    for a, e in zip(out[1], base[1]):
        np.testing.assert_array_equal(a, e)
    for a, s in zip((x, w, t, b), snap):
        np.testing.assert_array_equal(a, s)


def test_dtypes():
    rng = np.random.default_rng(9)
    x, w, t, b = _inputs(rng, (4,), 3, 5)
    assert le.linear_cross_entropy(x.astype(np.float32), w.astype(np.float32), t).dtype == np.float32
    assert le.linear_cross_entropy(x.astype(np.float32), w, t).dtype == np.float64
    assert le.linear_cross_entropy(x.astype(np.float32), w.astype(np.float32), t,
                                   b).dtype == np.float64
    loss = le.linear_cross_entropy(x.astype(np.float16), w.astype(np.float16), t,
                                   reduction="none")
    assert loss.dtype == np.float32


def test_edge_sizes():
    rng = np.random.default_rng(10)
    # 1-d input: one position, 0-d target
    x, w, t, b = _inputs(rng, (), 4, 6)
    loss, (dx, dw, db) = le.linear_cross_entropy(x, w, t, b, reduction="none", grad=True)
    assert np.ndim(loss) == 0 and dx.shape == (4,)
    _close(loss, ref_lce(x[None], w, t[None], b, reduction="sum"), "float64")
    # no positions
    x0 = np.zeros((0, 4))
    t0 = np.zeros(0, np.int64)
    assert np.isnan(le.linear_cross_entropy(x0, w, t0, b))
    loss, (dx, dw, db) = le.linear_cross_entropy(x0, w, t0, b, reduction="sum", grad=True)
    assert loss == 0 and dx.shape == (0, 4) and not dw.any() and not db.any()
    assert le.linear_cross_entropy(x0, w, t0, reduction="none").shape == (0,)
    # fully ignored: mean is NaN, gradients zero
    x, w, t, b = _inputs(rng, (5,), 4, 6)
    tall = np.full(5, -100)
    loss, g = le.linear_cross_entropy(x, w, tall, b, grad=True, label_smoothing=0.1)
    assert np.isnan(loss) and all(not a.any() for a in g)
    # D = 0: the logits are the bias
    xe, we = np.zeros((3, 0)), np.zeros((6, 0))
    loss, (dx, dw, db) = le.linear_cross_entropy(xe, we, t[:3], b, grad=True)
    _close(loss, le.cross_entropy(np.tile(b, (3, 1)), t[:3]), "float64")
    _close(db, le.cross_entropy(np.tile(b, (3, 1)), t[:3], grad=True)[1].sum(0), "float64")
    assert dx.shape == (3, 0) and dw.shape == (6, 0)


# ---------------------------------------------------------------- errors
def test_errors_name_the_argument():
    rng = np.random.default_rng(11)
    x, w, t, b = _inputs(rng, (4,), 3, 5)
    f = le.linear_cross_entropy
    with pytest.raises(ValueError, match="weight"):
        f(x, w[:, :2], t)                       # D mismatch
    with pytest.raises(ValueError, match="weight"):
        f(x, w[0], t)
    with pytest.raises(ValueError, match="bias"):
        f(x, w, t, b[:4])                       # V mismatch
    with pytest.raises(ValueError, match="target"):
        f(x, w, np.array([0, 1, 5, 2]))         # out of range
    with pytest.raises(ValueError, match="target"):
        f(x, w, np.array([0, 1, -1, 2]))
    with pytest.raises(ValueError, match="target"):
        f(x, w, t[:3])
    with pytest.raises(TypeError, match="target"):
        f(x, w, t.astype(np.float64))
    with pytest.raises(TypeError, match="target"):
        f(x, w, t > 2)
    with pytest.raises(ValueError, match="input"):
        f(np.float64(1.0), w, t)
    with pytest.raises(TypeError, match="input"):
        f(x.astype(complex), w, t)
    with pytest.raises(ValueError, match="tile"):
        f(x, w, t, tile=0)
    with pytest.raises(TypeError, match="tile"):
        f(x, w, t, tile=2.5)
    with pytest.raises(ValueError, match="label_smoothing"):
        f(x, w, t, label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction"):
        f(x, w, t, reduction="batchmean")
    with pytest.raises(ValueError, match="grad_output"):
        f(x, w, t, grad_output=1.0)
    with pytest.raises(ValueError, match="grad_output"):
        f(x, w, t, reduction="none", grad=True, grad_output=np.ones(3))
    # an ignored target may be anything, even out of range
    assert np.isfinite(f(x, w, np.array([0, -100, 4, 2])))
    assert np.isfinite(f(x, w, np.array([0, 7, 4, 2]), ignore_index=7))


# ---------------------------------------------------------------- packaging
def test_import_does_not_import_scipy():
    code = ("import sys, lossengine as le; assert 'scipy' not in sys.modules; "
            "le.linear_cross_entropy([[1.0]], [[1.0], [2.0]], [1]); "
            "assert 'scipy' in sys.modules")
    # run beside the lossengine under test (installed or built in place), not
    # from a source tree that may be unbuilt
    where = os.path.dirname(os.path.dirname(os.path.abspath(le.__file__)))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=where)


def test_blas_threads_restored():
    tp = pytest.importorskip("threadpoolctl")
    before = [i["num_threads"] for i in tp.threadpool_info() if i["user_api"] == "blas"]
    rng = np.random.default_rng(12)
    le.linear_cross_entropy(*_inputs(rng, (3,), 2, 4)[:3])
    after = [i["num_threads"] for i in tp.threadpool_info() if i["user_api"] == "blas"]
    assert before == after


def test_criterion():
    rng = np.random.default_rng(13)
    x, w, t, b = _inputs(rng, (6,), 4, 9, ignore=True)
    crit = le.nn.LinearCrossEntropyLoss(reduction="sum", label_smoothing=0.1)
    np.testing.assert_array_equal(crit(x, w, t, b), le.linear_cross_entropy(
        x, w, t, b, reduction="sum", label_smoothing=0.1))
    loss, g = crit.forward_backward(x, w, t, b)
    for a, e in zip(g, crit.backward()):
        np.testing.assert_array_equal(a, e)
