"""Regression tests of the contract's hardening rules (SPEC section 2):

1. no kernel reads an empty operand (empty weight / pos_weight);
2. a per-sample mean over an empty axis is NaN, never uninitialised memory;
3. C-contiguous but misaligned arrays (inputs, index targets, grad_output,
   grad_out) give the same bits as aligned ones;
4. integer options outside their range (int64, set_num_threads <= 2**16,
   num_classes <= 2**31 - 1) and non-finite counts raise ValueError naming
   the option, never OverflowError / MemoryError;
5. a NaN option is a ValueError everywhere (one helper, _validate.check_option);
6. results do not depend on the inputs' memory layouts (weights included);
7. 0/0 cases ('mean' over a zero total weight, nothing selected) give torch
   2.13's value and gradient: each case lists torch's answer, checked live
   against torch when it is installed.
"""
import math

import numpy as np
import pytest

import lossengine as le
from lossengine import _registry, _validate

DTYPES = (np.float32, np.float64)
NAN = math.nan


# --------------------------------------------------------------------------
# 1. empty operands are never read
EMPTY_CASES = [
    ("bce weight (5,0)", lambda dt, kw: le.binary_cross_entropy(
        np.zeros((5, 0), dt), np.zeros((5, 0), dt), weight=np.ones((5, 0), dt), **kw)),
    ("bce weight (0,)", lambda dt, kw: le.binary_cross_entropy(
        np.zeros((5, 0), dt), np.zeros((5, 0), dt), weight=np.ones((0,), dt), **kw)),
    ("bce weight, empty view at the end of a buffer", lambda dt, kw: le.binary_cross_entropy(
        np.zeros((5, 0), dt), np.zeros((5, 0), dt), weight=np.ones(8, dt)[8:], **kw)),
    ("bcel pos_weight (0,)", lambda dt, kw: le.binary_cross_entropy_with_logits(
        np.zeros((5, 0), dt), np.zeros((5, 0), dt), pos_weight=np.ones((0,), dt), **kw)),
    ("bcel weight+pos_weight (5,0)", lambda dt, kw: le.binary_cross_entropy_with_logits(
        np.zeros((5, 0), dt), np.zeros((5, 0), dt), weight=np.ones((5, 0), dt),
        pos_weight=np.ones((5, 0), dt), **kw)),
    ("bcel pos_weight (0,1)", lambda dt, kw: le.binary_cross_entropy_with_logits(
        np.zeros((0, 3), dt), np.zeros((0, 3), dt), pos_weight=np.ones((0, 1), dt), **kw)),
    ("multilabel_soft_margin weight (0,)", lambda dt, kw: le.multilabel_soft_margin_loss(
        np.zeros((3, 0), dt), np.zeros((3, 0), dt), weight=np.ones((0,), dt), **kw)),
    ("multilabel_soft_margin weight (0,4) N=0", lambda dt, kw: le.multilabel_soft_margin_loss(
        np.zeros((0, 4), dt), np.zeros((0, 4), dt), weight=np.ones((0, 4), dt), **kw)),
]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("case", EMPTY_CASES, ids=[c[0] for c in EMPTY_CASES])
def test_empty_operands_are_not_read(case, reduction, dt):
    loss, g = case[1](dt, {"grad": True, "reduction": reduction})
    assert g.size == 0 and g.dtype == dt
    loss = np.asarray(loss)
    assert loss.dtype == dt
    if reduction == "mean":
        assert np.isnan(loss)
    # (multilabel soft margin with C = 0: NaN per sample, see below)


def test_empty_operand_spec_is_a_constant():
    """The contract layer hands the kernel no pointer to an empty operand."""
    from lossengine._binary import _bcast_spec
    for shape in [(0,), (5, 0), (0, 1)]:
        for tshape in [(5, 0), (0, 3)]:
            try:
                spec = _bcast_spec(np.ones(shape), "weight", tshape, np.dtype(np.float64))
            except ValueError:
                continue
            assert isinstance(spec, float)


# --------------------------------------------------------------------------
# 2. a per-sample mean over an empty axis: NaN as torch, never garbage
@pytest.mark.parametrize("dt", DTYPES)
def test_multilabel_soft_margin_no_classes(dt):
    x = np.zeros((5, 0), dt)
    for _ in range(3):   # fresh outputs each time: garbage would show up
        loss = le.multilabel_soft_margin_loss(x, x, reduction="none")
        assert loss.shape == (5,) and loss.dtype == dt and np.isnan(loss).all()
    loss, g = le.multilabel_soft_margin_loss(x, x, reduction="none", grad=True,
                                             grad_output=np.ones(5))
    assert np.isnan(loss).all() and g.shape == (5, 0)
    # torch: the per-sample NaNs make 'mean' and 'sum' NaN too
    assert np.isnan(le.multilabel_soft_margin_loss(x, x, reduction="mean"))
    assert np.isnan(le.multilabel_soft_margin_loss(x, x, reduction="sum"))
    # no sample at all: empty, NaN ('mean' of nothing), 0 ('sum' of nothing)
    z = np.zeros((0, 0), dt)
    assert le.multilabel_soft_margin_loss(z, z, reduction="none").shape == (0,)
    assert np.isnan(le.multilabel_soft_margin_loss(z, z, reduction="mean"))
    assert le.multilabel_soft_margin_loss(z, z, reduction="sum") == 0
    # 1-d input with no class: one sample
    e = np.zeros(0, dt)
    assert np.isnan(le.multilabel_soft_margin_loss(e, e, reduction="none"))


