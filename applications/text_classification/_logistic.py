r"""Logistic regression, binary and multinomial, trained with AD solvers.

The objective is scikit-learn's, so coefficients can be compared one by one:

.. math::

    \min_{W, b}\; C \sum_{i=1}^{n} s_i\, \ell_i(W, b) + \tfrac12 \|W\|_F^2

with sample weights :math:`s_i` (``sample_weight`` times the weight of the class of
sample :math:`i`), :math:`\ell_i = \log(1 + e^{-y_i (x_i^\top w + b)})`,
:math:`y_i \in \{-1, +1\}`, for two classes (one coefficient row, the sigmoid), and the
softmax cross-entropy :math:`\ell_i = \log \sum_k e^{z_{ik}} - z_{i y_i}`,
:math:`z_i = W x_i + b`, for three or more (one row per class). The intercept is not
penalized; ``penalty=None`` drops the penalty. The solvers minimize the same function
divided by :math:`C \sum_i s_i` (the weighted mean loss plus
:math:`\|W\|^2 / (2 C \sum_i s_i)`), so ``tol`` bounds the max-norm of the gradient of
the mean loss, as in scikit-learn.

The loss of a block of rows, :func:`_block_loss`, is an ordinary NumPy function of the
parameters (``X @ W`` with ``X`` a constant CSR matrix, stable log-sum-exp); the fit
hands it to :func:`autodiff.optimize.minimize`: gradients come from reverse mode and
Newton-CG's Hessian-vector products from forward-over-reverse. A fit over chunks of rows
(a dask array) sums the block losses, or their ``value_and_grad``, chunk by chunk.
``X`` is wrapped in :class:`ConstantDesign`, whose products are primitives that
remember their last primal results, so the Hessian-vector products taken at one Newton
iterate cost two sparse products each instead of four. The sparse data is never
densified.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from autodiff.optimize import minimize

from .._dask import dask_method
from ._design import ConstantDesign

#: Where dask arrays go: chunked fit, lazy predictions (``_dask.py`` beside this file).
_DASK = "applications.text_classification._dask:"

__all__ = ["HandDerivatives", "LogisticRegression", "binary_objective", "multinomial_objective"]

_SOLVERS = ("newton-cg", "lbfgs", "gd", "adam")
_PENALTIES = ("l2", None)


# -- objectives: plain NumPy functions of the parameters ------------------------------------


def _block_loss(params: dict, X_block: Any, y_block: np.ndarray,
                sample_weight_block: np.ndarray) -> Any:
    r"""Weighted sum of the losses of one block of rows: :math:`\sum_i s_i \ell_i`.

    No penalty and no normalization, so the loss of a data set is the sum of the losses
    of its blocks (chunks of a dask array, mini-batches); the fit adds the penalty once.

    Parameters
    ----------
    params : dict
        ``{"coef": W}`` with ``W`` of shape (n_features,) for two classes or
        (n_features, n_classes), and ``"intercept"`` (shape () or (n_classes,)) when an
        intercept is fitted.
    X_block : sparse matrix, ndarray or ConstantDesign, shape (n_rows, n_features)
    y_block : ndarray, shape (n_rows,) or (n_rows, n_classes)
        Signs in {-1, +1} (binary: the logistic loss) or one-hot rows (the softmax
        cross-entropy).
    sample_weight_block : ndarray, shape (n_rows,)
    """
    scores = X_block @ params["coef"]
    if "intercept" in params:
        scores = scores + params["intercept"]
    if y_block.ndim == 1:
        # log(1 + exp(-m)) without overflow for large |m|.
        losses = np.logaddexp(0.0, -y_block * scores)
    else:
        top = np.max(scores, axis=1, keepdims=True)
        log_norm = np.log(np.sum(np.exp(scores - top), axis=1)) + top[:, 0]
        losses = log_norm - np.sum(y_block * scores, axis=1)
    return np.sum(sample_weight_block * losses)


def _objective(params: dict, X: Any, target: np.ndarray, sample_weight: np.ndarray,
               scale: float, alpha: float) -> Any:
    """``scale * _block_loss(...) + alpha / 2 * ||W||^2``: what the solvers minimize."""
    W = params["coef"]
    return scale * _block_loss(params, X, target, sample_weight) + 0.5 * alpha * np.sum(W * W)


def _weighted_mean_objective(params: dict, X: Any, target: np.ndarray, alpha: float,
                             sample_weight: np.ndarray | None) -> Any:
    if sample_weight is None:
        sample_weight = np.ones(X.shape[0])
    return _objective(params, X, target, sample_weight, 1.0 / np.sum(sample_weight), alpha)


def binary_objective(params: dict, X: Any, signs: np.ndarray, alpha: float,
                     sample_weight: np.ndarray | None = None) -> Any:
    r"""Weighted mean logistic loss plus ``alpha / 2 * ||w||^2``, labels ``signs`` in {-1, +1}.

    .. math:: f(w, b) = \frac{\sum_i s_i \log\left(1 + e^{-y_i (x_i^\top w + b)}\right)}
              {\sum_i s_i} + \frac{\alpha}{2} \|w\|^2

    Parameters
    ----------
    params : dict
        ``{"coef": w}`` with ``w`` of shape (n_features,), and ``"intercept"`` (a 0-d
        array) when an intercept is fitted.
    X : sparse matrix or ndarray, shape (n_samples, n_features)
    signs : ndarray, shape (n_samples,)
    alpha : float
        ``1 / (C sum(s))``.
    sample_weight : ndarray, shape (n_samples,), optional
        The weights :math:`s_i` (default: ones).
    """
    return _weighted_mean_objective(params, X, signs, alpha, sample_weight)


def multinomial_objective(params: dict, X: Any, onehot: np.ndarray, alpha: float,
                          sample_weight: np.ndarray | None = None) -> Any:
    r"""Weighted mean softmax cross-entropy plus ``alpha / 2 * ||W||_F^2``.

    .. math:: f(W, b) = \frac{\sum_i s_i \big(\log \sum_k e^{z_{ik}} - z_{i y_i}\big)}
              {\sum_i s_i} + \frac{\alpha}{2} \|W\|_F^2, \qquad Z = X W + b

    Parameters
    ----------
    params : dict
        ``{"coef": W}`` with ``W`` of shape (n_features, n_classes) (the transpose of
        ``coef_``), and ``"intercept"`` of shape (n_classes,) when fitted.
    X : sparse matrix or ndarray, shape (n_samples, n_features)
    onehot : ndarray, shape (n_samples, n_classes)
    alpha : float
        ``1 / (C sum(s))``.
    sample_weight : ndarray, shape (n_samples,), optional
        The weights :math:`s_i` (default: ones).
    """
    return _weighted_mean_objective(params, X, onehot, alpha, sample_weight)


class HandDerivatives:
    """Hand-derived gradient and Hessian-vector product of the objective (no AD).

    The benchmark's reference for what AD costs. It keeps the class probabilities of
    the last point evaluated, so each Hessian-vector product at that point costs one
    product with ``X`` and one with ``X.T`` (forward-over-reverse needs two of each).

    ``fun(params) -> (value, grad)`` plugs into ``minimize(..., jac=True)`` and
    ``hessp(params, v)`` into ``hessp=``. The objective is :func:`binary_objective`
    (``target`` of signs) or :func:`multinomial_objective` (one-hot ``target``).
    """

    def __init__(self, X: Any, target: np.ndarray, alpha: float,
                 sample_weight: np.ndarray | None = None) -> None:
        self.X, self.target, self.alpha = X, target, alpha
        self.XT = X.T
        self.binary = target.ndim == 1
        weight = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight)
        self.row_weight = weight / np.sum(weight)
        self._at: tuple[dict, np.ndarray] | None = None  # (params copy, curvature)

    def _scores(self, params: dict) -> np.ndarray:
        scores = self.X @ params["coef"]
        return scores + params["intercept"] if "intercept" in params else scores

    def fun(self, params: dict) -> tuple[float, dict]:
        W, rw = params["coef"], self.row_weight
        scores = self._scores(params)
        if self.binary:
            margin = self.target * scores
            value = np.sum(rw * np.logaddexp(0.0, -margin))
            g_scores = -self.target * expit(-margin) * rw
            curvature = expit(margin) * expit(-margin) * rw
        else:
            top = np.max(scores, axis=1, keepdims=True)
            log_norm = np.log(np.sum(np.exp(scores - top), axis=1)) + top[:, 0]
            value = np.sum(rw * (log_norm - np.sum(self.target * scores, axis=1)))
            curvature = np.exp(scores - log_norm[:, None])  # probabilities
            g_scores = (curvature - self.target) * rw[:, None]
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
            r = (p * t - p * np.sum(p * t, axis=1, keepdims=True)) * self.row_weight[:, None]
        out = {"coef": self.XT @ r + self.alpha * v["coef"]}
        if "intercept" in v:
            out["intercept"] = np.sum(r, axis=0)
        return out


# -- the estimator ----------------------------------------------------------------------------


def _check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray:
    """Float64 weights of shape (n_samples,): finite, non-negative, not all zero."""
    if sample_weight is None:
        return np.ones(n_samples)
    weight = np.asarray(sample_weight, dtype=np.float64)
    if weight.ndim == 0:
        return np.full(n_samples, float(weight))
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), got {weight.shape}"
        )
    if not np.isfinite(weight).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if np.any(weight < 0):
        raise ValueError("sample_weight must be non-negative")
    if not np.any(weight > 0):
        raise ValueError("sample_weight must contain at least one non-zero number")
    return weight


def _class_weights(class_weight: dict | str, classes: np.ndarray, codes: np.ndarray,
                   weight: np.ndarray) -> np.ndarray:
    """The weight of each class, shape (n_classes,).

    ``"balanced"``: ``sum(weight) / (n_classes * weighted count of the class)``, the
    weighted form of ``n_samples / (n_classes * count)``; a class whose samples all weigh
    zero gets zero. A dict gives some classes a weight; the others keep 1.
    """
    if isinstance(class_weight, str):  # "balanced", checked by _check_params
        counts = np.bincount(codes, weights=weight, minlength=classes.size)
        factors = np.zeros(classes.size)
        present = counts > 0
        factors[present] = counts.sum() / (classes.size * counts[present])
        return factors
    known = {label: i for i, label in enumerate(classes.tolist())}
    unknown = [label for label in class_weight if label not in known]
    if unknown:
        raise ValueError(f"class_weight names classes absent from y: {unknown!r} "
                         f"(the classes are {classes.tolist()!r})")
    factors = np.ones(classes.size)
    for label, value in class_weight.items():
        factors[known[label]] = value
    if not (np.isfinite(factors).all() and np.all(factors >= 0)):
        raise ValueError(f"class weights must be finite and non-negative, got {class_weight!r}")
    return factors


class LogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Logistic regression with an optional L2 penalty, fitted by AD-driven solvers.

    Minimizes :math:`C \sum_i s_i \ell_i + \tfrac12 \|W\|^2` (intercept not penalized),
    scikit-learn's objective: the logistic loss with one coefficient row for two
    classes, the softmax cross-entropy with one row per class for three or more (see
    the module docstring); :math:`s_i` is the sample weight times the class weight.
    A scikit-learn estimator: it works with ``clone``, ``Pipeline``, ``GridSearchCV``
    and ``cross_val_score``.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularization strength (> 0); ``np.inf``: no penalty.
    penalty : {"l2", None}, default="l2"
        ``None`` fits without a penalty (``C`` is then ignored), like ``C=np.inf``.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    class_weight : dict, "balanced" or None, default=None
        Weight of each class, multiplied into the sample weights; ``"balanced"``:
        ``n_samples / (n_classes * count(class))`` with the counts weighted by
        ``sample_weight``, as scikit-learn computes it.
    solver : {"newton-cg", "lbfgs", "gd", "adam"}, default="newton-cg"
        ``"newton-cg"``: truncated Newton with Hessian-vector products from
        forward-over-reverse AD. ``"lbfgs"``, ``"gd"``: gradient methods with line
        searches. ``"adam"``: stochastic mini-batches of ``batch_size`` samples.
    tol : float, default=1e-4
        Stop when the max-norm of the gradient of the weighted mean loss is below ``tol``.
    max_iter : int, default=100
        Iteration budget (for ``"adam"``: epochs, i.e. passes over the mini-batches).
        When it runs out, a :class:`sklearn.exceptions.ConvergenceWarning` is issued.
    batch_size : int, optional
        Mini-batch size for ``"adam"`` (default 256).
    learning_rate : float, default=0.05
        Adam's step size.
    random_state : int, optional
        Seed of the mini-batch order (``"adam"``).
    progress : bool, default=False
        Show the solver's progress bar.
    derivatives : {"ad", "manual"}, default="ad"
        ``"ad"``: gradients and Hessian-vector products by automatic differentiation of
        the NumPy loss. ``"manual"``: the hand-derived formulas of
        :class:`HandDerivatives` (kept as a reference for benchmarks and tests).

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        Sorted distinct labels.
    coef_ : ndarray, shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray, shape (1,) or (n_classes,)
    n_iter_ : ndarray, shape (1,)
        Solver iterations.
    n_features_in_ : int
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
        penalty: str | None = "l2",
        fit_intercept: bool = True,
        class_weight: dict | str | None = None,
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
        self.penalty = penalty
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.progress = progress
        self.derivatives = derivatives

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_params(self) -> None:
        if isinstance(self.C, bool) or not isinstance(self.C, Real) or not self.C > 0:
            raise ValueError(f"C must be a positive number (or inf), got {self.C!r}")
        if self.penalty not in _PENALTIES:
            raise ValueError(f"penalty must be 'l2' or None, got {self.penalty!r}")
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {_SOLVERS}, got {self.solver!r}")
        if not (isinstance(self.tol, Real) and self.tol >= 0):
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")
        if (isinstance(self.max_iter, bool) or not isinstance(self.max_iter, Integral)
                or self.max_iter < 0):
            raise ValueError(f"max_iter must be a non-negative int, got {self.max_iter!r}")
        if self.derivatives not in ("ad", "manual"):
            raise ValueError(f"derivatives must be 'ad' or 'manual', got {self.derivatives!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size!r}")
        if not (self.class_weight is None or self.class_weight == "balanced"
                or isinstance(self.class_weight, dict)):
            raise ValueError(
                f"class_weight must be a dict, 'balanced' or None, got {self.class_weight!r}"
            )

    # -- fitting ----------------------------------------------------------------------------

    @dask_method(_DASK + "fit")
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LogisticRegression:
        """Fit the model to features ``X`` and labels ``y``; returns ``self``.

        Parameters
        ----------
        X : ndarray or sparse matrix (any scipy.sparse format), shape (n_samples, n_features)
        y : array_like, shape (n_samples,)
            Labels of any sortable type (str, int, ...).
        sample_weight : array_like, shape (n_samples,), optional
            Non-negative weight of each sample (default: ones).

        Returns
        -------
        LogisticRegression
            The fitted estimator.
        """
        self._check_params()
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64,
                             order="C")
        check_classification_targets(y)
        n_samples, n_features = X.shape
        weight = _check_sample_weight(sample_weight, n_samples)
        classes, codes = np.unique(y, return_inverse=True)
        weighted = classes[np.bincount(codes, weights=weight, minlength=classes.size) > 0]
        if weighted.size < 2:
            raise ValueError(
                "need samples of at least 2 classes with non-zero weight, but the data "
                f"contain only 1 class: {(weighted if weighted.size else classes)[0]!r}"
            )
        if self.class_weight is not None:
            weight = weight * _class_weights(self.class_weight, classes, codes, weight)[codes]
        weight_sum = float(np.sum(weight))
        if not weight_sum > 0:
            raise ValueError("the class weights give every sample zero weight")

        binary = classes.size == 2
        width = () if binary else (classes.size,)
        params: dict[str, np.ndarray] = {"coef": np.zeros((n_features,) + width)}
        if self.fit_intercept:
            params["intercept"] = np.zeros(width)
        if binary:
            target = np.where(codes == 1, 1.0, -1.0)
        else:
            target = np.zeros((n_samples, classes.size))
            target[np.arange(n_samples), codes] = 1.0
        alpha = 1.0 / (self.C * weight_sum) if self.penalty == "l2" else 0.0  # C=inf: 0

        result = self._minimize(params, X, target, weight, alpha)
        self._set_fitted(classes, result, stacklevel=3)
        return self

    def _set_fitted(self, classes: np.ndarray, result: Any, stacklevel: int) -> None:
        """Set the fitted attributes from a solver result (in memory and chunked fits);
        warn when the solver ended short (every way of ending short is reported; running
        out of budget is the common one)."""
        coef = np.asarray(result.x["coef"], dtype=np.float64)
        binary = classes.size == 2
        self.classes_ = classes
        self.coef_ = coef.reshape(1, -1) if binary else np.ascontiguousarray(coef.T)
        if self.fit_intercept:
            self.intercept_ = np.atleast_1d(np.asarray(result.x["intercept"], np.float64))
        else:
            self.intercept_ = np.zeros(1 if binary else classes.size)
        self.n_iter_ = np.array([result.nit])
        self.result_ = result
        if not result.success:
            warnings.warn(
                f"{type(self).__name__} ({self.solver}) did not converge after "
                f"{int(result.nit)} iterations: {result.message} Increase max_iter "
                "or scale the data.",
                ConvergenceWarning, stacklevel=stacklevel,
            )

    def _minimize(self, params: dict, X: Any, target: np.ndarray, weight: np.ndarray,
                  alpha: float) -> Any:
        scale = 1.0 / float(np.sum(weight))
        common = dict(tol=self.tol, maxiter=self.max_iter, progress=self.progress)
        if self.solver == "adam":
            fun, n_batches = self._minibatch_objective(X, target, weight, scale, alpha)
            common["maxiter"] = self.max_iter * n_batches  # max_iter counts epochs
            return minimize(fun, params, method="adam",
                            options={"learning_rate": self.learning_rate}, **common)
        # Newton-CG stops on the gradient alone, as scikit-learn's; L-BFGS also on a
        # relative decrease of the energy below 64 machine epsilons, as SciPy's.
        ftol = {"newton-cg": 0.0, "lbfgs": 64 * np.finfo(float).eps}.get(self.solver)
        options = None if ftol is None else {"ftol": ftol}
        if self.derivatives == "manual":
            hand = HandDerivatives(X, target, alpha, weight)
            hessp = hand.hessp if self.solver == "newton-cg" else None
            return minimize(hand.fun, params, method=self.solver, jac=True, hessp=hessp,
                            options=options, **common)
        # X @ W through ConstantDesign: the same AD derivatives, with the primal products
        # memoized across the Hessian-vector products taken at one point.
        return minimize(_objective, params, method=self.solver,
                        args=(ConstantDesign(X), target, weight, scale, alpha),
                        options=options, **common)

    def _minibatch_objective(self, X: Any, target: np.ndarray, weight: np.ndarray,
                             scale: float, alpha: float) -> tuple[Callable, int]:
        """The objective on the next mini-batch at each call (a fresh permutation per epoch),
        and the number of batches per epoch.

        A batch's loss is scaled by ``n / batch size`` and the penalty keeps its full-data
        weight, so the expected mini-batch objective is the full objective.
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
            return _objective(params, X[rows], target[rows], weight[rows],
                              scale * n / rows.size, alpha)

        return fun, -(-n // size)

    # -- prediction -------------------------------------------------------------------------

    @dask_method(_DASK + "decision_function")
    def decision_function(self, X: Any) -> np.ndarray:
        """Scores, shape (n_samples,) for two classes (positive: ``classes_[1]``), else
        (n_samples, n_classes)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
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
