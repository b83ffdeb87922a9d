r"""Text classification on dask collections: chunked fits with per-chunk AD derivatives.

:class:`LogisticRegression` sends a ``dask.array.Array`` here.  The objective is the
in-memory one (scikit-learn's: unpenalised intercept, softmax for three or more classes,
sample and class weights :math:`s_i`), written as a sum over row chunks:

.. math::

    f(W, b) = \frac{1}{S} \sum_{\text{chunks } c} \; \sum_{i \in c} s_i \ell_i(W, b)
              + \frac{1}{2 C S} \|W\|_F^2, \qquad S = \sum_i s_i

Each chunk returns the value and gradient of its part (``ad.value_and_grad`` of the
estimator's block loss, ``_block_loss(params, X_block, y_block, sample_weight_block)``,
on the columns the chunk uses) and, for
``"newton-cg"``, its Hessian-vector products (``ad.hvp``, forward-over-reverse); the driver
sums them with ``dask.compute`` (on the active ``dask.distributed`` client when there is
one, where the chunks stay persisted on the workers) and runs the same solver,
:func:`autodiff.optimize.minimize`, as the in-memory fit.  The two fits therefore follow
the same iterates up to the rounding of the sums.

``HashingVectorizer.transform`` accepts a ``dask.bag.Bag`` of documents or a list of
``pathlib.Path`` files (one document per line) and returns a dask array of CSR chunks,
one per partition / file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

import autodiff as ad
from autodiff.optimize import minimize

from .._dask import DaskInputError, import_dask_array, is_dask_array, is_dask_bag
from ._design import ConstantDesign
from ._logistic import _block_loss, _check_sample_weight, _class_weights

__all__ = [
    "fit", "decision_function", "predict", "predict_proba", "predict_log_proba",
    "hashing_transform",
]

_CHUNKED_SOLVERS = ("newton-cg", "lbfgs", "gd")


# -- per-chunk derivatives (module level: they travel to the workers by reference) -----------


class _Chunk:
    """One row chunk, prepared once: its design restricted to the columns it uses, its
    targets and weights, and (built on first use, in the process that holds the chunk) the
    :class:`ConstantDesign` whose memoized products serve every Hessian-vector product
    taken at one Newton iterate."""

    __slots__ = ("X", "columns", "target", "weight", "_design")

    def __init__(self, X: Any, columns: np.ndarray | None, target: np.ndarray,
                 weight: np.ndarray) -> None:
        self.X = X  # CSR with columns renumbered 0..len(columns)-1, or the dense block
        self.columns = columns  # the original column of each, None for all (dense)
        self.target, self.weight = target, weight
        self._design: ConstantDesign | None = None

    @property
    def design(self) -> ConstantDesign:
        if self._design is None:
            self._design = ConstantDesign(self.X)
        return self._design

    def __getstate__(self) -> tuple:  # the design's primitives stay in their process
        return self.X, self.columns, self.target, self.weight

    def __setstate__(self, state: tuple) -> None:
        self.X, self.columns, self.target, self.weight = state
        self._design = None


def _prepare(block: Any, target: np.ndarray, weight: np.ndarray) -> _Chunk:
    """Check a chunk (float64, finite) and drop the columns it does not use: a sparse chunk
    of text touches a fraction of 2^18 hashed columns, and the per-chunk derivatives then
    cost (and travel) in proportion to what the chunk uses, not to the vocabulary."""
    if sp.issparse(block):
        block = sp.csr_matrix(block, dtype=np.float64)
        if not np.isfinite(block.data).all():
            raise ValueError("a chunk of X contains NaN or infinity")
        columns, renumbered = np.unique(block.indices, return_inverse=True)
        X = sp.csr_matrix((block.data, renumbered.astype(np.int32), block.indptr),
                          shape=(block.shape[0], columns.size))
        return _Chunk(X, columns, target, weight)
    X = np.ascontiguousarray(block, dtype=np.float64)
    if not np.isfinite(X).all():
        raise ValueError("a chunk of X contains NaN or infinity")
    return _Chunk(X, None, target, weight)


def _chunk_loss(params: dict, X: Any, target: np.ndarray, weight: np.ndarray) -> Any:
    """Weighted sum of the losses of one chunk (no penalty, no normalisation)."""
    return _block_loss(params, X, target, weight)


def _restrict(params: dict, columns: np.ndarray | None) -> dict:
    if columns is None:
        return params
    return {k: (a[columns] if k == "coef" else a) for k, a in params.items()}


def _chunk_value_and_grad(params: dict, chunk: _Chunk) -> tuple:
    """``(value, columns, grad)`` of the chunk's summed loss, ``grad`` on ``columns``."""
    if chunk.target.shape[0] == 0:
        return 0.0, np.zeros(0, np.intp), None
    value, grad = ad.value_and_grad(_chunk_loss)(_restrict(params, chunk.columns),
                                                  chunk.design, chunk.target, chunk.weight)
    return float(value), chunk.columns, grad


