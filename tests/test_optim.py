"""lossengine.optim: torch parity (golden data and live), a NumPy reference,
state dicts, threads, validation."""
import doctest
import io
import os
import pickle
import sys

import numpy as np
import pytest

import lossengine as le
import lossengine.optim as O
from lossengine.optim import _adam, _first_order, _lbfgs, _optimizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import optim_cases as oc  # noqa: E402
import reference_optim as ref  # noqa: E402

GOLDEN = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                              "golden_optim.npz"))
CASE_IDS = [c[0] for c in oc.CASES]


def _tol(dtype):
    return (1e-12, 1e-12) if dtype == np.float64 else (1e-5, 2e-6)


def assert_close(got, want, dtype):
    rtol, atol = _tol(dtype)
    atol = atol * max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol, atol=atol)


def run_le(cls, kw, ov, params, grads):
    opt = getattr(O, cls)(oc.groups_of(params, ov), **kw)
    for step in grads:
        opt.step(step)
    return params, opt


# --------------------------------------------------------------- torch parity
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("ci", range(len(oc.CASES)), ids=CASE_IDS)
def test_golden(ci, dtype):
    name, cls, kw, ov = oc.CASES[ci]
    tag = "f64" if dtype == np.float64 else "f32"
    params, grads = oc.inputs(ci, dtype)
    grads_copy = [[None if g is None else g.copy() for g in s] for s in grads]
    run_le(cls, kw, ov, params, grads)
    for i, p in enumerate(params):
        assert p.dtype == dtype
        assert_close(p, GOLDEN[f"{name}/{tag}/{i}"], dtype)
    # gradients are never modified (weight decay and maximize included)
    for s, sc in zip(grads, grads_copy):
        for g, gc in zip(s, sc):
            if g is not None:
                np.testing.assert_array_equal(g, gc)


@pytest.mark.parametrize("ci", range(len(oc.CASES)), ids=CASE_IDS)
def test_numpy_reference(ci):
    """float64 against the formula-level NumPy reference (no torch needed)."""
    name, cls, kw, ov = oc.CASES[ci]
    params, grads = oc.inputs(ci, np.float64)
    want = ref.run(cls, kw, ov, params, grads)
    run_le(cls, kw, ov, params, grads)
    for p, w in zip(params, want):
        np.testing.assert_allclose(p, w, rtol=1e-9, atol=1e-9 * max(1, np.abs(w).max()))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("ci", range(len(oc.SPARSE_CASES)))
def test_sparse_adam(ci, dtype):
    name, kw, ov = oc.SPARSE_CASES[ci]
    tag = "f64" if dtype == np.float64 else "f32"
    params, grads = oc.sparse_inputs(ci, dtype)
    want = ref.sparse_adam_run(kw, ov, params, grads)
    opt = O.SparseAdam([{"params": params[:1]}, dict({"params": params[1:]}, **ov)], **kw)
    for step in grads:
        opt.step(step)
    for i, p in enumerate(params):
        assert_close(p, GOLDEN[f"{name}/{tag}/{i}"], dtype)
        if dtype == np.float64:
            np.testing.assert_allclose(p, want[i], rtol=1e-9, atol=1e-9)


def test_sparse_adam_rows_and_errors():
    emb = np.ones((5, 2))
    opt = O.SparseAdam([emb], lr=0.1)
    vals = np.array([[1.0, 2.0], [3.0, 4.0]])
    vals_copy = vals.copy()
    opt.step([(np.array([3, 3]), vals)])
    np.testing.assert_array_equal(vals, vals_copy)
    assert np.all(emb[[0, 1, 2, 4]] == 1.0)
    assert np.all(emb[3] < 1.0)
    before = emb.copy()
    with pytest.raises(ValueError, match="out of range"):
        opt.step([(np.array([5]), np.ones((1, 2)))])
    with pytest.raises(ValueError, match="shape"):
        opt.step([(np.array([1]), np.ones((1, 3)))])
    with pytest.raises(TypeError, match="dtype"):
        opt.step([(np.array([1]), np.ones((1, 2), np.float32))])
    with pytest.raises(TypeError, match="pair"):
        opt.step([np.ones((5, 2))])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        O.SparseAdam([emb], lr=0.0)
    np.testing.assert_array_equal(emb, before)
    assert opt.state[emb]["step"] == 1


