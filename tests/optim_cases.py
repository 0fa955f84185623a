"""Optimizer test cases shared by tests/gen_golden_optim.py and tests/test_optim*.py.

A case is (name, optimizer class name, constructor kwargs, group-1 overrides).
Inputs are regenerated from a seed with NumPy, so the golden file only holds
the final parameters.  Three parameters in two groups: group 0 holds a (3, 4)
and a (5,) array, group 1 a (2, 3) array; the (5,) array gets no gradient
every 7th step (None).
"""
import numpy as np

N_STEPS = 100
SHAPES = [(3, 4), (5,), (2, 3)]

CASES = [
    ("sgd_plain", "SGD", dict(lr=0.05), dict(lr=0.02)),
    ("sgd_mom", "SGD", dict(lr=0.05, momentum=0.9), dict(lr=0.01)),
    ("sgd_nesterov", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True), dict(momentum=0.5)),
    ("sgd_damp_wd", "SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
     dict(weight_decay=0.1)),
    ("sgd_max", "SGD", dict(lr=0.03, momentum=0.5, weight_decay=0.1, maximize=True),
     dict(lr=0.01)),
    ("adam", "Adam", dict(lr=0.01), dict(lr=0.005)),
    ("adam_ams", "Adam", dict(lr=0.01, amsgrad=True), dict(lr=0.02)),
    ("adam_wd", "Adam", dict(lr=0.01, weight_decay=0.05), dict(weight_decay=0.0)),
    ("adam_max_ams_wd", "Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01, maximize=True),
     dict(amsgrad=False)),
    ("adam_betas", "Adam", dict(lr=0.01, betas=(0.3, 0.9)), dict(betas=(0.6, 0.95))),
    ("adamw", "AdamW", dict(lr=0.01), dict(lr=0.005)),
    ("adamw_ams_wd", "AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1), dict(weight_decay=0.0)),
    ("adamw_max", "AdamW", dict(lr=0.01, maximize=True), dict(lr=0.003)),
    ("adamax", "Adamax", dict(lr=0.01), dict(lr=0.005)),
    ("adamax_wd", "Adamax", dict(lr=0.01, weight_decay=0.05), dict(weight_decay=0.0)),
    ("adamax_max", "Adamax", dict(lr=0.01, maximize=True, betas=(0.3, 0.8)), dict(lr=0.02)),
    ("nadam", "NAdam", dict(lr=0.01), dict(lr=0.005)),
    ("nadam_wd", "NAdam", dict(lr=0.01, weight_decay=0.05), dict(lr=0.02)),
    ("nadam_dwd", "NAdam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True),
     dict(weight_decay=0.2)),
    ("nadam_max", "NAdam", dict(lr=0.01, maximize=True, momentum_decay=0.01), dict(lr=0.002)),
    ("radam", "RAdam", dict(lr=0.01), dict(lr=0.005)),
    ("radam_wd", "RAdam", dict(lr=0.01, weight_decay=0.05), dict(lr=0.02)),
    ("radam_dwd", "RAdam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True),
     dict(weight_decay=0.0)),
    ("radam_b2", "RAdam", dict(lr=0.01, betas=(0.9, 0.9), maximize=True), dict(lr=0.003)),
    ("rmsprop", "RMSprop", dict(lr=0.01), dict(lr=0.005)),
    ("rmsprop_centered", "RMSprop", dict(lr=0.01, centered=True), dict(lr=0.02)),
    ("rmsprop_mom", "RMSprop", dict(lr=0.01, momentum=0.9), dict(momentum=0.0)),
    ("rmsprop_all", "RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.01),
     dict(centered=False)),
    ("rmsprop_max", "RMSprop", dict(lr=0.01, alpha=0.3, maximize=True), dict(lr=0.002)),
    ("adagrad", "Adagrad", dict(lr=0.05), dict(lr=0.01)),
    ("adagrad_decay_wd", "Adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=0.01),
     dict(lr_decay=0.0)),
    ("adagrad_init", "Adagrad", dict(lr=0.05, initial_accumulator_value=0.1, eps=1e-6),
     dict(lr=0.02)),
    ("adagrad_max", "Adagrad", dict(lr=0.05, maximize=True), dict(lr=0.1)),
    ("adadelta", "Adadelta", dict(lr=1.0), dict(lr=0.5)),
    ("adadelta_rho_wd", "Adadelta", dict(lr=1.0, rho=0.5, weight_decay=0.01), dict(rho=0.95)),
    ("adadelta_max", "Adadelta", dict(lr=0.5, maximize=True), dict(lr=2.0)),
    ("asgd", "ASGD", dict(lr=0.01), dict(lr=0.005)),
    ("asgd_t0", "ASGD", dict(lr=0.01, t0=10, lambd=1e-3), dict(lr=0.02)),
    ("asgd_wd", "ASGD", dict(lr=0.01, weight_decay=0.01, alpha=0.5, t0=50), dict(t0=20)),
    ("asgd_max", "ASGD", dict(lr=0.01, maximize=True, t0=0), dict(lambd=0.01)),
    ("rprop", "Rprop", dict(lr=0.01), dict(lr=0.005)),
    ("rprop_etas", "Rprop", dict(lr=0.01, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05)),
     dict(step_sizes=(1e-4, 0.2))),
    ("rprop_max", "Rprop", dict(lr=0.01, maximize=True), dict(lr=0.02)),
]


