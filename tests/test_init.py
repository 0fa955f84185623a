"""lossengine.init against torch 2.13's torch.nn.init: deterministic fills equal
torch's (golden data, and live when torch is installed); random fills follow
torch's distributions (bounds, moments, Kolmogorov-Smirnov against the exact
distribution and, live, against torch's own samples); layouts, dtypes, rng
handling, errors and the docstring examples."""
import doctest
import json
import math
import os
import warnings

import numpy as np
import pytest

import lossengine.init as I

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "golden_sched.npz")
DTYPES = [np.float32, np.float64]


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as d:
        return {k: d[k] for k in d.files if k.startswith("init/")}


# ----------------------------------------------------------------------------- statistics helpers

def _ks_crit(n, m=None):
    """Kolmogorov-Smirnov critical value at alpha = 1e-4 (one or two samples)."""
    c = math.sqrt(-0.5 * math.log(1e-4 / 2))
    return c / math.sqrt(n) if m is None else c * math.sqrt((n + m) / (n * m))


def _ks_one(x, cdf):
    x = np.sort(np.asarray(x, dtype=np.float64).ravel())
    n = x.size
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


def _ks_two(x, y):
    x = np.sort(np.asarray(x, dtype=np.float64).ravel())
    y = np.sort(np.asarray(y, dtype=np.float64).ravel())
    grid = np.concatenate([x, y])
    fx = np.searchsorted(x, grid, side="right") / x.size
    fy = np.searchsorted(y, grid, side="right") / y.size
    return np.max(np.abs(fx - fy))


_erf = np.vectorize(math.erf)


def _phi_cdf(z):
    return 0.5 * (1.0 + _erf(np.asarray(z) / math.sqrt(2.0)))


def _normal_cdf(mean, std):
    return lambda x: _phi_cdf((x - mean) / std)


def _trunc_cdf(mean, std, a, b):
    lo, hi = _phi_cdf((a - mean) / std), _phi_cdf((b - mean) / std)
    return lambda x: np.clip((_phi_cdf((x - mean) / std) - lo) / (hi - lo), 0.0, 1.0)


def _uniform_cdf(a, b):
    return lambda x: np.clip((x - a) / (b - a), 0.0, 1.0)


def _check_moments(x, mean, std, n_sigma=6.0):
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    assert abs(x.mean() - mean) <= n_sigma * std / math.sqrt(n)
    assert abs(x.std() - std) <= n_sigma * std / math.sqrt(2 * n) + 1e-7 * std


# ----------------------------------------------------------------------------- deterministic

def test_calculate_gain_golden(golden):
    cases = json.loads(str(golden["init/gain/cases"]))
    for (name, param), expected in zip(cases, golden["init/gain/values"]):
        assert I.calculate_gain(name, param) == expected, (name, param)
    assert I.calculate_gain("linear") == 1 and type(I.calculate_gain("sigmoid")) is int
    assert I.calculate_gain("leaky_relu", np.float32(0.2)) == pytest.approx(
        math.sqrt(2 / 1.04), rel=1e-7)