def _lbfgs_run(dtype, kw, n_steps):
    x = oc.LBFGS_X0.astype(dtype)
    opt = O.LBFGS([x], **kw)
    losses = []

    def closure():
        f, g = oc.rosenbrock(x.astype(np.float64))
        return f, [g.astype(dtype)]

    for _ in range(n_steps):
        losses.append(opt.step(closure))
    return x, np.array(losses), opt


@pytest.mark.parametrize("ci", range(len(oc.LBFGS_CASES)))
def test_lbfgs_golden(ci):
    name, kw = oc.LBFGS_CASES[ci]
    x, losses, _ = _lbfgs_run(np.float64, kw, oc.LBFGS_STEPS)
    # dot products are NumPy's (another summation order than torch's)
    np.testing.assert_allclose(x, GOLDEN[f"{name}/f64/0"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(losses, GOLDEN[f"{name}/f64/losses"], rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ls", [None, "strong_wolfe"])
def test_lbfgs_converges(dtype, ls):
    kw = dict(lr=1 if ls else 0.2, max_iter=50, line_search_fn=ls, history_size=10)
    x, losses, _ = _lbfgs_run(dtype, kw, 20 if ls else 60)
    assert x.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-6
    np.testing.assert_allclose(x, 1.0, atol=tol * 100 if ls is None else tol * 10)


def test_lbfgs_quadratic_several_params():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((7, 7))
    A = A @ A.T + 7 * np.eye(7)
    b = rng.standard_normal(7)
    sol = np.linalg.solve(A, b)
    w = np.zeros((2, 2), order="F")       # non-contiguous layouts too
    v = np.zeros(6)[::2]
    for dtype in (np.float64,):
        opt = O.LBFGS([w, v], line_search_fn="strong_wolfe", max_iter=100,
                       tolerance_grad=1e-12, tolerance_change=1e-15)

        def closure():
            x = np.concatenate([w.reshape(-1), v])
            g = A @ x - b
            return 0.5 * x @ A @ x - b @ x, [g[:4].reshape(2, 2), g[4:]]

        opt.step(closure)
        np.testing.assert_allclose(np.concatenate([w.reshape(-1), v]), sol, atol=1e-8)
    with pytest.raises(ValueError, match="groups"):
        O.LBFGS([{"params": [np.zeros(1)]}, {"params": [np.zeros(1)]}])
    with pytest.raises(TypeError, match="closure"):
        O.LBFGS([np.zeros(1)]).step(lambda: 1.0)


def test_live_torch_parity():
    """Fresh inputs (other seeds) against torch run now, foreach=False."""
    pytest.importorskip("torch")
    import gen_golden_optim as gen
    for ci in range(0, len(oc.CASES), 3):
        name, cls, kw, ov = oc.CASES[ci]
        params, grads = oc.inputs(ci + 500, np.float64)
        want = gen.run_torch(cls, kw, ov, params, grads)
        run_le(cls, kw, ov, params, grads)
        for p, w in zip(params, want):
            assert_close(p, w, np.float64)


# ------------------------------------------------------------------ state dict
SD_CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01)),
    ("Adadelta", dict(lr=1.0)),
    ("ASGD", dict(lr=0.01, t0=5)),
    ("Rprop", dict(lr=0.01)),
]


def _savez_roundtrip(sd):
    buf = io.BytesIO()
    np.savez(buf, sd=np.array(sd, dtype=object))
    buf.seek(0)
    return np.load(buf, allow_pickle=True)["sd"].item()


