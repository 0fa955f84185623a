"""Plain NumPy float64 reference of the optimizer updates, written from the
algorithms' formulas (torch 2.13 documentation), one parameter at a time.

Used by tests/test_optim.py to check lossengine.optim without torch.
"""
import math

import numpy as np

DEFAULTS = {
    "SGD": dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                maximize=False),
    "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 maximize=False),
    "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                  maximize=False),
    "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False),
    "NAdam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                  decoupled_weight_decay=False, maximize=False),
    "RAdam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                  decoupled_weight_decay=False, maximize=False),
    "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                    maximize=False),
    "Adagrad": dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                    eps=1e-10, maximize=False),
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False),
    "ASGD": dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False),
    "Rprop": dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False),
}


def update(name, h, p, g, st):
    """One step of optimizer `name` with hyperparameters h on parameter p
    (float64, updated in place) with gradient g; st is the parameter's state."""
    g = -g if h["maximize"] else g.copy()
    wd = h.get("weight_decay", 0)
    decoupled = name == "AdamW" or h.get("decoupled_weight_decay", False)
    if wd and not decoupled:
        g = g + wd * p
    if name == "SGD":
        if h["momentum"]:
            if "buf" not in st:
                st["buf"] = g.copy()
            else:
                st["buf"] = h["momentum"] * st["buf"] + (1 - h["dampening"]) * g
            g = g + h["momentum"] * st["buf"] if h["nesterov"] else st["buf"]
        p -= h["lr"] * g
        return
    st["t"] = t = st.get("t", 0) + 1
    lr = h["lr"]
    if name in ("Adam", "AdamW", "Adamax", "NAdam", "RAdam"):
        b1, b2 = h["betas"]
        if decoupled and wd:
            p *= 1 - lr * wd
        m = st.setdefault("m", np.zeros_like(p))
        m[...] = b1 * m + (1 - b1) * g
        if name == "Adamax":
            u = st.setdefault("u", np.zeros_like(p))
            u[...] = np.maximum(b2 * u, np.abs(g) + h["eps"])
            p -= lr / (1 - b1 ** t) * m / u
            return
        v = st.setdefault("v", np.zeros_like(p))
        v[...] = b2 * v + (1 - b2) * g * g
        if name in ("Adam", "AdamW"):
            if h["amsgrad"]:
                vm = st.setdefault("vmax", np.zeros_like(p))
                vm[...] = np.maximum(vm, v)
                v = vm
            mhat = m / (1 - b1 ** t)
            vhat = v / (1 - b2 ** t)
            p -= lr * mhat / (np.sqrt(vhat) + h["eps"])
        elif name == "NAdam":
            md = h["momentum_decay"]
            mu = b1 * (1 - 0.5 * 0.96 ** (t * md))
            mu1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * md))
            st["mp"] = mp = st.get("mp", 1.0) * mu
            den = np.sqrt(v / (1 - b2 ** t)) + h["eps"]
            p -= lr * (1 - mu) / (1 - mp) * g / den + lr * mu1 / (1 - mp * mu1) * m / den
        else:
            mhat = m / (1 - b1 ** t)
            rho_inf = 2 / (1 - b2) - 1
            rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
            if rho > 5:
                r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                p -= lr * mhat * r * math.sqrt(1 - b2 ** t) / (np.sqrt(v) + h["eps"])
            else:
                p -= lr * mhat
    elif name == "RMSprop":
        a = h["alpha"]
        v = st.setdefault("v", np.zeros_like(p))
        v[...] = a * v + (1 - a) * g * g
        vv = v
        if h["centered"]:
            ga = st.setdefault("ga", np.zeros_like(p))
            ga[...] = a * ga + (1 - a) * g
            vv = v - ga * ga
        den = np.sqrt(vv) + h["eps"]
        if h["momentum"] > 0:
            b = st.setdefault("b", np.zeros_like(p))
            b[...] = h["momentum"] * b + g / den
            p -= lr * b
        else:
            p -= lr * g / den
    elif name == "Adagrad":
        s = st.setdefault("s", np.full_like(p, h["initial_accumulator_value"]))
        s += g * g
        p -= lr / (1 + (t - 1) * h["lr_decay"]) * g / (np.sqrt(s) + h["eps"])
    elif name == "Adadelta":
        rho, eps = h["rho"], h["eps"]
        v = st.setdefault("v", np.zeros_like(p))
        acc = st.setdefault("acc", np.zeros_like(p))
        v[...] = rho * v + (1 - rho) * g * g
        d = np.sqrt(acc + eps) / np.sqrt(v + eps) * g
        acc[...] = rho * acc + (1 - rho) * d * d
        p -= lr * d
    elif name == "ASGD":
        eta = st.get("eta", lr)
        mu = st.get("mu", 1.0)
        p *= 1 - h["lambd"] * eta
        p -= eta * g
        ax = st.setdefault("ax", np.zeros_like(p))
        ax[...] = p if mu == 1 else ax + mu * (p - ax)
        st["eta"] = lr / (1 + h["lambd"] * lr * t) ** h["alpha"]
        st["mu"] = 1 / max(1, t - h["t0"])
    elif name == "Rprop":
        em, ep = h["etas"]
        lo, hi = h["step_sizes"]
        prev = st.setdefault("prev", np.zeros_like(p))
        ss = st.setdefault("ss", np.full_like(p, lr))
        prod = g * prev
        f = np.where(prod > 0, ep, np.where(prod < 0, em, 1.0))
        ss[...] = np.clip(ss * f, lo, hi)
        g = np.where(prod < 0, 0.0, g)
        p -= np.sign(g) * ss
        prev[...] = g
    else:
        raise KeyError(name)


def run(name, kwargs, overrides, params, grads):
    """Final float64 parameters of `name` over the gradient sequence (groups as
    tests/optim_cases.groups_of builds them)."""
    ps = [np.array(p, np.float64) for p in params]
    h0 = dict(DEFAULTS[name], **kwargs)
    hs = [h0, h0, dict(h0, **overrides)]
    states = [{} for _ in ps]
    for step in grads:
        for p, g, h, st in zip(ps, step, hs, states):
            if g is not None:
                update(name, h, p, np.asarray(g, np.float64), st)
    return ps


def sparse_adam_run(kwargs, overrides, params, grads):
    ps = [np.array(p, np.float64) for p in params]
    h0 = dict(dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False), **kwargs)
    hs = [h0, dict(h0, **overrides)]
    states = [{"t": 0, "m": np.zeros_like(p), "v": np.zeros_like(p)} for p in ps]
    for step in grads:
        for p, g, h, st in zip(ps, step, hs, states):
            if g is None:
                continue
            idx, vals = g
            dense = np.zeros_like(p)
            np.add.at(dense, idx, np.asarray(vals, np.float64))
            if h["maximize"]:
                dense = -dense
            rows = np.unique(idx)
            b1, b2 = h["betas"]
            st["t"] += 1
            t = st["t"]
            m, v = st["m"], st["v"]
            m[rows] = b1 * m[rows] + (1 - b1) * dense[rows]
            v[rows] = b2 * v[rows] + (1 - b2) * dense[rows] ** 2
            step_size = h["lr"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            p[rows] -= step_size * m[rows] / (np.sqrt(v[rows]) + h["eps"])
    return ps