def test_fan_golden(golden):
    shapes = json.loads(str(golden["init/fan/shapes"]))
    for shape, expected in zip(shapes, golden["init/fan/values"]):
        assert I.fan_in_and_fan_out(tuple(shape)) == tuple(int(v) for v in expected)
        assert I.fan_in_and_fan_out(np.empty(shape)) == tuple(int(v) for v in expected)
        assert I.fan_in_and_fan_out(list(shape)) == tuple(int(v) for v in expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_eye_golden(golden, dtype):
    for key in [k for k in golden if k.startswith("init/eye/")]:
        shape = tuple(int(v) for v in key.split("/")[-1].split("x"))
        w = np.full(shape, 7.0, dtype=dtype)
        assert I.eye_(w) is w
        assert w.dtype == dtype
        np.testing.assert_array_equal(w, golden[key])


@pytest.mark.parametrize("dtype", DTYPES)
def test_dirac_golden(golden, dtype):
    keys = [k for k in golden if k.startswith("init/dirac/")]
    assert len(keys) >= 8
    for key in keys:
        shape_s, g = key.split("/")[-1].split("_g")
        shape = tuple(int(v) for v in shape_s.split("x"))
        w = np.full(shape, 7.0, dtype=dtype)
        assert I.dirac_(w, groups=int(g)) is w
        np.testing.assert_array_equal(w, golden[key])


@pytest.mark.parametrize("dtype", DTYPES)
def test_constant_ones_zeros(dtype):
    w = np.full((3, 4), 5.0, dtype=dtype)
    assert I.constant_(w, 0.1) is w
    np.testing.assert_array_equal(w, np.full((3, 4), dtype(0.1)))
    I.constant_(w, np.float64(-2.5))
    assert (w == -2.5).all()
    I.constant_(w, True)
    assert (w == 1).all()
    I.constant_(w, np.array(3.0))
    assert (w == 3).all()
    I.constant_(w, -np.inf)
    assert (w == -np.inf).all()
    I.constant_(w, np.nan)
    assert np.isnan(w).all()
    assert I.ones_(w) is w and (w == 1).all()
    assert I.zeros_(w) is w and (w == 0).all() and w.dtype == dtype


def test_deterministic_on_views():
    base = np.full((6, 8, 5), 9.0)
    view = base[::2, 1::2, ::-2]            # strided, reversed
    I.dirac_(view, groups=1)
    ref = np.zeros(view.shape)
    for d in range(min(view.shape[:2])):
        ref[d, d, view.shape[2] // 2] = 1
    np.testing.assert_array_equal(view, ref)
    untouched = np.ones(base.shape, bool)
    untouched[::2, 1::2, ::-2] = False
    assert (base[untouched] == 9.0).all()
    f = np.full((4, 6), 3.0, order="F")
    I.eye_(f.T)
    np.testing.assert_array_equal(f, np.eye(6, 4).T)
    m = np.full((5, 5), 2.0)
    I.constant_(m[:, 1], 0.5)
    assert (m[:, 1] == 0.5).all() and (m[:, [0, 2, 3, 4]] == 2.0).all()


# ----------------------------------------------------------------------------- random fills

N = 200_000


@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform(dtype):
    w = np.empty(N, dtype=dtype)
    assert I.uniform_(w, -0.3, 1.7, rng=0) is w
    assert w.dtype == dtype
    assert w.min() >= dtype(-0.3) and w.max() < dtype(1.7)
    assert _ks_one(w, _uniform_cdf(-0.3, 1.7)) < _ks_crit(N)
    _check_moments(w, 0.7, 2.0 / math.sqrt(12))
    d = I.uniform_(np.empty(N, dtype=dtype), rng=1)   # defaults U(0, 1)
    assert d.min() >= 0 and d.max() < 1
    assert (I.uniform_(np.empty(5, dtype=dtype), 2.0, 2.0, rng=0) == 2.0).all()


def test_uniform_half_open_in_float32():
    """[a, b) even where a float64 draw just below b rounds up in float32."""
    b = 2.0 ** -140          # subnormal in float32: only 512 values below it
    w = np.empty(10 ** 5, dtype=np.float32)
    I.uniform_(w, 0.0, b, rng=3)
    assert w.max() < b and w.max() == np.nextafter(np.float32(b), np.float32(0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal(dtype):
    w = np.empty((400, 500), dtype=dtype)
    assert I.normal_(w, -1.5, 0.25, rng=2) is w
    _check_moments(w, -1.5, 0.25)
    assert _ks_one(w, _normal_cdf(-1.5, 0.25)) < _ks_crit(w.size)
    z = I.normal_(np.empty(10, dtype=dtype), 3.0, 0.0, rng=0)
    assert (z == 3.0).all()


TRUNC = [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 2.0, -1.0, 0.5),
         (0.0, 1.0, 2.0, 3.0),            # far tail: the uniform-proposal branch
         (0.0, 1.0, -0.1, 0.1),           # narrow interval: the same branch
         (5.0, 1.0, -1.0, 1.0)]           # mean far outside: warns, still exact


def _trunc_moments(mean, std, a, b):
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)   # noqa: E731
    zz = float(_phi_cdf(be) - _phi_cdf(al))
    m = mean + std * (pdf(al) - pdf(be)) / zz
    v = std ** 2 * (1 + (al * pdf(al) - be * pdf(be)) / zz - ((pdf(al) - pdf(be)) / zz) ** 2)
    return m, math.sqrt(v)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mean,std,a,b", TRUNC)
def test_trunc_normal(dtype, mean, std, a, b):
    w = np.empty(N, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert I.trunc_normal_(w, mean, std, a, b, rng=4) is w
    assert w.min() >= dtype(a) and w.max() <= dtype(b)
    assert _ks_one(w, _trunc_cdf(mean, std, a, b)) < _ks_crit(N) + (
        1e-6 if dtype is np.float64 else 1e-4)
    m, s = _trunc_moments(mean, std, a, b)
    tol = 1e-6 * abs(b - a) if dtype is np.float32 else 0
    assert abs(float(w.mean(dtype=np.float64)) - m) <= 6 * s / math.sqrt(N) + tol


def test_trunc_normal_warns_and_degenerate():
    with pytest.warns(UserWarning, match="more than 2 std"):
        I.trunc_normal_(np.empty(10), 5.0, 1.0, -1.0, 1.0, rng=0)
    w = I.trunc_normal_(np.empty(7), 0.0, 1.0, 0.5, 0.5, rng=0)
    assert (w == 0.5).all()


def test_xavier():
    for dtype in DTYPES:
        for shape, gain in [((300, 200), 1.0), ((64, 32, 3, 3), 2.0), ((5, 700), 0.5)]:
            fi, fo = I.fan_in_and_fan_out(shape)
            std = gain * math.sqrt(2.0 / (fi + fo))
            w = I.xavier_uniform_(np.empty(shape, dtype=dtype), gain, rng=5)
            bound = math.sqrt(3.0) * std
            assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
            assert _ks_one(w, _uniform_cdf(-bound, bound)) < _ks_crit(w.size)
            w = I.xavier_normal_(np.empty(shape, dtype=dtype), gain=gain, rng=6)
            _check_moments(w, 0.0, std)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "FAN_OUT"])
@pytest.mark.parametrize("nl,a", [("leaky_relu", 0), ("leaky_relu", 0.2), ("relu", 0),
                                  ("tanh", 0), ("linear", 0), ("selu", 0)])
def test_kaiming(mode, nl, a):
    shape = (128, 64, 3, 3)
    fi, fo = I.fan_in_and_fan_out(shape)
    fan = fi if mode.lower() == "fan_in" else fo
    std = I.calculate_gain(nl, a) / math.sqrt(fan)
    for dtype in DTYPES:
        w = I.kaiming_uniform_(np.empty(shape, dtype=dtype), a=a, mode=mode, nonlinearity=nl,
                               rng=7)
        bound = math.sqrt(3.0) * std
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
        assert _ks_one(w, _uniform_cdf(-bound, bound)) < _ks_crit(w.size)
        w = I.kaiming_normal_(np.empty(shape, dtype=dtype), a=a, mode=mode, nonlinearity=nl,
                              rng=8)
        _check_moments(w, 0.0, std)


def test_kaiming_zero_element_warns():
    for fn in (I.kaiming_uniform_, I.kaiming_normal_):
        w = np.empty((0, 3))
        with pytest.warns(UserWarning, match="no-op"):
            assert fn(w, rng=0) is w


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,gain", [((5, 5), 1.0), ((3, 8), 2.0), ((9, 4), 0.5),
                                        ((4, 3, 2, 2), 1.0), ((12, 2, 3), 1.5), ((1, 6), 1.0),
                                        ((6, 1), 3.0)])
