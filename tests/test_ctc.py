"""ctc_loss: brute-force alignments, edge cases, the three kernel paths,
errors, golden values (no torch needed) and torch parity (skipped without
torch)."""
import contextlib
import os

import numpy as np
import pytest

import lossengine as le
from lossengine import _ctc
from reference_ctc import ctc_brute_force, ctc_loss as ref_ctc, ctc_posterior_brute_force

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "golden_ctc.npz")


def log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def rand_inputs(rng, T, N, C, S, blank=0, dtype=np.float64, scale=2.0):
    lp = log_softmax(rng.standard_normal((T, N, C)) * scale).astype(dtype)
    labels = np.array([c for c in range(C) if c != blank])
    il = rng.integers(max(1, T // 2), T + 1, size=N)
    tl = np.minimum(rng.integers(0, S + 1, size=N), il // 2)
    targets = rng.choice(labels, size=(N, S))
    return lp, targets, il, tl


PATHS = ("default", "block", "log")


@contextlib.contextmanager
def kernel_path(path):
    """'default': one factor per step first; 'block': per-block exponents
    first; 'log': log space only."""
    _ctc._FORCE_LOG = path == "log"
    _ctc._BLOCK_FIRST = path == "block"
    try:
        yield
    finally:
        _ctc._FORCE_LOG = False
        _ctc._BLOCK_FIRST = False


# ------------------------------------------------------------------ brute force
BF_LABELS = [(), (1,), (2,), (1, 1), (1, 2), (2, 1, 2), (1, 1, 1), (2, 2)]


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("blank", [0, 2])
def test_brute_force(T, blank):
    rng = np.random.default_rng(T * 10 + blank)
    C = 3
    lp = log_softmax(rng.standard_normal((T, C)) * 1.5)
    for lab in BF_LABELS:
        lab = tuple(c if c != blank else 0 for c in lab)   # keep labels != blank
        want = ctc_brute_force(lp, lab, blank)
        tg = np.array(lab + (1,) * 2, dtype=np.int64)      # padded beyond the length
        for path in PATHS:
            with kernel_path(path):
                v, g = le.ctc_loss(lp, tg, T, len(lab), blank=blank, reduction="sum", grad=True)
                v2, g2 = le.ctc_loss(lp, tg, T, len(lab), blank=blank, reduction="sum", grad=True,
                                     grad_wrt="logits")
            if np.isinf(want):
                assert v == np.inf and np.all(np.isnan(g)) and np.all(np.isnan(g2))
                continue
            np.testing.assert_allclose(v, want, rtol=1e-12, atol=1e-12)
            post = ctc_posterior_brute_force(lp, lab, blank)
            np.testing.assert_allclose(g, post, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(g2, np.exp(lp) + post, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ semantics
def test_edge_cases():
    rng = np.random.default_rng(1)
    T, C = 6, 4
    lp = log_softmax(rng.standard_normal((T, 5, C)))
    targets = np.array([[1, 2, 0], [1, 2, 3], [3, 3, 3], [2, 0, 0], [1, 0, 0]])
    il = np.array([0, 0, 4, 6, 3])
    tl = np.array([0, 2, 3, 0, 1])
    loss, g = le.ctc_loss(lp, targets, il, tl, reduction="none", grad=True)
    assert loss[0] == 0                       # input_len 0, target_len 0
    assert loss[1] == np.inf                  # input_len 0, target_len > 0
    assert loss[2] == np.inf                  # 3,3,3 needs 5 steps
    np.testing.assert_allclose(loss[3], -lp[:6, 3, 0].sum(), rtol=1e-13)   # target_len 0
    np.testing.assert_allclose(loss, ref_ctc(lp, targets, il, tl, reduction="none"), rtol=1e-12)
    assert np.all(np.isnan(g[:4, 2])) and np.all(g[4:, 2] == 0)   # inf: NaN for t < input_len
    assert np.all(g[:, 0] == 0) and np.all(g[:, 1] == 0)
    assert np.all(g[3:, 4] == 0)                              # zero for t >= input_len
    assert np.all(np.any(g[:3, 4] != 0, axis=-1))
    np.testing.assert_allclose(g[:3, 4].sum(axis=-1), -1.0)      # posteriors sum to 1 per step
    # zero_infinity: inf -> 0 with zero gradient; others unchanged
    lz, gz = le.ctc_loss(lp, targets, il, tl, reduction="none", zero_infinity=True, grad=True)
    np.testing.assert_array_equal(lz, np.where(np.isinf(loss), 0, loss))
    assert np.all(gz[:, 1:3] == 0)
    np.testing.assert_array_equal(gz[:, 3:], g[:, 3:])
    # mean: each loss / max(target_len, 1), then the batch mean
    m = le.ctc_loss(lp, targets, il, tl, zero_infinity=True)
    np.testing.assert_allclose(m, np.mean(lz / np.maximum(tl, 1)), rtol=1e-13)
    assert le.ctc_loss(lp, targets, il, tl, reduction="mean") == np.inf


def test_empty_batch():
    lp = np.zeros((5, 0, 3))
    assert np.isnan(le.ctc_loss(lp, np.zeros((0, 2), np.int64), [], []))
    assert le.ctc_loss(lp, np.zeros((0, 2), np.int64), [], [], reduction="sum") == 0
    out, g = le.ctc_loss(lp, np.zeros(0, np.int64), [], [], reduction="none", grad=True)
    assert out.shape == (0,) and g.shape == (5, 0, 3)


def test_padded_concat_lists_and_dtypes():
    rng = np.random.default_rng(2)
    lp, tg, il, tl = rand_inputs(rng, 20, 5, 7, 6)
    base, gbase = le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True)
    cat = np.concatenate([tg[n, :tl[n]] for n in range(5)])
    for t in (cat, cat.astype(np.int8), cat.astype(np.uint16), list(map(int, cat))):
        out, g = le.ctc_loss(lp, t, list(map(int, il)), tuple(map(int, tl)), reduction="none",
                             grad=True)
        np.testing.assert_array_equal(out, base)
        np.testing.assert_array_equal(g, gbase)
    for dt in (np.int32, np.uint8, np.int16):
        out = le.ctc_loss(lp, tg.astype(dt), il.astype(dt), tl.astype(dt), reduction="none")
        np.testing.assert_array_equal(out, base)
    # padding beyond target_length is ignored whatever it holds
    tg2 = tg.copy()
    for n in range(5):
        tg2[n, tl[n]:] = -1 if n % 2 else 99
    np.testing.assert_array_equal(le.ctc_loss(lp, tg2, il, tl, reduction="none"), base)


def test_unbatched():
    rng = np.random.default_rng(3)
    lp, tg, il, tl = rand_inputs(rng, 15, 3, 6, 5)
    for n in range(3):
        want, gw = le.ctc_loss(lp[:, n:n + 1], tg[n:n + 1], il[n:n + 1], tl[n:n + 1],
                               reduction="none", grad=True)
        for ilv, tlv in ((int(il[n]), int(tl[n])), ([il[n]], [tl[n]]), (il[n], tl[n])):
            out, g = le.ctc_loss(lp[:, n], tg[n, :tl[n]], ilv, tlv, reduction="none", grad=True)
            assert np.ndim(out) == 0 and g.shape == lp[:, n].shape
            assert out == want[0]
            np.testing.assert_array_equal(g, gw[:, 0])
        m = le.ctc_loss(lp[:, n], tg[n], il[n], tl[n])    # padded (S,) also accepted
        np.testing.assert_allclose(m, want[0] / max(tl[n], 1), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_paths_agree(dtype):
    rng = np.random.default_rng(4)
    lp, tg, il, tl = rand_inputs(rng, 120, 6, 12, 40, dtype=dtype, scale=4)
    tl[0] = 40
    tg[0, 5:9] = tg[0, 4]                      # repeats
    out = {}
    for path in PATHS:
        with kernel_path(path):
            out[path] = le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True,
                                    grad_wrt="logits")
    tol = 1e-12 if dtype == np.float64 else 2e-6
    for path in ("block", "log"):
        np.testing.assert_allclose(out["default"][0], out[path][0], rtol=tol)
        np.testing.assert_allclose(out["default"][1], out[path][1], rtol=tol, atol=tol)
    np.testing.assert_allclose(out["default"][0], ref_ctc(lp, tg, il, tl, reduction="none"),
                               rtol=1e-12 if dtype == np.float64 else 1e-7)


def test_range_fallback():
    """Inputs beyond probability space's dynamic range take the log-space path."""
    NINF = -np.inf
    # The alignments emitting the label at t=0 are flushed by the forward
    # rescaling (exp(-650) < 1e-280 of the step's total) yet dominate P.
    lp = np.array([[-650.0, 0.0], [0.0, NINF], [-700.0, 0.0]])
    want = 650 - np.log1p(np.exp(-50.0))
    for dt in (np.float64, np.float32):
        v, g = le.ctc_loss(lp.astype(dt), [1], 3, 1, reduction="sum", grad=True)
        np.testing.assert_allclose(v, want, rtol=1e-12)
        np.testing.assert_allclose(g, ctc_posterior_brute_force(lp, (1,), 0), atol=1e-12)
    # emissions underflowing exp: label log-probabilities of -800 at every step
    lp = np.log(np.full((4, 3), 1 / 3))
    lp[:, 1] = -800
    v, g = le.ctc_loss(lp, [1, 2], 4, 2, reduction="sum", grad=True)
    np.testing.assert_allclose(v, ref_ctc(lp, [1, 2], 4, 2, reduction="sum"), rtol=1e-12)
    np.testing.assert_allclose(g.sum(axis=-1), -1.0, rtol=1e-12)
    d = np.random.default_rng(0).standard_normal(lp.shape)
    f = lambda x: float(le.ctc_loss(x, [1, 2], 4, 2, reduction="sum"))  # noqa: E731
    fd = (f(lp + 1e-5 * d) - f(lp - 1e-5 * d)) / 2e-5
    assert abs(fd - np.sum(g * d)) < 1e-7
    # logits of +-1e4 in float32: finite where torch's result is finite
    rng = np.random.default_rng(5)
    lp = log_softmax(rng.standard_normal((30, 3, 5)) * 1e4).astype(np.float32)
    tg = np.array([[1, 2, 3], [4, 4, 1], [2, 3, 0]])
    il, tl = np.array([30, 30, 20]), np.array([3, 3, 2])
    v = le.ctc_loss(lp, tg, il, tl, reduction="none")
    np.testing.assert_allclose(v, ref_ctc(lp, tg, il, tl, reduction="none"), rtol=1e-6)
    assert np.all(np.isfinite(v))


def test_confident_mispredictions_long_sequences():
    """Long sequences a model mispredicts confidently: the states carrying the
    posterior hold less than DBL_MIN of a step's forward mass, which one scale
    factor per step cannot represent; per-block exponents (and the checks)
    keep the result exact, whatever the schedule."""
    rng = np.random.default_rng(13)
    T, C, S = 1000, 40, 300
    x = rng.standard_normal((T, 2, C)) * 10
    lp = log_softmax(x)
    tg = rng.integers(1, C, size=(2, S))
    il, tl = np.array([T, T - 50]), np.array([S, S - 20])
    want = ref_ctc(lp, tg, il, tl, reduction="none")
    prev = le.get_num_threads()
    try:
        res = []
        for nt in (1, 2, 3):
            le.set_num_threads(nt)
            res.append(le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True))
            res.append(le.ctc_loss(lp[:, :1], tg[:1], il[:1], tl[:1], reduction="none", grad=True))
    finally:
        le.set_num_threads(prev)
    np.testing.assert_allclose(res[0][0], want, rtol=1e-12)
    for i in range(2, 6):
        np.testing.assert_array_equal(res[i][0], res[i % 2][0])
        np.testing.assert_array_equal(res[i][1], res[i % 2][1])
    with kernel_path("log"):
        _, g_log = le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True)
    with kernel_path("block"):
        v_blk, g_blk = le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True)
    np.testing.assert_allclose(res[0][1], g_log, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(v_blk, want, rtol=1e-12)
    np.testing.assert_allclose(g_blk, g_log, rtol=1e-9, atol=1e-12)


def test_nan_propagates():
    rng = np.random.default_rng(6)
    lp, tg, il, tl = rand_inputs(rng, 10, 2, 5, 3)
    il[:] = 10
    tl[:] = 2
    lp[3, 0, :] = np.nan
    out, g = le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True)
    assert np.isnan(out[0]) and np.isfinite(out[1])
    assert np.all(np.isnan(g[:, 0])) and np.all(np.isfinite(g[:, 1]))


def test_float32_long_sequence_accuracy():
    rng = np.random.default_rng(7)
    lp, tg, il, tl = rand_inputs(rng, 1500, 2, 30, 200, dtype=np.float32, scale=3)
    il[:] = 1500
    tl[:] = 200
    out, g = le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True, grad_wrt="logits")
    want = ref_ctc(lp, tg, il, tl, reduction="none")
    np.testing.assert_allclose(out, want, rtol=1e-5)
    g64 = le.ctc_loss(lp.astype(np.float64), tg, il, tl, reduction="none", grad=True,
                      grad_wrt="logits")[1]
    np.testing.assert_allclose(g, g64, rtol=1e-4, atol=1e-5)


