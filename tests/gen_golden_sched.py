"""Writes tests/data/golden_sched.npz: learning-rate (and momentum) sequences of
torch 2.13's ``torch.optim.lr_scheduler`` for a grid of every scheduler's options.

    python tests/gen_golden_sched.py

Each case is a JSON description (``<key>/spec``) of the param groups, the
scheduler (nested for SequentialLR/ChainedScheduler) and how it is stepped:
``steps`` plain ``step()`` calls, or ``epochs`` (the deprecated ``step(epoch)``),
or ``metrics`` (ReduceLROnPlateau). ``<key>/lr`` holds every group's lr after
construction and after each step, shape ``(steps + 1, groups)``; ``<key>/mom``
the momentum (``betas[0]`` for Adam) where the scheduler cycles it. Callables
(LambdaLR's lambdas, CyclicLR's scale_fn) are named; ``LAMBDAS`` and
``SCALE_FNS`` below define them for both this script and the tests, which
rebuild each case with ``build`` on their own optimizer stand-in. The metric
sequences are drawn from a seeded generator and stored in the spec.
``init/*`` holds torch.nn.init's deterministic results (calculate_gain's table,
fan computation, eye_ and dirac_ incl. groups) for tests/test_init.py.
Provenance in ``meta/*``. No pickles.
"""
import datetime
import json
import math
import os

import numpy as np

SEED = 20261202
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "golden_sched.npz")

LAMBDAS = {
    "exp95": lambda e: 0.95 ** e,
    "warmup10": lambda e: min(1.0, (e + 1) / 10),
    "poly": lambda e: (1 - min(e, 50) / 51) ** 1.5,
    "mul97": lambda e: 0.97,
    "mul_alt": lambda e: 0.9 if e % 3 == 0 else 1.02,
}

SCALE_FNS = {
    "inv": lambda x: 1 / (1.0 + 0.05 * x),
    "pow8": lambda x: 0.8 ** x,
}

LRS = [0.1, 0.05, 0.3]