@pytest.mark.parametrize("how", ["pickle", "savez"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls,kw", SD_CASES, ids=[c[0] for c in SD_CASES])
def test_state_dict_resume_bitwise(cls, kw, dtype, how):
    params, grads = oc.inputs(3, dtype)
    full = [p.copy() for p in params]
    opt = getattr(O, cls)(oc.groups_of(full, dict(lr=0.003)), **kw)
    for step in grads[:60]:
        opt.step(step)

    part = [p.copy() for p in params]
    opt1 = getattr(O, cls)(oc.groups_of(part, dict(lr=0.003)), **kw)
    for step in grads[:30]:
        opt1.step(step)
    sd = opt1.state_dict()
    sd = pickle.loads(pickle.dumps(sd)) if how == "pickle" else _savez_roundtrip(sd)
    resumed = [p.copy() for p in part]
    opt2 = getattr(O, cls)(oc.groups_of(resumed, dict(lr=0.5)), **kw)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.003
    for step in grads[30:60]:
        opt2.step(step)
    for a, b in zip(full, resumed):
        np.testing.assert_array_equal(a, b)


def test_state_dict_layout_and_copies():
    w, b = np.zeros((2, 3)), np.zeros(3)
    opt = O.Adam([{"params": [w]}, {"params": [b], "lr": 0.1}], amsgrad=True)
    opt.step([np.ones((2, 3)), None])
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert list(sd["state"]) == [0]
    st = sd["state"][0]
    assert st["step"] == 1 and isinstance(st["step"], int)
    assert set(st) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert st["exp_avg"].dtype == w.dtype and st["exp_avg"].shape == w.shape
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.1
    st["exp_avg"][...] = 99.0          # a copy: the optimizer is unaffected
    assert np.all(opt.state[w]["exp_avg"] != 99.0)
    assert b not in opt.state and w in opt.state
    with pytest.raises(ValueError, match="number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": sd["param_groups"][:1]})
    bad = opt.state_dict()
    bad["param_groups"][1]["params"] = [1, 2]
    with pytest.raises(ValueError, match="size"):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["state"][0]["exp_avg"] = np.zeros(5)
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(bad)
    # loading casts to the parameter's dtype and copies
    w32 = np.zeros((2, 3), np.float32)
    opt32 = O.Adam([{"params": [w32]}, {"params": [np.zeros(3, np.float32)]}])
    src = opt.state_dict()
    opt32.load_state_dict(src)
    assert opt32.state[w32]["exp_avg"].dtype == np.float32
    src["state"][0]["exp_avg"][...] = 5
    assert np.all(opt32.state[w32]["exp_avg"] != 5)


def test_adagrad_state_at_construction():
    w = np.zeros(3)
    opt = O.Adagrad([w], initial_accumulator_value=0.5)
    assert opt.state[w]["step"] == 0
    np.testing.assert_array_equal(opt.state[w]["sum"], 0.5)
    assert 0 in opt.state_dict()["state"]


# --------------------------------------------------------------------- threads
@pytest.mark.parametrize("cls,kw", SD_CASES, ids=[c[0] for c in SD_CASES])
def test_threads_bitwise(cls, kw):
    rng = np.random.default_rng(5)
    shapes = [(300, 500)] + [(777,)] * 60 + [(50, 1000)]
    base = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(3)]
    outs = []
    old = le.get_num_threads()
    try:
        for nt in (1, 2, 3):
            le.set_num_threads(nt)
            ps = [p.copy() for p in base]
            opt = getattr(O, cls)(ps, **kw)
            for g in grads:
                opt.step(g)
            outs.append(ps)
    finally:
        le.set_num_threads(old)
    for other in outs[1:]:
        for a, b in zip(outs[0], other):
            np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ validation
