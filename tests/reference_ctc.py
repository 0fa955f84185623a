"""Float64 references for ctc_loss, from the definitions.

- `ctc_loss`: the forward (alpha) recursion of Graves et al. (2006) in log
  space over the interleaved extended label sequence (b, l1, b, ..., lS, b).
- `ctc_brute_force`: sums the probability of every alignment (all C**T paths)
  whose collapse (merge repeats, drop blanks) is the target; tiny T only.
- `ctc_posterior_brute_force`: the gradient with respect to log_probs by the
  same enumeration (-E[count of class c at step t | target]).
"""
import itertools

import numpy as np

from reference import ref, reduce


def _split_targets(targets, target_lengths, N):
    t = np.asarray(targets)
    tl = [int(v) for v in np.atleast_1d(np.asarray(target_lengths))]
    if t.ndim == 2:
        return [t[n, :tl[n]].astype(np.int64) for n in range(N)]
    offs = np.concatenate([[0], np.cumsum(tl)])
    return [t[offs[n]:offs[n + 1]].astype(np.int64) for n in range(N)]


def _nll_one(lp, lab, blank):
    """-log p(lab | lp) for one sequence lp (T, C) by the alpha recursion."""
    T = lp.shape[0]
    ext = np.full(2 * len(lab) + 1, blank, dtype=np.int64)
    ext[1::2] = lab
    L = len(ext)
    if T == 0:
        return 0.0 if len(lab) == 0 else np.inf
    alpha = np.full(L, -np.inf)
    alpha[0] = lp[0, blank]
    if L > 1:
        alpha[1] = lp[0, ext[1]]
    skip = np.zeros(L, dtype=bool)
    skip[3::2] = ext[3::2] != ext[1:-2:2]
    for t in range(1, T):
        a1 = np.full(L, -np.inf)
        a1[1:] = alpha[:-1]
        a2 = np.full(L, -np.inf)
        a2[2:] = alpha[:-2]
        a2 = np.where(skip, a2, -np.inf)
        with np.errstate(invalid="ignore"):
            alpha = np.logaddexp(np.logaddexp(alpha, a1), a2) + lp[t, ext]
    tail = alpha[-2:] if L > 1 else alpha[-1:]
    return -np.logaddexp.reduce(tail)


def _batch(log_probs, targets, input_lengths, target_lengths):
    lp = np.asarray(log_probs, np.float64)
    unbatched = lp.ndim == 2
    if unbatched:
        lp = lp[:, None, :]
        targets = np.asarray(targets).reshape(1, -1)
    N = lp.shape[1]
    il = [int(v) for v in np.atleast_1d(np.asarray(input_lengths))]
    labs = _split_targets(targets, target_lengths, N)
    return lp, unbatched, N, il, labs


@ref("ctc_loss")
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False, grad_wrt="log_probs"):
    lp, unbatched, N, il, labs = _batch(log_probs, targets, input_lengths, target_lengths)
    losses = np.array([_nll_one(lp[:il[n], n, :], labs[n], blank) for n in range(N)])
    if zero_infinity:
        losses = np.where(losses == np.inf, 0.0, losses)
    if reduction == "mean":
        return (losses / np.maximum([len(x) for x in labs], 1)).mean() if N else np.nan
    out = reduce(losses, reduction)
    return out[0] if unbatched and reduction == "none" else out


def _collapse(path, blank):
    out = []
    prev = None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return tuple(out)


def ctc_brute_force(lp, lab, blank=0):
    """-log of the summed probability of every path of lp (T, C) collapsing to lab."""
    T, C = lp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        if _collapse(path, blank) == tuple(lab):
            total += np.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


def ctc_posterior_brute_force(lp, lab, blank=0):
    """d loss / d lp for one sequence: -(expected count of class c at t over the
    valid paths, weighted by path probability) / total."""
    T, C = lp.shape
    total = 0.0
    acc = np.zeros((T, C))
    for path in itertools.product(range(C), repeat=T):
        if _collapse(path, blank) == tuple(lab):
            p = np.exp(sum(lp[t, c] for t, c in enumerate(path)))
            total += p
            for t, c in enumerate(path):
                acc[t, c] += p
    return -acc / total
