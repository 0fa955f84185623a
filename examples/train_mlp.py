"""Train a two-layer MLP on scikit-learn's digits in plain NumPy.

Everything a training loop needs besides the matrix products comes from
lossengine: initialisation (``le.init``), the ReLU and its backward pass,
the cross-entropy loss with its gradient from one fused call, the AdamW
optimizer and a cosine learning-rate schedule.  The data set ships with
scikit-learn (no download).

Run: ``python examples/train_mlp.py [--epochs 40] [--seed 0]``
"""
from __future__ import annotations

import argparse
import math

import numpy as np

import lossengine as le


def load_digits_split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X.astype(np.float32), y, test_size=0.25, random_state=seed, stratify=y)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1.0
    return (X_train - mean) / std, (X_test - mean) / std, y_train, y_test


class MLP:
    """``logits = relu(x @ W1.T + b1) @ W2.T + b2``, laid out as torch's Linear."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator) -> None:
        self.W1 = np.empty((n_hidden, n_in), np.float32)
        self.b1 = np.empty(n_hidden, np.float32)
        self.W2 = np.empty((n_out, n_hidden), np.float32)
        self.b2 = np.empty(n_out, np.float32)
        # torch.nn.Linear's default initialisation
        for W, b in ((self.W1, self.b1), (self.W2, self.b2)):
            le.init.kaiming_uniform_(W, a=math.sqrt(5), rng=rng)
            bound = 1.0 / math.sqrt(W.shape[1])
            le.init.uniform_(b, -bound, bound, rng=rng)

    def params(self) -> list[np.ndarray]:
        return [self.W1, self.b1, self.W2, self.b2]

    def logits(self, X: np.ndarray) -> np.ndarray:
        return le.relu(X @ self.W1.T + self.b1) @ self.W2.T + self.b2

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        h = X @ self.W1.T + self.b1
        a = le.relu(h)
        logits = a @ self.W2.T + self.b2
        loss, d_logits = le.cross_entropy(logits, y, grad=True)
        d_a = d_logits @ self.W2
        _, d_h = le.relu(h, grad=True, grad_output=d_a)      # the ReLU's backward pass
        grads = [d_h.T @ X, d_h.sum(axis=0), d_logits.T @ a, d_logits.sum(axis=0)]
        return float(loss), grads


def main(epochs: int = 40, seed: int = 0, batch_size: int = 64, verbose: bool = True) -> float:
    """Train and return the test accuracy."""
    X_train, X_test, y_train, y_test = load_digits_split(seed)
    rng = np.random.default_rng(seed)
    model = MLP(X_train.shape[1], 128, 10, rng)
    opt = le.optim.AdamW(model.params(), lr=3e-3, weight_decay=1e-2)
    sched = le.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    n = len(X_train)
    for epoch in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            loss, grads = model.loss_and_grads(X_train[idx], y_train[idx])
            opt.step(grads)
            total += loss * len(idx)
        sched.step()
        if verbose:
            print(f"epoch {epoch + 1:3d}  loss {total / n:.4f}  lr {sched.get_last_lr()[0]:.2e}")
    accuracy = float(np.mean(model.logits(X_test).argmax(axis=1) == y_test))
    if verbose:
        print(f"test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    main(args.epochs, args.seed)