def test_multilabel_soft_margin_no_classes_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for red in ("none", "mean", "sum"):
        for shape in [(5, 0), (0, 0), (0, 3)]:
            x = np.zeros(shape)
            want = F.multilabel_soft_margin_loss(torch.tensor(x), torch.tensor(x),
                                                 reduction=red).numpy()
            got = le.multilabel_soft_margin_loss(x, x, reduction=red)
            np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"{red} {shape}")


@pytest.mark.parametrize("dt", DTYPES)
def test_empty_class_axis_elsewhere(dt):
    """The other per-sample means over C: torch rejects C = 0 for the margin
    losses (we raise ValueError); an empty batch is NaN / 0 (torch itself
    returns uninitialised memory for 'mean'/'sum' there)."""
    for f, t in [(le.multi_margin_loss, np.zeros(5, np.int64)),
                 (le.multilabel_margin_loss, np.zeros((5, 0), np.int64))]:
        with pytest.raises(ValueError, match="non-empty"):
            f(np.zeros((5, 0), dt), t)
    x = np.zeros((0, 3), dt)
    for f, t in [(le.multi_margin_loss, np.zeros(0, np.int64)),
                 (le.multilabel_margin_loss, np.zeros((0, 3), np.int64))]:
        assert f(x, t, reduction="none").shape == (0,)
        assert np.isnan(f(x, t, reduction="mean"))
        assert f(x, t, reduction="sum") == 0
    # dice over an empty sample: 1 - 0 / (0 + 0 + eps) = 1 (eps > 0), NaN (eps = 0)
    z = np.zeros((3, 0), dt)
    np.testing.assert_array_equal(le.dice_loss(z, z, reduction="none"), np.ones(3, dt))
    assert np.isnan(le.dice_loss(z, z, eps=0.0, reduction="none")).all()
    # balanced BCE with beta=None over empty samples: no element, no loss
    assert le.balanced_binary_cross_entropy(z, z, reduction="none").shape == (3, 0)
    assert np.isnan(le.balanced_binary_cross_entropy(z, z))
    assert le.balanced_binary_cross_entropy(z, z, reduction="sum") == 0


# --------------------------------------------------------------------------
# 3 and 6: layouts, alignment
def misaligned(a):
    """The same values, C-contiguous, at an address that is not a multiple of
    the itemsize (as a view of a byte buffer at an odd offset)."""
    a = np.asarray(a)
    buf = np.zeros(a.nbytes + 1, np.uint8)
    m = buf[1:].view(a.dtype).reshape(a.shape)
    m[...] = a
    assert m.flags.c_contiguous and (a.itemsize == 1 or a.size == 0 or not m.flags.aligned)
    return m


def _layouts(a):
    out = {"F": np.asfortranarray(a)}
    big = np.zeros(tuple(2 * s for s in a.shape), dtype=a.dtype)
    sl = tuple(slice(None, None, 2) for _ in a.shape)
    big[sl] = a
    out["strided"] = big[sl]
    out["negative"] = np.ascontiguousarray(a[..., ::-1])[..., ::-1]
    if a.dtype.itemsize > 1:
        out["misaligned"] = misaligned(a)
    return out


def _eq(a, b, msg):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), msg
        for x, y in zip(a, b):
            _eq(x, y, msg)
    elif a is None:
        assert b is None, msg
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=msg, strict=True)


LAYOUT_ENTRIES = _registry.entries()


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("e", LAYOUT_ENTRIES, ids=[e.name for e in LAYOUT_ENTRIES])
def test_results_do_not_depend_on_layout(e, dt):
    """Every array argument, keyword arrays (weight, pos_weight, mask, ...)
    included, in every layout and at a misaligned address: the loss and the
    gradient are bitwise those of the C-contiguous call, for every reduction."""
    shape = e.shapes[1] if len(e.shapes) > 1 else e.shapes[0]
    reds = e.reductions if e.kind == "loss" else (None,)
    for variant in e.variants:
        rng = _registry.rng_for(e.name, shape, dt, variant)
        args, kw = e.make_inputs(rng, shape, dt, variant)
        slots = [("a", i) for i, a in enumerate(args)
                 if isinstance(a, np.ndarray) and a.ndim >= 1 and a.size > 1]
        slots += [("k", k) for k, v in kw.items()
                  if isinstance(v, np.ndarray) and v.ndim >= 1 and v.size > 1]
        for red in reds:
            kr = dict(kw) if red is None else dict(kw, reduction=red)
            base = e.func(*args, **kr, grad=True)
            for kind, key in slots:
                orig = args[key] if kind == "a" else kw[key]
                for lname, alt in _layouts(orig).items():
                    a, k = list(args), dict(kr)
                    if kind == "a":
                        a[key] = alt
                    else:
                        k[key] = alt
                    got = e.func(*a, **k, grad=True)
                    _eq(got, base, f"{e.name} {variant} {red} {kind}{key} {lname}")


