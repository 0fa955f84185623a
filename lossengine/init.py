"""Parameter initialisation for NumPy arrays, after ``torch.nn.init``.

Every function fills a writeable float32 or float64 array **in place** and
returns that same array; any memory layout works (views are written through).
Deterministic functions (`constant_`, `ones_`, `zeros_`, `eye_`, `dirac_`,
`calculate_gain`, `fan_in_and_fan_out`) give exactly torch's result. Random
functions draw from the distribution torch draws from, with torch's bounds and
standard deviations, but from NumPy's random stream: every one takes a
keyword-only ``rng`` (a :class:`numpy.random.Generator`, an int seed, or None
for a fresh ``numpy.random.default_rng()``), and the same ``rng`` state gives
the same values. Samples are drawn in float64 and rounded to the array's dtype.

Where torch raises ``RuntimeError``/``ZeroDivisionError`` for a bad argument,
these functions raise ``ValueError`` naming the argument, before writing.
"""
import math
import numbers
import warnings

import numpy as np

__all__ = ["calculate_gain", "fan_in_and_fan_out", "uniform_", "normal_", "trunc_normal_",
           "constant_", "ones_", "zeros_", "eye_", "dirac_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_LINEAR = ("linear", "conv1d", "conv2d", "conv3d",
           "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


# ----------------------------------------------------------------------------- checks

def _check_tensor(tensor):
    if not isinstance(tensor, np.ndarray):
        raise TypeError(f"tensor must be a numpy.ndarray, got {type(tensor).__name__}")
    if tensor.dtype not in _FLOATS:
        raise TypeError(f"tensor must have dtype float32 or float64, got {tensor.dtype}")
    if not tensor.flags.writeable:
        raise ValueError("tensor must be writeable (it is filled in place)")
    return tensor


def _real(x, name):
    """A real Python/NumPy number as a float (bool excluded)."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    return float(x)


def _finite(x, name):
    v = _real(x, name)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _generator(rng):
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative int seed, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError("rng must be a numpy.random.Generator, an int seed or None, "
                    f"got {type(rng).__name__}")


def _store(tensor, values):
    # Assignment writes through any view and rounds float64 samples to the dtype.
    tensor[...] = values
    return tensor


def _below(b, dtype):
    """The largest value of `dtype` strictly below the float `b`."""
    v = dtype.type(b)
    while float(v) >= b:
        v = np.nextafter(v, dtype.type(-np.inf))
    return v


# ----------------------------------------------------------------------------- gain / fans

def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    ========================================== ===================================
    nonlinearity                               gain
    ========================================== ===================================
    linear, conv{1,2,3}d, conv_transpose{1,2,3}d, sigmoid   1
    tanh                                       5/3
    relu                                       sqrt(2)
    leaky_relu                                 sqrt(2 / (1 + negative_slope**2))
    selu                                       3/4
    ========================================== ===================================

    Parameters
    ----------
    nonlinearity : str
        The name of the nonlinearity (a ``torch.nn.functional`` name).
    param : int or float, optional
        The negative slope of ``'leaky_relu'`` (default 0.01); ignored otherwise.

    Returns
    -------
    float or int
        The gain (the int ``1`` for the linear functions and sigmoid, as torch).

    Raises
    ------
    ValueError
        An unsupported `nonlinearity`, or a `param` for ``'leaky_relu'`` that is
        not a number (bools included).

    Examples
    --------
    >>> from lossengine.init import calculate_gain
    >>> calculate_gain("tanh")
    1.6666666666666667
    >>> round(calculate_gain("leaky_relu", 0.2), 6)
    1.38675
    """
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif (isinstance(param, (int, float, np.integer, np.floating))
              and not isinstance(param, (bool, np.bool_)) and not math.isnan(param)):
            slope = param       # NaN rejected: a NaN option is a ValueError (torch: NaN gain)
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _shape_of(shape):
    if isinstance(shape, np.ndarray):
        return tuple(shape.shape)
    if isinstance(shape, (numbers.Integral, str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError("shape must be a sequence of ints or an ndarray, "
                        f"got {type(shape).__name__}")
    out = []
    for s in shape:
        if not isinstance(s, (numbers.Integral, np.integer)) or isinstance(s, (bool, np.bool_)):
            raise TypeError(f"shape must hold ints, got {s!r}")
        if s < 0:
            raise ValueError(f"shape must hold non-negative sizes, got {tuple(shape)}")
        out.append(int(s))
    return tuple(out)


def fan_in_and_fan_out(shape):
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``, as torch.

    ``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)``.

    Parameters
    ----------
    shape : sequence of int or ndarray
        The weight's shape (an array stands for its own shape).

    Returns
    -------
    tuple of int
        ``(fan_in, fan_out)``.

    Raises
    ------
    ValueError
        Fewer than 2 dimensions (or a negative size).
    TypeError
        `shape` is neither a sequence of ints nor an array.

    Examples
    --------
    >>> from lossengine.init import fan_in_and_fan_out
    >>> fan_in_and_fan_out((16, 3, 5, 5))
    (75, 400)
    """
    dims = _shape_of(shape)
    if len(dims) < 2:
        raise ValueError("Fan in and fan out can not be computed for shape with fewer than "
                         f"2 dimensions, got shape {dims}")
    receptive = 1
    for s in dims[2:]:
        receptive *= s
    return dims[1] * receptive, dims[0] * receptive


def _correct_fan(shape, mode):
    if not isinstance(mode, str):
        raise TypeError(f"mode must be a str, got {type(mode).__name__}")
    m = mode.lower()
    if m not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {m} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return fan_in if m == "fan_in" else fan_out


# ----------------------------------------------------------------------------- random fills

def _fill_uniform(tensor, a, b, gen):
    if not b >= a:
        raise ValueError(f"uniform_ expects a <= b, got a={a} > b={b}")
    if not math.isfinite(b - a):
        raise ValueError(f"uniform_ expects b - a to be finite, got a={a}, b={b}")
    if tensor.size == 0:
        return tensor
    x = a + (b - a) * gen.random(tensor.shape)
    if tensor.dtype != np.float64 and a < b:
        # The half-open [a, b) must survive rounding to float32.
        x = np.minimum(x.astype(tensor.dtype), _below(b, tensor.dtype))
    return _store(tensor, x)


def _fill_normal(tensor, mean, std, gen):
    if not std >= 0:
        raise ValueError(f"normal_ expects std >= 0.0, got std={std}")
    if tensor.size == 0:
        return tensor
    return _store(tensor, mean + std * gen.standard_normal(tensor.shape))


def uniform_(tensor, a=0.0, b=1.0, *, rng=None):
    """Fill `tensor` with samples of the uniform distribution on ``[a, b)``.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array, filled in place.
    a, b : float
        The bounds, ``a <= b``.
    rng : numpy.random.Generator, int or None, keyword-only
        The random source (an int is a seed; None: a fresh generator).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, or a bad `rng`.
    ValueError
        `tensor` is read-only, ``a > b`` or a bound is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import uniform_
    >>> w = uniform_(np.empty((3, 5)), -0.5, 0.5, rng=0)
    >>> bool(((w >= -0.5) & (w < 0.5)).all())
    True
    """
    _check_tensor(tensor)
    a, b = _finite(a, "a"), _finite(b, "b")
    return _fill_uniform(tensor, a, b, _generator(rng))


def normal_(tensor, mean=0.0, std=1.0, *, rng=None):
    """Fill `tensor` with samples of the normal distribution N(mean, std**2).

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array, filled in place.
    mean : float
        The mean.
    std : float
        The standard deviation, ``>= 0``.
    rng : numpy.random.Generator, int or None, keyword-only
        The random source (an int is a seed; None: a fresh generator).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, or a bad `rng`.
    ValueError
        `tensor` is read-only, ``std < 0`` or a parameter is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import normal_
    >>> w = normal_(np.empty(100_000), 2.0, 0.5, rng=0)
    >>> round(float(w.mean()), 1), round(float(w.std()), 1)
    (2.0, 0.5)
    """
    _check_tensor(tensor)
    mean, std = _finite(mean, "mean"), _finite(std, "std")
    return _fill_normal(tensor, mean, std, _generator(rng))


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, *, rng=None):
    """Fill `tensor` with samples of N(mean, std**2) truncated to ``[a, b]``.

    `a` and `b` are absolute bounds (not in units of `std`), as in torch. When
    the interval holds more than 30 % of the normal's mass, out-of-range draws
    are redrawn from the normal; otherwise candidates are drawn uniformly on
    ``[a, b]`` and accepted with probability ``exp(-(x-mean)**2 / (2 std**2))``
    relative to the density's peak on the interval. Both give the exact
    truncated normal. A `mean` more than 2 std outside ``[a, b]`` warns, as torch.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array, filled in place.
    mean : float
        The mean of the untruncated normal.
    std : float
        Its standard deviation, ``> 0``.
    a, b : float
        The lower and upper cut-offs, ``a <= b``.
    rng : numpy.random.Generator, int or None, keyword-only
        The random source (an int is a seed; None: a fresh generator).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, or a bad `rng`.
    ValueError
        `tensor` is read-only, ``std <= 0``, ``a > b`` or a parameter is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import trunc_normal_
    >>> w = trunc_normal_(np.empty((64, 64), dtype=np.float32), std=0.02, a=-0.04, b=0.04, rng=1)
    >>> bool((np.abs(w) <= 0.04).all())
    True
    """
    _check_tensor(tensor)
    mean, std = _finite(mean, "mean"), _finite(std, "std")
    a, b = _finite(a, "a"), _finite(b, "b")
    if not std > 0:
        raise ValueError(f"trunc_normal_ expects std > 0, got std={std}")
    if a > b:
        raise ValueError(f"trunc_normal_ expects a <= b, got a={a} > b={b}")
    gen = _generator(rng)
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    n = tensor.size
    if n == 0:
        return tensor
    if a == b:
        return _store(tensor, a)
    mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    out = np.empty(n)
    if mass > 0.3:
        # Plain rejection: each round keeps more than 30 % of the draws.
        todo = np.arange(n)
        while todo.size:
            x = mean + std * gen.standard_normal(todo.size)
            ok = (x >= a) & (x <= b)
            out[todo[ok]] = x[ok]
            todo = todo[~ok]
    else:
        # Far tails or a narrow interval: uniform proposals under the density's
        # peak on [a, b] accept at a rate bounded below, unlike plain rejection.
        peak = min(max(mean, a), b)
        log_peak = -0.5 * ((peak - mean) / std) ** 2
        todo = np.arange(n)
        while todo.size:
            x = a + (b - a) * gen.random(todo.size)
            x = np.minimum(x, b)
            log_ratio = -0.5 * ((x - mean) / std) ** 2 - log_peak
            ok = np.log(gen.random(todo.size)) <= log_ratio
            out[todo[ok]] = x[ok]
            todo = todo[~ok]
    return _store(tensor, out.reshape(tensor.shape))


def xavier_uniform_(tensor, gain=1.0, *, rng=None):
    """Glorot/Xavier uniform fill: U(-bound, bound), ``bound = gain*sqrt(6/(fan_in+fan_out))``.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array of at least 2 dimensions,
        ``(out, in, *kernel)``, filled in place.
    gain : float
        The scaling factor.
    rng : numpy.random.Generator, int or None, keyword-only
        The random source (an int is a seed; None: a fresh generator).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, or a bad `rng`.
    ValueError
        `tensor` is read-only or has fewer than 2 dimensions, ``gain < 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import xavier_uniform_
    >>> w = xavier_uniform_(np.empty((30, 20)), rng=0)
    >>> bool((np.abs(w) < np.sqrt(6 / 50)).all())
    True
    """
    _check_tensor(tensor)
    gain = _finite(gain, "gain")
    if gain < 0:
        raise ValueError(f"gain must be >= 0, got {gain}")
    fan_in, fan_out = fan_in_and_fan_out(tensor.shape)
    gen = _generator(rng)
    if tensor.size == 0:
        return tensor
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _fill_uniform(tensor, -bound, bound, gen)


def xavier_normal_(tensor, gain=1.0, *, rng=None):
    """Glorot/Xavier normal fill: N(0, std**2), ``std = gain*sqrt(2/(fan_in+fan_out))``.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array of at least 2 dimensions,
        ``(out, in, *kernel)``, filled in place.
    gain : float
        The scaling factor.
    rng : numpy.random.Generator, int or None, keyword-only
        The random source (an int is a seed; None: a fresh generator).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, or a bad `rng`.
    ValueError
        `tensor` is read-only or has fewer than 2 dimensions, ``gain < 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import xavier_normal_
    >>> w = xavier_normal_(np.empty((500, 300)), rng=0)
    >>> round(float(w.std() / np.sqrt(2 / 800)), 1)
    1.0
    """
    _check_tensor(tensor)
    gain = _finite(gain, "gain")
    if gain < 0:
        raise ValueError(f"gain must be >= 0, got {gain}")
    fan_in, fan_out = fan_in_and_fan_out(tensor.shape)
    gen = _generator(rng)
    if tensor.size == 0:
        return tensor
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _fill_normal(tensor, 0.0, std, gen)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _correct_fan(tensor.shape, mode)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, rng=None):
    """He/Kaiming uniform fill: U(-bound, bound), ``bound = gain*sqrt(3/fan)``.

    ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` is ``fan_in`` or
    ``fan_out`` (`mode`). A zero-element array is left alone with torch's
    warning.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array of at least 2 dimensions,
        ``(out, in, *kernel)``, filled in place.
    a : float
        The negative slope of the rectifier after this layer (``'leaky_relu'``).
    mode : {'fan_in', 'fan_out'}
        Preserve the variance of the forward (``fan_in``) or backward pass.
    nonlinearity : str
        A name `calculate_gain` knows; ``'relu'`` or ``'leaky_relu'`` recommended.
    rng : numpy.random.Generator, int or None, keyword-only
        The random source (an int is a seed; None: a fresh generator).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, or a bad `rng`.
    ValueError
        `tensor` is read-only or has fewer than 2 dimensions, a bad `mode`,
        `nonlinearity` or `a`.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import kaiming_uniform_
    >>> w = kaiming_uniform_(np.empty((64, 3, 3, 3)), nonlinearity="relu", rng=0)
    >>> bool((np.abs(w) < np.sqrt(6 / 27)).all())
    True
    """
    _check_tensor(tensor)
    gen = _generator(rng)
    if tensor.size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return _fill_uniform(tensor, -bound, bound, gen)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, rng=None):
    """He/Kaiming normal fill: N(0, std**2), ``std = gain/sqrt(fan)``.

    ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` is ``fan_in`` or
    ``fan_out`` (`mode`). A zero-element array is left alone with torch's
    warning.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array of at least 2 dimensions,
        ``(out, in, *kernel)``, filled in place.
    a : float
        The negative slope of the rectifier after this layer (``'leaky_relu'``).
    mode : {'fan_in', 'fan_out'}
        Preserve the variance of the forward (``fan_in``) or backward pass.
    nonlinearity : str
        A name `calculate_gain` knows; ``'relu'`` or ``'leaky_relu'`` recommended.
    rng : numpy.random.Generator, int or None, keyword-only
        The random source (an int is a seed; None: a fresh generator).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, or a bad `rng`.
    ValueError
        `tensor` is read-only or has fewer than 2 dimensions, a bad `mode`,
        `nonlinearity` or `a`.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import kaiming_normal_
    >>> w = kaiming_normal_(np.empty((400, 500)), mode="fan_out", nonlinearity="relu", rng=0)
    >>> round(float(w.std() / np.sqrt(2 / 400)), 1)
    1.0
    """
    _check_tensor(tensor)
    gen = _generator(rng)
    if tensor.size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return _fill_normal(tensor, 0.0, std, gen)


def orthogonal_(tensor, gain=1.0, *, rng=None):
    """Fill `tensor` with a (semi-)orthogonal matrix times `gain`.

    The array is seen as ``(rows, cols) = (shape[0], size // shape[0])``: its
    rows are orthonormal when ``rows <= cols``, else its columns are. The
    matrix is the Q factor of a Gaussian matrix with the signs fixed by R's
    diagonal (Saxe et al. 2013), so it is Haar-distributed, as torch's.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array of at least 2 dimensions, filled in place.
    gain : float
        The scaling factor.
    rng : numpy.random.Generator, int or None, keyword-only
        The random source (an int is a seed; None: a fresh generator).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, or a bad `rng`.
    ValueError
        `tensor` is read-only or has fewer than 2 dimensions.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import orthogonal_
    >>> w = orthogonal_(np.empty((3, 5)), rng=0)
    >>> np.allclose(w @ w.T, np.eye(3))
    True
    """
    _check_tensor(tensor)
    gain = _finite(gain, "gain")
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported, "
                         f"got tensor of shape {tensor.shape}")
    gen = _generator(rng)
    if tensor.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.size // rows
    flat = gen.standard_normal((rows, cols))
    wide = rows < cols
    if wide:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    # Fixing the signs makes Q uniformly (Haar) distributed; a zero on R's
    # diagonal (probability 0) keeps its column rather than zeroing it.
    q *= np.where(np.diagonal(r) < 0, -1.0, 1.0)
    if wide:
        q = q.T
    return _store(tensor, (q * gain).reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, *, rng=None):
    """Fill a 2-D `tensor` as a sparse matrix with N(0, std**2) non-zero entries.

    In every column exactly ``ceil(sparsity * rows)`` entries, chosen at random,
    are set to zero (Martens 2010), as torch.

    Parameters
    ----------
    tensor : ndarray
        A writeable 2-D float32 or float64 array, filled in place.
    sparsity : float
        The fraction of each column set to zero, in ``[0, 1]``.
    std : float
        The standard deviation of the non-zero values, ``>= 0``.
    rng : numpy.random.Generator, int or None, keyword-only
        The random source (an int is a seed; None: a fresh generator).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, or a bad `rng`.
    ValueError
        `tensor` is read-only or not 2-D, `sparsity` outside ``[0, 1]``,
        ``std < 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import sparse_
    >>> w = sparse_(np.empty((10, 4)), sparsity=0.25, rng=0)
    >>> (w == 0).sum(axis=0).tolist()
    [3, 3, 3, 3]
    """
    _check_tensor(tensor)
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported, "
                         f"got tensor of shape {tensor.shape}")
    sparsity, std = _finite(sparsity, "sparsity"), _finite(std, "std")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std}")
    gen = _generator(rng)
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    if tensor.size == 0:
        return tensor
    values = std * gen.standard_normal((rows, cols))
    # An independent random permutation of the rows per column; its first
    # num_zeros entries are the zeroed rows.
    perm = np.argsort(gen.random((rows, cols)), axis=0, kind="stable")
    values[perm[:num_zeros], np.arange(cols)] = 0.0
    return _store(tensor, values)


# ----------------------------------------------------------------------------- deterministic fills

def constant_(tensor, val):
    """Fill `tensor` with `val`.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array, filled in place.
    val : float
        The value (rounded to the array's dtype; inf and NaN allowed, a finite
        value beyond the dtype's range is rejected, as torch).

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, `val` not a real number.
    ValueError
        `tensor` is read-only, or `val` overflows the dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import constant_
    >>> constant_(np.empty((2, 3)), 0.3)
    array([[0.3, 0.3, 0.3],
           [0.3, 0.3, 0.3]])
    """
    _check_tensor(tensor)
    if isinstance(val, np.ndarray) and val.ndim == 0:
        val = val[()]
    if not isinstance(val, (numbers.Real, np.bool_)):
        raise TypeError(f"val must be a real number, got {type(val).__name__}")
    v = float(val)
    if math.isfinite(v) and abs(v) > float(np.finfo(tensor.dtype).max):
        raise ValueError(f"val {v} cannot be converted to {tensor.dtype} without overflow")
    tensor[...] = v
    return tensor


def ones_(tensor):
    """Fill `tensor` with ones.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array, filled in place.

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray.
    ValueError
        `tensor` is read-only.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import ones_
    >>> ones_(np.empty(3, dtype=np.float32))
    array([1., 1., 1.], dtype=float32)
    """
    _check_tensor(tensor)
    tensor[...] = 1.0
    return tensor


def zeros_(tensor):
    """Fill `tensor` with zeros.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array, filled in place.

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray.
    ValueError
        `tensor` is read-only.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import zeros_
    >>> zeros_(np.ones(3))
    array([0., 0., 0.])
    """
    _check_tensor(tensor)
    tensor[...] = 0.0
    return tensor


def eye_(tensor):
    """Fill a 2-D `tensor` with the identity matrix (ones on the main diagonal).

    Non-square arrays keep as many inputs as possible, as torch.

    Parameters
    ----------
    tensor : ndarray
        A writeable 2-D float32 or float64 array, filled in place.

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray.
    ValueError
        `tensor` is read-only or not 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import eye_
    >>> eye_(np.empty((2, 3)))
    array([[1., 0., 0.],
           [0., 1., 0.]])
    """
    _check_tensor(tensor)
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported, "
                         f"got tensor of shape {tensor.shape}")
    tensor[...] = 0.0
    k = np.arange(min(tensor.shape))
    tensor[k, k] = 1.0
    return tensor


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-D `tensor` with the Dirac delta (identity convolution).

    For each of the `groups` groups of output channels, output channel ``d`` of
    the group gets a 1 at input channel ``d`` and the kernel's centre
    (``size // 2`` on each spatial axis), for ``d < min(out/groups, in)``;
    everything else is zero. Exactly torch's result.

    Parameters
    ----------
    tensor : ndarray
        A writeable float32 or float64 array ``(out, in, *kernel)`` with 1 to 3
        kernel dimensions, filled in place.
    groups : int
        The number of groups of the convolution; must divide ``out``.

    Returns
    -------
    ndarray
        `tensor` itself.

    Raises
    ------
    TypeError
        `tensor` is not a float32/float64 ndarray, `groups` not an int.
    ValueError
        `tensor` is read-only or not 3-, 4- or 5-D, ``groups < 1`` or it does not
        divide ``tensor.shape[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossengine.init import dirac_
    >>> w = dirac_(np.empty((2, 2, 3)))
    >>> w[:, :, 1]
    array([[1., 0.],
           [0., 1.]])
    >>> float(w.sum())
    2.0
    """
    _check_tensor(tensor)
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported, "
                         f"got tensor of shape {tensor.shape}")
    if (not isinstance(groups, (numbers.Integral, np.integer))
            or isinstance(groups, (bool, np.bool_))):
        raise TypeError(f"groups must be an int, got {type(groups).__name__}")
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    out_ch = tensor.shape[0]
    if out_ch % groups != 0:
        raise ValueError(f"dim 0 must be divisible by groups, got shape {tensor.shape} "
                         f"and groups={groups}")
    per_group = out_ch // groups
    n = min(per_group, tensor.shape[1])
    tensor[...] = 0.0
    d = np.arange(n)
    centre = tuple(s // 2 for s in tensor.shape[2:])
    for g in range(int(groups)):
        tensor[(g * per_group + d, d) + centre] = 1.0
    return tensor
