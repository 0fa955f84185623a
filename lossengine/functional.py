"""All loss and activation functions (also importable from ``lossengine``)."""
from ._lse import (cross_entropy, log_softmax, logsumexp, nll_loss, softmax,  # noqa: F401
                   softmin)

__all__ = ["softmax", "log_softmax", "logsumexp", "softmin", "cross_entropy", "nll_loss"]
from ._ctc import ctc_loss  # noqa: F401,E402

__all__ += ["ctc_loss"]
