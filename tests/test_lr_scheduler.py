"""lossengine.optim.lr_scheduler against torch 2.13's torch.optim.lr_scheduler:
golden sequences (no torch needed), live parity when torch is installed,
state_dict round trips, errors, warnings and the docstring examples."""
import copy
import doctest
import json
import os
import pickle
import warnings

import numpy as np
import pytest

import gen_golden_sched as G
from lossengine.optim import lr_scheduler as L

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "golden_sched.npz")
RTOL = 1e-12


class Opt:
    """The smallest optimizer stand-in: param_groups (and, like torch's, defaults)."""

    def __init__(self, groups, defaults=None):
        self.param_groups = groups
        if defaults is not None:
            self.defaults = defaults


def _defaults(spec):
    return {"lr": 0.1, "betas": (0.9, 0.999)} if spec["opt"] == "adam" else \
        {"lr": 0.1, "momentum": 0.9}


def _opt(spec, with_defaults=True):
    return Opt(G.group_dicts(spec), _defaults(spec) if with_defaults else None)


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as d:
        return {k: d[k] for k in d.files}


CASES = G.cases()
CASE_IDS = [k for k, _ in CASES]


def _close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=0)


def _quiet_run(opt, spec, sched_obj=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # the deprecated step(epoch)
        return G.run(L, opt, spec, sched_obj)


def test_golden_provenance(golden):
    assert str(golden["meta/torch_version"]).startswith("2.13")
    assert {k[:-3] for k in golden if k.endswith("/lr")} == set(CASE_IDS)
    for key, spec in CASES:   # the generator's grid is the one stored
        assert json.loads(str(golden[f"{key}/spec"])) == json.loads(json.dumps(spec))
        assert golden[f"{key}/lr"].shape[0] >= 61


@pytest.mark.parametrize("key,spec", CASES, ids=CASE_IDS)
def test_golden_sequence(golden, key, spec):
    opt = _opt(spec)
    lr, mom, s = _quiet_run(opt, spec)
    _close(lr, golden[f"{key}/lr"])
    if f"{key}/mom" in golden:
        _close(mom, golden[f"{key}/mom"])
    assert s.get_last_lr() == [g["lr"] for g in opt.param_groups]


@pytest.mark.parametrize("key,spec", [c for c in CASES if G.cycles_momentum(c[1]["sched"])],
                         ids=[k for k, s in CASES if G.cycles_momentum(s["sched"])])
def test_golden_momentum_without_defaults(golden, key, spec):
    """An optimizer without `defaults`: the groups tell momentum from betas."""
    opt = _opt(spec, with_defaults=False)
    lr, mom, _ = _quiet_run(opt, spec)
    _close(lr, golden[f"{key}/lr"])
    _close(mom, golden[f"{key}/mom"])
    if spec["opt"] == "adam":
        assert all(g["betas"][1] == 0.999 and "momentum" not in g for g in opt.param_groups)


def _tail(spec, start, n):
    """The part of a case's stepping from step `start`, `n` steps long."""
    tail = dict(spec, steps=n)
    for name in ("epochs", "metrics"):
        if name in spec:
            tail[name] = spec[name][start:start + n]
    return tail


def _restore_groups(opt, saved):
    for g, s in zip(opt.param_groups, saved):
        g.clear()
        g.update(copy.deepcopy(s))


@pytest.mark.parametrize("key,spec", CASES, ids=CASE_IDS)
def test_state_dict_round_trip(golden, key, spec):
    """A fresh scheduler loaded mid-run (state pickled) continues the same sequence."""
    ref = golden[f"{key}/lr"]
    k = spec["steps"] // 2 + 3
    head = dict(spec, steps=k)
    opt_a = _opt(spec)
    _, _, s_a = _quiet_run(opt_a, head)
    sd = s_a.state_dict()
    frozen = pickle.dumps(sd)
    saved_groups = copy.deepcopy(opt_a.param_groups)
    # The state dict is a copy: stepping A further leaves it as it was.
    _quiet_run(opt_a, _tail(spec, k, 2), s_a)
    assert pickle.dumps(sd) == frozen
    sd = pickle.loads(frozen)
    opt_b = _opt(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        s_b = G.build(L, opt_b, spec["sched"])
    _restore_groups(opt_b, saved_groups)
    s_b.load_state_dict(sd)
    lr, mom, _ = _quiet_run(opt_b, _tail(spec, k, spec["steps"] - k), s_b)
    _close(lr, ref[k:])
    if f"{key}/mom" in golden:
        _close(mom, golden[f"{key}/mom"][k:])


def test_state_dict_is_a_copy():
    opt = Opt([{"lr": 1.0}, {"lr": 2.0}])
    s = L.MultiStepLR(opt, milestones=[2, 4])
    sd = s.state_dict()
    sd["base_lrs"][0] = 99.0
    sd["milestones"][7] = 1
    assert s.base_lrs == [1.0, 2.0] and 7 not in s.milestones
    t = L.MultiStepLR(Opt([{"lr": 1.0}, {"lr": 2.0}]), milestones=[9])
    t.load_state_dict(sd)
    sd["base_lrs"][1] = -1.0
    assert t.base_lrs == [99.0, 2.0] and t.milestones[7] == 1
    assert "optimizer" not in sd


class Decay:
    """A callable object: its __dict__ travels in the state dict, as torch."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate ** epoch


def test_callable_object_state():
    s = L.LambdaLR(Opt([{"lr": 1.0}, {"lr": 1.0}]), [Decay(0.5), lambda e: 1.0])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None]
    t = L.LambdaLR(Opt([{"lr": 1.0}, {"lr": 1.0}]), [Decay(0.9), lambda e: 2.0])
    t.load_state_dict(sd)
    assert t.lr_lambdas[0].rate == 0.5
    t.step()
    assert t.get_last_lr() == [0.5, 2.0]
    c = L.CyclicLR(Opt([{"lr": 0.1}]), 0.1, 1.0, step_size_up=2, scale_fn=Decay(0.5),
                   cycle_momentum=False)
    sd = c.state_dict()
    assert sd["_scale_fn_custom"] == {"rate": 0.5}
    d = L.CyclicLR(Opt([{"lr": 0.1}]), 0.1, 1.0, step_size_up=2, scale_fn=Decay(0.7),
                   cycle_momentum=False)
    d.load_state_dict(sd)
    assert d._scale_fn_custom.rate == 0.5
    m = L.MultiplicativeLR(Opt([{"lr": 1.0}]), Decay(0.5))
    assert m.state_dict()["lr_lambdas"] == [{"rate": 0.5}]


def test_initial_lr_and_base_lrs():
    opt = Opt([{"lr": 0.5}, {"lr": 0.25, "initial_lr": 1.0}])
    s = L.ExponentialLR(opt, gamma=0.5)
    assert s.base_lrs == [0.5, 1.0]
    assert opt.param_groups[0]["initial_lr"] == 0.5 and s.last_epoch == 0
    with pytest.raises(ValueError, match="initial_lr"):
        L.StepLR(Opt([{"lr": 0.5}]), 3, last_epoch=4)
    s = L.StepLR(Opt([{"lr": 0.5, "initial_lr": 0.8}]), 3, last_epoch=4)
    assert s.last_epoch == 5 and s.base_lrs == [0.8]


def test_hyperparameters_changed_between_steps():
    """Chainable schedulers follow an lr changed by hand, as torch's."""
    opt = Opt([{"lr": 1.0}])
    s = L.ExponentialLR(opt, gamma=0.5)
    s.step()
    opt.param_groups[0]["lr"] = 4.0
    s.step()
    assert s.get_last_lr() == [2.0]


def test_warnings():
    opt = Opt([{"lr": 1.0}])
    s = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()
    with pytest.warns(UserWarning, match="deprecated"):
        s.step(4)
    assert s.last_epoch == 4 and s.get_last_lr() == [pytest.approx(0.01)]
    c = L.CosineAnnealingWarmRestarts(Opt([{"lr": 1.0}]), T_0=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c.step(1.5)        # per-batch fractional epochs are not deprecated here
        s2 = L.StepLR(Opt([{"lr": 1.0}]), 2)
        s2.step()
    p = L.ReduceLROnPlateau(Opt([{"lr": 1.0}]))
    with pytest.warns(UserWarning, match="deprecated"):
        p.step(1.0, epoch=5)
    assert p.last_epoch == 5


def test_plateau_metric_types():
    p = L.ReduceLROnPlateau(Opt([{"lr": 1.0}]), patience=0)
    p.step(np.float32(1.0))
    p.step(np.array(2.0))
    assert p.get_last_lr() == [0.1]
    with pytest.raises(TypeError, match="metrics"):
        p.step("loss")
    with pytest.raises(TypeError, match="metrics"):
        p.step([1.0, 2.0])


def test_plateau_group_added():
    opt = Opt([{"lr": 1.0}])
    p = L.ReduceLROnPlateau(opt, patience=0, min_lr=0.5)
    opt.param_groups.append({"lr": 2.0})
    p.step(1.0)
    p.step(2.0)
    assert p.get_last_lr() == [0.5, 0.5]
    opt = Opt([{"lr": 1.0}])
    p = L.ReduceLROnPlateau(opt, patience=0, min_lr=[0.5])
    opt.param_groups.append({"lr": 2.0})
    p.step(1.0)
    with pytest.raises(ValueError, match="param groups"):
        p.step(2.0)


def test_onecycle_past_total_steps():
    s = L.OneCycleLR(Opt([{"lr": 0.1, "momentum": 0.9}]), max_lr=1.0, total_steps=5)
    for _ in range(5):
        s.step()
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        s.step()


def test_onecycle_empty_phase():
    with pytest.raises(ValueError, match="phase"):
        L.OneCycleLR(Opt([{"lr": 0.1}]), max_lr=1.0, total_steps=10, pct_start=0.1,
                     cycle_momentum=False)


def test_get_last_lr_is_a_copy():
    s = L.StepLR(Opt([{"lr": 1.0}]), 2)
    s.get_last_lr().append(5)
    assert s.get_last_lr() == [1.0]


def test_custom_subclass():
    class Halving(L.LRScheduler):
        def get_lr(self):
            return [b * 0.5 ** self.last_epoch for b in self.base_lrs]

    s = Halving(Opt([{"lr": 1.0}, {"lr": 4.0}]))
    s.step()
    assert s.get_last_lr() == [0.5, 2.0]
    with pytest.raises(NotImplementedError):
        L.LRScheduler(Opt([{"lr": 1.0}]))


def _sgd():
    return Opt([{"lr": 0.1, "momentum": 0.9}, {"lr": 0.2, "momentum": 0.9}],
               {"lr": 0.1, "momentum": 0.9})


ERRORS = [
    (lambda: L.StepLR(object(), 3), TypeError, "optimizer"),
    (lambda: L.StepLR(Opt("nope"), 3), TypeError, "param_groups"),
    (lambda: L.StepLR(Opt([{"momentum": 0.9}]), 3), ValueError, "'lr'"),
    (lambda: L.StepLR(_sgd(), 0), ValueError, "step_size"),
    (lambda: L.StepLR(_sgd(), "3"), TypeError, "step_size"),
    (lambda: L.StepLR(_sgd(), 3, last_epoch=1.5), TypeError, "last_epoch"),
    (lambda: L.StepLR(_sgd(), 3, last_epoch=-2), ValueError, "last_epoch"),
    (lambda: L.LambdaLR(_sgd(), [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas"),
    (lambda: L.LambdaLR(_sgd(), 3.0), TypeError, "lr_lambda"),
    (lambda: L.MultiplicativeLR(_sgd(), [lambda e: 1.0, None]), TypeError, "lr_lambda"),
    (lambda: L.MultiStepLR(_sgd(), [1.5]), TypeError, "milestones"),
    (lambda: L.ConstantLR(_sgd(), factor=1.5), ValueError, "factor"),
    (lambda: L.ConstantLR(_sgd(), factor=0.0), ValueError, "factor"),
    (lambda: L.ConstantLR(_sgd(), total_iters=-1), ValueError, "total_iters"),
    (lambda: L.LinearLR(_sgd(), start_factor=0.0), ValueError, "start_factor"),
    (lambda: L.LinearLR(_sgd(), end_factor=1.5), ValueError, "end_factor"),
    (lambda: L.PolynomialLR(_sgd(), total_iters=0), ValueError, "total_iters"),
    (lambda: L.CosineAnnealingLR(_sgd(), T_max=0), ValueError, "T_max"),
    (lambda: L.CosineAnnealingWarmRestarts(_sgd(), T_0=0), ValueError, "T_0"),
    (lambda: L.CosineAnnealingWarmRestarts(_sgd(), T_0=2.0), ValueError, "T_0"),
    (lambda: L.CosineAnnealingWarmRestarts(_sgd(), T_0=2, T_mult=0), ValueError, "T_mult"),
    (lambda: L.CosineAnnealingWarmRestarts(_sgd(), T_0=2, eta_min="0"), ValueError, "eta_min"),
    (lambda: L.CosineAnnealingWarmRestarts(_sgd(), T_0=2).step(-1), ValueError, "epoch"),
    (lambda: L.OneCycleLR(_sgd(), 1.0), ValueError, "total_steps"),
    (lambda: L.OneCycleLR(_sgd(), 1.0, total_steps=0), ValueError, "total_steps"),
    (lambda: L.OneCycleLR(_sgd(), 1.0, epochs=0, steps_per_epoch=3), ValueError, "epochs"),
    (lambda: L.OneCycleLR(_sgd(), 1.0, epochs=2, steps_per_epoch=-3), ValueError,
     "steps_per_epoch"),
    (lambda: L.OneCycleLR(_sgd(), 1.0, total_steps=10, pct_start=1), ValueError, "pct_start"),
    (lambda: L.OneCycleLR(_sgd(), 1.0, total_steps=10, pct_start=1.5), ValueError, "pct_start"),
    (lambda: L.OneCycleLR(_sgd(), 1.0, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy"),
    (lambda: L.OneCycleLR(_sgd(), [1.0], total_steps=10), ValueError, "max_lr"),
    (lambda: L.OneCycleLR(Opt([{"lr": 0.1}], {"lr": 0.1}), 1.0, total_steps=10), ValueError,
     "momentum"),
    (lambda: L.OneCycleLR(Opt([{"lr": 0.1}]), 1.0, total_steps=10), ValueError, "momentum"),
    (lambda: L.CyclicLR(_sgd(), 0.1, 1.0, mode="sawtooth"), ValueError, "mode"),
    (lambda: L.CyclicLR(_sgd(), 0.1, 1.0, scale_mode="epochs", scale_fn=abs), ValueError,
     "scale_mode"),
    (lambda: L.CyclicLR(_sgd(), 0.1, 1.0, scale_fn=3), TypeError, "scale_fn"),
    (lambda: L.CyclicLR(_sgd(), 0.1, 1.0, step_size_up=0), ValueError, "step_size_up"),
    (lambda: L.CyclicLR(_sgd(), 0.1, 1.0, step_size_down=-1), ValueError, "step_size_down"),
    (lambda: L.CyclicLR(_sgd(), [0.1, 0.2, 0.3], 1.0), ValueError, "base_lr"),
    (lambda: L.CyclicLR(_sgd(), 0.1, 1.0, base_momentum=[0.8]), ValueError, "base_momentum"),
    (lambda: L.CyclicLR(Opt([{"lr": 0.1}]), 0.1, 1.0), ValueError, "momentum"),
    (lambda: L.ReduceLROnPlateau(_sgd(), factor=1.0), ValueError, "Factor"),
    (lambda: L.ReduceLROnPlateau(_sgd(), mode="up"), ValueError, "mode"),
    (lambda: L.ReduceLROnPlateau(_sgd(), threshold_mode="pct"), ValueError, "threshold mode"),
    (lambda: L.ReduceLROnPlateau(_sgd(), min_lr=[0.1]), ValueError, "min_lrs"),
    (lambda: L.ReduceLROnPlateau(_sgd(), patience=-1), ValueError, "patience"),
    (lambda: L.ReduceLROnPlateau(object()), TypeError, "optimizer"),
    (lambda: L.StepLR(_sgd(), 2).load_state_dict([1, 2]), TypeError, "state_dict"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    fn, exc, match = ERRORS[i]
    with pytest.raises(exc, match=match):
        fn()


def test_errors_leave_groups_alone():
    for make in (lambda o: L.OneCycleLR(o, [1.0, 2.0, 3.0], total_steps=10),
                 lambda o: L.OneCycleLR(o, 1.0, total_steps=10, base_momentum=[0.1]),
                 lambda o: L.CyclicLR(o, 0.01, 0.1, max_momentum=(0.9,)),
                 lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=0),
                 lambda o: L.ConstantLR(o, factor=2.0)):
        opt = _sgd()
        before = copy.deepcopy(opt.param_groups)
        with pytest.raises(ValueError):
            make(opt)
        assert opt.param_groups == before


def test_composite_errors():
    opt, other = _sgd(), _sgd()
    a = L.StepLR(opt, 2)
    b = L.ExponentialLR(other, 0.9)
    with pytest.raises(ValueError, match="at least one"):
        L.SequentialLR(opt, [], [])
    with pytest.raises(ValueError, match="same optimizer"):
        L.SequentialLR(opt, [a, b], [3])
    with pytest.raises(ValueError, match="milestones"):
        L.SequentialLR(opt, [a, L.StepLR(opt, 3)], [3, 4])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        L.SequentialLR(opt, [a, L.ReduceLROnPlateau(opt)], [3])
    with pytest.raises(TypeError, match="optimizer"):
        L.SequentialLR(opt, [a, object()], [3])
    with pytest.raises(ValueError, match="at least one"):
        L.ChainedScheduler([])
    with pytest.raises(ValueError, match="same optimizer"):
        L.ChainedScheduler([a, b])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        L.ChainedScheduler([a, L.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match="optimizer"):
        L.ChainedScheduler([object()])
    c = L.ChainedScheduler([a, L.StepLR(opt, 3)])
    sd = c.state_dict()
    sd["_schedulers"].pop()
    with pytest.raises(ValueError, match="schedulers"):
        L.ChainedScheduler([L.StepLR(opt, 2), L.StepLR(opt, 3)]).load_state_dict(sd)


def test_group_count_changed():
    opt = _sgd()
    s = L.LambdaLR(opt, lambda e: 0.5)   # from base_lrs: one per group at construction
    opt.param_groups.append({"lr": 1.0})
    with pytest.raises(ValueError, match="param groups"):
        s.step()


def test_doctests():
    res = doctest.testmod(L, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 30 and res.failed == 0
    for name in L.__all__:
        obj = getattr(L, name)
        assert obj.__doc__ and "Examples" in obj.__doc__, name


# ----------------------------------------------------------------------------- live torch

def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("key,spec", CASES, ids=CASE_IDS)
def test_live_torch(key, spec):
    _torch()
    from torch.optim import lr_scheduler as T
    topt = G.torch_optimizer(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tl, tm, ts = G.run(T, topt, spec)
    opt = _opt(spec)
    lr, mom, s = _quiet_run(opt, spec)
    _close(lr, tl)
    if G.cycles_momentum(spec["sched"]):
        _close(mom, tm)
    # The extra keys the schedulers leave in the groups are torch's.
    for g, tg in zip(opt.param_groups, topt.param_groups):
        for name in ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"):
            assert (name in g) == (name in tg), name
            if name in g:
                assert g[name] == tg[name]


def _random_specs(n=40):
    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        lrs = [float(x) for x in rng.uniform(0.001, 1.0, size=int(rng.integers(1, 4)))]
        kind = i % 8
        if kind == 0:
            sched = {"cls": "StepLR", "kwargs": {"step_size": int(rng.integers(1, 12)),
                                                 "gamma": float(rng.uniform(0.05, 1.0))}}
        elif kind == 1:
            sched = {"cls": "CosineAnnealingLR", "kwargs": {
                "T_max": int(rng.integers(1, 30)), "eta_min": float(rng.uniform(0, 0.001))}}
        elif kind == 2:
            sched = {"cls": "CosineAnnealingWarmRestarts", "kwargs": {
                "T_0": int(rng.integers(1, 15)), "T_mult": int(rng.integers(1, 4)),
                "eta_min": float(rng.uniform(0, 0.001))}}
        elif kind == 3:
            up = int(rng.integers(1, 10))
            sched = {"cls": "CyclicLR", "kwargs": {
                "base_lr": 0.001, "max_lr": float(rng.uniform(0.01, 1)), "step_size_up": up,
                "step_size_down": int(rng.integers(0, 10)),
                "mode": ["triangular", "triangular2", "exp_range"][int(rng.integers(3))],
                "gamma": float(rng.uniform(0.9, 1.0))}}
        elif kind == 4:
            sched = {"cls": "OneCycleLR", "kwargs": {
                "max_lr": float(rng.uniform(0.01, 1)), "total_steps": 70,
                "pct_start": float(rng.uniform(0.05, 0.6)),
                "anneal_strategy": ["cos", "linear"][int(rng.integers(2))],
                "three_phase": bool(rng.integers(2))}}
        elif kind == 5:
            sched = {"cls": "LinearLR", "kwargs": {
                "start_factor": float(rng.uniform(0.01, 1)), "end_factor": float(rng.uniform(0, 1)),
                "total_iters": int(rng.integers(1, 40))}}
        elif kind == 6:
            sched = {"cls": "PolynomialLR", "kwargs": {
                "total_iters": int(rng.integers(1, 60)), "power": float(rng.uniform(0.2, 3))}}
        else:
            sched = {"cls": "ReduceLROnPlateau", "kwargs": {
                "mode": "min", "patience": int(rng.integers(0, 5)),
                "cooldown": int(rng.integers(0, 4)), "factor": float(rng.uniform(0.1, 0.9)),
                "threshold_mode": ["rel", "abs"][int(rng.integers(2))]}}
        spec = {"opt": ["sgd", "adam"][i % 2], "lrs": lrs, "sched": sched, "steps": 70}
        if sched["cls"] == "ReduceLROnPlateau":
            spec["metrics"] = [float(v) for v in np.round(rng.uniform(0, 1, 70) + np.linspace(
                1, 0, 70), 2)]
        out.append(spec)
    return out


@pytest.mark.parametrize("spec", _random_specs(), ids=lambda s: s["sched"]["cls"])
def test_live_torch_random_options(spec):
    _torch()
    from torch.optim import lr_scheduler as T
    topt = G.torch_optimizer(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tl, tm, _ = G.run(T, topt, spec)
    lr, mom, _ = _quiet_run(_opt(spec), spec)
    _close(lr, tl)
    if G.cycles_momentum(spec["sched"]):
        _close(mom, tm)


def test_live_torch_state_dict_keys():
    """The state dict holds torch's keys, so the two describe the same state."""
    torch = _torch()
    from torch.optim import lr_scheduler as T
    for spec in [dict(s) for _, s in CASES if s["sched"]["cls"] not in
                 ("SequentialLR", "ChainedScheduler")]:
        topt = G.torch_optimizer(spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts = G.build(T, topt, spec["sched"])
            s = G.build(L, _opt(spec), spec["sched"])
        tkeys = set(ts.state_dict()) - {"_get_lr_called_within_step", "_is_initial",
                                        "_scale_fn_ref"}
        missing = tkeys - set(s.state_dict())
        assert not missing, (spec["sched"]["cls"], missing)


def test_live_torch_same_errors():
    torch = _torch()
    from torch.optim import lr_scheduler as T
    p = torch.zeros(1, requires_grad=True)
    cases = [
        (lambda M, o: M.ConstantLR(o, factor=1.5), ValueError),
        (lambda M, o: M.LinearLR(o, start_factor=0), ValueError),
        (lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=0), ValueError),
        (lambda M, o: M.OneCycleLR(o, 1.0), ValueError),
        (lambda M, o: M.OneCycleLR(o, 1.0, total_steps=5, pct_start=2.0), ValueError),
        (lambda M, o: M.CyclicLR(o, 0.1, 1.0, mode="x"), ValueError),
        (lambda M, o: M.ReduceLROnPlateau(o, factor=2.0), ValueError),
        (lambda M, o: M.ReduceLROnPlateau(o, mode="x"), ValueError),
        (lambda M, o: M.LambdaLR(o, [abs, abs]), ValueError),
    ]
    for make, exc in cases:
        with pytest.raises(exc):
            make(T, torch.optim.SGD([p], lr=0.1, momentum=0.9))
        with pytest.raises(exc):
            make(L, Opt([{"lr": 0.1, "momentum": 0.9}], {"lr": 0.1, "momentum": 0.9}))
    for M, o in ((T, torch.optim.SGD([p], lr=0.1)), (L, Opt([{"lr": 0.1, "momentum": 0}],
                                                           {"lr": 0.1, "momentum": 0}))):
        s = M.OneCycleLR(o, 1.0, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                s.step()
            with pytest.raises(ValueError):
                s.step()
