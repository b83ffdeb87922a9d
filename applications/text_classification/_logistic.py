r"""L2-regularized logistic regression, binary and multinomial, trained with AD solvers.

The objective is scikit-learn's, so coefficients can be compared one by one:

.. math::

    \min_{W, b}\; C \sum_{i=1}^{n} \ell_i(W, b) + \tfrac12 \|W\|_F^2

with :math:`\ell_i = \log(1 + e^{-y_i (x_i^\top w + b)})`, :math:`y_i \in \{-1, +1\}`,
for two classes (one coefficient row, the sigmoid), and the softmax cross-entropy
:math:`\ell_i = \log \sum_k e^{s_{ik}} - s_{i y_i}`, :math:`s_i = W x_i + b`, for three
or more (one row per class). The intercept is not penalized. The solvers minimize the
same function divided by :math:`C n` (the mean loss plus :math:`\|W\|^2 / (2 C n)`), so
``tol`` bounds the max-norm of the gradient of the mean loss, as in scikit-learn.

The loss is an ordinary NumPy function of the parameters (``X @ W`` with ``X`` a
constant CSR matrix, stable log-sum-exp) handed to :func:`autodiff.optimize.minimize`:
gradients come from reverse mode and Newton-CG's Hessian-vector products from
forward-over-reverse. ``X`` is wrapped in :class:`ConstantDesign`, whose products are
primitives that remember their last primal results, so the Hessian-vector products
taken at one Newton iterate cost two sparse products each instead of four. The sparse
data is never densified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax

from autodiff.optimize import minimize

from .._dask import dask_method
from ._design import ConstantDesign

#: Where dask arrays go: chunked fit, lazy predictions (``_dask.py`` beside this file).
_DASK = "applications.text_classification._dask:"

__all__ = ["HandDerivatives", "LogisticRegression", "binary_objective", "multinomial_objective"]

_SOLVERS = ("newton-cg", "lbfgs", "gd", "adam")


# -- objectives: plain NumPy functions of the parameters ------------------------------------


def binary_objective(params: dict, X: Any, signs: np.ndarray, alpha: float) -> Any:
    r"""Mean logistic loss plus ``alpha / 2 * ||w||^2`` for labels ``signs`` in {-1, +1}.

    .. math:: f(w, b) = \frac1n \sum_i \log\left(1 + e^{-y_i (x_i^\top w + b)}\right)
              + \frac{\alpha}{2} \|w\|^2

    Parameters
    ----------
    params : dict
        ``{"coef": w}`` with ``w`` of shape (n_features,), and ``"intercept"`` (a 0-d
        array) when an intercept is fitted.
    X : sparse matrix or ndarray, shape (n_samples, n_features)
    signs : ndarray, shape (n_samples,)
    alpha : float
        ``1 / (C n_samples)``.
    """
    w = params["coef"]
    scores = X @ w
    if "intercept" in params:
        scores = scores + params["intercept"]
    # log(1 + exp(-m)) without overflow for large |m|.
    return np.mean(np.logaddexp(0.0, -signs * scores)) + 0.5 * alpha * np.sum(w * w)


def multinomial_objective(params: dict, X: Any, onehot: np.ndarray, alpha: float) -> Any:
    r"""Mean softmax cross-entropy plus ``alpha / 2 * ||W||_F^2``.

    .. math:: f(W, b) = \frac1n \sum_i \Big(\log \sum_k e^{s_{ik}} - s_{i y_i}\Big)
              + \frac{\alpha}{2} \|W\|_F^2, \qquad S = X W + b

    Parameters
    ----------
    params : dict
        ``{"coef": W}`` with ``W`` of shape (n_features, n_classes) (the transpose of
        ``coef_``), and ``"intercept"`` of shape (n_classes,) when fitted.
    X : sparse matrix or ndarray, shape (n_samples, n_features)
    onehot : ndarray, shape (n_samples, n_classes)
    alpha : float
        ``1 / (C n_samples)``.
    """
    W = params["coef"]
    scores = X @ W
    if "intercept" in params:
        scores = scores + params["intercept"]
    top = np.max(scores, axis=1, keepdims=True)
    log_norm = np.log(np.sum(np.exp(scores - top), axis=1)) + top[:, 0]
    return (np.mean(log_norm - np.sum(onehot * scores, axis=1))
            + 0.5 * alpha * np.sum(W * W))


class HandDerivatives:
    """Hand-derived gradient and Hessian-vector product of the two objectives (no AD).

    The benchmark's reference for what AD costs. It keeps the class probabilities of
    the last point evaluated, so each Hessian-vector product at that point costs one
    product with ``X`` and one with ``X.T`` (forward-over-reverse needs two of each).

    ``fun(params) -> (value, grad)`` plugs into ``minimize(..., jac=True)`` and
    ``hessp(params, v)`` into ``hessp=``.
    """

    def __init__(self, X: Any, target: np.ndarray, alpha: float) -> None:
        self.X, self.target, self.alpha = X, target, alpha
        self.XT = X.T
        self.binary = target.ndim == 1
        self._at: tuple[dict, np.ndarray] | None = None  # (params copy, curvature)

    def _scores(self, params: dict) -> np.ndarray:
        scores = self.X @ params["coef"]
        return scores + params["intercept"] if "intercept" in params else scores

    def fun(self, params: dict) -> tuple[float, dict]:
        W, n = params["coef"], self.X.shape[0]
        scores = self._scores(params)
        if self.binary:
            margin = self.target * scores
            value = np.mean(np.logaddexp(0.0, -margin))
            g_scores = -self.target * expit(-margin) / n
            curvature = expit(margin) * expit(-margin) / n
        else:
            top = np.max(scores, axis=1, keepdims=True)
            log_norm = np.log(np.sum(np.exp(scores - top), axis=1)) + top[:, 0]
            value = np.mean(log_norm - np.sum(self.target * scores, axis=1))
            curvature = np.exp(scores - log_norm[:, None])  # probabilities
            g_scores = (curvature - self.target) / n
        self._at = ({k: np.array(a, copy=True) for k, a in params.items()}, curvature)
        grad = {"coef": self.XT @ g_scores + self.alpha * W}
        if "intercept" in params:
            grad["intercept"] = np.sum(g_scores, axis=0)
        return float(value + 0.5 * self.alpha * np.sum(W * W)), grad

    def hessp(self, params: dict, v: dict) -> dict:
        at = self._at
        if at is None or at[0].keys() != params.keys() or not all(
                np.array_equal(at[0][k], params[k]) for k in params):
            self.fun(params)
            at = self._at
        curvature = at[1]
        t = self._scores(v)
        if self.binary:
            r = curvature * t
        else:
            p = curvature
            r = (p * t - p * np.sum(p * t, axis=1, keepdims=True)) / self.X.shape[0]
        out = {"coef": self.XT @ r + self.alpha * v["coef"]}
        if "intercept" in v:
            out["intercept"] = np.sum(r, axis=0)
        return out


# -- input checks ---------------------------------------------------------------------------


def _check_X(X: Any, n_features: int | None = None) -> Any:
    """CSR float64 for sparse input, a float64 C array for dense; clear errors otherwise."""
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
        X = X.astype(np.float64, copy=False)
        data = X.data
    else:
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
        X = np.ascontiguousarray(X, dtype=np.float64)
        data = X
    if not np.isfinite(data).all():
        raise ValueError("X contains NaN or infinity")
    if X.shape[0] == 0:
        raise ValueError("X has no samples")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model was fitted with {n_features}"
        )
    return X


def _check_labels(y: Any, n_samples: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(f"X has {n_samples} samples but y has {y.shape[0]} labels")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity")
    return y


class LogisticRegression:
    r"""Logistic regression with an L2 penalty, fitted by AD-driven solvers.

    Minimizes :math:`C \sum_i \ell_i + \tfrac12 \|W\|^2` (intercept not penalized):
    the logistic loss with one coefficient row for two classes, the softmax
    cross-entropy with one row per class for three or more (see the module docstring).

    Parameters
    ----------
    C : float
        Inverse regularization strength (> 0).
    fit_intercept : bool
        Fit an unpenalized intercept.
    solver : {"newton-cg", "lbfgs", "gd", "adam"}
        ``"newton-cg"``: truncated Newton with Hessian-vector products from
        forward-over-reverse AD (default). ``"lbfgs"``, ``"gd"``: gradient methods with
        line searches. ``"adam"``: stochastic mini-batches of ``batch_size`` samples.
    tol : float
        Stop when the max-norm of the gradient of the mean loss is below ``tol``.
    max_iter : int
        Iteration budget (for ``"adam"``: epochs, i.e. passes over the mini-batches).
    batch_size : int, optional
        Mini-batch size for ``"adam"`` (default 256).
    learning_rate : float
        Adam's step size.
    random_state : int, optional
        Seed of the mini-batch order (``"adam"``).
    progress : bool
        Show the solver's progress bar.
    derivatives : {"ad", "manual"}
        ``"ad"`` (default): gradients and Hessian-vector products by automatic
        differentiation of :func:`binary_objective` / :func:`multinomial_objective`.
        ``"manual"``: the hand-derived formulas of :class:`HandDerivatives` (kept as a
        reference for benchmarks and tests).

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        Sorted distinct labels.
    coef_ : ndarray, shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray, shape (1,) or (n_classes,)
    n_iter_ : ndarray, shape (1,)
        Solver iterations.
    result_ : scipy.optimize.OptimizeResult
        The solver's full result (``success``, ``message``, ``history``...).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]])
    >>> clf = LogisticRegression(C=10.0).fit(X, ["b", "a", "b", "a"])
    >>> clf.predict([[0.2, 0.8]]).tolist()
    ['b']
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        fit_intercept: bool = True,
        solver: str = "newton-cg",
        tol: float = 1e-4,
        max_iter: int = 100,
        batch_size: int | None = None,
        learning_rate: float = 0.05,
        random_state: int | None = None,
        progress: bool = False,
        derivatives: str = "ad",
    ) -> None:
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.progress = progress
        self.derivatives = derivatives

    def _check_params(self) -> None:
        if not (isinstance(self.C, (int, float, np.floating)) and np.isfinite(self.C)
                and self.C > 0):
            raise ValueError(f"C must be a positive finite number, got {self.C!r}")
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {_SOLVERS}, got {self.solver!r}")
        if not (self.tol >= 0):
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 0):
            raise ValueError(f"max_iter must be a non-negative int, got {self.max_iter!r}")
        if self.derivatives not in ("ad", "manual"):
            raise ValueError(f"derivatives must be 'ad' or 'manual', got {self.derivatives!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size!r}")

    # -- fitting ----------------------------------------------------------------------------

    @dask_method(_DASK + "fit")
    def fit(self, X: Any, y: Sequence[Any]) -> LogisticRegression:
        """Fit the model to features ``X`` (n_samples, n_features) and labels ``y``.

        Labels may be of any sortable type (str, int, ...). Returns ``self``.
        """
        self._check_params()
        X = _check_X(X)
        y = _check_labels(y, X.shape[0])
        try:
            classes, codes = np.unique(y, return_inverse=True)
        except TypeError as exc:
            raise TypeError(f"labels must be mutually comparable: {exc}") from None
        if classes.size < 2:
            raise ValueError(
                f"need samples of at least 2 classes, got only {classes.tolist()!r}"
            )
        n_samples, n_features = X.shape
        binary = classes.size == 2
        width = () if binary else (classes.size,)
        params: dict[str, np.ndarray] = {"coef": np.zeros((n_features,) + width)}
        if self.fit_intercept:
            params["intercept"] = np.zeros(width)
        if binary:
            target = np.where(codes == 1, 1.0, -1.0)
            objective: Callable = binary_objective
        else:
            target = np.zeros((n_samples, classes.size))
            target[np.arange(n_samples), codes] = 1.0
            objective = multinomial_objective
        alpha = 1.0 / (self.C * n_samples)

        result = self._minimize(objective, params, X, target, alpha)
        coef = np.asarray(result.x["coef"], dtype=np.float64)
        self.classes_ = classes
        self.coef_ = coef.reshape(1, -1) if binary else np.ascontiguousarray(coef.T)
        if self.fit_intercept:
            self.intercept_ = np.atleast_1d(np.asarray(result.x["intercept"], np.float64))
        else:
            self.intercept_ = np.zeros(1 if binary else classes.size)
        self.n_iter_ = np.array([result.nit])
        self.result_ = result
        self.n_features_in_ = n_features
        return self

    def _minimize(self, objective: Callable, params: dict, X: Any, target: np.ndarray,
                  alpha: float) -> Any:
        common = dict(tol=self.tol, maxiter=self.max_iter, progress=self.progress)
        if self.solver == "adam":
            fun, n_batches = self._minibatch_objective(objective, X, target, alpha)
            common["maxiter"] = self.max_iter * n_batches  # max_iter counts epochs
            return minimize(fun, params, method="adam",
                            options={"learning_rate": self.learning_rate}, **common)
        # Newton-CG stops on the gradient alone, as scikit-learn's; L-BFGS also on a
        # relative decrease of the energy below 64 machine epsilons, as SciPy's.
        ftol = {"newton-cg": 0.0, "lbfgs": 64 * np.finfo(float).eps}.get(self.solver)
        options = None if ftol is None else {"ftol": ftol}
        if self.derivatives == "manual":
            hand = HandDerivatives(X, target, alpha)
            hessp = hand.hessp if self.solver == "newton-cg" else None
            return minimize(hand.fun, params, method=self.solver, jac=True, hessp=hessp,
                            options=options, **common)
        # X @ W through ConstantDesign: the same AD derivatives, with the primal products
        # memoized across the Hessian-vector products taken at one point.
        return minimize(objective, params, method=self.solver,
                        args=(ConstantDesign(X), target, alpha), options=options, **common)

    def _minibatch_objective(self, objective: Callable, X: Any, target: np.ndarray,
                             alpha: float) -> tuple[Callable, int]:
        """The objective on the next mini-batch at each call (a fresh permutation per epoch),
        and the number of batches per epoch.

        The penalty keeps its full-data weight, so the expected mini-batch objective is the
        full objective.
        """
        rng = np.random.default_rng(self.random_state)
        n = X.shape[0]
        size = min(self.batch_size or 256, n)
        batches: list[np.ndarray] = []

        def fun(params: dict) -> Any:
            if not batches:
                order = rng.permutation(n)
                batches.extend(order[i : i + size] for i in range(0, n, size))
            rows = batches.pop()
            return objective(params, X[rows], target[rows], alpha)

        return fun, -(-n // size)

    # -- prediction -------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("this LogisticRegression is not fitted yet; call fit first")

    @dask_method(_DASK + "decision_function")
    def decision_function(self, X: Any) -> np.ndarray:
        """Scores, shape (n_samples,) for two classes (positive: ``classes_[1]``), else
        (n_samples, n_classes)."""
        self._check_fitted()
        X = _check_X(X, self.coef_.shape[1])
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores[:, 0] if self.classes_.size == 2 else scores

    @dask_method(_DASK + "predict_proba")
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=1)

    @dask_method(_DASK + "predict_log_proba")
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    @dask_method(_DASK + "predict")
    def predict(self, X: Any) -> np.ndarray:
        """Most probable label of each sample, shape (n_samples,)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(np.intp)]
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X: Any, y: Sequence[Any]) -> float:
        """Accuracy of :meth:`predict` on ``(X, y)``."""
        pred = self.predict(X)
        y = _check_labels(y, pred.shape[0])
        return float(np.mean(pred == y))