def test_log_probs_gradient_finite_differences():
    rng = np.random.default_rng(8)
    lp, tg, il, tl = rand_inputs(rng, 9, 3, 5, 3)
    tl[0] = 3
    for kw in ({}, {"blank": 4}, {"zero_infinity": True}):
        t = tg % 4 if kw.get("blank") else tg          # labels != blank
        for red in ("none", "mean", "sum"):
            go = rng.standard_normal(3) if red == "none" else 1.0

            def f(x):
                return float(np.sum(le.ctc_loss(x, t, il, tl, reduction=red, **kw) * go))
            _, g = le.ctc_loss(lp, t, il, tl, reduction=red, grad=True,
                               grad_output=go if red == "none" else None, **kw)
            v = rng.standard_normal(lp.shape)
            h = 1e-4
            fd = (-f(lp + 2 * h * v) + 8 * f(lp + h * v) - 8 * f(lp - h * v)
                  + f(lp - 2 * h * v)) / (12 * h)
            assert abs(fd - np.sum(g * v)) <= 1e-7 * max(1, abs(fd)), (kw, red)


def test_threads_bitwise_small_and_large_batch():
    rng = np.random.default_rng(9)
    prev = le.get_num_threads()
    try:
        for N in (1, 2, 5):
            lp, tg, il, tl = rand_inputs(rng, 300, N, 20, 60, dtype=np.float32)
            for path in ("default", "block"):
                res = []
                with kernel_path(path):
                    for nt in (1, 2, 3):
                        le.set_num_threads(nt)
                        res.append(le.ctc_loss(lp, tg, il, tl, reduction="sum", grad=True,
                                               grad_wrt="logits"))
                for out, g in res[1:]:
                    np.testing.assert_array_equal(out, res[0][0])
                    np.testing.assert_array_equal(g, res[0][1])
    finally:
        le.set_num_threads(prev)