def test_orthogonal(dtype, shape, gain):
    w = np.empty(shape, dtype=dtype)
    assert I.orthogonal_(w, gain, rng=9) is w
    rows = shape[0]
    m = w.reshape(rows, -1).astype(np.float64)
    tol = 1e-5 if dtype is np.float32 else 1e-12
    if rows <= m.shape[1]:
        np.testing.assert_allclose(m @ m.T, gain ** 2 * np.eye(rows), atol=tol * gain ** 2)
    else:
        np.testing.assert_allclose(m.T @ m, gain ** 2 * np.eye(m.shape[1]), atol=tol * gain ** 2)


def test_orthogonal_is_haar():
    """Entries of a Haar orthogonal n x n matrix times sqrt(n) are close to N(0, 1);
    the first entry of a uniform unit vector in R^n follows a known Beta law."""
    n, reps = 6, 4000
    gen = np.random.default_rng(10)
    first = np.array([I.orthogonal_(np.empty((n, n)), rng=gen)[0, 0] for _ in range(reps)])
    # x**2 ~ Beta(1/2, (n-1)/2); for n = 6 its CDF is closed-form enough via sampling
    ref = np.random.default_rng(11).standard_normal((200_000, n))
    ref = ref[:, 0] / np.linalg.norm(ref, axis=1)
    assert _ks_two(first, ref) < _ks_crit(reps, ref.size)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows,sparsity", [(10, 0.1), (10, 0.25), (7, 1 / 3), (50, 0.9),
                                           (20, 0.0), (20, 1.0), (3, 0.5)])
