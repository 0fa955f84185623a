"""Writes tests/data/golden_margin.npz: values and gradients of torch 2.13 for the
margin / embedding losses and the distances.

    python tests/gen_golden_margin.py

Inputs are drawn from a seeded generator and stored beside the results. For a
float32 case the inputs are float32 and the expected values are torch's
float64 evaluation on those same inputs (the accuracy contract of SPEC §2).
Each case stores: ``<key>/in<i>`` inputs, ``<key>/out`` the loss, ``<key>/g<i>``
the gradients of the predictions (``sum(grad_output * loss)`` for 'none', with
``<key>/go`` stored), ``<key>/call`` a JSON description of the call.  Provenance
in ``meta/*``.  No pickles: strings are stored as unicode arrays.
"""
import datetime
import json
import os

import numpy as np

SEED = 20261124
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "golden_margin.npz")


def _pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def cases(rng):
    """(key, function name, number of predictions, inputs, kwargs) — kwargs are
    JSON-able; a distance function is named ('le.cosine_similarity', ...)."""
    out = []
    for dt in ("float32", "float64"):
        x = rng.standard_normal((5, 4))
        y = rng.standard_normal((5, 4))
        z = rng.standard_normal((5, 4))
        for red in ("none", "mean", "sum"):
            out.append((f"mr_{dt}_{red}", "margin_ranking_loss", 2,
                        [x, y, _pm1(rng, (5, 4))], {"margin": 0.3, "reduction": red}, dt))
            out.append((f"mr_bcast_{dt}_{red}", "margin_ranking_loss", 2,
                        [x, y[:1], _pm1(rng, (5, 4))], {"reduction": red}, dt))
            t = rng.choice(np.array([-1.0, 1.0, 0.0, 2.0]), size=(5, 4))
            out.append((f"he_{dt}_{red}", "hinge_embedding_loss", 1, [x * 2, t],
                        {"margin": 0.8, "reduction": red}, dt))
            ti = rng.integers(0, 4, size=5)
            for p in (1, 2):
                out.append((f"mm_p{p}_{dt}_{red}", "multi_margin_loss", 1, [x, ti],
                            {"p": p, "reduction": red}, dt))
            out.append((f"mm_w_{dt}_{red}", "multi_margin_loss", 1, [x, ti],
                        {"p": 2, "margin": 0.6, "weight": [0.5, 1.0, 1.5, 2.0],
                         "reduction": red}, dt))
            tl = np.array([[0, 2, -1, 1], [3, -1, -1, -1], [1, 1, 0, -1], [-1, 0, 0, 0],
                           [0, 1, 2, 3]])
            out.append((f"mlm_{dt}_{red}", "multilabel_margin_loss", 1, [x, tl],
                        {"reduction": red}, dt))
            ct = np.array([1.0, -1.0, -1.0, 0.0, 1.0])
            out.append((f"ce_{dt}_{red}", "cosine_embedding_loss", 2, [x, y, ct],
                        {"margin": 0.1, "reduction": red}, dt))
            for p, swap in ((2.0, False), (2.0, True), (1.0, True), (3.0, False)):
                out.append((f"tm_p{p}_s{int(swap)}_{dt}_{red}", "triplet_margin_loss", 3,
                            [x, y, z], {"margin": 1.5, "p": p, "swap": swap,
                                        "reduction": red}, dt))
            for dn in ("None", "manhattan", "cosine", "le.cosine_similarity",
                       "le.pairwise_distance"):
                out.append((f"twd_{dn}_{dt}_{red}", "triplet_margin_with_distance_loss", 3,
                            [x, y, z], {"distance_function": dn, "swap": True,
                                        "margin": 1.2, "reduction": red}, dt))
        for p in (2.0, 1.0, 3.0, float("inf")):
            out.append((f"pd_p{p}_{dt}", "pairwise_distance", 2, [x, y], {"p": p}, dt))
        out.append((f"pd_keepdim_{dt}", "pairwise_distance", 2, [x, y[:1]],
                    {"keepdim": True}, dt))
        out.append((f"cs_{dt}", "cosine_similarity", 2, [x, y], {}, dt))
        x3 = rng.standard_normal((2, 3, 4))
        x3[0, :, 0] = 1e-9     # a norm below eps: the clamped branch
        out.append((f"cs3_{dt}", "cosine_similarity", 2, [x3, rng.standard_normal((1, 3, 4))],
                    {"axis": 1}, dt))
    return out


def _torch_call(torch, F, name, args, kw):
    kw = dict(kw)
    if name == "triplet_margin_with_distance_loss":
        dn = kw.pop("distance_function")
        fn = {"None": None, "manhattan": lambda a, b: F.pairwise_distance(a, b, p=1.0),
              "cosine": lambda a, b: 1 - F.cosine_similarity(a, b),
              "le.cosine_similarity": F.cosine_similarity,
              "le.pairwise_distance": F.pairwise_distance}[dn]
        kw["distance_function"] = fn
    if name == "multi_margin_loss" and "weight" in kw:
        kw["weight"] = torch.tensor(kw["weight"], dtype=torch.float64)
    if name == "cosine_similarity" and "axis" in kw:
        kw["dim"] = kw.pop("axis")
    return getattr(F, name)(*args, **kw)


def main():
    import torch
    import torch.nn.functional as F
    rng = np.random.default_rng(SEED)
    data = {"meta/torch_version": np.array(torch.__version__),
            "meta/numpy_version": np.array(np.__version__),
            "meta/date": np.array(datetime.datetime.now(datetime.timezone.utc).isoformat()),
            "meta/seed": np.array(SEED),
            "meta/note": np.array("float32 cases: float32 inputs, torch float64 results")}
    keys = []
    for key, name, npred, args, kw, dt in cases(rng):
        ins = [np.asarray(a).astype(dt) if (i < npred or np.asarray(a).dtype.kind == "f")
               else np.asarray(a) for i, a in enumerate(args)]
        ts = [torch.from_numpy(np.asarray(a, np.float64) if a.dtype.kind == "f" else a)
              for a in ins]
        for t in ts[:npred]:
            t.requires_grad_(True)
        out = _torch_call(torch, F, name, ts, kw)
        go = None
        if out.ndim > 0:
            go = rng.standard_normal(tuple(out.shape))
            out.backward(torch.from_numpy(go))
        else:
            out.backward()
        for i, a in enumerate(ins):
            data[f"{key}/in{i}"] = a
        data[f"{key}/out"] = out.detach().numpy()
        if go is not None:
            data[f"{key}/go"] = go
        for i, t in enumerate(ts[:npred]):
            g = t.grad
            data[f"{key}/g{i}"] = np.zeros(t.shape) if g is None else g.numpy()
        data[f"{key}/call"] = np.array(json.dumps({"name": name, "npred": npred, "kw": kw,
                                                   "dtype": dt, "nin": len(ins)}))
        keys.append(key)
    data["meta/keys"] = np.array(keys)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **data)
    print(f"wrote {len(keys)} cases to {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