def test_hyperparameter_errors():
    p = [np.zeros(2)]
    cases = [
        (O.SGD, dict(lr=-1), "Invalid learning rate: -1"),
        (O.SGD, dict(momentum=-0.1), "Invalid momentum value"),
        (O.SGD, dict(nesterov=True), "Nesterov momentum requires"),
        (O.Adam, dict(lr=-0.1), "Invalid learning rate"),
        (O.Adam, dict(eps=-1), "Invalid epsilon value"),
        (O.Adam, dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
        (O.AdamW, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
        (O.Adam, dict(weight_decay=-1), "Invalid weight_decay value"),
        (O.NAdam, dict(momentum_decay=-1), "Invalid momentum_decay value"),
        (O.RMSprop, dict(alpha=-1), "Invalid alpha value"),
        (O.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value"),
        (O.Adagrad, dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
        (O.Adadelta, dict(rho=1.5), "Invalid rho value"),
        (O.ASGD, dict(lr=float("nan")), "Invalid learning rate"),
        (O.Rprop, dict(etas=(1.5, 1.2)), "Invalid eta values"),
        (O.LBFGS, dict(lr=-1), "Invalid learning rate"),
        (O.LBFGS, dict(line_search_fn="armijo"), "strong_wolfe"),
        (O.SparseAdam, dict(eps=0), "Invalid epsilon value"),
    ]
    for cls, kw, msg in cases:
        with pytest.raises(ValueError, match=msg):
            cls(p, **kw)
    for cls in (O.Adam, O.SGD, O.Rprop):
        with pytest.raises(TypeError):
            cls(p, foreach=False)


def test_defaults_are_torchs():
    p = [np.zeros(1)]
    assert O.SGD(p).defaults["lr"] == 1e-3
    assert O.Adam(p).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                                      amsgrad=False, maximize=False)
    assert O.AdamW(p).defaults["weight_decay"] == 1e-2
    assert O.Adamax(p).defaults["lr"] == 2e-3
    assert O.NAdam(p).defaults["momentum_decay"] == 4e-3
    assert O.RMSprop(p).defaults["alpha"] == 0.99
    assert O.Adagrad(p).defaults["eps"] == 1e-10
    assert O.Adadelta(p).defaults["lr"] == 1.0
    assert O.ASGD(p).defaults["t0"] == 1e6
    assert O.Rprop(p).defaults["step_sizes"] == (1e-6, 50)
    assert O.LBFGS(p).defaults["max_eval"] == 25


def test_param_errors():
    a = np.zeros(4)
    with pytest.raises(ValueError, match="empty"):
        O.SGD([])
    with pytest.raises(TypeError, match="sets"):
        O.SGD({id(a): a}.values() and {1})
    with pytest.raises(TypeError, match="sets"):
        O.SGD([{"params": {1, 2}}])
    with pytest.raises(TypeError):
        O.SGD(a)
    with pytest.raises(TypeError, match="numpy arrays"):
        O.SGD([[1.0, 2.0]])
    with pytest.raises(TypeError, match="float32 or float64"):
        O.SGD([np.zeros(3, np.int64)])
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        O.SGD([ro])
    with pytest.raises(ValueError, match="twice"):
        O.SGD([a, a])
    with pytest.raises(ValueError, match="more than one parameter group"):
        O.SGD([{"params": [a]}, {"params": [a]}])
    with pytest.raises(ValueError, match="share memory"):
        O.SGD([a[:3], a[2:]])
    O.SGD([a[::2], a[1::2]])            # interleaved views do not share memory
    opt = O.SGD([a])
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="Invalid learning rate"):
        opt.add_param_group({"params": [np.zeros(1)], "lr": -1})
    assert len(opt.param_groups) == 1


def _opt_and_snapshot():
    ps = [np.arange(6.0).reshape(2, 3), np.ones(4), np.full(2, 3.0)]
    opt = O.Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.1}], amsgrad=True)
    opt.step([np.ones((2, 3)), np.ones(4), np.ones(2)])

    def snap():
        return ([p.copy() for p in ps], pickle.dumps(opt.state_dict()))
    return ps, opt, snap


def test_failed_step_changes_nothing():
    ps, opt, snap = _opt_and_snapshot()
    before = snap()
    good = [np.ones((2, 3)), np.ones(4), np.ones(2)]
    bad_steps = [
        ([np.ones((2, 3)), np.ones(4)], ValueError, "expected 3 entries"),
        ([np.ones((2, 3)), np.ones(4), np.ones(3)], ValueError, r"grads\[2\].*shape"),
        ([np.ones((2, 3)), np.ones(4, np.float32), np.ones(2)], TypeError, r"grads\[1\].*dtype"),
        ([np.ones((2, 3)), ps[1], np.ones(2)], ValueError, r"grads\[1\] shares memory"),
        ([np.ones((2, 3)), np.ones(4), ps[0][0, :2]], ValueError, r"grads\[2\] shares memory"),
        (np.ones(3), TypeError, "sequence"),
        ([np.ones((2, 3)), "x", np.ones(2)], TypeError, r"grads\[1\]"),
    ]
    for grads, exc, msg in bad_steps:
        with pytest.raises(exc, match=msg):
            opt.step(grads)
        after = snap()
        for a, b in zip(before[0], after[0]):
            np.testing.assert_array_equal(a, b)
        assert before[1] == after[1]
    # an invalid hyperparameter set between steps
    opt.param_groups[1]["lr"] = -1.0
    with pytest.raises(ValueError, match="Invalid learning rate"):
        opt.step(good)
    opt.param_groups[1]["lr"] = 0.1
    # a parameter made read-only after construction
    ps[2].flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[2\].*read-only"):
        opt.step(good)
    ps[2].flags.writeable = True
    # state tampered with: an array of the wrong shape, or one that is a parameter
    st = opt.state[ps[1]]
    saved = st["exp_avg"]
    st["exp_avg"] = np.zeros(5)
    with pytest.raises(ValueError, match=r"'exp_avg'.*params\[1\]|params\[1\].*'exp_avg'"):
        opt.step(good)
    st["exp_avg"] = ps[2][:0] if False else ps[0].reshape(-1)[:4]
    with pytest.raises(ValueError, match="share memory"):
        opt.step(good)
    st["exp_avg"] = saved
    after = snap()
    for a, b in zip(before[0], after[0]):
        np.testing.assert_array_equal(a, b)
    assert before[1] == after[1]
    opt.step(good)                      # still usable
    assert opt.state[ps[0]]["step"] == 2


