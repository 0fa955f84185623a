"""Kernel codes shared with csrc/optim.h (LE_OPT_* and LE_OPTF_*)."""
SGD, ADAM, ADAMAX, NADAM, RADAM, RMSPROP, ADAGRAD, ADADELTA, ASGD, RPROP, AXPY, COPY = range(12)

F_MAXIMIZE = 1
F_WD = 2
F_AMSGRAD = 4
F_NESTEROV = 8
F_FRESH = 16
F_RECT = 32
F_MU_ONE = 64


def check_nonneg(value, message):
    """ValueError(message) unless 0 <= value (torch's check, NaN rejected)."""
    if not 0.0 <= value:
        raise ValueError(message)


def check_betas(betas):
    try:
        b0, b1 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair of floats, got {betas!r}") from None
    if not 0.0 <= b0 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {b0}")
    if not 0.0 <= b1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {b1}")
    return float(b0), float(b1)
