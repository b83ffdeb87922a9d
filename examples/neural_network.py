"""Train a small two-layer neural network by backprop with ``adam``.

A two-class spiral (made with NumPy) is classified by ``tanh`` hidden units and a logistic
output; the loss is the mean cross-entropy plus a small weight decay.  The gradient is
reverse-mode AD of the loss written with NumPy; the parameters are a dict (a pytree).

.. math::
    L(W_1, b_1, w_2, b_2) = \\frac1m \\sum_i \\log(1 + e^{-y_i s_i}) + \\frac{\\lambda}{2}
    (\\|W_1\\|^2 + \\|w_2\\|^2), \\quad s = \\tanh(X W_1 + b_1) w_2 + b_2

Run: ``python examples/neural_network.py``
"""

import argparse
import time

import numpy as np

from autodiff.optimize import minimize


def spiral(n_per_class: int, noise: float, rng: np.random.Generator):
    """Two interleaved spirals; labels in {-1, +1}."""
    t = np.sqrt(rng.uniform(0.0, 1.0, n_per_class)) * 3.0 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3.0 * np.pi)
    X = np.concatenate([arm, -arm]) + noise * rng.standard_normal((2 * n_per_class, 2))
    y = np.concatenate([np.ones(n_per_class), -np.ones(n_per_class)])
    return X, y


def scores(params, X):
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    return hidden @ params["w2"] + params["b2"]


def loss(params, X, y, decay):
    margin = y * scores(params, X)
    penalty = np.sum(params["W1"] ** 2) + np.sum(params["w2"] ** 2)
    return np.mean(np.logaddexp(0.0, -margin)) + 0.5 * decay * penalty


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    X, y = spiral(200, 0.03, rng)
    X_test, y_test = spiral(200, 0.03, rng)
    params = {
        "W1": rng.standard_normal((2, args.hidden)) * 2.0,
        "b1": np.zeros(args.hidden),
        "w2": rng.standard_normal(args.hidden) / np.sqrt(args.hidden),
        "b2": np.zeros(()),
    }
    schedule = lambda k: 0.03 / (1.0 + k / 1000.0)
    start = time.perf_counter()
    res = minimize(loss, params, "adam", args=(X, y, 1e-4), maxiter=args.iterations,
                   options={"learning_rate": schedule, "gtol": 1e-6})
    elapsed = time.perf_counter() - start
    train_acc = np.mean(np.sign(scores(res.x, X)) == y)
    test_acc = np.mean(np.sign(scores(res.x, X_test)) == y_test)
    print(f"adam: {res.nit} iterations in {elapsed:.2f}s, loss {res.history['energy'][0]:.4f}"
          f" -> {res.fun:.4f}")
    print(f"train accuracy {train_acc:.3f}, test accuracy {test_acc:.3f}")


if __name__ == "__main__":
    main()
