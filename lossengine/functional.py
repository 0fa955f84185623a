"""All loss and activation functions (also importable from ``lossengine``)."""
from ._lse import (cross_entropy, log_softmax, logsumexp, nll_loss, softmax,  # noqa: F401
                   softmin)
from ._margin import (cosine_embedding_loss, cosine_similarity,  # noqa: F401
                      hinge_embedding_loss, margin_ranking_loss, multi_margin_loss,
                      multilabel_margin_loss, pairwise_distance, triplet_margin_loss,
                      triplet_margin_with_distance_loss)
from ._pointwise import (gaussian_nll_loss, huber_loss, kl_div, l1_loss, mse_loss,  # noqa: F401
                         poisson_nll_loss, smooth_l1_loss)
from ._activations import (elu, hardtanh, leaky_relu, log_sigmoid, prelu, relu,  # noqa: F401
                           relu6, sigmoid, softplus, softshrink, softsign, tanh, threshold)
from ._binary import (balanced_binary_cross_entropy, binary_cross_entropy,  # noqa: F401
                      binary_cross_entropy_with_logits, class_weights, dice_loss,
                      hard_example_mining, multilabel_soft_margin_loss,
                      ohem_binary_cross_entropy, sigmoid_focal_loss, soft_margin_loss,
                      softmax_focal_loss)
from ._ctc import ctc_loss  # noqa: F401
from ._linear_ce import linear_cross_entropy  # noqa: F401

__all__ = ["softmax", "log_softmax", "logsumexp", "softmin", "cross_entropy", "nll_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "multilabel_margin_loss",
           "cosine_embedding_loss", "multi_margin_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "pairwise_distance", "cosine_similarity",
           "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "poisson_nll_loss",
           "gaussian_nll_loss", "kl_div",
           "sigmoid", "log_sigmoid", "softplus", "relu", "relu6", "leaky_relu", "elu", "prelu",
           "threshold", "hardtanh", "tanh", "softshrink", "softsign",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "soft_margin_loss",
           "multilabel_soft_margin_loss", "sigmoid_focal_loss", "softmax_focal_loss",
           "balanced_binary_cross_entropy", "dice_loss", "ohem_binary_cross_entropy",
           "hard_example_mining", "class_weights",
           "ctc_loss", "linear_cross_entropy"]