def test_weighted_mean_denominator_layout():
    """The reproducer: the weighted mean's denominator summed in a fixed order."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((100, 1000))
    t = rng.standard_normal((100, 1000))
    w = rng.uniform(0, 1, (100, 1000))
    for f in (le.l1_loss, le.mse_loss):
        for dt in DTYPES:
            base = f(x.astype(dt), t.astype(dt), weight=w.astype(dt))
            for alt in (np.asfortranarray(w.astype(dt)), w.astype(dt)[:, ::-1].copy()[:, ::-1],
                        misaligned(w.astype(dt))):
                assert f(x.astype(dt), t.astype(dt), weight=alt).tobytes() == base.tobytes()


def test_fixed_sum_is_layout_independent():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((300, 301)) * 10.0 ** rng.uniform(-10, 10, (300, 301))
    s = _validate.fixed_sum(w)
    for alt in (np.asfortranarray(w), np.ascontiguousarray(w.T).T, misaligned(w)):
        assert _validate.fixed_sum(alt) == s


@pytest.mark.parametrize("dt", DTYPES)
def test_misaligned_index_targets_and_inputs(dt):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((9, 5)).astype(dt)
    t = rng.integers(0, 5, 9)
    for f in (le.cross_entropy, le.nll_loss, le.softmax_focal_loss, le.multi_margin_loss):
        for red in ("none", "mean", "sum"):
            base = f(x, t, reduction=red, grad=True)
            _eq(f(misaligned(x), misaligned(t), reduction=red, grad=True), base, f.__name__)
            _eq(f(x, misaligned(t), reduction=red, grad=True), base, f.__name__)
    w = rng.uniform(0.5, 2, 5).astype(dt)
    base = le.cross_entropy(x, t, w, grad=True)
    _eq(le.cross_entropy(misaligned(x), t, misaligned(w), grad=True), base, "ce weight")
    # CTC: targets and lengths as misaligned int64
    lp = le.log_softmax(rng.standard_normal((12, 3, 6)).astype(dt))
    tg = rng.integers(1, 6, (3, 4))
    il, tl = np.array([12, 10, 8]), np.array([4, 3, 2])
    base = le.ctc_loss(lp, tg, il, tl, grad=True)
    _eq(le.ctc_loss(misaligned(lp), misaligned(tg), misaligned(il), misaligned(tl), grad=True),
        base, "ctc")


@pytest.mark.parametrize("dt", DTYPES)
def test_misaligned_grad_output_and_grad_out(dt):
    """A misaligned grad_out is accepted: the kernel writes an aligned buffer
    whose result is copied into it (the returned gradient is grad_out itself)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 33)).astype(dt)
    t = rng.standard_normal((7, 33)).astype(dt)
    go = rng.standard_normal((7, 33)).astype(dt)
    cases = [
        (le.mse_loss, (x, t), {"reduction": "none", "grad_output": go}),
        (le.l1_loss, (x, t), {}),
        (le.sigmoid, (x,), {"grad_output": go}),
        (le.softmax, (x,), {"grad_output": go}),
        (le.binary_cross_entropy_with_logits, (x, t), {"reduction": "none", "grad_output": go}),
        (le.cross_entropy, (x, rng.integers(0, 33, 7)), {}),
        (le.cross_entropy, (x, rng.integers(0, 33, 7)), {"label_smoothing": 0.2}),
        (le.dice_loss, (x, t), {}),
        (le.multilabel_soft_margin_loss, (x, t), {}),
    ]
    for f, args, kw in cases:
        _, want = f(*args, grad=True, **kw)
        k2 = dict(kw)
        if "grad_output" in k2:
            k2["grad_output"] = misaligned(k2["grad_output"])
        _, g1 = f(*args, grad=True, **k2)
        _eq(g1, want, f"{f.__name__} misaligned grad_output")
        buf = misaligned(np.zeros(x.shape, dt))
        _, g2 = f(*args, grad=True, grad_out=buf, **kw)
        assert g2 is buf
        _eq(g2, want, f"{f.__name__} misaligned grad_out")


