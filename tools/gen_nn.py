"""Generate lossengine/nn.py: one criterion class per registry entry that has
a ``criterion``, with an explicit constructor signature (the registry's
``ctor``, annotated like the functional form), typed ``forward`` /
``forward_backward`` / ``backward`` and a numpydoc docstring whose parameter
descriptions are the functional form's and whose example outputs come from
running it.

    python tools/gen_nn.py            # rewrite lossengine/nn.py
    python tools/gen_nn.py --check    # exit 1 if lossengine/nn.py is stale

tests/test_nn.py runs the check, so a new loss (or a changed docstring) cannot
leave nn.py behind.
"""
import inspect
import io
import os
import re
import sys
import textwrap
from contextlib import redirect_stdout

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "lossengine", "nn.py")

# Example per criterion: (constructor arguments, setup lines, call arguments).
EXAMPLES = {
    "BCELoss": ("", "x, t = np.array([0.9, 0.2]), np.array([1.0, 0.0])", "x, t"),
    "BCEWithLogitsLoss": ("pos_weight=np.array([2.0])",
                          "x, t = np.array([2.0, -1.0]), np.array([1.0, 0.0])", "x, t"),
    "SoftMarginLoss": ("", "x, t = np.array([2.0, -1.0]), np.array([1.0, 1.0])", "x, t"),
    "MultiLabelSoftMarginLoss": ("", "x, t = np.array([[2.0, -1.0]]), np.array([[1.0, 0.0]])",
                                 "x, t"),
    "SigmoidFocalLoss": ("reduction='sum'",
                         "x, t = np.array([2.0, -1.0]), np.array([1.0, 0.0])", "x, t"),
    "SoftmaxFocalLoss": ("gamma=1.0", "x, t = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]]), [0, 1]",
                         "x, t"),
    "BalancedBCELoss": ("", "p, y = np.array([0.9, 0.2, 0.4, 0.1]), np.array([1.0, 0.0, 0.0, 0.0])",
                        "p, y"),
    "DiceLoss": ("", "p, y = np.array([[0.9, 0.1], [0.2, 0.7]]), np.eye(2)", "p, y"),
    "OHEMBCELoss": ("negative_ratio=2.0",
                    "p = np.array([0.9, 0.4, 0.3, 0.2, 0.1]); y = (p > 0.5).astype(float)",
                    "p, y"),
    "CTCLoss": ("", "log_probs = le.log_softmax(np.zeros((4, 1, 3)), axis=-1)",
                "log_probs, [[1, 2]], [4], [2]"),
    "CrossEntropyLoss": ("label_smoothing=0.1",
                         "x, t = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]]), [0, 1]", "x, t"),
    "NLLLoss": ("", "logp, t = le.log_softmax(np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])), [0, 1]",
                "logp, t"),
    "MarginRankingLoss": ("margin=0.1",
                          "x1, x2, t = np.array([1.0, 0.2]), np.array([0.5, 0.8]), np.array([-1.0, 1.0])",
                          "x1, x2, t"),
    "HingeEmbeddingLoss": ("", "x, t = np.array([0.3, 0.4]), np.array([1.0, -1.0])", "x, t"),
    "MultiMarginLoss": ("", "x, t = np.array([[0.1, 0.2, 0.4]]), [2]", "x, t"),
    "MultiLabelMarginLoss": ("", "x, t = np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]])",
                             "x, t"),
    "CosineEmbeddingLoss": ("", "x1, x2 = np.array([[1.0, 0.0], [1.0, 1.0]]), np.ones((2, 2))",
                            "x1, x2, [1, -1]"),
    "TripletMarginLoss": ("",
                          "a, p, n = np.zeros((1, 2)), np.array([[0.6, 0.8]]), np.array([[0.0, 1.5]])",
                          "a, p, n"),
    "TripletMarginWithDistanceLoss": (
        "distance_function='cosine'",
        "a, p, n = np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]), np.array([[0.0, 1.0]])",
        "a, p, n"),
    "L1Loss": ("", "x, t = np.array([0.5, 3.0]), np.array([0.0, 1.0])", "x, t"),
    "MSELoss": ("", "x, t = np.array([0.5, 3.0]), np.array([0.0, 1.0])", "x, t"),
    "SmoothL1Loss": ("beta=0.5", "x, t = np.array([0.25, 3.0]), np.array([0.0, 1.0])", "x, t"),
    "HuberLoss": ("delta=2.0", "x, t = np.array([0.5, 3.0]), np.array([0.0, 0.0])", "x, t"),
    "PoissonNLLLoss": ("", "x, t = np.array([0.0, 1.0]), np.array([1.0, 2.0])", "x, t"),
    "KLDivLoss": ("reduction='batchmean'", "logq, p = np.log([[0.25, 0.75]]), np.array([[0.5, 0.5]])",
                  "logq, p"),
    "LinearCrossEntropyLoss": ("label_smoothing=0.1",
                               "x, w, t = np.array([[1.0, -1.0], [0.5, 2.0]]), np.eye(3, 2), [0, 2]",
                               "x, w, t, np.zeros(3)"),
    "GaussianNLLLoss": ("", "mu, t, var = np.array([0.0, 1.0]), np.array([0.5, 1.0]), np.array([1.0, 2.0])",
                        "mu, t, var"),
}