def test_none_grads_skip_and_state_lazy():
    a, b = np.ones(3), np.ones(2)
    opt = O.RMSprop([a, b], momentum=0.9)
    opt.step([np.ones(3), None])
    np.testing.assert_array_equal(b, 1.0)
    assert b not in opt.state and opt.state[a]["step"] == 1
    opt.step([None, np.ones(2)])
    assert opt.state[b]["step"] == 1 and opt.state[a]["step"] == 1
    opt.step([None, None])


def test_layouts_and_mixed_dtypes():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((6, 8))
    grads = [rng.standard_normal((6, 8)) for _ in range(5)]
    want = base.copy()
    o1 = O.Adam([want], lr=0.01)
    for g in grads:
        o1.step([g])
    f = np.asfortranarray(base.copy())
    big = np.zeros((12, 8))
    strided = big[::2]
    strided[...] = base
    o2 = O.Adam([f, strided], lr=0.01)
    for g in grads:
        o2.step([np.asfortranarray(g), g[:, ::-1][:, ::-1]])
    np.testing.assert_array_equal(f, want)
    np.testing.assert_array_equal(strided, want)
    assert np.all(big[1::2] == 0)
    # one optimizer over float32 and float64 groups
    p64, p32 = base.copy(), base.astype(np.float32)
    o3 = O.Adam([{"params": [p64]}, {"params": [p32]}], lr=0.01)
    for g in grads:
        o3.step([g, g.astype(np.float32)])
    np.testing.assert_array_equal(p64, want)
    np.testing.assert_allclose(p32, want, rtol=1e-5, atol=1e-5)


def test_many_arrays_match_one():
    """Many small arrays in one step give the same values as each alone."""
    rng = np.random.default_rng(2)
    ps = [rng.standard_normal(n) for n in rng.integers(0, 3000, 80)]
    gs = [rng.standard_normal(p.shape) for p in ps]
    singles = [p.copy() for p in ps]
    O.NAdam(ps, lr=0.01).step(gs)
    for p, g in zip(singles, gs):
        O.NAdam([p], lr=0.01).step([g])
    for a, b in zip(ps, singles):
        np.testing.assert_array_equal(a, b)


def test_state_view():
    a = np.zeros(2)
    opt = O.SGD([a], momentum=0.5)
    assert len(opt.state) == 0
    opt.step([np.ones(2)])
    assert list(opt.state) == [a] and len(opt.state) == 1
    with pytest.raises(KeyError):
        opt.state[np.zeros(2)]
    assert "SGD" in repr(opt)


def test_isa_levels_agree():
    if le.best_isa() == "baseline":
        pytest.skip("one ISA level only")
    params, grads = oc.inputs(6, np.float64)
    outs = []
    for isa in ("baseline", le.best_isa()):
        prev = le._runtime._set_isa(isa) if hasattr(le._runtime, "_set_isa") else None
        try:
            ps = [p.copy() for p in params]
            run_le("Adam", dict(lr=0.01, amsgrad=True), {}, ps, grads)
            outs.append(ps)
        finally:
            if prev is not None:
                le._runtime._set_isa(prev)
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mod", [_optimizer, _first_order, _adam, _lbfgs])
def test_doctests(mod):
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 0