def test_kernel_arrays_are_aligned():
    """The contract layer's converters hand kernels aligned arrays."""
    m = misaligned(np.arange(12.0))
    assert not m.flags.aligned
    assert _validate.contiguous(m, np.dtype(np.float64)).flags.aligned
    assert _validate.contiguous(m, np.dtype(np.float32)).flags.aligned
    mi = misaligned(np.arange(12, dtype=np.int64))
    assert _validate.as_index_target(mi).flags.aligned
    a = np.arange(12.0)
    assert _validate.contiguous(a, np.dtype(np.float64)) is a     # no copy when aligned
    buf, user = _validate.grad_buffer(misaligned(np.zeros(12)), (12,), np.dtype(np.float64), ())
    assert buf.flags.aligned and user is not None


# --------------------------------------------------------------------------
# 4. integer options out of range
BIG = 2 ** 63


def _x():
    return np.random.default_rng(0).standard_normal((4, 3))


INT_CASES = [
    ("ignore_index", lambda: le.cross_entropy(_x(), np.zeros(4, int), ignore_index=BIG)),
    ("ignore_index", lambda: le.cross_entropy(_x(), np.zeros(4, int), ignore_index=-BIG - 1)),
    ("ignore_index", lambda: le.cross_entropy(_x()[None], np.zeros((1, 3), int),
                                              ignore_index=BIG)),
    ("ignore_index", lambda: le.nll_loss(_x(), np.zeros(4, int), ignore_index=BIG)),
    ("ignore_index", lambda: le.softmax_focal_loss(_x(), np.zeros(4, int), ignore_index=BIG)),
    ("ignore_index", lambda: le.class_weights(np.zeros(4, int), 3, ignore_index=BIG)),
    ("min_negatives", lambda: le.ohem_binary_cross_entropy(np.full(4, 0.5), np.zeros(4),
                                                           min_negatives=BIG)),
    ("min_negatives", lambda: le.ohem_binary_cross_entropy(np.full(4, 0.5), np.zeros(4),
                                                           min_negatives=-1)),
    ("ratio", lambda: le.hard_example_mining(np.arange(5.0), ratio=math.inf)),
    ("ratio", lambda: le.hard_example_mining(np.arange(5.0), ratio=math.nan)),
    ("ratio", lambda: le.hard_example_mining(np.arange(5.0), ratio=-0.5)),
    ("negative_ratio", lambda: le.ohem_binary_cross_entropy(np.full(4, 0.5), np.zeros(4),
                                                            negative_ratio=math.inf)),
    ("k", lambda: le.hard_example_mining(np.arange(5.0), k=BIG)),
    ("num_classes must be in \\[1, 2147483647\\]",
     lambda: le.class_weights(np.zeros(4, int), 2 ** 40)),
    ("num_classes", lambda: le.class_weights(np.zeros(4, int), 0)),
    ("blank", lambda: le.ctc_loss(np.zeros((3, 1, 4)), np.ones((1, 1), int), [3], [1],
                                  blank=BIG)),
    ("set_num_threads", lambda: le.set_num_threads(2 ** 31)),
    ("set_num_threads", lambda: le.set_num_threads(2 ** 16 + 1)),
    ("set_num_threads", lambda: le.set_num_threads(0)),
]


@pytest.mark.parametrize("name,call", INT_CASES, ids=[f"{c[0]}-{i}" for i, c in
                                                      enumerate(INT_CASES)])
def test_integer_options_out_of_range(name, call):
    prev = le.get_num_threads()
    try:
        with pytest.raises(ValueError, match=name):
            call()
    finally:
        le.set_num_threads(prev)
    assert le.get_num_threads() == prev
    # every kernel still runs at the retained setting
    le.cross_entropy(_x(), np.zeros(4, int))


def test_integer_options_at_their_limits():
    prev = le.get_num_threads()
    try:
        le.set_num_threads(2 ** 16)
        assert le.get_num_threads() == 2 ** 16
        x = np.random.default_rng(0).standard_normal((3, 4))
        le.cross_entropy(x, np.zeros(3, int))     # the kernels take it (small: one thread)
        le.mse_loss(x, x)
    finally:
        le.set_num_threads(prev)
    x = _x()
    t = np.zeros(4, int)
    base = le.cross_entropy(x, t)
    for ii in (BIG - 1, -BIG):
        assert le.cross_entropy(x, t, ignore_index=ii) == base
        assert le.nll_loss(x, t, ignore_index=ii) == le.nll_loss(x, t)
        assert le.softmax_focal_loss(x, t, ignore_index=ii) == le.softmax_focal_loss(x, t)
    loss = le.ohem_binary_cross_entropy(np.full(4, 0.25), np.array([1.0, 0, 0, 0]),
                                        min_negatives=BIG - 1)
    assert np.isfinite(loss)
    assert le.hard_example_mining(np.arange(5.0), ratio=1e308).all()
    assert le.hard_example_mining(np.arange(5.0), ratio=0.5).sum() == 2


