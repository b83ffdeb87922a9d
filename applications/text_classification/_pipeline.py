"""``TextClassifier``: a vectorizer followed by logistic regression, with save/load."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._io import read_model, write_model
from ._logistic import LogisticRegression
from ._metrics import accuracy_score, classification_report, confusion_matrix, top_features
from ._vectorizers import CountVectorizer, HashingVectorizer, TfidfVectorizer

__all__ = ["TextClassifier"]

_VECTORIZERS = {
    cls.__name__: cls for cls in (CountVectorizer, TfidfVectorizer, HashingVectorizer)
}
_CLASSIFIER_PARAMS = ("C", "penalty", "fit_intercept", "solver", "tol", "max_iter",
                      "batch_size", "learning_rate", "random_state")


def _class_weight_to_json(class_weight: Any) -> Any:
    """``None``, ``"balanced"``, or a dict as ``[[label, weight], ...]`` (JSON keys are str)."""
    if isinstance(class_weight, dict):
        return [[k.item() if isinstance(k, np.generic) else k, float(v)]
                for k, v in class_weight.items()]
    return class_weight


def _class_weight_from_json(value: Any) -> Any:
    return {k: v for k, v in value} if isinstance(value, list) else value


def _check_texts(texts: Any, what: str = "texts") -> list[str]:
    if isinstance(texts, str):
        raise TypeError(f"{what} must be a list of strings, got a single string")
    texts = list(texts)
    if not texts:
        raise ValueError(f"no {what} given")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{what}[{i}] is a {type(text).__name__}, expected str")
        if not text.strip():
            raise ValueError(f"{what}[{i}] is empty")
    return texts


class TextClassifier:
    """Text in, labels out: ``vectorizer`` (TF-IDF by default) then ``LogisticRegression``.

    Parameters
    ----------
    vectorizer : CountVectorizer, TfidfVectorizer or HashingVectorizer, optional
        Default: ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)``.
    classifier : LogisticRegression, optional
        Default: ``LogisticRegression(C=10.0)`` (Newton-CG).

    Examples
    --------
    >>> model = TextClassifier().fit(
    ...     ["rain and wind", "goal in extra time", "snow tonight", "the striker scored"],
    ...     ["weather", "sports", "weather", "sports"])
    >>> model.predict(["wind and snow"]).tolist()
    ['weather']
    """

    def __init__(self, vectorizer: Any = None, classifier: LogisticRegression | None = None):
        self.vectorizer = (
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
            if vectorizer is None else vectorizer
        )
        self.classifier = LogisticRegression(C=10.0) if classifier is None else classifier
        if type(self.vectorizer).__name__ not in _VECTORIZERS:
            raise TypeError(f"unsupported vectorizer {type(self.vectorizer).__name__}")

    # -- learning and prediction ----------------------------------------------------------

    def fit(self, texts: Sequence[str], labels: Sequence[Any]) -> TextClassifier:
        """Learn the vocabulary and the weights from ``texts`` and their ``labels``."""
        texts = _check_texts(texts)
        labels = list(labels)
        if len(labels) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(labels)} labels")
        X = self.vectorizer.fit_transform(texts)
        self.classifier.fit(X, labels)
        return self

    def transform(self, texts: Sequence[str]) -> Any:
        """Feature matrix (CSR) of ``texts``."""
        return self.vectorizer.transform(_check_texts(texts))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Predicted label of each text."""
        return self.classifier.predict(self.transform(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape (n_texts, n_classes), columns in ``classes_`` order."""
        return self.classifier.predict_proba(self.transform(texts))

    @property
    def classes_(self) -> np.ndarray:
        return self.classifier.classes_

    def evaluate(self, texts: Sequence[str], labels: Sequence[Any]) -> dict[str, Any]:
        """Accuracy, classification report and confusion matrix on labelled texts.

        Raises
        ------
        ValueError
            If the numbers of texts and labels differ, or a label was not seen in
            training.
        """
        texts = _check_texts(texts)
        labels = np.asarray(list(labels))
        if labels.shape[0] != len(texts):
            raise ValueError(f"got {len(texts)} texts but {labels.shape[0]} labels")
        known = set(self.classes_.tolist())
        unknown = sorted({str(v) for v in labels.tolist() if v not in known})
        if unknown:
            raise ValueError(
                f"labels not seen in training: {', '.join(unknown)} "
                f"(the model knows {', '.join(map(str, self.classes_.tolist()))})"
            )
        pred = self.predict(texts)
        return {
            "accuracy": accuracy_score(labels, pred),
            "report": classification_report(labels, pred, labels=self.classes_),
            "confusion_matrix": confusion_matrix(labels, pred, labels=self.classes_),
            "labels": self.classes_,
            "predictions": pred,
        }

    def feature_names(self) -> np.ndarray:
        """Column names (``"#<column>"`` for a hashing vectorizer, which keeps no terms)."""
        if isinstance(self.vectorizer, HashingVectorizer):
            return np.array([f"#{j}" for j in range(self.vectorizer.n_features)], dtype=object)
        return self.vectorizer.get_feature_names_out()

    def top_features(self, n: int = 10) -> dict[Any, list[tuple[str, float]]]:
        """The ``n`` features with the largest weights towards each class."""
        return top_features(self.classifier.coef_, self.feature_names(), self.classes_, n=n)

    # -- persistence ----------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the model to the folder ``path`` (``model.json`` + ``arrays.npz``)."""
        clf, vec = self.classifier, self.vectorizer
        if not hasattr(clf, "coef_"):
            raise RuntimeError("the model is not fitted yet; call fit first")
        vec_meta: dict[str, Any] = {"class": type(vec).__name__, "params": vec._json_params()}
        arrays = {"coef": clf.coef_, "intercept": clf.intercept_, "n_iter": clf.n_iter_}
        if not isinstance(vec, HashingVectorizer):
            vec_meta["vocabulary"] = vec.get_feature_names_out().tolist()
        if isinstance(vec, TfidfVectorizer):
            arrays["idf"] = vec.idf_
        meta = {
            "vectorizer": vec_meta,
            "classifier": {
                "class": "LogisticRegression",
                "params": {**{name: getattr(clf, name) for name in _CLASSIFIER_PARAMS},
                           "class_weight": _class_weight_to_json(clf.class_weight)},
                "classes": clf.classes_,
            },
        }
        return write_model(path, meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        """Read a model written by :meth:`save` (no code is executed from the files)."""
        doc, arrays = read_model(path)
        where = Path(path) / "model.json"
        try:
            vec_meta, clf_meta = doc["vectorizer"], doc["classifier"]
            vec_cls = _VECTORIZERS[vec_meta["class"]]
            params = dict(vec_meta["params"])
            params["ngram_range"] = tuple(params["ngram_range"])
            params["dtype"] = np.dtype(params["dtype"])
            vectorizer = vec_cls(**params)
            clf_params = dict(clf_meta["params"])
            if "class_weight" in clf_params:
                clf_params["class_weight"] = _class_weight_from_json(clf_params["class_weight"])
            classifier = LogisticRegression(**clf_params)
            coef = np.asarray(arrays["coef"], dtype=np.float64)
            intercept = np.asarray(arrays["intercept"], dtype=np.float64)
            n_iter = np.asarray(arrays["n_iter"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where} is malformed: {type(exc).__name__}: {exc}") from None
        classes = clf_meta["classes"]
        rows = 1 if classes.size == 2 else classes.size
        if coef.ndim != 2 or coef.shape[0] != rows or intercept.shape != (rows,):
            raise ValueError(
                f"{where}: coef {coef.shape} / intercept {intercept.shape} do not fit "
                f"{classes.size} classes"
            )
        if isinstance(vectorizer, HashingVectorizer):
            n_features = vectorizer.n_features
        else:
            vocab = vec_meta.get("vocabulary")
            if not isinstance(vocab, list) or len(set(vocab)) != len(vocab):
                raise ValueError(f"{where}: the vocabulary is missing or has repeated terms")
            vectorizer.vocabulary_ = {str(term): j for j, term in enumerate(vocab)}
            n_features = len(vocab)
            if isinstance(vectorizer, TfidfVectorizer):
                if "idf" not in arrays or arrays["idf"].shape != (n_features,):
                    raise ValueError(f"{where}: idf weights missing or of the wrong size")
                vectorizer.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
        if coef.shape[1] != n_features:
            raise ValueError(
                f"{where}: coef has {coef.shape[1]} columns for {n_features} features"
            )
        classifier.classes_ = classes
        classifier.coef_ = coef
        classifier.intercept_ = intercept
        classifier.n_iter_ = n_iter
        classifier.n_features_in_ = n_features
        return cls(vectorizer, classifier)
