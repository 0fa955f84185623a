"""Misuses mypy must reject (tests/test_typing.py expects an error on every
line marked E below, and on no other), and the types it must infer (lines
marked R: the start of what ``reveal_type`` shows)."""
import numpy as np

import lossengine as le

x = np.zeros((2, 3))
t = np.array([0, 1])
le.cross_entropy(x, t, reduction="average")  # E: not a reduction
le.cross_entropy(x, t, 0.1, 5)  # E: options are keyword-only
loss, g = le.mse_loss(x, x)  # E: without grad=True the result is not a pair
le.ctc_loss(x, t, [1], [1], grad_wrt="input")  # E: not a grad_wrt
le.nn.CrossEntropyLoss(label_smoothing="0.1")  # E: a float
le.nn.MSELoss()(x)  # E: MSELoss takes input and target
le.set_num_threads("2")  # E: an int
le.class_weights(t, 2, scheme="log")  # E: not a scheme
le.relu(x, out=[0.0, 0.0])  # E: out is an ndarray
le.relu(x, x)  # E: out is keyword-only
reveal_type(le.cross_entropy(x, t))  # R: numpy.ndarray[
reveal_type(le.cross_entropy(x, t, grad=True))  # R: tuple[numpy.ndarray[
reveal_type(le.triplet_margin_loss(x, x, x, grad=True)[1])  # R: tuple[numpy.ndarray[
reveal_type(le.nn.L1Loss().backward())  # R: numpy.ndarray[
reveal_type(le.hard_example_mining(x, k=1))  # R: numpy.ndarray[