# --------------------------------------------------------------------------
# 5. NaN (and out-of-range) float options
def _arrs(shape=(4, 3)):
    rng = np.random.default_rng(1)
    return rng.uniform(0.1, 0.9, shape), rng.uniform(0.1, 0.9, shape)


X, Y = _arrs()
T3 = np.array([0, 1, 2, 1])
PM = np.where(Y > 0.5, 1.0, -1.0)

# (function, positional args, option, whether torch 2.13 accepts NaN for it)
NAN_OPTIONS = [
    (le.cross_entropy, (X, T3), "label_smoothing", True),
    (le.smooth_l1_loss, (X, Y), "beta", False),
    (le.huber_loss, (X, Y), "delta", False),
    (le.poisson_nll_loss, (X, Y), "eps", True),
    (le.gaussian_nll_loss, (X, Y, Y), "eps", True),
    (le.margin_ranking_loss, (X, Y, PM), "margin", True),
    (le.hinge_embedding_loss, (X, PM), "margin", True),
    (le.cosine_embedding_loss, (X, Y, PM[:, 0]), "margin", True),
    (le.multi_margin_loss, (X, T3), "margin", True),
    (le.triplet_margin_loss, (X, Y, Y[::-1]), "margin", True),
    (le.triplet_margin_loss, (X, Y, Y[::-1]), "p", True),
    (le.triplet_margin_loss, (X, Y, Y[::-1]), "eps", True),
    (le.triplet_margin_with_distance_loss, (X, Y, Y[::-1]), "margin", True),
    (le.pairwise_distance, (X, Y), "p", True),
    (le.pairwise_distance, (X, Y), "eps", True),
    (le.cosine_similarity, (X, Y), "eps", False),
    (le.softplus, (X,), "beta", True),
    (le.softplus, (X,), "threshold", True),
    (le.leaky_relu, (X,), "negative_slope", True),
    (le.elu, (X,), "alpha", True),
    (le.hardtanh, (X,), "min_val", True),
    (le.hardtanh, (X,), "max_val", True),
    (le.softshrink, (X,), "lambd", False),
    (le.sigmoid_focal_loss, (X, Y), "alpha", None),
    (le.sigmoid_focal_loss, (X, Y), "gamma", None),
    (le.softmax_focal_loss, (X, T3), "gamma", None),
    (le.softmax_focal_loss, (X, T3), "alpha", None),
    (le.balanced_binary_cross_entropy, (X, Y), "beta", None),
    (le.dice_loss, (X, Y), "eps", None),
    (le.ohem_binary_cross_entropy, (X, Y), "negative_ratio", None),
    (le.ohem_binary_cross_entropy, (X, Y), "eps", None),
    (le.hard_example_mining, (X,), "ratio", None),
    (le.class_weights, (T3, 3), "c", None),
    (le.class_weights, (T3, 3), "beta", None),
]


@pytest.mark.parametrize("f,args,opt,torch_ok", NAN_OPTIONS,
                         ids=[f"{c[0].__name__}-{c[2]}" for c in NAN_OPTIONS])
def test_nan_option_is_a_value_error(f, args, opt, torch_ok):
    for v in (math.nan, np.float32("nan"), np.float64("nan")):
        with pytest.raises(ValueError, match=opt):
            f(*args, **{opt: v})
    f(*args, **({"ratio": 0.5} if f is le.hard_example_mining else {}))   # a valid call


