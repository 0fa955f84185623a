"""All loss and activation functions (also importable from ``lossengine``)."""
from ._lse import (cross_entropy, log_softmax, logsumexp, nll_loss, softmax,  # noqa: F401
                   softmin)

from ._binary import (balanced_binary_cross_entropy, binary_cross_entropy,  # noqa: F401
                      binary_cross_entropy_with_logits, class_weights, dice_loss,
                      hard_example_mining, multilabel_soft_margin_loss,
                      ohem_binary_cross_entropy, sigmoid_focal_loss, soft_margin_loss,
                      softmax_focal_loss)

__all__ = ["softmax", "log_softmax", "logsumexp", "softmin", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "soft_margin_loss",
           "multilabel_soft_margin_loss", "sigmoid_focal_loss", "softmax_focal_loss",
           "balanced_binary_cross_entropy", "dice_loss", "ohem_binary_cross_entropy",
           "hard_example_mining", "class_weights"]
