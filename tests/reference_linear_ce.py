"""Float64 reference of the fused linear + cross-entropy: the logits in full,
then the cross-entropy reference."""
import numpy as np

from reference import cross_entropy, ref


@ref("linear_cross_entropy")
def linear_cross_entropy(x, w, target, bias=None, ignore_index=-100, reduction="mean",
                         label_smoothing=0.0, tile=None):
    x = np.asarray(x, np.float64)
    logits = x @ np.asarray(w, np.float64).T
    if bias is not None:
        logits = logits + np.asarray(bias, np.float64)
    lead = x.shape[:-1]
    V = logits.shape[-1]
    t = np.asarray(target).reshape(-1)
    out = cross_entropy(logits.reshape(-1, V), t, ignore_index=ignore_index,
                        reduction=reduction, label_smoothing=label_smoothing)
    return out.reshape(lead) if reduction == "none" else out