def _chunk_hvp(params: dict, v: dict, chunk: _Chunk) -> tuple:
    """``(columns, H v)`` of the chunk's summed loss (forward-over-reverse)."""
    if chunk.target.shape[0] == 0:
        return np.zeros(0, np.intp), None
    product = ad.hvp(_chunk_loss)(_restrict(params, chunk.columns),
                                  _restrict(v, chunk.columns), chunk.design, chunk.target,
                                  chunk.weight)
    return chunk.columns, product


def _accumulate(total: dict, columns: np.ndarray | None, part: dict | None) -> None:
    """``total += part``, the coefficient rows of ``part`` going to ``columns``."""
    if part is None:
        return
    for k, a in part.items():
        if k == "coef" and columns is not None:
            total[k][columns] += a  # columns are distinct (np.unique)
        else:
            total[k] += a


def _share(value: Any) -> Any:
    """``value`` as one task input shared by all chunks: scattered to every worker of an
    active distributed client (not re-sent inside each graph), a delayed constant otherwise."""
    from dask import delayed

    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):
        return delayed(value, traverse=False)
    return client.scatter([value], broadcast=True, hash=False)[0]


def _on_chunks(run: Any, tasks: list) -> list:
    """``run(*tasks)`` (``dask.compute`` / ``dask.persist``); a failure names the chunk step."""
    try:
        return list(run(*tasks))
    except Exception as exc:
        raise RuntimeError(f"a chunk of the distributed fit failed "
                           f"({type(exc).__name__}: {exc}); no model was fitted") from exc


class _ChunkedObjective:
    """``fun(params) -> (value, grad)`` and ``hessp(params, v)`` summed over chunks."""

    def __init__(self, chunks: list, total_weight: float, alpha: float) -> None:
        self.chunks = chunks
        self.total_weight, self.alpha = total_weight, alpha

    def _compute(self, tasks: list) -> list:
        import dask

        return _on_chunks(dask.compute, tasks)

    def _finish(self, total: dict, point: dict) -> dict:
        out = {k: a / self.total_weight for k, a in total.items()}
        out["coef"] = out["coef"] + self.alpha * np.asarray(point["coef"], dtype=np.float64)
        return out

    def fun(self, params: dict) -> tuple[float, dict]:
        from dask import delayed

        shared = _share(params)
        parts = self._compute([delayed(_chunk_value_and_grad)(shared, c) for c in self.chunks])
        total = {k: np.zeros(np.shape(a)) for k, a in params.items()}
        for _, columns, grad in parts:
            _accumulate(total, columns, grad)
        W = np.asarray(params["coef"], dtype=np.float64)
        value = (math.fsum(p[0] for p in parts) / self.total_weight
                 + 0.5 * self.alpha * float(np.sum(W * W)))
        return value, self._finish(total, params)

    def hessp(self, params: dict, v: dict) -> dict:
        from dask import delayed

        shared, direction = _share(params), _share(v)
        parts = self._compute([delayed(_chunk_hvp)(shared, direction, c) for c in self.chunks])
        total = {k: np.zeros(np.shape(a)) for k, a in v.items()}
        for columns, product in parts:
            _accumulate(total, columns, product)
        return self._finish(total, v)


# -- checks ----------------------------------------------------------------------------------


def _is_sparse_meta(X: Any) -> bool:
    return sp.issparse(getattr(X, "_meta", None))