HEADER = '''"""Criterion objects mirroring ``torch.nn``.

``crit = CrossEntropyLoss(weight=w, label_smoothing=0.1)``; ``crit(x, t)``
returns the loss, ``crit.forward_backward(x, t)`` returns ``(loss, grad)``
from one fused pass, and ``crit.backward(grad_output=1.0)`` recomputes the
gradient for the inputs of the last call.  The constructor arguments are
attributes and may be changed after construction, as in torch.

The classes below :class:`Criterion` are generated from the registry by
``tools/gen_nn.py`` (do not edit them by hand; rerun it).
"""
from __future__ import annotations

from typing import Any, Callable, Literal, Optional, Tuple, cast  # noqa: F401

from . import _activations, _binary, _ctc, _linear_ce, _lse, _margin, _pointwise  # noqa: F401
from ._typing import ({typing_names})

__all__ = ["Criterion", {names}]


class Criterion:
    """Base class of the criteria: binds constructor arguments to a functional form.

    Subclasses set ``_func`` (the function of :mod:`lossengine.functional`)
    and ``_ctor`` (its keyword arguments held by the criterion, in
    constructor order, with their defaults).  This base constructor accepts
    them positionally or by name; the generated subclasses spell them out.

    Parameters
    ----------
    *args, **kwargs
        Values of the ``_ctor`` arguments.

    Returns
    -------
    Criterion
        Calling it (or :meth:`forward`) returns ``_func(*inputs, **arguments)``.

    Raises
    ------
    TypeError
        For too many positional arguments, an unknown keyword or an argument
        given twice.

    Examples
    --------
    >>> import numpy as np
    >>> import lossengine as le
    >>> class Tanh(le.nn.Criterion):
    ...     _func = staticmethod(le.tanh)
    >>> y, g = Tanh().forward_backward(np.array([0.0, 1.0]))
    >>> g.round(4)
    array([1.  , 0.42])
    """
    _func: Callable[..., Any]
    _ctor: Tuple[Tuple[str, Any], ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = [n for n, _ in self._ctor]
        if len(args) > len(names):
            raise TypeError(f"{{type(self).__name__}}() takes at most {{len(names)}} positional "
                            f"arguments ({{len(args)}} given)")
        kw = dict(self._ctor)
        for n, v in zip(names, args):
            kw[n] = v
        for n, v in kwargs.items():
            if n not in kw:
                raise TypeError(f"{{type(self).__name__}}() got an unexpected keyword "
                                f"argument {{n!r}}")
            if n in names[:len(args)]:
                raise TypeError(f"{{type(self).__name__}}() got multiple values for "
                                f"argument {{n!r}}")
            kw[n] = v
        for n, v in kw.items():
            setattr(self, n, v)
        self._last: Optional[Tuple[Any, ...]] = None

    def _kwargs(self) -> dict[str, Any]:
        # attributes may have been changed after construction, as in torch
        return {{n: getattr(self, n) for n, _ in self._ctor}}

    def _run(self, inputs: Tuple[Any, ...]) -> Any:
        self._last = inputs
        return type(self)._func(*inputs, **self._kwargs())

    def _run_grad(self, inputs: Tuple[Any, ...], grad_output: Any, grad_out: Any) -> Any:
        self._last = inputs
        return type(self)._func(*inputs, **self._kwargs(), grad=True, grad_output=grad_output,
                                grad_out=grad_out)

    def _forward(self, *inputs: Any) -> Any:
        """The loss of `inputs` (the functional form's positional arrays)."""
        return self._run(inputs)

    def _forward_backward(self, *inputs: Any, grad_output: Any = None,
                          grad_out: Any = None) -> Any:
        """``(loss, gradient(s))`` for `inputs` in one fused pass."""
        return self._run_grad(inputs, grad_output, grad_out)

    def _backward(self, grad_output: Any = 1.0) -> Any:
        """Gradient(s) for the inputs of the last call, scaled by `grad_output`.

        Raises ``RuntimeError`` before any forward call.
        """
        if self._last is None:
            raise RuntimeError(f"{{type(self).__name__}}.backward() called before any "
                               "forward call")
        return type(self)._func(*self._last, **self._kwargs(), grad=True,
                                grad_output=grad_output)[1]

    # declared as callables (as torch.nn.Module.forward) so that each criterion
    # may spell out its own arrays without breaking the override rules
    __call__: Callable[..., Any] = _forward
    forward: Callable[..., Any] = _forward
    forward_backward: Callable[..., Any] = _forward_backward
    backward: Callable[..., Any] = _backward

    def __repr__(self) -> str:
        args = ", ".join(f"{{n}}={{getattr(self, n)!r}}" for n, d in self._ctor
                         if getattr(self, n) is not d)
        return f"{{type(self).__name__}}({{args}})"
'''