def test_bench_cases_small():
    """The optimizer bench cases build and run (the small ones; the 16M ones
    share the same code)."""
    from lossengine.bench import optim_cases, runner
    cases = optim_cases.bench_cases()
    assert any("fused" in c.label for _, _, c in cases)
    assert all(name.startswith("optim.") and not c.grad for name, _, c in cases)
    assert any(c.label.startswith("optim ") for _, _, c in runner.bench_cases())
    small = [(fn, c) for _, fn, c in cases if "200x1000" in c.label or "1x200000" in c.label]
    assert len(small) == 2
    for fn, c in small:
        args, kw = c.make(np.random.default_rng(0), np.dtype(c.dtype))
        before = args[0].param_groups[0]["params"][0].copy()
        fn(*args, **kw)
        assert not np.array_equal(before, args[0].param_groups[0]["params"][0])
        assert c.nbytes(args) == 28 * 200_000
        try:
            import torch  # noqa: F401
        except ImportError:
            continue
        c.torch(args, kw)()


def test_lr_changed_between_steps_live_torch():
    """Hyperparameters read at every step, as a scheduler changes them."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    p0 = rng.standard_normal((4, 5))
    grads = [rng.standard_normal((4, 5)) for _ in range(40)]
    # NAdam's mu_product follows torch's default dtype: double, as lossengine
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _lr_changed_cases(torch, p0, grads)
    finally:
        torch.set_default_dtype(prev)


def _lr_changed_cases(torch, p0, grads):
    for cls, kw in (("Adam", dict(lr=0.01, amsgrad=True)), ("SGD", dict(lr=0.1, momentum=0.9)),
                    ("RMSprop", dict(lr=0.01, centered=True)), ("NAdam", dict(lr=0.01))):
        p = p0.copy()
        opt = getattr(O, cls)([p], **kw)
        tp = torch.tensor(p0.copy())
        topt = getattr(torch.optim, cls)([tp], foreach=False, **kw)
        for i, g in enumerate(grads):
            for group in opt.param_groups + topt.param_groups:
                group["lr"] = kw["lr"] * 0.95 ** i
                if cls == "Adam":
                    group["betas"] = (0.9, 0.99) if i > 20 else (0.9, 0.999)
            opt.step([g])
            tp.grad = torch.tensor(g)
            topt.step()
        assert_close(p, tp.numpy(), np.float64)


def test_sparse_adam_and_lbfgs_state_dict():
    params, grads = oc.sparse_inputs(0, np.float64)
    full = [p.copy() for p in params]
    o = O.SparseAdam(full, lr=0.01)
    for s in grads[:20]:
        o.step(s)
    part = [p.copy() for p in params]
    o1 = O.SparseAdam(part, lr=0.01)
    for s in grads[:10]:
        o1.step(s)
    o2 = O.SparseAdam(part, lr=0.01)
    o2.load_state_dict(pickle.loads(pickle.dumps(o1.state_dict())))
    for s in grads[10:20]:
        o2.step(s)
    for a, b in zip(full, part):
        np.testing.assert_array_equal(a, b)

    kw = dict(lr=1, max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    x_full, _, _ = _lbfgs_run(np.float64, kw, 4)
    x, _, opt1 = _lbfgs_run(np.float64, kw, 2)
    sd = _savez_roundtrip(opt1.state_dict())
    opt2 = O.LBFGS([x], **kw)
    opt2.load_state_dict(sd)

    def closure():
        f, g = oc.rosenbrock(x)
        return f, [g]

    for _ in range(2):
        opt2.step(closure)
    np.testing.assert_array_equal(x, x_full)


def test_optimizer_pickles_and_deepcopies():
    import copy
    params, grads = oc.inputs(1, np.float64)
    opt = O.Adam(oc.groups_of(params, {}), lr=0.01, amsgrad=True)
    for s in grads[:5]:
        opt.step(s)
    for clone in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        cps = [p for g in clone.param_groups for p in g["params"]]
        assert all(c is not p for c, p in zip(cps, params))
        for s in grads[5:10]:
            clone.step(s)
        assert all(clone.state[p]["step"] >= 9 for p in cps)
    for s in grads[5:10]:
        opt.step(s)
    for a, b in zip(params, cps):
        np.testing.assert_array_equal(a, b)