def test_threads_bitwise_fallback_small_batch():
    """A sequence beyond probability space's range, alone in its batch (both
    recursions on separate threads), then among others."""
    rng = np.random.default_rng(12)
    prev = le.get_num_threads()
    try:
        for N in (1, 4):
            lp, tg, il, tl = rand_inputs(rng, 400, N, 12, 80)
            il[0], tl[0] = 400, 80
            lp[:, 0, tg[0, 3]] -= 900.0          # a label almost impossible everywhere
            want = ref_ctc(lp, tg, il, tl, reduction="none")
            res = []
            for nt in (1, 2, 3):
                le.set_num_threads(nt)
                res.append(le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True))
            np.testing.assert_allclose(res[0][0], want, rtol=1e-12)
            for out, g in res[1:]:
                np.testing.assert_array_equal(out, res[0][0])
                np.testing.assert_array_equal(g, res[0][1])
    finally:
        le.set_num_threads(prev)


def test_grad_output_none_and_grad_out():
    rng = np.random.default_rng(10)
    lp, tg, il, tl = rand_inputs(rng, 12, 4, 5, 4)
    go = np.array([1.0, -2.0, 0.5, 3.0])
    _, g = le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True, grad_output=go)
    _, g1 = le.ctc_loss(lp, tg, il, tl, reduction="none", grad=True)
    np.testing.assert_allclose(g, g1 * go[None, :, None], rtol=1e-15)
    buf = np.full_like(lp, np.nan)
    out = le.ctc_loss(lp, tg, il, tl, grad=True, grad_out=buf, grad_wrt="logits")
    assert out[1] is buf and np.all(np.isfinite(buf))
    fbuf = np.asfortranarray(np.zeros_like(lp))
    assert le.ctc_loss(lp, tg, il, tl, grad=True, grad_out=fbuf)[1] is fbuf
    np.testing.assert_array_equal(fbuf, le.ctc_loss(lp, tg, il, tl, grad=True)[1])


