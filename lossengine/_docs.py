"""Shared pieces of the public docstrings.

A docstring line that holds only ``%(key)s`` is replaced by the snippet
``key`` below, indented like that line, when the function is decorated with
:func:`fill_doc`; the result is plain ``__doc__`` text (what ``help()`` and
the doctests see).  Everything else in a docstring is left as written.
"""
import re
import textwrap
from typing import Any, Callable, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

SNIPPETS = {
    "reduction": """
        reduction : {'none', 'mean', 'sum'}, default 'mean'
            ``'none'``: the unreduced loss; ``'mean'``: its mean (see the
            function's description for the divisor); ``'sum'``: its sum.""",
    "sm_axis": """
        axis : int, optional
            The axis to reduce over (default -1, the last).
        dim : int, optional
            Alias of `axis` (torch's name); giving both with different values
            raises ``ValueError``.""",
    "grad": """
        grad : bool, default False
            Also return the gradient, computed in the same kernel pass:
            the result is then ``(output, gradient)``.""",
    "grad_output": """
        grad_output : float or array_like, optional
            Only with ``grad=True``: the upstream gradient that scales the
            returned gradient (default 1).  A scalar for a reduced loss; for
            ``reduction='none'`` a scalar or an array broadcastable to the
            unreduced loss.""",
    "grad_output_act": """
        grad_output : float or array_like, optional
            Only with ``grad=True``: the upstream gradient, a scalar or an
            array broadcastable to the output (default 1); the returned
            gradient is that of ``sum(grad_output * output)``.""",
    "grad_out": """
        grad_out : ndarray, optional
            Only with ``grad=True``: an array that receives the gradient and
            is returned as it, so a training loop allocates nothing.  It
            must have the prediction's shape and the compute dtype, be
            writeable and share no memory with an input; all of this is
            checked before anything is written.""",
    "grad_outs": """
        grad_out : tuple of ndarray, optional
            Only with ``grad=True``: one array (or None) per prediction, in
            argument order, each receiving that prediction's gradient and
            returned as it.  Each must have its prediction's shape and the
            compute dtype, be writeable and share no memory with an input or
            another buffer; checked before anything is written.""",
    "out": """
        out : ndarray, optional
            An array that receives the result and is returned as it, like a
            NumPy ufunc's ``out`` (with ``grad=True``: ``(out, gradient)``).
            It must have the result's shape and the compute dtype and be
            writeable; any layout is accepted.  It may be exactly `input`
            for an elementwise activation (``relu(x, out=x)``; the gradient
            is still that at the original `input`), and must share no other
            memory with an input, `grad_output` or `grad_out`.  Only for an
            array result: with a loss's reduction other than ``'none'`` it
            raises ``ValueError``.  Checked before anything is written.""",
    "ret_grad": """
        grad : ndarray
            Only with ``grad=True``, as ``(loss, grad)``: the gradient of the
            loss (times `grad_output`) with respect to `input`, shaped like
            `input`, in the compute dtype.""",
    "ret_grad_act": """
        grad : ndarray
            Only with ``grad=True``, as ``(y, grad)``: the gradient of
            ``sum(grad_output * y)`` with respect to `input`, shaped like
            `input`, in the compute dtype.""",
    "dtype": """
        The compute dtype is float64 if any floating prediction is float64,
        else float32; results and gradients have it.""",
    "raises": """
        ValueError
            If `reduction` or another option is invalid, the shapes do not
            fit, `grad_output`/`grad_out` is given without ``grad=True`` or
            does not fit, or `out` does not fit (the message names the
            argument).
        TypeError
            If an array does not hold real numbers, or `grad_out` or `out`
            is not an array of the compute dtype.""",
    "raises_act": """
        ValueError
            If an option is invalid, `grad_output`/`grad_out` is given
            without ``grad=True`` or does not fit, or `out` does not fit
            (the message names the argument).
        TypeError
            If `input` does not hold real numbers, or `grad_out` or `out` is
            not an array of the compute dtype.""",
}

_LINE = re.compile(r"^(\s*)%\((\w+)\)s\s*$")


def _fill(doc: str) -> str:
    out = []
    for line in doc.split("\n"):
        m = _LINE.match(line)
        if m is None:
            out.append(line)
            continue
        text = textwrap.dedent(SNIPPETS[m.group(2)]).strip("\n")
        out.extend((m.group(1) + t) if t else "" for t in text.split("\n"))
    return "\n".join(out)


def fill_doc(func: _F) -> _F:
    """Decorator: expand the ``%(key)s`` lines of `func`'s docstring."""
    if func.__doc__:
        func.__doc__ = _fill(func.__doc__)
    return func