TYPING_NAMES = ["ArrayLike", "DistanceFunction", "FloatArray", "GradOut", "GradOutput",
                "GradOuts", "Grads2", "Grads3", "Output", "Reduction", "VarGrads", "WithGrad"]


def _param_entries(doc):
    """{name: entry text (dedented, first line 'name : type')} of the Parameters section."""
    doc = inspect.cleandoc(doc)
    m = re.search(r"^Parameters\n-+\n(.*?)(?:\n\n[A-Z][a-z]+\n-+\n)", doc, re.S | re.M)
    entries, cur = {}, None
    for line in m.group(1).split("\n"):
        if line and not line.startswith(" "):
            cur = line.split(" : ")[0]
            entries[cur] = [line]
        elif cur is not None:
            entries[cur].append(line)
    return {k: "\n".join(v).rstrip() for k, v in entries.items()}


def _wrap(head, params, tail, indent):
    """A def line wrapped at 99 columns, continuation aligned after '('."""
    lines, cur = [], indent + head
    pad = " " * len(cur)
    for i, p in enumerate(params):
        piece = p + ("," if i < len(params) - 1 else tail)
        cand = cur + ("" if cur.endswith("(") else " ") + piece
        if len(cand) > 99 and not cur.endswith("("):
            lines.append(cur)
            cur = pad + piece
        else:
            cur = cand
    lines.append(cur)
    return lines


def _run_example(code_lines):
    """Execute doctest-style lines; return the lines with outputs filled in."""
    import numpy as np
    import lossengine as le
    ns = {"np": np, "le": le}
    out = []
    for src in code_lines:
        out.append(">>> " + src)
        try:
            val = eval(compile(src, "<example>", "eval"), ns)
        except SyntaxError:
            exec(compile(src, "<example>", "exec"), ns)
            continue
        if val is not None:
            out.extend(repr(val).split("\n"))
    return out