def test_criterion():
    rng = np.random.default_rng(11)
    lp, tg, il, tl = rand_inputs(rng, 12, 4, 5, 4, blank=2)
    crit = le.nn.CTCLoss(blank=2, zero_infinity=True)
    assert crit(lp, tg, il, tl) == le.ctc_loss(lp, tg, il, tl, blank=2, zero_infinity=True)
    loss, g = crit.forward_backward(lp, tg, il, tl)
    np.testing.assert_array_equal(g, crit.backward())


# ------------------------------------------------------------------ errors
def _ok():
    lp = log_softmax(np.random.default_rng(0).standard_normal((6, 2, 4)))
    return lp, np.array([[1, 2, 0], [3, 3, 0]]), np.array([6, 5]), np.array([2, 2])


@pytest.mark.parametrize("change,exc,match", [
    (lambda a: a.update(log_probs=a["log_probs"][0, 0]), ValueError, "log_probs"),
    (lambda a: a.update(log_probs=np.zeros((2, 2, 2, 2))), ValueError, "log_probs"),
    (lambda a: a.update(log_probs=np.array([["a"]])), TypeError, "log_probs"),
    (lambda a: a.update(blank=4), ValueError, "blank"),
    (lambda a: a.update(blank=-1), ValueError, "blank"),
    (lambda a: a.update(blank=1.5), TypeError, "blank"),
    (lambda a: a.update(input_lengths=[6]), ValueError, "input_lengths.*batch_size=2"),
    (lambda a: a.update(input_lengths=[6, 7]), ValueError, "input_lengths.*<= T=6.*sample 1"),
    (lambda a: a.update(input_lengths=[-1, 2]), ValueError, "input_lengths.*>= 0.*sample 0"),
    (lambda a: a.update(input_lengths=[6.0, 5.0]), TypeError, "input_lengths"),
    (lambda a: a.update(input_lengths=np.array([True, True])), TypeError, "input_lengths"),
    (lambda a: a.update(input_lengths=np.array([[6, 5]])), ValueError, "input_lengths"),
    (lambda a: a.update(target_lengths=[2, 2, 2]), ValueError, "target_lengths.*batch_size=2"),
    (lambda a: a.update(target_lengths=[2, -3]), ValueError, "target_lengths.*>= 0.*sample 1"),
    (lambda a: a.update(target_lengths=[2, 4]), ValueError, "target_lengths.*<= S=3.*sample 1"),
    (lambda a: a.update(target_lengths=np.array([2.0, 2.0])), TypeError, "target_lengths"),
    (lambda a: a.update(targets=np.array([[1, 4, 0], [3, 3, 0]])), ValueError,
     r"targets: value 4 at sample 0, position 1 is out of range for 4 classes"),
    (lambda a: a.update(targets=np.array([[1, 2, 0], [3, -1, 0]])), ValueError,
     r"targets: value -1 at sample 1, position 1"),
    (lambda a: a.update(targets=np.array([[1, 0, 0], [3, 3, 0]])), ValueError,
     r"targets: value 0 at sample 0, position 1 equals blank=0"),
    (lambda a: a.update(targets=np.array([[1, 2, 0], [3, 3, 0]]), blank=3), ValueError,
     r"sample 1, position 0 equals blank=3"),
    (lambda a: a.update(targets=np.array([1, 2, 3])), ValueError,
     r"targets: concatenated targets must have length sum\(target_lengths\)=4, got 3"),
    (lambda a: a.update(targets=np.array([1, 2, 3, 9])), ValueError,
     r"targets: value 9 at sample 1, position 1"),
    (lambda a: a.update(targets=np.array([[1, 2, 0]])), ValueError, "targets.*N=batch_size=2"),
    (lambda a: a.update(targets=np.zeros((2, 3, 1), np.int64)), ValueError, "targets"),
    (lambda a: a.update(targets=np.array([[1.0, 2.0, 0], [3, 3, 0]])), TypeError, "targets"),
    (lambda a: a.update(targets=np.array([[True, True], [True, True]])), TypeError, "targets"),
    (lambda a: a.update(targets=[[1, 2], [3]]), ValueError, "targets"),
    (lambda a: a.update(zero_infinity="yes"), TypeError, "zero_infinity"),
    (lambda a: a.update(reduction="avg"), ValueError, "reduction"),
    (lambda a: a.update(grad_wrt="input", grad=True), ValueError, "grad_wrt"),
    (lambda a: a.update(grad_output=2.0), ValueError, "grad_output"),
    (lambda a: a.update(grad_out=np.zeros((6, 2, 4))), ValueError, "grad_out"),
    (lambda a: a.update(grad=True, grad_out=np.zeros((6, 2, 4), np.float32)), TypeError,
     "grad_out"),
    (lambda a: a.update(grad=True, grad_out=np.zeros((6, 2, 3))), ValueError, "grad_out"),
    (lambda a: a.update(grad=True, reduction="none", grad_output=np.ones(3)), ValueError,
     "grad_output"),
])
def test_errors(change, exc, match):
    lp, tg, il, tl = _ok()
    a = {"log_probs": lp, "targets": tg, "input_lengths": il, "target_lengths": tl}
    change(a)
    pos = [a.pop(k) for k in ("log_probs", "targets", "input_lengths", "target_lengths")]
    snapshot = [np.array(x, copy=True) if isinstance(x, np.ndarray) else None for x in pos]
    with pytest.raises(exc, match=match):
        le.ctc_loss(*pos, **a)
    for x, s in zip(pos, snapshot):
        if s is not None:
            np.testing.assert_array_equal(x, s)


