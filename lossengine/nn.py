"""Criterion objects mirroring ``torch.nn`` (built from the registry).

``crit = CrossEntropyLoss(weight=w, label_smoothing=0.1)``; ``crit(x, t)``
returns the loss, ``crit.forward_backward(x, t)`` returns ``(loss, grad)``
from one fused pass, and ``crit.backward(grad_output=1.0)`` recomputes the
gradient for the inputs of the last call.
"""
from . import _registry

__all__ = ["Criterion"]


class Criterion:
    """Base class: binds constructor arguments to the functional form."""
    _func = None
    _ctor = ()

    def __init__(self, *args, **kwargs):
        names = [n for n, _ in self._ctor]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes at most {len(names)} positional "
                            f"arguments ({len(args)} given)")
        kw = dict(self._ctor)
        for n, v in zip(names, args):
            kw[n] = v
        for n, v in kwargs.items():
            if n not in kw:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {n!r}")
            if n in names[:len(args)]:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument {n!r}")
            kw[n] = v
        self._kw = kw
        self._last = None
        for n, v in kw.items():
            setattr(self, n, v)

    def _kwargs(self):
        # attributes may have been changed after construction, as in torch
        return {n: getattr(self, n) for n in self._kw}

    def __call__(self, *inputs):
        self._last = inputs
        return type(self)._func(*inputs, **self._kwargs())

    forward = __call__

    def forward_backward(self, *inputs, grad_output=None, grad_out=None):
        """(loss, gradient(s)) for `inputs` in one fused pass."""
        self._last = inputs
        return type(self)._func(*inputs, **self._kwargs(), grad=True, grad_output=grad_output,
                                grad_out=grad_out)

    def backward(self, grad_output=1.0):
        """Gradient(s) for the inputs of the last call, scaled by grad_output."""
        if self._last is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before any forward call")
        return type(self)._func(*self._last, **self._kwargs(), grad=True,
                                grad_output=grad_output)[1]

    def __repr__(self):
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n, d in self._ctor
                         if getattr(self, n) is not d)
        return f"{type(self).__name__}({args})"


def _build():
    for e in _registry.entries():
        if not e.criterion:
            continue
        cls = type(e.criterion, (Criterion,), {
            "_func": staticmethod(e.func), "_ctor": tuple(e.ctor),
            "__doc__": f"Criterion form of :func:`lossengine.{e.name}`.",
            "__module__": __name__})
        globals()[e.criterion] = cls
        __all__.append(e.criterion)


_build()
