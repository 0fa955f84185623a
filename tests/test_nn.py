"""The criterion classes of lossengine.nn against the registry: every entry
with a ``criterion`` has its class with exactly the registry's constructor
parameters and defaults, lossengine/nn.py is what tools/gen_nn.py generates
now, and the criteria behave as documented (attributes changeable after
construction, positional constructor arguments, repr, backward)."""
import importlib.util
import inspect
import os

import numpy as np
import pytest

import lossengine as le
from lossengine import _registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRIT = [e for e in _registry.entries() if e.criterion]


def test_every_criterion_is_exported():
    assert sorted(n for n in le.nn.__all__ if n != "Criterion") == \
        sorted(e.criterion for e in CRIT)


@pytest.mark.parametrize("e", CRIT, ids=lambda e: e.criterion)
def test_constructor_matches_registry(e):
    cls = getattr(le.nn, e.criterion)
    assert issubclass(cls, le.nn.Criterion)
    assert cls._func is e.func
    params = list(inspect.signature(cls).parameters.values())
    assert [(p.name, p.default) for p in params] == list(e.ctor)
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params)
    # the defaults are the functional form's defaults (a registry typo would show here)
    fsig = inspect.signature(e.func).parameters
    for name, default in e.ctor:
        assert fsig[name].default == default, name
    # annotated like the functional form
    for p in params:
        assert p.annotation == fsig[p.name].annotation, p.name


@pytest.mark.parametrize("e", CRIT, ids=lambda e: e.criterion)
def test_forward_signature_names_the_arrays(e):
    cls = getattr(le.nn, e.criterion)
    ctor = {n for n, _ in e.ctor}
    want = [p.name for p in inspect.signature(e.func).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in ctor]
    got = list(inspect.signature(cls.forward).parameters)[1:]
    assert got == want
    assert cls.__call__ is cls.forward


def test_generated_file_is_current():
    spec = importlib.util.spec_from_file_location("gen_nn", os.path.join(ROOT, "tools", "gen_nn.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    with open(os.path.join(ROOT, "lossengine", "nn.py")) as f:
        current = f.read()
    assert current == gen.generate(), "lossengine/nn.py is stale: run python tools/gen_nn.py"


def test_positional_and_keyword_construction():
    w = np.array([1.0, 2.0, 0.5])
    a = le.nn.CrossEntropyLoss(w, 1, "sum", 0.1)
    b = le.nn.CrossEntropyLoss(weight=w, ignore_index=1, reduction="sum", label_smoothing=0.1)
    x = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    assert a(x, [0, 1]) == b(x, [0, 1])
    with pytest.raises(TypeError):
        le.nn.CrossEntropyLoss(w, 1, "sum", 0.1, 5)
    with pytest.raises(TypeError):
        le.nn.CrossEntropyLoss(bogus=1)
    with pytest.raises(TypeError):
        le.nn.CrossEntropyLoss(w, weight=w)


def test_attributes_changed_after_construction_are_used():
    x = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    crit = le.nn.CrossEntropyLoss()
    crit.reduction = "none"
    crit.label_smoothing = 0.2
    np.testing.assert_array_equal(
        crit(x, [0, 1]), le.cross_entropy(x, [0, 1], reduction="none", label_smoothing=0.2))
    assert repr(crit) == "CrossEntropyLoss(reduction='none', label_smoothing=0.2)"
    assert repr(le.nn.MSELoss()) == "MSELoss()"


def test_forward_backward_and_backward():
    crit = le.nn.MarginRankingLoss(margin=0.1)
    x1, x2, t = np.array([1.0, 0.2]), np.array([0.5, 0.8]), np.array([-1.0, 1.0])
    with pytest.raises(RuntimeError):
        crit.backward()
    loss, (g1, g2) = crit.forward_backward(x1, x2, t)
    assert loss == crit.forward(x1, x2, t) == crit(x1, x2, t)
    b1, b2 = crit.backward(2.0)
    np.testing.assert_array_equal(b1, 2 * g1)
    np.testing.assert_array_equal(b2, 2 * g2)
    out = (np.empty(2), np.empty(2))
    _, gs = crit.forward_backward(x1, x2, t, grad_out=out)
    assert gs[0] is out[0] and gs[1] is out[1]


def test_optional_input_and_subclass_of_base():
    p = np.array([0.9, 0.4, 0.3, 0.2, 0.1])
    y = (p > 0.5).astype(float)
    mask = np.array([True, True, False, True, True])
    crit = le.nn.OHEMBCELoss(negative_ratio=1.0)
    assert crit(p, y, mask) == le.ohem_binary_cross_entropy(p, y, mask, negative_ratio=1.0)
    assert crit(p, y) == le.ohem_binary_cross_entropy(p, y, negative_ratio=1.0)

    class Scaled(le.nn.Criterion):
        _func = staticmethod(le.mse_loss)
        _ctor = (("reduction", "mean"),)

    s = Scaled("sum")
    assert s.reduction == "sum"
    assert s(np.array([1.0, 2.0]), np.zeros(2)) == 5.0