def test_errors_unbatched_and_grad_out_untouched():
    lp = log_softmax(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="targets must be 1-d"):
        le.ctc_loss(lp, [[1, 2]], 5, 2)
    with pytest.raises(ValueError, match="input_lengths must be a single length"):
        le.ctc_loss(lp, [1, 2], [5, 5], 2)
    with pytest.raises(ValueError, match="targets: value 7 at position 1"):
        le.ctc_loss(lp, [1, 7], 5, 2)
    with pytest.raises(TypeError, match="input_lengths"):
        le.ctc_loss(lp, [1, 2], True, 2)
    buf = np.full((5, 4), 7.0)
    with pytest.raises(ValueError, match="targets"):
        le.ctc_loss(lp, [1, 0], 5, 2, grad=True, grad_out=buf)
    assert np.all(buf == 7.0)      # target check runs before any write


# ------------------------------------------------------------------ golden (no torch)
def _golden_cases():
    d = np.load(GOLDEN, allow_pickle=False)
    for k in range(int(d["n_cases"])):
        yield k, d, str(d["dtype"][k])


def test_golden_provenance():
    d = np.load(GOLDEN, allow_pickle=False)
    assert str(d["torch_version"]).startswith("2.13")
    assert set(d["dtype"]) <= {"float32", "float64"}


