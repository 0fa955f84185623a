"""Write tests/data/golden_optim.npz: torch 2.13 optimizer results.

For every case of tests/optim_cases.py, torch.optim (foreach=False, the
single-tensor path) runs N_STEPS steps on the seeded inputs; the final
parameters are stored:
  <case>/f64/<i>: torch float64 on float64 inputs;
  <case>/f32/<i>: torch float64 on the float32-rounded inputs (what lossengine
                  float32 is compared with).
torch's default dtype is set to float64, so the scalar state torch keeps in
its default dtype (NAdam mu_product, ASGD eta / mu) is double, as lossengine
keeps it.  Run: python tests/gen_golden_optim.py
"""
import datetime
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import optim_cases as oc  # noqa: E402

import contextlib  # noqa: E402


@contextlib.contextmanager
def _default_float64():
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(prev)


OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "golden_optim.npz")


def run_torch(cls_name, kwargs, overrides, params, grads):
    """Final parameters (float64 arrays) of torch.optim.<cls_name>."""
    with _default_float64():
        return _run_torch(cls_name, kwargs, overrides, params, grads)


def _run_torch(cls_name, kwargs, overrides, params, grads):
    ps = [torch.tensor(np.asarray(p, np.float64)) for p in params]
    groups = [{"params": ps[:2]}, dict({"params": ps[2:]}, **overrides)]
    extra = {} if cls_name in ("LBFGS", "SparseAdam") else {"foreach": False}
    opt = getattr(torch.optim, cls_name)(groups, **kwargs, **extra)
    for step in grads:
        for p, g in zip(ps, step):
            p.grad = None if g is None else torch.tensor(np.asarray(g, np.float64))
        opt.step()
    return [p.detach().numpy().copy() for p in ps]


def run_torch_sparse(kwargs, overrides, params, grads):
    with _default_float64():
        return _run_torch_sparse(kwargs, overrides, params, grads)


def _run_torch_sparse(kwargs, overrides, params, grads):
    ps = [torch.tensor(np.asarray(p, np.float64)) for p in params]
    groups = [{"params": ps[:1]}, dict({"params": ps[1:]}, **overrides)]
    opt = torch.optim.SparseAdam(groups, **kwargs)
    for step in grads:
        for p, g in zip(ps, step):
            if g is None:
                p.grad = None
            else:
                idx, vals = g
                p.grad = torch.sparse_coo_tensor(torch.tensor(idx)[None],
                                                 torch.tensor(np.asarray(vals, np.float64)),
                                                 p.shape)
        opt.step()
    return [p.detach().numpy().copy() for p in ps]


def run_torch_lbfgs(kwargs, x0, n_steps):
    with _default_float64():
        return _run_torch_lbfgs(kwargs, x0, n_steps)


def _run_torch_lbfgs(kwargs, x0, n_steps):
    x = torch.tensor(x0.copy())
    opt = torch.optim.LBFGS([x], **kwargs)
    losses = []

    def closure():
        f, g = oc.rosenbrock(x.detach().numpy())
        x.grad = torch.tensor(g)
        return f

    for _ in range(n_steps):
        losses.append(opt.step(closure))
    return x.detach().numpy().copy(), np.array(losses)


def main():
    data = {"provenance": np.array(
        f"torch {torch.__version__}, numpy {np.__version__}, "
        f"{datetime.date.today().isoformat()}, foreach=False, default dtype float64; "
        f"{oc.N_STEPS} steps; f64: float64 inputs, f32: float32-rounded inputs run in float64")}
    for ci, (name, cls, kw, ov) in enumerate(oc.CASES):
        for tag, dt in (("f64", np.float64), ("f32", np.float32)):
            params, grads = oc.inputs(ci, dt)
            for i, r in enumerate(run_torch(cls, kw, ov, params, grads)):
                data[f"{name}/{tag}/{i}"] = r
    for ci, (name, kw, ov) in enumerate(oc.SPARSE_CASES):
        for tag, dt in (("f64", np.float64), ("f32", np.float32)):
            params, grads = oc.sparse_inputs(ci, dt)
            for i, r in enumerate(run_torch_sparse(kw, ov, params, grads)):
                data[f"{name}/{tag}/{i}"] = r
    for name, kw in oc.LBFGS_CASES:
        x, losses = run_torch_lbfgs(kw, oc.LBFGS_X0, oc.LBFGS_STEPS)
        data[f"{name}/f64/0"] = x
        data[f"{name}/f64/losses"] = losses
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT}: {len(data)} arrays")


if __name__ == "__main__":
    main()