def test_nan_options_vs_torch():
    """Where torch 2.13 accepts NaN for the option (torch_ok=True) we are
    stricter (README: 'Stricter than torch'); where it raises, so do we."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for f, args, opt, torch_ok in NAN_OPTIONS:
        if torch_ok is None:
            continue            # beyond torch
        tf = getattr(F, f.__name__)
        targs = [torch.tensor(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
        try:
            tf(*targs, **{opt: math.nan})
            accepted = True
        except (RuntimeError, ValueError):
            accepted = False
        assert accepted == torch_ok, (f.__name__, opt)


def test_threshold_value_may_be_nan():
    """threshold's `value` is a fill value, not a parameter: NaN fills, as in
    torch (the threshold itself may not be NaN)."""
    x = np.array([-1.0, 0.5, 2.0])
    y, g = le.threshold(x, 1.0, math.nan, grad=True)
    np.testing.assert_array_equal(y, [NAN, NAN, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="threshold"):
        le.threshold(x, math.nan, 0.0)


NEG_EPS = [
    (le.poisson_nll_loss, (X, Y), {"log_input": False}),
    (le.gaussian_nll_loss, (X, Y, Y), {}),
    (le.triplet_margin_loss, (X, Y, Y[::-1]), {}),
    (le.pairwise_distance, (X, Y), {}),
    (le.cosine_similarity, (X, Y), {}),
    (le.dice_loss, (X, Y), {}),
    (le.ohem_binary_cross_entropy, (X, Y), {}),
]


@pytest.mark.parametrize("f,args,kw", NEG_EPS, ids=[c[0].__name__ for c in NEG_EPS])
def test_negative_eps_is_a_value_error(f, args, kw):
    with pytest.raises(ValueError, match="eps"):
        f(*args, eps=-1.0, **kw)
    f(*args, eps=0.0, **kw)


def test_check_option_helper():
    co = _validate.check_option
    assert co(2, "x") == 2.0 and isinstance(co(np.float32(2), "x"), float)
    assert co(math.inf, "x") == math.inf
    with pytest.raises(ValueError, match="x must be finite"):
        co(math.inf, "x", finite=True)
    with pytest.raises(ValueError, match="x must not be NaN"):
        co(math.nan, "x", 0.0, 1.0)
    with pytest.raises(ValueError, match=r"x must be in \[0.0, 1.0\), got 1"):
        co(1, "x", 0.0, 1.0, hi_open=True)
    with pytest.raises(ValueError, match=r"x must be in \(0.0, inf\)"):
        co(0, "x", 0.0, lo_open=True)
    with pytest.raises(TypeError, match="x must be a real number"):
        co("1", "x")
    with pytest.raises(TypeError, match="x must be a real number"):
        co(True, "x")
    assert math.isnan(co(math.nan, "x", nan_ok=True))


def test_nan_gain_parameter():
    from lossengine import init
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", math.nan)
    with pytest.raises(ValueError, match="negative_slope"):
        init.kaiming_uniform_(np.zeros((3, 4)), a=math.nan)


def test_nan_option_in_distance_partial():
    import functools
    f = functools.partial(le.pairwise_distance, p=math.nan)
    with pytest.raises(ValueError, match="p"):
        le.triplet_margin_with_distance_loss(X, Y, Y[::-1], distance_function=f)


# --------------------------------------------------------------------------
# dim= together with axis= is a TypeError, even when equal
AXIS_FUNCS = [
    (le.cross_entropy, (X, T3)), (le.nll_loss, (X, T3)), (le.softmax_focal_loss, (X, T3)),
    (le.softmax, (X,)), (le.log_softmax, (X,)), (le.softmin, (X,)), (le.logsumexp, (X,)),
    (le.cosine_similarity, (X, Y)),
]


@pytest.mark.parametrize("f,args", AXIS_FUNCS, ids=[c[0].__name__ for c in AXIS_FUNCS])
def test_axis_and_dim_together(f, args):
    for ax, dm in [(1, 1), (-1, 1), (0, 1), (1, -1)]:
        with pytest.raises(TypeError, match="dim"):
            f(*args, axis=ax, dim=dm)
    # either alone works, and the alias means the same
    _eq(f(*args, dim=1), f(*args, axis=1), f.__name__)
    _eq(f(*args, dim=-1), f(*args, axis=-1), f.__name__)


def test_axis_default_looks_like_one():
    import inspect
    for f in (le.cross_entropy, le.nll_loss, le.softmax_focal_loss, le.cosine_similarity):
        d = inspect.signature(f).parameters["axis"].default
        assert d == 1 and repr(d) == "1"
        assert str(inspect.signature(f).parameters["axis"]).endswith("= 1")
    assert le.cross_entropy(X, T3, axis=1) == le.cross_entropy(X, T3)


# --------------------------------------------------------------------------
# 7. 0/0: 'mean' over a zero total weight, nothing selected
R = np.random.default_rng(7)
X34 = R.standard_normal((3, 4))
X320 = R.standard_normal((3, 20))           # rows path (C > 16)
X243 = R.standard_normal((2, 4, 3))         # tile path (inner > 1)
IGN3 = np.full(3, -100)
MIX = np.array([0, -100, 1])                # counted targets weigh 0
W0 = np.array([0.0, 0.0, 1.0, 1.0])
W0_20 = np.r_[0.0, 0.0, np.ones(18)]
Z, N_ = 0.0, NAN


def _rows(*flags, C=4):
    return np.array([[f] * C for f in flags])


# name, lossengine call (float64 x -> (loss, grad)), torch call or None,
# torch's value, torch's gradient
ZERO_DIV_CASES = [
    ("ce all ignored", lambda x: le.cross_entropy(x, IGN3, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(IGN3)), N_, np.zeros((3, 4)), X34),
    ("ce all ignored, ls", lambda x: le.cross_entropy(x, IGN3, label_smoothing=0.1, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(IGN3), label_smoothing=0.1), N_, np.zeros((3, 4)),
     X34),
    ("ce all ignored, weight", lambda x: le.cross_entropy(x, IGN3, np.ones(4), grad=True),
     lambda F, x, T: F.cross_entropy(x, T(IGN3), T(np.ones(4))), N_, np.zeros((3, 4)), X34),
    ("ce all ignored, weight, ls",
     lambda x: le.cross_entropy(x, IGN3, np.ones(4), label_smoothing=0.1, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(IGN3), T(np.ones(4)), label_smoothing=0.1), N_,
     np.zeros((3, 4)), X34),
    ("ce all ignored, C > 16", lambda x: le.cross_entropy(x, IGN3, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(IGN3)), N_, np.zeros((3, 20)), X320),
    ("ce all ignored, ls, C > 16",
     lambda x: le.cross_entropy(x, IGN3, label_smoothing=0.3, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(IGN3), label_smoothing=0.3), N_, np.zeros((3, 20)),
     X320),
    ("ce all ignored, spatial", lambda x: le.cross_entropy(x, np.full((2, 3), -100), grad=True),
     lambda F, x, T: F.cross_entropy(x, T(np.full((2, 3), -100))), N_, np.zeros((2, 4, 3)),
     X243),
    ("ce all ignored, spatial, ls",
     lambda x: le.cross_entropy(x, np.full((2, 3), -100), label_smoothing=0.2, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(np.full((2, 3), -100)), label_smoothing=0.2), N_,
     np.zeros((2, 4, 3)), X243),
    ("ce zero-weight targets", lambda x: le.cross_entropy(x, MIX, W0, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(MIX), T(W0)), N_, _rows(N_, Z, N_), X34),
    ("ce zero-weight targets, ls",
     lambda x: le.cross_entropy(x, MIX, W0, label_smoothing=0.1, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(MIX), T(W0), label_smoothing=0.1), N_,
     _rows(N_, Z, N_), X34),
    ("ce zero-weight targets, ls, C > 16",
     lambda x: le.cross_entropy(x, MIX, W0_20, label_smoothing=0.1, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(MIX), T(W0_20), label_smoothing=0.1), N_,
     _rows(N_, Z, N_, C=20), X320),
    ("ce zero-weight targets, spatial, ls",
     lambda x: le.cross_entropy(x, np.array([[0, -100, 1], [-100, -100, 1]]), W0,
                                label_smoothing=0.1, grad=True),
     lambda F, x, T: F.cross_entropy(x, T(np.array([[0, -100, 1], [-100, -100, 1]])), T(W0),
                                     label_smoothing=0.1), N_,
     np.array([[[N_, Z, N_]] * 4, [[Z, Z, N_]] * 4]), X243),
    ("nll all ignored", lambda x: le.nll_loss(x, IGN3, grad=True),
     lambda F, x, T: F.nll_loss(x, T(IGN3)), N_, np.zeros((3, 4)), X34),
    ("nll zero-weight targets", lambda x: le.nll_loss(x, MIX, W0, grad=True),
     lambda F, x, T: F.nll_loss(x, T(MIX), T(W0)), N_,
     np.array([[N_, Z, Z, Z], [Z, Z, Z, Z], [Z, N_, Z, Z]]), X34),
    ("ce probabilities, no position", lambda x: le.cross_entropy(x, np.zeros((0, 4)), grad=True),
     lambda F, x, T: F.cross_entropy(x, T(np.zeros((0, 4)))), N_, np.zeros((0, 4)),
     np.zeros((0, 4))),
    ("ce probabilities, no class", lambda x: le.cross_entropy(x, np.zeros((3, 0)), grad=True),
     lambda F, x, T: F.cross_entropy(x, T(np.zeros((3, 0)))), N_, np.zeros((3, 0)),
     np.zeros((3, 0))),
    # softmax focal: 'mean' divides by the summed weight as cross_entropy;
    # torch (no such function) is the formula over the counted targets
    ("softmax focal all ignored", lambda x: le.softmax_focal_loss(x, IGN3, grad=True),
     lambda F, x, T: _torch_focal(F, x, T(IGN3), None), N_, np.zeros((3, 4)), X34),
    ("softmax focal zero-weight targets",
     lambda x: le.softmax_focal_loss(x, MIX, weight=W0, grad=True),
     lambda F, x, T: _torch_focal(F, x, T(MIX), T(W0)), N_, _rows(N_, Z, N_), X34),
    ("softmax focal all ignored, spatial",
     lambda x: le.softmax_focal_loss(x, np.full((2, 3), -100), grad=True),
     None, N_, np.zeros((2, 4, 3)), X243),
    ("l1 zero weight", lambda x: le.l1_loss(x, np.ones((3, 4)), weight=np.zeros((3, 4)),
                                            grad=True),
     lambda F, x, T: F.l1_loss(x, T(np.ones((3, 4))), weight=T(np.zeros((3, 4)))), N_,
     np.full((3, 4), N_), X34),
    ("mse zero weight", lambda x: le.mse_loss(x, np.ones((3, 4)), weight=np.zeros((3, 4)),
                                              grad=True),
     lambda F, x, T: F.mse_loss(x, T(np.ones((3, 4))), weight=T(np.zeros((3, 4)))), N_,
     np.full((3, 4), N_), X34),
    # Huber with weight divides by the element count: no 0/0
    ("huber zero weight", lambda x: le.huber_loss(x, np.ones((3, 4)), weight=np.zeros((3, 4)),
                                                  grad=True),
     lambda F, x, T: F.huber_loss(x, T(np.ones((3, 4))), weight=T(np.zeros((3, 4)))), Z,
     np.zeros((3, 4)), X34),
    # OHEM: nothing selected; eps = 0 makes 'mean' 0/0; the gradient is 0
    ("ohem nothing selected, eps=0",
     lambda x: le.ohem_binary_cross_entropy(x, np.zeros((3, 4)), eps=0.0, grad=True),
     lambda F, x, T: _torch_ohem(F, x, T(np.zeros((3, 4))), 0.0), N_, np.zeros((3, 4)),
     np.full((3, 4), 0.3)),
    ("ohem nothing selected",
     lambda x: le.ohem_binary_cross_entropy(x, np.zeros((3, 4)), grad=True),
     lambda F, x, T: _torch_ohem(F, x, T(np.zeros((3, 4))), 1e-6), Z, np.zeros((3, 4)),
     np.full((3, 4), 0.3)),
    ("ohem empty mask, eps=0",
     lambda x: le.ohem_binary_cross_entropy(x, np.ones((3, 4)), mask=np.zeros((3, 4)),
                                            eps=0.0, grad=True),
     None, N_, np.zeros((3, 4)), np.full((3, 4), 0.3)),
    # dice with eps = 0 over an all-zero sample: 1 - 0/0; the gradient of
    # that sample is NaN (autograd of the formula), the other sample's is not
    ("dice zero sample, eps=0",
     lambda x: le.dice_loss(x, np.vstack([np.zeros(4), np.ones(4)]), eps=0.0,
                            reduction="none", grad=True),
     lambda F, x, T: _torch_dice(x, T(np.vstack([np.zeros(4), np.ones(4)])), 0.0), None,
     np.array([[N_] * 4, (-2 * 1 / 6.5 + 2 * 6 * np.array([0.5, 0.5, 1, 1]) / 6.5 ** 2)]),
     np.array([[0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 1.0, 1.0]])),
    ("kl_div batchmean, no sample",
     lambda x: le.kl_div(x, np.zeros((0, 4)), reduction="batchmean", grad=True),
     lambda F, x, T: F.kl_div(x, T(np.zeros((0, 4))), reduction="batchmean"), N_,
     np.zeros((0, 4)), np.zeros((0, 4))),
]


def _torch_focal(F, x, t, w):
    import torch
    keep = t != -100
    lp = F.log_softmax(x, dim=1)[keep].gather(1, t[keep][:, None])[:, 0]
    wy = w[t[keep]] if w is not None else torch.ones_like(lp)
    loss = -wy * (1 - lp.exp()) ** 2 * lp
    return loss.sum() / wy.sum()


def _torch_ohem(F, x, y, eps):
    import torch
    l = F.binary_cross_entropy(x, y, reduction="none").flatten()
    pos = y.flatten() >= 0.5
    npos = int(pos.sum())
    neg = l[~pos]
    k = min(neg.numel(), int(math.floor(3.0 * npos)))
    top = torch.topk(neg, k).values
    return (l[pos].sum() + top.sum()) / (npos + k + eps)


def _torch_dice(p, y, eps):
    return 1 - 2 * (p * y).sum(1) / ((p * p).sum(1) + (y * y).sum(1) + eps)


def _check_grad(got, want, what):
    got = np.asarray(got, np.float64)
    assert got.shape == want.shape, what
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=what)
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-6, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("case", ZERO_DIV_CASES, ids=[c[0] for c in ZERO_DIV_CASES])
def test_zero_over_zero_matches_torch(case, dt):
    name, ours, _theirs, value, grad, x = case
    loss, g = ours(np.asarray(x, dt))
    loss = np.asarray(loss, np.float64)
    if value is not None:
        if math.isnan(value):
            assert np.isnan(loss).all(), (name, loss)
        else:
            np.testing.assert_allclose(loss, value, err_msg=name)
    _check_grad(g, grad, name)


@pytest.mark.parametrize("case", [c for c in ZERO_DIV_CASES if c[2] is not None],
                         ids=[c[0] for c in ZERO_DIV_CASES if c[2] is not None])
def test_zero_over_zero_table_is_torchs(case):
    """The hard-coded answers above are torch 2.13's (float64, live)."""
    torch = pytest.importorskip("torch")
    name, _ours, theirs, value, grad, x = case
    xt = torch.tensor(np.asarray(x, np.float64), requires_grad=True)
    out = theirs(torch.nn.functional, xt, torch.tensor)
    if value is not None:
        v = float(out.detach())
        assert (math.isnan(v) and math.isnan(value)) or v == pytest.approx(value), (name, v)
    out.sum().backward() if out.ndim else out.backward()
    _check_grad(xt.grad.numpy(), grad, name)