@pytest.mark.parametrize("k", range(8))
def test_golden(k):
    d = np.load(GOLDEN, allow_pickle=False)
    p = f"case{k}_"
    lp = d[p + "log_probs"]
    blank, zinf = (int(v) for v in d[p + "params"])
    il, tl = d[p + "input_lengths"], d[p + "target_lengths"]
    if lp.ndim == 2:
        il, tl = int(il[0]), int(tl[0])
    f32 = lp.dtype == np.float32
    rtol, atol = (1e-4, 1e-5) if f32 else (1e-10, 1e-12)
    for r in ("none", "mean", "sum"):
        out, g = le.ctc_loss(lp, d[p + "targets"], il, tl, blank=blank, reduction=r,
                             zero_infinity=bool(zinf), grad=True, grad_wrt="logits")
        np.testing.assert_allclose(out, d[p + r + "_loss"], rtol=rtol, atol=atol)
        np.testing.assert_allclose(g, d[p + r + "_grad"], rtol=rtol, atol=atol, equal_nan=True)


# ------------------------------------------------------------------ torch parity
PARITY = [
    # T, N, C, S, blank, layout, zero_infinity, dtype
    (20, 5, 6, 6, 0, "padded", False, np.float64),
    (20, 5, 6, 6, 0, "concat", False, np.float64),
    (25, 4, 8, 8, 5, "padded", True, np.float64),
    (40, 3, 10, 12, 9, "concat", False, np.float32),
    (200, 4, 30, 60, 0, "padded", False, np.float32),
    (17, 1, 4, 5, 1, "unbatched", False, np.float64),
]


