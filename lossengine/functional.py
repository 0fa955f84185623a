"""All loss and activation functions (also importable from ``lossengine``)."""
from ._lse import (cross_entropy, log_softmax, logsumexp, nll_loss, softmax,  # noqa: F401
                   softmin)
from ._margin import (cosine_embedding_loss, cosine_similarity,  # noqa: F401
                      hinge_embedding_loss, margin_ranking_loss, multi_margin_loss,
                      multilabel_margin_loss, pairwise_distance, triplet_margin_loss,
                      triplet_margin_with_distance_loss)

__all__ = ["softmax", "log_softmax", "logsumexp", "softmin", "cross_entropy", "nll_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "multilabel_margin_loss",
           "cosine_embedding_loss", "multi_margin_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "pairwise_distance", "cosine_similarity"]
