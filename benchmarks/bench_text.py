"""Benchmark: logistic-regression fit time against scikit-learn's default solver.

Two problems, measured in the same run:

- ``synthetic``: 15000 documents (12000 for training) over a Zipf vocabulary of 25000 words with
  class-dependent topic words, TF-IDF features (at least 10000 x 20000, sparse); two
  classes and four classes;
- ``corpus``: the bundled 400-text, 4-class corpus (TF-IDF of word 1-2-grams).

For each, ``LogisticRegression`` (Newton-CG, Hessian-vector products from
forward-over-reverse AD, the default), the same on a plain CSR ``X`` (no memoized primal
products), the hand-derived variant and L-BFGS are timed against
``sklearn.linear_model.LogisticRegression`` with its default ``lbfgs`` solver at the same
``C`` and ``tol``; the table gives the best of ``--repeat`` fit times (the solvers take
turns in each round), the held-out
accuracy, the objective reached and the time ratio (target: <= 1.5).
Run ``python benchmarks/bench_text.py``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression as SkLogisticRegression  # noqa: E402

from applications.text_classification import (  # noqa: E402
    LogisticRegression,
    TfidfVectorizer,
    binary_objective,
    load_bundled_corpus,
    multinomial_objective,
    train_test_split,
)
from autodiff.optimize import minimize  # noqa: E402


def synthetic_corpus(n_docs: int, n_words: int, n_classes: int, *, seed: int = 0,
                     mean_length: int = 60) -> tuple[list[str], np.ndarray]:
    """Documents of Zipf-distributed words; each class boosts its own 400 topic words.

    Every class shares the Zipf background (exponent 1.1), so the frequent words carry no
    signal, and topic words are drawn from the tail, so most documents hold only a few of
    them: a realistic, not perfectly separable, sparse problem.
    """
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, n_words + 1)
    background = ranks**-1.1
    background /= background.sum()
    labels = rng.integers(0, n_classes, n_docs)
    lengths = rng.poisson(mean_length, n_docs) + 5
    docs: list[str] = [""] * n_docs
    vocab = np.array([f"w{j}" for j in range(n_words)])
    for k in range(n_classes):
        topic = rng.choice(np.arange(200, n_words), size=400, replace=False)
        p = background.copy()
        p[topic] *= 6.0
        p /= p.sum()
        members = np.flatnonzero(labels == k)
        words = rng.choice(n_words, size=int(lengths[members].sum()), p=p)
        for i, chunk in zip(members, np.split(words, np.cumsum(lengths[members])[:-1])):
            docs[i] = " ".join(vocab[chunk])
    return docs, labels


def interleaved_best_times(fits: list[Callable[[], object]],
                           repeat: int) -> tuple[list[float], list[object]]:
    """Fastest of ``repeat`` runs of each fit, the fits taking turns in every round so that
    changing load on a shared machine hits them alike."""
    best = [float("inf")] * len(fits)
    models: list[object] = [None] * len(fits)
    for _ in range(repeat):
        for i, fit in enumerate(fits):
            start = time.perf_counter()
            models[i] = fit()
            best[i] = min(best[i], time.perf_counter() - start)
    return best, models


def objective(coef: np.ndarray, intercept: np.ndarray, X, y: np.ndarray, C: float) -> float:
    """scikit-learn's objective C * sum(log loss) + ||W||^2 / 2 at the given weights."""
    scores = np.asarray(X @ coef.T) + intercept
    classes = np.unique(y)
    codes = np.searchsorted(classes, y)
    if coef.shape[0] == 1:
        signs = np.where(codes == 1, 1.0, -1.0)
        loss = np.logaddexp(0.0, -signs * scores[:, 0]).sum()
    else:
        top = scores.max(axis=1, keepdims=True)
        lse = np.log(np.exp(scores - top).sum(axis=1)) + top[:, 0]
        loss = (lse - scores[np.arange(len(y)), codes]).sum()
    return float(C * loss + 0.5 * np.sum(coef * coef))