@pytest.mark.parametrize("case", PARITY, ids=[f"{c[5]}-b{c[4]}-z{int(c[6])}-{c[7].__name__}"
                                               for c in PARITY])
def test_torch_parity(case):
    torch = pytest.importorskip("torch")
    T, N, C, S, blank, layout, zinf, dt = case
    rng = np.random.default_rng(T * N + C)
    lp, tg, il, tl = rand_inputs(rng, T, N, C, S, blank=blank, dtype=dt)
    if N > 1:
        tg[0, 1] = tg[0, 0]                 # a repeat
        tl[0] = min(S, T // 2)
        il[-1] = max(min(il[-1] // 3, S - 1), 1)   # input_len < T
        tl[-1] = il[-1] + 1                 # infeasible
        if N > 3:
            tl[1] = 0                       # empty target
            il[2] = 0                       # empty input
            tl[2] = 0
    if layout == "concat":
        targets = np.concatenate([tg[n, :tl[n]] for n in range(N)])
    elif layout == "unbatched":
        targets = tg[0, :tl[0]]
    else:
        targets = tg
    for red in ("none", "mean", "sum"):
        x = torch.tensor(lp.astype(np.float64), requires_grad=True)
        if layout == "unbatched":
            tl0, il0 = int(tl[0]), int(il[0])
            want = torch.nn.functional.ctc_loss(x[:, 0], torch.tensor(targets),
                                                torch.tensor(il0), torch.tensor(tl0), blank=blank,
                                                reduction=red, zero_infinity=zinf)
            out, g = le.ctc_loss(lp[:, 0], targets, il0, tl0, blank=blank, reduction=red,
                                 zero_infinity=zinf, grad=True, grad_wrt="logits")
            g = g[:, None]
        else:
            want = torch.nn.functional.ctc_loss(x, torch.tensor(targets), torch.tensor(il),
                                                torch.tensor(tl), blank=blank, reduction=red,
                                                zero_infinity=zinf)
            out, g = le.ctc_loss(lp, targets, il, tl, blank=blank, reduction=red,
                                 zero_infinity=zinf, grad=True, grad_wrt="logits")
        want.sum().backward()
        rtol, atol = (1e-4, 1e-5) if dt == np.float32 else (1e-10, 1e-12)
        assert np.asarray(out).dtype == dt
        np.testing.assert_allclose(out, want.detach().numpy(), rtol=rtol, atol=atol)
        np.testing.assert_allclose(g, x.grad.numpy(), rtol=rtol, atol=atol, equal_nan=True)