def inputs(case_index, dtype):
    """Initial parameters and the gradient sequence (None entries included),
    rounded to `dtype` (float32 inputs are what torch float64 then runs on)."""
    rng = np.random.default_rng(1000 + case_index)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = []
    for t in range(N_STEPS):
        step = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        if t % 7 == 3:
            step[1] = None
        if t % 10 == 5:  # exact zeros exercise Rprop's sign logic
            step[0][0, :2] = 0
        grads.append(step)
    return params, grads


def groups_of(params, overrides):
    return [{"params": params[:2]}, dict({"params": params[2:]}, **overrides)]


# SparseAdam: a (6, 3) embedding and a (4,) vector; each step 4 row indices
# with duplicates.
SPARSE_SHAPES = [(6, 3), (4,)]
SPARSE_CASES = [
    ("sparse_adam", dict(lr=0.01), dict(lr=0.005)),
    ("sparse_adam_max", dict(lr=0.01, maximize=True, betas=(0.5, 0.9)), dict(lr=0.02)),
]


def sparse_inputs(case_index, dtype):
    rng = np.random.default_rng(2000 + case_index)
    params = [rng.standard_normal(s).astype(dtype) for s in SPARSE_SHAPES]
    grads = []
    for t in range(N_STEPS):
        step = []
        for s in SPARSE_SHAPES:
            idx = rng.integers(0, s[0], size=4)
            idx[3] = idx[0]
            vals = rng.standard_normal((4,) + s[1:]).astype(dtype)
            step.append((idx, vals))
        if t % 9 == 4:
            step[1] = None
        grads.append(step)
    return params, grads


def rosenbrock(x):
    """Loss and gradient of the 2-D-block Rosenbrock function at flat x."""
    a, b = x[:-1], x[1:]
    f = float(np.sum(100.0 * (b - a * a) ** 2 + (1 - a) ** 2))
    g = np.zeros_like(x)
    g[:-1] += -400.0 * a * (b - a * a) - 2 * (1 - a)
    g[1:] += 200.0 * (b - a * a)
    return f, g


LBFGS_CASES = [
    ("lbfgs_plain", dict(lr=0.1, max_iter=10, history_size=5)),
    ("lbfgs_wolfe", dict(lr=1, max_iter=20, line_search_fn="strong_wolfe")),
]
LBFGS_STEPS = 5
LBFGS_X0 = np.array([-1.2, 1.0, -0.5, 0.8, 1.5])