def _check_dask_X(X: Any, n_features: int | None = None) -> Any:
    """Validate a dask design matrix; one chunk along the columns (rechunked if dense)."""
    if X.ndim != 2:
        raise DaskInputError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if np.dtype(X.dtype).kind not in "biuf":
        raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
    if any(math.isnan(c) for chunks in X.chunks for c in chunks):
        raise DaskInputError(
            f"X has unknown chunk sizes (NaN) {X.chunks}: the rows of each chunk must be "
            "known to align the labels; call X.compute_chunk_sizes() first")
    if X.shape[0] == 0:
        raise DaskInputError("X has no samples")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model was fitted with {n_features}")
    if len(X.chunks[1]) > 1:
        if _is_sparse_meta(X):
            raise DaskInputError(
                f"X is split into {len(X.chunks[1])} chunks along the features; each chunk "
                "must hold whole rows: build it with one chunk along axis 1")
        X = X.rechunk({1: -1})
    return X


def _labels(y: Any, n_samples: int) -> np.ndarray:
    y = np.asarray(y.compute() if is_dask_array(y) else y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(f"X has {n_samples} samples but y has {y.shape[0]} labels")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity")
    return y


# -- LogisticRegression ----------------------------------------------------------------------


def fit(estimator: Any, X: Any, y: Sequence[Any], sample_weight: Any = None) -> Any:
    """Fit ``estimator`` (a :class:`LogisticRegression`) on a dask array of row chunks.

    Parameters
    ----------
    estimator : LogisticRegression
        Its parameters (``C``, ``penalty``, ``fit_intercept``, ``class_weight``,
        ``solver``, ``tol``, ``max_iter``, ``progress``) are used as in memory;
        ``solver="adam"`` and ``derivatives="manual"`` are not available.
    X : dask.array.Array, shape (n_samples, n_features)
        Dense chunks or ``scipy.sparse`` CSR chunks, known chunk sizes, one chunk along
        the features (dense input is rechunked so).  With an active ``dask.distributed``
        client the chunks are persisted on the workers for the whole fit; with the local
        scheduler they are held in this process.
    y : array-like or dask.array.Array, shape (n_samples,)
        Labels (computed: one label per sample fits in memory).
    sample_weight : array-like or dask.array.Array, shape (n_samples,), optional
        Non-negative weight of each sample (computed, like ``y``).

    Returns
    -------
    LogisticRegression
        ``estimator``, fitted.
    """
    da = import_dask_array()
    import dask
    from sklearn.utils.multiclass import check_classification_targets

    estimator._check_params()
    if estimator.solver not in _CHUNKED_SOLVERS:
        raise ValueError(f"solver={estimator.solver!r} is not available for dask input; "
                         f"choose one of {_CHUNKED_SOLVERS}")
    if estimator.derivatives != "ad":
        raise ValueError("derivatives='manual' is not available for dask input")
    X = _check_dask_X(X)
    n_samples, n_features = X.shape
    y = _labels(y, n_samples)
    check_classification_targets(y)
    if is_dask_array(sample_weight):
        sample_weight = sample_weight.compute()
    weight = _check_sample_weight(sample_weight, n_samples)
    classes, codes = np.unique(y, return_inverse=True)
    weighted = classes[np.bincount(codes, weights=weight, minlength=classes.size) > 0]
    if weighted.size < 2:
        raise ValueError(
            "need samples of at least 2 classes with non-zero weight, but the data "
            f"contain only 1 class: {(weighted if weighted.size else classes)[0]!r}")
    if estimator.class_weight is not None:
        weight = weight * _class_weights(estimator.class_weight, classes, codes, weight)[codes]
    total_weight = float(np.sum(weight))
    if not total_weight > 0:
        raise ValueError("the class weights give every sample zero weight")
    binary = classes.size == 2
    width = () if binary else (classes.size,)
    if binary:
        target = np.where(codes == 1, 1.0, -1.0)
    else:
        target = np.zeros((n_samples, classes.size))
        target[np.arange(n_samples), codes] = 1.0
    params: dict[str, np.ndarray] = {"coef": np.zeros((n_features,) + width)}
    if estimator.fit_intercept:
        params["intercept"] = np.zeros(width)
    alpha = 1.0 / (estimator.C * total_weight) if estimator.penalty == "l2" else 0.0

    rows = X.chunks[0]
    targets = da.from_array(target, chunks=(rows,) + tuple((s,) for s in width))
    weights = da.from_array(weight, chunks=(rows,))
    prepared = [dask.delayed(_prepare, pure=True)(block, t, w)
                for block, t, w in zip(X.to_delayed()[:, 0], targets.to_delayed().ravel(),
                                       weights.to_delayed().ravel())]
    # Prepared once and kept: on the workers of an active distributed client (its default
    # scheduler), in this process otherwise.
    chunks = _on_chunks(dask.persist, prepared)
    chunked = _ChunkedObjective(chunks, total_weight, alpha)
    ftol = {"newton-cg": 0.0, "lbfgs": 64 * np.finfo(float).eps}.get(estimator.solver)
    result = minimize(chunked.fun, params, method=estimator.solver, jac=True,
                      hessp=chunked.hessp if estimator.solver == "newton-cg" else None,
                      tol=estimator.tol, maxiter=estimator.max_iter,
                      progress=estimator.progress,
                      options=None if ftol is None else {"ftol": ftol})
    estimator._set_fitted(classes, result, stacklevel=4)
    estimator.n_features_in_ = n_features
    return estimator


def _map_rows(estimator: Any, X: Any, method: str, per_class: bool, dtype: Any) -> Any:
    import dask
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    X = _check_dask_X(X, estimator.coef_.shape[1])
    function = getattr(type(estimator), method)
    # The fitted model travels once per graph as a delayed constant, not inside each task,
    # and without the solver's record (result_ holds copies of the coefficients).
    light = object.__new__(type(estimator))
    light.__dict__.update({k: v for k, v in vars(estimator).items() if k != "result_"})
    model = dask.delayed(light, traverse=False)
    if per_class:
        return X.map_blocks(_apply, function, model, dtype=dtype,
                            chunks=(X.chunks[0], (estimator.classes_.size,)),
                            meta=np.empty((0, 0), dtype))
    return X.map_blocks(_apply, function, model, dtype=dtype, drop_axis=1,
                        meta=np.empty((0,), dtype))


def _apply(block: Any, function: Any, estimator: Any) -> np.ndarray:
    return function(estimator, block)


def decision_function(estimator: Any, X: Any) -> Any:
    """Lazy scores of a dask array: (n_samples,) for two classes, else (n_samples, n_classes)."""
    return _map_rows(estimator, X, "decision_function", estimator.classes_.size > 2,
                     np.float64)


def predict_proba(estimator: Any, X: Any) -> Any:
    """Lazy class probabilities of a dask array, shape (n_samples, n_classes)."""
    return _map_rows(estimator, X, "predict_proba", True, np.float64)


def predict_log_proba(estimator: Any, X: Any) -> Any:
    """Lazy log-probabilities of a dask array, shape (n_samples, n_classes)."""
    return _map_rows(estimator, X, "predict_log_proba", True, np.float64)


def predict(estimator: Any, X: Any) -> Any:
    """Lazy predicted labels of a dask array, shape (n_samples,)."""
    return _map_rows(estimator, X, "predict", False, estimator.classes_.dtype)


# -- HashingVectorizer -----------------------------------------------------------------------


def _count(partition: Any) -> list[int]:
    return [sum(1 for _ in partition)]


def _strip_newline(line: str) -> str:
    return line.rstrip("\r\n")


def hashing_transform(vectorizer: Any, documents: Any) -> Any:
    """``HashingVectorizer.transform`` of a dask bag or of files: a dask array of CSR chunks.

    Parameters
    ----------
    vectorizer : HashingVectorizer
    documents : dask.bag.Bag or list of pathlib.Path
        A bag of document strings (one chunk per partition), or text files with one
        document per line (one chunk per file, read by the workers).

    Returns
    -------
    dask.array.Array, shape (n_documents, n_features)
        Lazy, ``scipy.sparse.csr_matrix`` chunks with known sizes (the documents are
        counted once, without tokenizing, to know them).
    """
    da = import_dask_array()
    import dask
    import dask.bag as db

    vectorizer._check_params()
    if not is_dask_bag(documents):
        missing = [str(p) for p in documents if not os.path.isfile(p)]
        if missing:
            raise FileNotFoundError(f"no such document file(s): {', '.join(missing[:3])}")
        documents = db.read_text([os.fspath(p) for p in documents],
                                 files_per_partition=1).map(_strip_newline)
    lengths = documents.map_partitions(_count).compute()
    dtype = np.dtype(vectorizer.dtype)
    meta = sp.csr_matrix((0, vectorizer.n_features), dtype=dtype)
    transform = dask.delayed(type(vectorizer).transform, pure=True)
    chunks = [da.from_delayed(transform(vectorizer, part), shape=(n, vectorizer.n_features),
                              dtype=dtype, meta=meta)
              for part, n in zip(documents.to_delayed(), lengths)]
    return da.concatenate(chunks, axis=0)