def fit_plain_ad(X, y: np.ndarray, C: float) -> LogisticRegression:
    """Newton-CG on the public objective with ``X`` a plain CSR matrix: AD through the
    core's own sparse product, without the memoized primal products of ``ConstantDesign``."""
    classes, codes = np.unique(y, return_inverse=True)
    n, d = X.shape
    alpha = 1.0 / (C * n)
    if classes.size == 2:
        params = {"coef": np.zeros(d), "intercept": np.zeros(())}
        fun, target = binary_objective, np.where(codes == 1, 1.0, -1.0)
    else:
        params = {"coef": np.zeros((d, classes.size)), "intercept": np.zeros(classes.size)}
        fun, target = multinomial_objective, np.eye(classes.size)[codes]
    res = minimize(fun, params, method="newton-cg", args=(X, target, alpha), tol=1e-4,
                   maxiter=100, options={"ftol": 0.0})
    model = LogisticRegression(C=C)
    model.classes_ = classes
    model.coef_ = np.atleast_2d(res.x["coef"].T)
    model.intercept_ = np.atleast_1d(res.x["intercept"])
    model.n_iter_ = np.array([res.nit])
    return model


def bench(name: str, X, y, X_test, y_test, C: float, repeat: int) -> list[tuple]:
    fits = [
        ("sklearn lbfgs", lambda: SkLogisticRegression(C=C).fit(X, y)),
        ("newton-cg (AD)", lambda: LogisticRegression(C=C).fit(X, y)),
        ("newton-cg (AD, plain X)", lambda: fit_plain_ad(X, y, C)),
        ("newton-cg (hand)", lambda: LogisticRegression(C=C, derivatives="manual").fit(X, y)),
        ("lbfgs (AD)", lambda: LogisticRegression(C=C, solver="lbfgs").fit(X, y)),
    ]
    times, models = interleaved_best_times([fit for _, fit in fits], repeat)
    rows = []
    for (label, _), t, m in zip(fits, times, models):
        rows.append((name, label, t, m.score(X_test, y_test),
                     objective(m.coef_, m.intercept_, X, y, C), int(np.max(m.n_iter_)),
                     t / times[0]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=15000)
    parser.add_argument("--words", type=int, default=25000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("-C", type=float, default=1.0)
    args = parser.parse_args()

    rows = []
    for n_classes in (2, 4):
        docs, labels = synthetic_corpus(args.docs, args.words, n_classes)
        n_train = int(0.8 * len(docs))
        vec = TfidfVectorizer()
        X = vec.fit_transform(docs[:n_train])
        X_test = vec.transform(docs[n_train:])
        name = f"synthetic {X.shape[0]}x{X.shape[1]}, {n_classes} classes"
        rows += bench(name, X, labels[:n_train], X_test, labels[n_train:], args.C, args.repeat)

    texts, labels = load_bundled_corpus()
    train_x, test_x, train_y, test_y = train_test_split(texts, labels, seed=0)
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    X = vec.fit_transform(train_x)
    name = f"bundled corpus {X.shape[0]}x{X.shape[1]}, 4 classes"
    rows += bench(name, X, np.array(train_y), vec.transform(test_x), np.array(test_y),
                  10.0, max(args.repeat, 5))

    header = ("problem", "solver", "fit s", "accuracy", "objective", "iters", "ratio")
    print(f"| {' | '.join(header)} |")
    print("|" + "---|" * len(header))
    for problem, solver, t, acc, f, nit, ratio in rows:
        print(f"| {problem} | {solver} | {t:.3f} | {acc:.4f} | {f:.6g} | {nit} | "
              f"{ratio:.2f} |")
    print("\nratio = fit time / scikit-learn lbfgs fit time in this run (target <= 1.5);"
          " OPENBLAS_NUM_THREADS =", os.environ.get("OPENBLAS_NUM_THREADS"))


if __name__ == "__main__":
    main()