def _class_source(e):
    import lossengine  # noqa: F401
    func = e.func
    sig = inspect.signature(func)
    ctor = [n for n, _ in e.ctor]
    inputs = [p for p in sig.parameters.values()
              if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in ctor]
    ret = sig.return_annotation
    gtype = re.fullmatch(r"MaybeGrad\[(.*)\]", ret).group(1)
    gout = sig.parameters["grad_out"].annotation
    docs = _param_entries(func.__doc__)
    summary = inspect.cleandoc(func.__doc__).split("\n")[0]
    mod = func.__module__.rsplit(".", 1)[1]
    name = e.criterion
    L = [f"class {name}(Criterion):"]
    pdoc = []
    for n in ctor:
        pdoc.extend(docs[n].split("\n"))
    ex_ctor, ex_setup, ex_call = EXAMPLES[name]
    example = ["import numpy as np", "import lossengine as le",
               f"crit = le.nn.{name}({ex_ctor})", ex_setup,
               f"round(float(crit({ex_call})), 4)",
               f"loss, g = crit.forward_backward({ex_call})"]
    example.append("g.round(4)" if gtype == "FloatArray" else "[gi.shape for gi in g]")
    example.append("crit")
    ex = _run_example(example)
    if any("-0." in line for line in ex):         # signed zeros may differ between ISA levels
        ex = _run_example(example[:-2] + ["g.shape", "crit"])
    call_sig = ", ".join(p.name for p in inputs)
    doc = [f"Criterion form of :func:`lossengine.{e.name}`.", "",
           *textwrap.wrap(summary + "  The constructor arguments become attributes "
                          "(changeable later); the arrays are given to the call.", 76),
           "",
           "Parameters", "----------", *pdoc, "",
           "Returns", "-------",
           f"{name}",
           *textwrap.wrap(f"``crit({call_sig})`` (or ``crit.forward(...)``) returns the loss "
                          f"of :func:`lossengine.{e.name}` with these arguments; "
                          f"``crit.forward_backward({call_sig}, grad_output=None, "
                          "grad_out=None)`` returns ``(loss, grad)`` from one fused pass and "
                          "``crit.backward(grad_output=1.0)`` the gradient for the inputs of "
                          "the last call.", 76, initial_indent="    ", subsequent_indent="    ",
                          break_long_words=False, break_on_hyphens=False),
           "",
           "Raises", "------",
           "ValueError, TypeError",
           f"    When called, as :func:`lossengine.{e.name}` (the constructor does",
           "    not validate, so attributes may be set in any order).", "",
           "Examples", "--------", *ex]
    L.append('    """' + doc[0])
    L.extend(("    " + d) if d else "" for d in doc[1:])
    L.append('    """')
    L.append("")
    L.append(f"    _func = staticmethod({mod}.{e.name})")
    L.extend(_wrap("_ctor = (", [f"({n!r}, {d!r})" for n, d in e.ctor], ")" if len(e.ctor) > 1
                   else ",)", "    "))
    L.append("")
    params = ["self"]
    for n, d in e.ctor:
        ann = sig.parameters[n].annotation
        params.append(f"{n}: {ann} = {d!r}")
    L.extend(_wrap("def __init__(", params, ") -> None:", "    "))
    for n, _ in e.ctor:
        L.append(f"        self.{n} = {n}")
    L.append("        self._last: Optional[Tuple[Any, ...]] = None")
    L.append("")
    ip = ["self"] + [f"{p.name}: {p.annotation}" + ("" if p.default is p.empty else f" = {p.default!r}")
                     for p in inputs]
    tup = "(" + ", ".join(p.name for p in inputs) + ("," if len(inputs) == 1 else "") + ")"
    L.extend(_wrap("def forward(", ip, ") -> Output:", "    "))
    L.append('        """The loss; the same as calling the criterion."""')
    L.append(f"        return cast(Output, self._run({tup}))")
    L.append("")
    L.append("    __call__ = forward")
    L.append("")
    L.extend(_wrap("def forward_backward(", ip + ["*", "grad_output: GradOutput = None",
                                                  f"grad_out: {gout} = None"],
                   f") -> WithGrad[{gtype}]:", "    "))
    L.append('        """``(loss, grad)`` in one fused pass (see the class docstring)."""')
    L.append(f"        inputs = {tup}")
    L.append(f"        return cast(WithGrad[{gtype}], self._run_grad(inputs, grad_output, grad_out))")
    L.append("")
    L.append(f"    def backward(self, grad_output: GradOutput = 1.0) -> {gtype}:")
    L.append('        """The gradient for the inputs of the last call, times `grad_output`."""')
    L.append(f"        return cast({gtype}, self._backward(grad_output))")
    return L


def generate():
    sys.path.insert(0, ROOT)
    from lossengine import _registry
    entries = sorted((e for e in _registry.entries() if e.criterion), key=lambda e: e.criterion)
    names = ", ".join(f'"{e.criterion}"' for e in entries)
    names = "\n".join(textwrap.wrap(names, 99, initial_indent=" " * 24,
                                     subsequent_indent=" " * 11)).lstrip()
    tn = "\n                      ".join(textwrap.wrap(", ".join(TYPING_NAMES), 76))
    out = HEADER.format(typing_names=tn, names=names).split("\n")
    for e in entries:
        out += ["", ""] + _class_source(e)
    return "\n".join(out) + "\n"


def main(argv):
    text = generate()
    if "--check" in argv:
        with open(TARGET) as f:
            if f.read() != text:
                print("lossengine/nn.py is stale: run python tools/gen_nn.py", file=sys.stderr)
                return 1
        return 0
    with open(TARGET, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
