"""Typed use of the public API, checked by mypy (tests/test_typing.py).

Not collected by pytest (no test_ prefix); it also runs as a script.  Each
``reveal``-free assignment below states the type the API promises.
"""
from __future__ import annotations

from typing import Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

import lossengine as le
from lossengine._typing import BuildInfo, FloatArray, OutputCacheInfo, Output


def functions() -> float:
    x = np.zeros((4, 3), np.float32)
    t = np.array([0, 1, 2, 1])
    loss: Output = le.cross_entropy(x, t, label_smoothing=0.1)
    loss2, g = le.cross_entropy(x, t, reduction="sum", grad=True)
    gx: FloatArray = g
    shape: Tuple[int, ...] = gx.shape
    buf = np.empty_like(x)
    _, g2 = le.cross_entropy(x, t, axis=-1, grad=True, grad_out=buf)
    per_row = le.cross_entropy(x, t, reduction="none")
    y = le.softmax(x, axis=-1)
    ys, gs = le.log_softmax(x, dim=1, grad=True, grad_output=np.ones_like(x))
    lse = le.logsumexp(x, keepdim=True)

    # several predictions: a tuple of gradients, None for a Python scalar
    m, (g1, g2b) = le.margin_ranking_loss(x[:, 0], x[:, 1], np.ones(4), margin=0.5, grad=True)
    first: Optional[FloatArray] = g1
    tl, (ga, gp, gn) = le.triplet_margin_loss(x, x + 1, x - 1, swap=True, grad=True)
    d = le.triplet_margin_with_distance_loss(x, x, x, distance_function="cosine")
    d2 = le.triplet_margin_with_distance_loss(x, x, x, distance_function=le.pairwise_distance)
    pdist, (p1, p2) = le.pairwise_distance(x, x + 1, p=1.0, grad=True)
    gl, (gin, gvar) = le.gaussian_nll_loss(x, x, 1.0, grad=True)
    no_var_grad: Optional[FloatArray] = gvar
    yp, (gpx, gpw) = le.prelu(x, np.array([0.25]), grad=True)
    weight_grad: FloatArray = gpw

    # activations and pointwise losses
    r = le.relu(x)
    s, gsig = le.sigmoid([0.0, 1.0], grad=True)
    sp = le.softplus(x, 2.0, 10.0)
    th = le.threshold(x, 0.1, 0.0)
    kl = le.kl_div(np.log(np.full((2, 2), 0.5)), np.full((2, 2), 0.5), reduction="batchmean")
    mse, gm = le.mse_loss(x, np.ones_like(x), weight=np.ones_like(x), grad=True)

    # out=: the result written into a preallocated array (any layout)
    ro = le.relu(x, out=x)
    po, gpo = le.sigmoid(x, grad=True, out=np.empty_like(x), grad_out=np.empty_like(x))
    per_row2 = le.cross_entropy(x, t, reduction="none", out=np.empty(4, np.float32))
    sm = le.softmax(x, axis=-1, out=np.empty((3, 4), np.float32).T)
    dist = le.pairwise_distance(x, x + 1, out=np.empty(4, np.float32))

    # binary family and the imbalance tools
    bce = le.binary_cross_entropy_with_logits(x, np.zeros_like(x), pos_weight=np.ones(3))
    ohem, go = le.ohem_binary_cross_entropy(np.full(5, 0.5), np.ones(5), grad=True)
    keep: npt.NDArray[np.bool_] = le.hard_example_mining(np.arange(5.0), k=2)
    w: npt.NDArray[np.float64] = le.class_weights(t, 3, scheme="inverse")
    fl = le.softmax_focal_loss(x, t, gamma=2.0, alpha=0.25, weight=w)
    dice = le.dice_loss(np.full((2, 3), 0.5), np.ones((2, 3)), from_logits=False)

    # CTC
    lp = le.log_softmax(np.zeros((5, 2, 4)), axis=-1)
    ctc, gc = le.ctc_loss(lp, [[1, 2], [3, 0]], [5, 5], [2, 1], grad=True, grad_wrt="logits")

    # grad only known at run time: a union the caller narrows
    flag = bool(len(t))
    res: Union[Output, Tuple[Output, FloatArray]] = le.mse_loss(x, x, grad=flag)
    if isinstance(res, tuple):
        res = res[0]

    total = float(loss) + float(loss2) + float(np.sum(per_row)) + float(np.sum(y))
    total += float(np.sum(ys)) + float(np.sum(gs)) + float(np.sum(lse)) + float(m) + float(tl)
    total += float(np.sum(d)) + float(np.sum(d2)) + float(np.sum(pdist)) + float(gl)
    total += float(np.sum(yp)) + float(np.sum(r)) + float(np.sum(s)) + float(np.sum(sp))
    total += float(np.sum(th)) + float(kl) + float(mse) + float(bce) + float(ohem)
    total += float(np.sum(keep)) + float(fl) + float(dice) + float(ctc) + float(np.sum(res))
    for arr in (g2, gsig, gm, go, gc, gin, gpx):
        total += float(np.sum(arr))
    for opt in (ga, gp, gn, p1, p2):
        if opt is not None:
            total += float(np.sum(opt))
    if first is not None and no_var_grad is None:
        total += float(np.sum(first)) + float(np.sum(weight_grad)) + len(shape)
    if g2b is not None:
        total += float(np.sum(g2b))
    return total


def criteria() -> float:
    x = np.zeros((4, 3), np.float32)
    t = np.array([0, 1, 2, 1])
    ce = le.nn.CrossEntropyLoss(weight=np.ones(3), ignore_index=-1, reduction="sum",
                                label_smoothing=0.05)
    ce.label_smoothing = 0.1
    loss: Output = ce(x, t)
    loss2, g = ce.forward_backward(x, t, grad_out=np.empty_like(x))
    g_again: FloatArray = ce.backward(2.0)
    trip = le.nn.TripletMarginLoss(margin=0.5, swap=True)
    tl, (ga, gp, gn) = trip.forward_backward(x, x + 1, x - 1)
    ctc = le.nn.CTCLoss(blank=0, zero_infinity=True)
    lp = le.log_softmax(np.zeros((5, 2, 4)), axis=-1)
    cl = ctc.forward(lp, [[1, 2], [3, 0]], [5, 5], [2, 1])
    ohem = le.nn.OHEMBCELoss(negative_ratio=2.0)
    ol = ohem(np.full(5, 0.5), np.ones(5), np.ones(5, bool))
    gn_loss = le.nn.GaussianNLLLoss(full=True)(x, x, np.ones_like(x))
    total = float(loss) + float(loss2) + float(np.sum(g)) + float(np.sum(g_again)) + float(tl)
    total += float(cl) + float(ol) + float(gn_loss)
    for gi in (ga, gp, gn):
        if gi is not None:
            total += float(np.sum(gi))
    return total


def runtime() -> int:
    old: int = le.get_num_threads()
    le.set_num_threads(1)
    le.set_num_threads(old)
    name: str = le.isa()
    best: str = le.best_isa()
    info: BuildInfo = le.build_info()
    openmp: bool = info["openmp"]
    cache: OutputCacheInfo = le.get_output_cache()
    le.set_output_cache(cache["limit"])
    le.empty_output_cache()
    return old + len(name) + len(best) + int(openmp) + cache["hits"]


if __name__ == "__main__":
    print(functions(), criteria(), runtime())