def _metrics(rng, n, mode):
    """A noisy metric with improvements, plateaus and small (sub-threshold) gains."""
    trend = np.concatenate([np.linspace(1.0, 0.5, n // 4), np.full(n // 4, 0.5),
                            np.linspace(0.5, 0.45, n // 4), np.full(n - 3 * (n // 4), 0.45)])
    noise = rng.standard_normal(n) * 0.01
    noise[rng.random(n) < 0.5] = 0.0      # exact repeats make ties
    m = trend + noise
    if mode == "max":
        m = 2.0 - m
    return [float(v) for v in m]


def cases():
    rng = np.random.default_rng(SEED)
    out = []

    def add(key, sched, steps=60, opt="sgd", lrs=LRS, **extra):
        spec = {"opt": opt, "lrs": list(lrs), "sched": sched, "steps": steps}
        spec.update(extra)
        out.append((key, spec))

    def S(cls, **kw):
        return {"cls": cls, "kwargs": kw}

    add("lambda_exp", S("LambdaLR", lr_lambda="exp95"))
    add("lambda_warm", S("LambdaLR", lr_lambda="warmup10"))
    add("lambda_list", S("LambdaLR", lr_lambda=["exp95", "warmup10", "poly"]), steps=70)
    add("mult_const", S("MultiplicativeLR", lr_lambda="mul97"))
    add("mult_list", S("MultiplicativeLR", lr_lambda=["mul97", "mul_alt", "exp95"]))
    add("step_7_05", S("StepLR", step_size=7, gamma=0.5))
    add("step_1_09", S("StepLR", step_size=1, gamma=0.9))
    add("step_30", S("StepLR", step_size=30), steps=95)
    add("multistep", S("MultiStepLR", milestones=[10, 25, 25, 40], gamma=0.3))
    add("multistep_0", S("MultiStepLR", milestones=[0, 5, 61], gamma=0.5), steps=70)
    add("constant_def", S("ConstantLR"))
    add("constant_05_10", S("ConstantLR", factor=0.5, total_iters=10))
    add("constant_0iters", S("ConstantLR", factor=0.25, total_iters=0))
    add("linear_def", S("LinearLR"))
    add("linear_up", S("LinearLR", start_factor=0.1, end_factor=1.0, total_iters=20))
    add("linear_down", S("LinearLR", start_factor=1.0, end_factor=0.0, total_iters=50))
    add("linear_mid", S("LinearLR", start_factor=0.5, end_factor=0.2, total_iters=7))
    add("linear_0iters", S("LinearLR", start_factor=0.5, total_iters=0))
    add("exp_095", S("ExponentialLR", gamma=0.95))
    add("exp_08", S("ExponentialLR", gamma=0.8))
    add("exp_101", S("ExponentialLR", gamma=1.01))
    add("poly_def", S("PolynomialLR"))
    add("poly_40_2", S("PolynomialLR", total_iters=40, power=2.0))
    add("poly_60_05", S("PolynomialLR", total_iters=60, power=0.5), steps=70)
    add("cos_10", S("CosineAnnealingLR", T_max=10), steps=80)
    add("cos_25_min", S("CosineAnnealingLR", T_max=25, eta_min=0.01), steps=120)
    add("cos_7_min", S("CosineAnnealingLR", T_max=7, eta_min=0.001), steps=64)
    add("cawr_10", S("CosineAnnealingWarmRestarts", T_0=10))
    add("cawr_5_2", S("CosineAnnealingWarmRestarts", T_0=5, T_mult=2, eta_min=0.001), steps=100)
    add("cawr_3_3", S("CosineAnnealingWarmRestarts", T_0=3, T_mult=3, eta_min=0.002), steps=80)

    # OneCycleLR: momentum (SGD) / beta1 (Adam) cycling, both anneal strategies, three phases.
    for strat in ("cos", "linear"):
        for three in (False, True):
            add(f"onecycle_{strat}_{'3ph' if three else '2ph'}",
                S("OneCycleLR", max_lr=[1.0, 0.5, 2.0], total_steps=80, anneal_strategy=strat,
                  three_phase=three), steps=80)
            add(f"onecycle_adam_{strat}_{'3ph' if three else '2ph'}",
                S("OneCycleLR", max_lr=0.01, total_steps=64, anneal_strategy=strat,
                  three_phase=three, pct_start=0.25, div_factor=10.0, final_div_factor=100.0,
                  base_momentum=[0.8, 0.85, 0.7], max_momentum=0.95), steps=64, opt="adam")
    add("onecycle_epochs", S("OneCycleLR", max_lr=0.5, epochs=6, steps_per_epoch=11,
                             cycle_momentum=False), steps=66)
    add("onecycle_pct05", S("OneCycleLR", max_lr=0.4, total_steps=61, pct_start=0.5,
                            base_momentum=0.6, max_momentum=0.99), steps=61)

    # CyclicLR: every mode, custom scale functions, momentum and beta1 cycling.
    add("cyclic_tri", S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5), steps=70)
    add("cyclic_tri_asym", S("CyclicLR", base_lr=[0.01, 0.02, 0.001], max_lr=[0.1, 0.2, 0.5],
                             step_size_up=4, step_size_down=9), steps=70)
    add("cyclic_tri2", S("CyclicLR", base_lr=0.001, max_lr=0.1, step_size_up=4, step_size_down=8,
                         mode="triangular2"), steps=80)
    add("cyclic_exp", S("CyclicLR", base_lr=0.001, max_lr=0.1, step_size_up=6, mode="exp_range",
                        gamma=0.97), steps=80)
    add("cyclic_exp_adam", S("CyclicLR", base_lr=1e-4, max_lr=1e-2, step_size_up=7,
                             mode="exp_range", gamma=0.99, base_momentum=0.85,
                             max_momentum=0.95), steps=80, opt="adam")
    add("cyclic_tri2_adam", S("CyclicLR", base_lr=1e-4, max_lr=1e-2, step_size_up=3,
                              step_size_down=5, mode="triangular2",
                              base_momentum=[0.8, 0.7, 0.6], max_momentum=[0.9, 0.95, 0.99]),
        steps=70, opt="adam")
    add("cyclic_nomom", S("CyclicLR", base_lr=0.01, max_lr=0.05, step_size_up=10,
                          cycle_momentum=False), steps=60)
    add("cyclic_down0", S("CyclicLR", base_lr=0.01, max_lr=0.05, step_size_up=6,
                          step_size_down=0), steps=60)
    add("cyclic_scale_cycle", S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5,
                                scale_fn="pow8", scale_mode="cycle"), steps=70)
    add("cyclic_scale_iter", S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5,
                               scale_fn="inv", scale_mode="iterations"), steps=70)

    # ReduceLROnPlateau: both modes, both threshold modes, cooldown, min_lr, eps.
    n = 100
    for mode in ("min", "max"):
        for tm in ("rel", "abs"):
            add(f"plateau_{mode}_{tm}",
                S("ReduceLROnPlateau", mode=mode, threshold_mode=tm, patience=3,
                  factor=0.5, threshold=0.01 if tm == "rel" else 0.005),
                steps=n, metrics=_metrics(rng, n, mode))
    add("plateau_cooldown", S("ReduceLROnPlateau", patience=2, cooldown=4, factor=0.7,
                              min_lr=[0.01, 0.02, 0.0]), steps=n, metrics=_metrics(rng, n, "min"))
    add("plateau_minlr", S("ReduceLROnPlateau", mode="max", patience=0, factor=0.3, min_lr=0.004,
                           threshold=0.0), steps=n, metrics=_metrics(rng, n, "max"))
    add("plateau_eps", S("ReduceLROnPlateau", patience=1, factor=0.9, eps=0.004),
        steps=n, metrics=_metrics(rng, n, "min"))
    add("plateau_default", S("ReduceLROnPlateau"), steps=n, metrics=_metrics(rng, n, "min"))
    # A change of exactly eps is not applied (strict >), as torch.
    add("plateau_eps_exact", S("ReduceLROnPlateau", patience=0, factor=0.5, eps=0.25),
        lrs=[0.5, 0.75, 0.125], steps=n, metrics=_metrics(rng, n, "min"))

    # Composition.
    add("seq_linear_cos", {"cls": "SequentialLR", "milestones": [5], "schedulers": [
        S("LinearLR", start_factor=0.1, total_iters=5), S("CosineAnnealingLR", T_max=50)]},
        steps=70)
    add("seq_three", {"cls": "SequentialLR", "milestones": [4, 20], "schedulers": [
        S("ConstantLR", factor=0.5, total_iters=4), S("ExponentialLR", gamma=0.9),
        S("StepLR", step_size=6, gamma=0.5)]}, steps=70)
    add("seq_lambda_cawr", {"cls": "SequentialLR", "milestones": [10], "schedulers": [
        S("LambdaLR", lr_lambda="warmup10"), S("CosineAnnealingWarmRestarts", T_0=8,
                                                T_mult=2)]}, steps=80)
    add("seq_exp_multistep", {"cls": "SequentialLR", "milestones": [10], "schedulers": [
        S("ExponentialLR", gamma=0.9), S("MultiStepLR", milestones=[15, 30], gamma=0.2)]},
        steps=60)
    add("seq_mult_poly", {"cls": "SequentialLR", "milestones": [12], "schedulers": [
        S("MultiplicativeLR", lr_lambda="mul_alt"), S("PolynomialLR", total_iters=30,
                                                       power=2.0)]}, steps=60)
    add("chain_const_exp", {"cls": "ChainedScheduler", "schedulers": [
        S("ConstantLR", factor=0.1, total_iters=2), S("ExponentialLR", gamma=0.9)]}, steps=60)
    add("chain_three", {"cls": "ChainedScheduler", "schedulers": [
        S("LinearLR", start_factor=0.2, total_iters=8), S("StepLR", step_size=10, gamma=0.5),
        S("MultiplicativeLR", lr_lambda="mul97")]}, steps=60)
    add("chain_cos_cyclic", {"cls": "ChainedScheduler", "pass_optimizer": True, "schedulers": [
        S("CosineAnnealingLR", T_max=30), S("CyclicLR", base_lr=0.01, max_lr=0.1,
                                             step_size_up=5, cycle_momentum=False)]}, steps=60)
    add("chain_seq", {"cls": "ChainedScheduler", "schedulers": [
        {"cls": "SequentialLR", "milestones": [5], "schedulers": [
            S("LinearLR", start_factor=0.1, total_iters=5), S("ExponentialLR", gamma=0.95)]},
        S("MultiStepLR", milestones=[20, 40], gamma=0.5)]}, steps=60)

    # Deprecated step(epoch): the closed form where torch has one.
    ep = [1, 2, 3, 5, 4, 10, 10, 11, 30, 29, 45, 0, 7, 60, 61, 100, 3] + list(range(12, 55))
    for key, sched in [("ep_step", S("StepLR", step_size=7, gamma=0.5)),
                       ("ep_multistep", S("MultiStepLR", milestones=[10, 25, 25, 40], gamma=0.3)),
                       ("ep_constant", S("ConstantLR", factor=0.5, total_iters=10)),
                       ("ep_linear", S("LinearLR", start_factor=0.1, total_iters=20)),
                       ("ep_exp", S("ExponentialLR", gamma=0.95)),
                       ("ep_poly", S("PolynomialLR", total_iters=40, power=2.0)),
                       ("ep_cos", S("CosineAnnealingLR", T_max=25, eta_min=0.01)),
                       ("ep_lambda", S("LambdaLR", lr_lambda="exp95"))]:
        add(key, sched, steps=len(ep), epochs=ep)
    cawr_ep = [0.5, 1.0, 1.7, 3.2, 4.99, 5.0, 7.5, 14.9, 15.0, 16.0, 2.0, 40.0, 31.3, 0.0] + \
        [i * 0.75 for i in range(50)]
    add("ep_cawr_1", S("CosineAnnealingWarmRestarts", T_0=5, eta_min=0.001), steps=len(cawr_ep),
        epochs=cawr_ep)
    add("ep_cawr_2", S("CosineAnnealingWarmRestarts", T_0=5, T_mult=2), steps=len(cawr_ep),
        epochs=cawr_ep)

    # Resuming: last_epoch >= 0 with 'initial_lr' already in the groups.
    init = [0.2, 0.1, 0.6]
    add("resume_step", S("StepLR", step_size=5, gamma=0.5, last_epoch=12), initial_lr=init)
    add("resume_cos", S("CosineAnnealingLR", T_max=20, eta_min=0.001, last_epoch=7),
        initial_lr=init)
    add("resume_lambda", S("LambdaLR", lr_lambda="exp95", last_epoch=4), initial_lr=init)
    return out


# ----------------------------------------------------------------------------- building

def _resolve(cls, kw):
    kw = dict(kw)
    if cls in ("LambdaLR", "MultiplicativeLR"):
        f = kw["lr_lambda"]
        kw["lr_lambda"] = [LAMBDAS[x] for x in f] if isinstance(f, list) else LAMBDAS[f]
    if cls == "CyclicLR" and isinstance(kw.get("scale_fn"), str):
        kw["scale_fn"] = SCALE_FNS[kw["scale_fn"]]
    return kw


def build(mod, opt, sched):
    """Build the scheduler described by `sched` from module `mod` on `opt`."""
    cls = sched["cls"]
    if cls == "SequentialLR":
        subs = [build(mod, opt, s) for s in sched["schedulers"]]
        return mod.SequentialLR(opt, subs, milestones=sched["milestones"])
    if cls == "ChainedScheduler":
        subs = [build(mod, opt, s) for s in sched["schedulers"]]
        if sched.get("pass_optimizer"):
            return mod.ChainedScheduler(subs, optimizer=opt)
        return mod.ChainedScheduler(subs)
    return getattr(mod, cls)(opt, **_resolve(cls, sched["kwargs"]))


def momentum_of(group):
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum", math.nan)


def cycles_momentum(sched):
    return (sched["cls"] in ("OneCycleLR", "CyclicLR")
            and sched["kwargs"].get("cycle_momentum", True))


def run(mod, opt, spec, sched_obj=None):
    """Build (unless given) and step; returns (lr array, momentum array, scheduler)."""
    s = build(mod, opt, spec["sched"]) if sched_obj is None else sched_obj
    lrs = [[g["lr"] for g in opt.param_groups]]
    moms = [[momentum_of(g) for g in opt.param_groups]]
    for i in range(spec["steps"]):
        if "metrics" in spec:
            s.step(spec["metrics"][i])
        elif "epochs" in spec:
            s.step(spec["epochs"][i])
        else:
            s.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([momentum_of(g) for g in opt.param_groups])
    return np.array(lrs, dtype=np.float64), np.array(moms, dtype=np.float64), s


def group_dicts(spec):
    """The param-group hyperparameters of a case (lr and momentum or betas)."""
    out = []
    for i, lr in enumerate(spec["lrs"]):
        g = {"lr": lr}
        if spec["opt"] == "adam":
            g["betas"] = (0.9, 0.999)
        else:
            g["momentum"] = 0.9
        if "initial_lr" in spec:
            g["initial_lr"] = spec["initial_lr"][i]
        out.append(g)
    return out


def torch_optimizer(spec):
    import torch
    groups = []
    for g in group_dicts(spec):
        groups.append(dict(g, params=[torch.zeros(2, dtype=torch.float64, requires_grad=True)]))
    if spec["opt"] == "adam":
        return torch.optim.Adam(groups, lr=1e-3)
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


# ----------------------------------------------------------------------------- init (deterministic)

GAINS = [["linear", None], ["conv1d", None], ["conv2d", None], ["conv3d", None],
         ["conv_transpose1d", None], ["conv_transpose2d", None], ["conv_transpose3d", None],
         ["sigmoid", None], ["tanh", None], ["relu", None], ["relu", 0.3], ["selu", None],
         ["leaky_relu", None], ["leaky_relu", 0], ["leaky_relu", 0.2], ["leaky_relu", 3],
         ["leaky_relu", -0.5], ["tanh", 7]]
FAN_SHAPES = [(3, 5), (5, 3), (16, 3, 5), (16, 3, 5, 5), (8, 4, 3, 2, 2), (1, 1), (0, 4),
              (4, 0, 3), (7, 2, 1, 1, 1, 1)]
EYE_SHAPES = [(3, 3), (2, 5), (5, 2), (1, 1), (4, 7)]
DIRAC_CASES = [((4, 4, 3), 1), ((6, 3, 5), 2), ((6, 4, 4), 3), ((4, 6, 3, 3), 1),
               ((8, 3, 2, 4), 2), ((4, 2, 3, 3, 3), 2), ((3, 5, 1, 2, 4), 1), ((2, 7, 4), 2)]


def init_golden(torch):
    """torch.nn.init's deterministic results: the gain table, fans, eye_ and dirac_."""
    from torch.nn import init
    out = {}
    out["init/gain/cases"] = np.array(json.dumps(GAINS))
    out["init/gain/values"] = np.array([float(init.calculate_gain(n, p)) for n, p in GAINS])
    fans = [init._calculate_fan_in_and_fan_out(torch.empty(s)) for s in FAN_SHAPES]
    out["init/fan/shapes"] = np.array(json.dumps(FAN_SHAPES))
    out["init/fan/values"] = np.array(fans, dtype=np.int64)
    for s in EYE_SHAPES:
        t = torch.full(s, 7.0, dtype=torch.float64)
        out["init/eye/" + "x".join(map(str, s))] = init.eye_(t).numpy()
    for s, g in DIRAC_CASES:
        t = torch.full(s, 7.0, dtype=torch.float64)
        out["init/dirac/" + "x".join(map(str, s)) + f"_g{g}"] = init.dirac_(t, groups=g).numpy()
    return out


def main():
    import warnings

    import torch
    from torch.optim import lr_scheduler as tsched
    arrays = {}
    for key, spec in cases():
        opt = torch_optimizer(spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lr, mom, _ = run(tsched, opt, spec)
        arrays[f"{key}/spec"] = np.array(json.dumps(spec))
        arrays[f"{key}/lr"] = lr
        if cycles_momentum(spec["sched"]):
            arrays[f"{key}/mom"] = mom
    arrays.update(init_golden(torch))
    arrays["meta/torch_version"] = np.array(torch.__version__)
    arrays["meta/date"] = np.array(datetime.datetime.now(datetime.timezone.utc).isoformat())
    arrays["meta/dtype"] = np.array("float64 (Python floats)")
    arrays["meta/seed"] = np.array(SEED)
    arrays["meta/script"] = np.array("tests/gen_golden_sched.py")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT}: {sum(1 for k in arrays if k.endswith('/lr'))} cases")


if __name__ == "__main__":
    main()
