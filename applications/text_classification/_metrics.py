"""Classification metrics: accuracy, per-class precision/recall/F1, confusion matrix, report,
and the most informative features of a linear model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "accuracy_score",
    "classification_report",
    "confusion_matrix",
    "precision_recall_f1",
    "top_features",
]


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.ndim != 1:
        raise ValueError("y_true and y_pred must be 1-D")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has {y_true.shape[0]} labels but y_pred has {y_pred.shape[0]}"
        )
    if y_true.size == 0:
        raise ValueError("no labels to score")
    return y_true, y_pred


def _labels(y_true: np.ndarray, y_pred: np.ndarray, labels: Any) -> np.ndarray:
    if labels is None:
        return np.unique(np.concatenate([y_true, y_pred]))
    labels = np.asarray(labels)
    if np.unique(labels).size != labels.size:
        raise ValueError("labels contains repeated values")
    return labels


def accuracy_score(y_true: Sequence[Any], y_pred: Sequence[Any]) -> float:
    """Fraction of samples whose predicted label equals the true one.

    Examples
    --------
    >>> accuracy_score(["a", "b", "b"], ["a", "b", "a"])
    0.6666666666666666
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(
    y_true: Sequence[Any], y_pred: Sequence[Any], *, labels: Sequence[Any] | None = None
) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of true class ``labels[i]`` predicted as ``labels[j]``.

    Parameters
    ----------
    y_true, y_pred : sequence, shape (n_samples,)
    labels : sequence, optional
        Row/column order (default: sorted union of both label sets). Samples whose
        labels are not listed are ignored.

    Returns
    -------
    ndarray of int64, shape (n_labels, n_labels)

    Examples
    --------
    >>> confusion_matrix([0, 1, 1], [0, 0, 1]).tolist()
    [[1, 0], [1, 1]]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    labels = _labels(y_true, y_pred, labels)
    index = {label: i for i, label in enumerate(labels.tolist())}
    k = len(index)
    rows = np.array([index.get(v, -1) for v in y_true.tolist()], dtype=np.int64)
    cols = np.array([index.get(v, -1) for v in y_pred.tolist()], dtype=np.int64)
    keep = (rows >= 0) & (cols >= 0)
    return np.bincount(rows[keep] * k + cols[keep], minlength=k * k).reshape(k, k)


def precision_recall_f1(
    y_true: Sequence[Any], y_pred: Sequence[Any], *, labels: Sequence[Any] | None = None
) -> dict[str, np.ndarray]:
    """Per-class precision, recall, F1 and support.

    A ratio with a zero denominator is reported as 0 (no warning).

    Returns
    -------
    dict
        ``labels``, ``precision``, ``recall``, ``f1`` (float arrays) and ``support``
        (int array, true samples per class), all of shape (n_labels,).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    labels = _labels(y_true, y_pred, labels)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    support = cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"labels": labels, "precision": precision, "recall": recall, "f1": f1,
            "support": support}


def classification_report(
    y_true: Sequence[Any], y_pred: Sequence[Any], *, labels: Sequence[Any] | None = None,
    digits: int = 3,
) -> str:
    """A text table of precision, recall, F1 and support per class, with the accuracy and
    the macro and support-weighted averages.

    Examples
    --------
    >>> print(classification_report(["a", "b"], ["a", "a"]).splitlines()[0].split())
    ['precision', 'recall', 'f1', 'support']
    """
    y_true, y_pred = _pair(y_true, y_pred)
    scores = precision_recall_f1(y_true, y_pred, labels=labels)
    names = [str(label) for label in scores["labels"].tolist()]
    width = max([len(n) for n in names] + [len("weighted avg")])
    head = f"{'':>{width}} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>9}"
    lines = [head, ""]
    fmt = f"{{:>{width}}} {{:>9.{digits}f}} {{:>9.{digits}f}} {{:>9.{digits}f}} {{:>9d}}"
    for i, name in enumerate(names):
        lines.append(fmt.format(name, scores["precision"][i], scores["recall"][i],
                                scores["f1"][i], int(scores["support"][i])))
    total = int(scores["support"].sum())
    weights = scores["support"] / max(total, 1)
    lines.append("")
    acc = accuracy_score(y_true, y_pred)
    lines.append(f"{'accuracy':>{width}} {'':>9} {'':>9} {acc:>9.{digits}f} {y_true.size:>9d}")
    for name, avg in (("macro avg", None), ("weighted avg", weights)):
        vals = [np.average(scores[m], weights=avg) for m in ("precision", "recall", "f1")]
        lines.append(fmt.format(name, *vals, total))
    return "\n".join(lines)


def top_features(
    coef: np.ndarray, feature_names: Sequence[str], classes: Sequence[Any], *, n: int = 10
) -> dict[Any, list[tuple[str, float]]]:
    """The ``n`` features that most favour each class in a linear model.

    Parameters
    ----------
    coef : ndarray, shape (1, n_features) or (n_classes, n_features)
        ``coef_`` of a fitted model. With one row (two classes) the largest weights
        favour ``classes[1]`` and the most negative ones ``classes[0]``.
    feature_names : sequence of str, shape (n_features,)
    classes : sequence, shape (n_classes,)
    n : int
        Number of features per class.

    Returns
    -------
    dict
        ``{class: [(feature, weight), ...]}``, strongest first (weights as signed
        towards that class).

    Examples
    --------
    >>> top_features(np.array([[2.0, -1.0, 0.5]]), ["x", "y", "z"], ["neg", "pos"], n=1)
    {'neg': [('y', 1.0)], 'pos': [('x', 2.0)]}
    """
    coef = np.asarray(coef, dtype=np.float64)
    names = np.asarray(feature_names, dtype=object)
    classes = list(classes)
    if coef.ndim != 2 or coef.shape[1] != names.size:
        raise ValueError(
            f"coef of shape {coef.shape} does not match {names.size} feature names"
        )
    if coef.shape[0] == 1 and len(classes) == 2:
        rows = np.vstack([-coef[0], coef[0]])
    elif coef.shape[0] == len(classes):
        rows = coef
    else:
        raise ValueError(f"coef has {coef.shape[0]} rows for {len(classes)} classes")
    n = max(0, min(int(n), names.size))
    out: dict[Any, list[tuple[str, float]]] = {}
    for label, row in zip(classes, rows):
        best = np.argsort(-row, kind="stable")[:n]
        out[label] = [(str(names[j]), float(row[j])) for j in best]
    return out