def test_sparse(dtype, rows, sparsity):
    cols = 300
    w = np.empty((rows, cols), dtype=dtype)
    assert I.sparse_(w, sparsity, std=0.05, rng=12) is w
    zeros = (w == 0).sum(axis=0)
    assert (zeros == math.ceil(sparsity * rows)).all()
    nz = w[w != 0]
    if nz.size > 1000:
        _check_moments(nz, 0.0, 0.05)
    if 0 < math.ceil(sparsity * rows) < rows:
        # The zeroed rows differ between columns (a fresh permutation per column).
        assert len({tuple(np.flatnonzero(w[:, j] == 0)) for j in range(cols)}) > 1


# ----------------------------------------------------------------------------- rng, layouts, dtypes

RANDOM_FNS = [
    ("uniform_", lambda w, rng: I.uniform_(w, -1, 2, rng=rng)),
    ("normal_", lambda w, rng: I.normal_(w, 1, 3, rng=rng)),
    ("trunc_normal_", lambda w, rng: I.trunc_normal_(w, 0, 1, -1, 1.5, rng=rng)),
    ("trunc_normal_tail", lambda w, rng: I.trunc_normal_(w, 0, 1, 2, 4, rng=rng)),
    ("xavier_uniform_", lambda w, rng: I.xavier_uniform_(w, rng=rng)),
    ("xavier_normal_", lambda w, rng: I.xavier_normal_(w, rng=rng)),
    ("kaiming_uniform_", lambda w, rng: I.kaiming_uniform_(w, rng=rng)),
    ("kaiming_normal_", lambda w, rng: I.kaiming_normal_(w, mode="fan_out", rng=rng)),
    ("orthogonal_", lambda w, rng: I.orthogonal_(w, rng=rng)),
    ("sparse_", lambda w, rng: I.sparse_(w, 0.3, rng=rng)),
]


@pytest.mark.parametrize("name,fn", RANDOM_FNS, ids=[n for n, _ in RANDOM_FNS])
def test_rng_reproducible(name, fn):
    a = fn(np.empty((20, 30)), 123)
    b = fn(np.empty((20, 30)), 123)
    np.testing.assert_array_equal(a, b)
    c = fn(np.empty((20, 30)), np.random.default_rng(123))
    np.testing.assert_array_equal(a, c)
    gen = np.random.default_rng(5)
    d1 = fn(np.empty((20, 30)), gen)
    d2 = fn(np.empty((20, 30)), gen)            # the generator advanced
    assert not np.array_equal(d1, d2)
    assert not np.array_equal(a, fn(np.empty((20, 30)), 124))
    e = fn(np.empty((20, 30)), None)
    assert np.isfinite(e).all()
    f32 = fn(np.empty((20, 30), dtype=np.float32), 123)
    assert f32.dtype == np.float32
    np.testing.assert_array_equal(f32, a.astype(np.float32))   # same draws, rounded


@pytest.mark.parametrize("name,fn", RANDOM_FNS, ids=[n for n, _ in RANDOM_FNS])
def test_random_on_views(name, fn):
    base = np.full((40, 90), 7.0)
    view = base[::2, ::-3]
    assert fn(view, 3) is view
    ref = fn(np.empty(view.shape), 3)
    np.testing.assert_array_equal(view, ref)      # same values whatever the layout
    mask = np.ones(base.shape, bool)
    mask[::2, ::-3] = False
    assert (base[mask] == 7.0).all()
    fo = np.asfortranarray(np.empty((20, 30)))
    np.testing.assert_array_equal(fn(fo, 3), fn(np.empty((20, 30)), 3))


# ----------------------------------------------------------------------------- errors

def _ro():
    a = np.zeros((3, 4))
    a.flags.writeable = False
    return a


ERRORS = [
    (lambda: I.uniform_([[0.0, 1.0]]), TypeError, "tensor"),
    (lambda: I.uniform_(np.zeros((2, 2), dtype=np.int64)), TypeError, "tensor"),
    (lambda: I.normal_(np.zeros(3, dtype=np.float16)), TypeError, "tensor"),
    (lambda: I.zeros_(np.zeros(3, dtype=np.complex128)), TypeError, "tensor"),
    (lambda: I.ones_(_ro()), ValueError, "tensor"),
    (lambda: I.constant_(_ro(), 1.0), ValueError, "tensor"),
    (lambda: I.eye_(_ro()), ValueError, "tensor"),
    (lambda: I.xavier_uniform_(_ro()), ValueError, "tensor"),
    (lambda: I.uniform_(np.zeros(3), 2.0, 1.0), ValueError, "a="),
    (lambda: I.uniform_(np.zeros(3), 0.0, np.inf), ValueError, "b"),
    (lambda: I.uniform_(np.zeros(3), -1e308, 1e308), ValueError, "b - a"),
    (lambda: I.uniform_(np.zeros(3), "0", 1.0), TypeError, "a"),
    (lambda: I.normal_(np.zeros(3), 0.0, -1.0), ValueError, "std"),
    (lambda: I.normal_(np.zeros(3), np.nan, 1.0), ValueError, "mean"),
    (lambda: I.trunc_normal_(np.zeros(3), 0.0, 0.0), ValueError, "std"),
    (lambda: I.trunc_normal_(np.zeros(3), 0.0, 1.0, 1.0, -1.0), ValueError, "a="),
    (lambda: I.constant_(np.zeros(3, dtype=np.float32), 1e39), ValueError, "val"),
    (lambda: I.constant_(np.zeros(3), "1"), TypeError, "val"),
    (lambda: I.constant_(np.zeros(3), 1j), TypeError, "val"),
    (lambda: I.eye_(np.zeros((2, 2, 2))), ValueError, "2 dimensions"),
    (lambda: I.dirac_(np.zeros((2, 2))), ValueError, "3, 4, or 5"),
    (lambda: I.dirac_(np.zeros((2, 2, 2, 2, 2, 2))), ValueError, "3, 4, or 5"),
    (lambda: I.dirac_(np.zeros((3, 2, 2)), groups=2), ValueError, "divisible by groups"),
    (lambda: I.dirac_(np.zeros((4, 2, 2)), groups=0), ValueError, "groups"),
    (lambda: I.dirac_(np.zeros((4, 2, 2)), groups=2.0), TypeError, "groups"),
    (lambda: I.fan_in_and_fan_out((5,)), ValueError, "fewer than 2"),
    (lambda: I.fan_in_and_fan_out(()), ValueError, "fewer than 2"),
    (lambda: I.fan_in_and_fan_out(5), TypeError, "shape"),
    (lambda: I.fan_in_and_fan_out((2, 2.5)), TypeError, "shape"),
    (lambda: I.fan_in_and_fan_out((2, -1)), ValueError, "shape"),
    (lambda: I.xavier_uniform_(np.zeros(5)), ValueError, "fewer than 2"),
    (lambda: I.xavier_normal_(np.zeros(5)), ValueError, "fewer than 2"),
    (lambda: I.xavier_normal_(np.zeros((2, 2)), gain=-1.0), ValueError, "gain"),
    (lambda: I.kaiming_uniform_(np.zeros(5)), ValueError, "fewer than 2"),
    (lambda: I.kaiming_normal_(np.zeros((3, 3)), mode="fan_avg"), ValueError, "fan_avg"),
    (lambda: I.kaiming_uniform_(np.zeros((3, 3)), mode=1), TypeError, "mode"),
    (lambda: I.kaiming_uniform_(np.zeros((3, 3)), nonlinearity="gelu"), ValueError, "gelu"),
    (lambda: I.kaiming_normal_(np.zeros((3, 3)), a="x"), ValueError, "negative_slope"),
    (lambda: I.orthogonal_(np.zeros(4)), ValueError, "2 or more"),
    (lambda: I.sparse_(np.zeros((2, 2, 2)), 0.5), ValueError, "2 dimensions"),
    (lambda: I.sparse_(np.zeros((4, 4)), 1.5), ValueError, "sparsity"),
    (lambda: I.sparse_(np.zeros((4, 4)), -0.1), ValueError, "sparsity"),
    (lambda: I.sparse_(np.zeros((4, 4)), 0.5, std=-1.0), ValueError, "std"),
    (lambda: I.normal_(np.zeros(3), rng="seed"), TypeError, "rng"),
    (lambda: I.normal_(np.zeros(3), rng=np.random.RandomState(0)), TypeError, "rng"),
    (lambda: I.normal_(np.zeros(3), rng=-1), ValueError, "rng"),
    (lambda: I.normal_(np.zeros(3), rng=True), TypeError, "rng"),
    (lambda: I.calculate_gain("gelu"), ValueError, "Unsupported nonlinearity gelu"),
    (lambda: I.calculate_gain("leaky_relu", "0.1"), ValueError, "negative_slope"),
    (lambda: I.calculate_gain("leaky_relu", True), ValueError, "negative_slope"),
    (lambda: I.calculate_gain(None), ValueError, "Unsupported"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    fn, exc, match = ERRORS[i]
    with pytest.raises(exc, match=match):
        fn()


def test_positional_rng_rejected():
    with pytest.raises(TypeError):
        I.normal_(np.zeros(3), 0.0, 1.0, 0)    # rng is keyword-only


def test_error_leaves_tensor_alone():
    w = np.arange(12.0).reshape(3, 4)
    for bad in (lambda: I.uniform_(w, 1.0, 0.0), lambda: I.trunc_normal_(w, 0, -1),
                lambda: I.kaiming_uniform_(w, mode="x"), lambda: I.sparse_(w, 2.0),
                lambda: I.normal_(w, rng="x"), lambda: I.constant_(w, "x"),
                lambda: I.xavier_uniform_(w, gain=-2.0)):
        with pytest.raises((TypeError, ValueError)):
            bad()
        np.testing.assert_array_equal(w, np.arange(12.0).reshape(3, 4))


def test_doctests():
    res = doctest.testmod(I)
    assert res.attempted > 30 and res.failed == 0
    for name in I.__all__:
        doc = getattr(I, name).__doc__
        assert doc and "Examples" in doc and ">>>" in doc, name


# ----------------------------------------------------------------------------- live torch

def _torch():
    return pytest.importorskip("torch")


def test_live_deterministic_equal_torch():
    torch = _torch()
    from torch.nn import init as T
    for name in ["linear", "conv2d", "conv_transpose3d", "sigmoid", "tanh", "relu", "selu",
                 "leaky_relu"]:
        for p in (None, 0.1, 2, 0):
            assert I.calculate_gain(name, p) == T.calculate_gain(name, p)
    for bad in (("gelu", None), ("leaky_relu", "x"), ("leaky_relu", True)):
        with pytest.raises(ValueError):
            T.calculate_gain(*bad)
        with pytest.raises(ValueError):
            I.calculate_gain(*bad)
    gen = np.random.default_rng(0)
    for _ in range(30):
        nd = int(gen.integers(2, 6))
        shape = tuple(int(v) for v in gen.integers(1, 6, size=nd))
        assert I.fan_in_and_fan_out(shape) == T._calculate_fan_in_and_fan_out(torch.empty(shape))
        for dt, tdt in ((np.float32, torch.float32), (np.float64, torch.float64)):
            if nd == 2:
                np.testing.assert_array_equal(I.eye_(np.full(shape, 3.0, dt)),
                                              T.eye_(torch.full(shape, 3.0, dtype=tdt)).numpy())
            if nd in (3, 4, 5):
                for g in (1, 2, 3):
                    if shape[0] % g == 0:
                        np.testing.assert_array_equal(
                            I.dirac_(np.full(shape, 3.0, dt), groups=g),
                            T.dirac_(torch.full(shape, 3.0, dtype=tdt), groups=g).numpy())
            for v in (0.1, -7, 1e-40, 3.4e38):
                np.testing.assert_array_equal(
                    I.constant_(np.empty(shape, dt), v),
                    T.constant_(torch.empty(shape, dtype=tdt), v).numpy())
            np.testing.assert_array_equal(I.ones_(np.empty(shape, dt)),
                                          T.ones_(torch.empty(shape, dtype=tdt)).numpy())
            np.testing.assert_array_equal(I.zeros_(np.empty(shape, dt)),
                                          T.zeros_(torch.empty(shape, dtype=tdt)).numpy())
    for shape in [(5,), ()]:
        with pytest.raises(ValueError):
            T._calculate_fan_in_and_fan_out(torch.empty(shape))
        with pytest.raises(ValueError):
            I.fan_in_and_fan_out(shape)


LIVE_RANDOM = [
    ("uniform", (4000, 50), lambda t, g, T: T.uniform_(t, -0.5, 2.0, generator=g),
     lambda w, r: I.uniform_(w, -0.5, 2.0, rng=r)),
    ("normal", (4000, 50), lambda t, g, T: T.normal_(t, 0.3, 1.7, generator=g),
     lambda w, r: I.normal_(w, 0.3, 1.7, rng=r)),
    # torch's truncated sampler loops over the whole tensor: smaller sizes for it.
    ("trunc", (1000, 50), lambda t, g, T: T.trunc_normal_(t, 0.1, 0.5, -0.3, 1.0, generator=g),
     lambda w, r: I.trunc_normal_(w, 0.1, 0.5, -0.3, 1.0, rng=r)),
    ("trunc_tail", (400, 50), lambda t, g, T: T.trunc_normal_(t, 0.0, 1.0, 1.5, 4.0,
                                                               generator=g),
     lambda w, r: I.trunc_normal_(w, 0.0, 1.0, 1.5, 4.0, rng=r)),
    ("xavier_u", (400, 30, 3, 3), lambda t, g, T: T.xavier_uniform_(t, 1.3, generator=g),
     lambda w, r: I.xavier_uniform_(w, 1.3, rng=r)),
    ("xavier_n", (400, 30, 3, 3), lambda t, g, T: T.xavier_normal_(t, 0.7, generator=g),
     lambda w, r: I.xavier_normal_(w, 0.7, rng=r)),
    ("kaiming_u", (300, 40, 3, 3), lambda t, g, T: T.kaiming_uniform_(
        t, a=0.1, mode="fan_out", generator=g),
     lambda w, r: I.kaiming_uniform_(w, a=0.1, mode="fan_out", rng=r)),
    ("kaiming_n", (300, 40, 3, 3), lambda t, g, T: T.kaiming_normal_(
        t, nonlinearity="relu", generator=g),
     lambda w, r: I.kaiming_normal_(w, nonlinearity="relu", rng=r)),
    ("orthogonal", (40, 5000), lambda t, g, T: T.orthogonal_(t, 2.0, generator=g),
     lambda w, r: I.orthogonal_(w, 2.0, rng=r)),
    ("sparse", (400, 500), lambda t, g, T: T.sparse_(t, 0.3, 0.02, generator=g),
     lambda w, r: I.sparse_(w, 0.3, 0.02, rng=r)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,shape,tfn,fn", LIVE_RANDOM, ids=[c[0] for c in LIVE_RANDOM])
def test_live_random_same_distribution_as_torch(dtype, name, shape, tfn, fn):
    """Two-sample Kolmogorov-Smirnov between torch's samples and ours, same shape,
    plus equal bounds (min/max within the same support)."""
    torch = _torch()
    from torch.nn import init as T
    t = torch.empty(shape, dtype=getattr(torch, dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = tfn(t, torch.Generator().manual_seed(13), T).numpy()
    ours = fn(np.empty(shape, dtype=dtype), 13)
    assert _ks_two(ours, ref) < _ks_crit(ours.size, ref.size)
    if name in ("uniform", "trunc", "xavier_u", "kaiming_u"):
        # Same support: both extremes agree to within the sampling resolution.
        span = ref.max() - ref.min()
        assert abs(ours.min() - ref.min()) < 1e-3 * span
        assert abs(ours.max() - ref.max()) < 1e-3 * span
    if name == "sparse":
        np.testing.assert_array_equal((ours == 0).sum(axis=0), (ref == 0).sum(axis=0))
