"""Text classification: bag-of-words vectorizers and logistic regression trained by AD solvers.

The vectorizers follow scikit-learn's names and conventions and produce ``scipy.sparse``
CSR matrices. :class:`LogisticRegression` minimizes scikit-learn's objective, written as a
NumPy function of the parameters and handed to :func:`autodiff.optimize.minimize`
(Newton-CG with forward-over-reverse Hessian-vector products by default).
:class:`TextClassifier` chains the two and saves to a pickle-free folder (JSON + ``.npz``).
Run ``python -m applications.text_classification --help`` for the command line.
"""

# Names are imported on first use (PEP 562), so that the command line's ``--help`` and
# ``import applications.text_classification`` cost no NumPy, SciPy or scikit-learn import.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_SOURCES = {
    "._design": ("ConstantDesign",),
    "._io": ("BUNDLED_CORPUS", "load_bundled_corpus", "load_dataset", "load_folder",
             "load_lines", "load_tsv", "train_test_split"),
    "._logistic": ("LogisticRegression", "binary_objective", "multinomial_objective"),
    "._metrics": ("accuracy_score", "classification_report", "confusion_matrix",
                  "precision_recall_f1", "top_features"),
    "._pipeline": ("TextClassifier",),
    "._tokenize": ("build_analyzer", "char_ngrams", "char_wb_ngrams", "word_ngrams"),
    "._vectorizers": ("CountVectorizer", "HashingVectorizer", "TfidfVectorizer"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [  # the same names as _MODULE_OF (a test checks it)
    "BUNDLED_CORPUS",
    "ConstantDesign",
    "CountVectorizer",
    "HashingVectorizer",
    "LogisticRegression",
    "TextClassifier",
    "TfidfVectorizer",
    "accuracy_score",
    "binary_objective",
    "build_analyzer",
    "char_ngrams",
    "char_wb_ngrams",
    "classification_report",
    "confusion_matrix",
    "load_bundled_corpus",
    "load_dataset",
    "load_folder",
    "load_lines",
    "load_tsv",
    "multinomial_objective",
    "precision_recall_f1",
    "top_features",
    "train_test_split",
    "word_ngrams",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what static tools see: the plain imports
    from ._design import ConstantDesign
    from ._io import (
        BUNDLED_CORPUS,
        load_bundled_corpus,
        load_dataset,
        load_folder,
        load_lines,
        load_tsv,
        train_test_split,
    )
    from ._logistic import LogisticRegression, binary_objective, multinomial_objective
    from ._metrics import (
        accuracy_score,
        classification_report,
        confusion_matrix,
        precision_recall_f1,
        top_features,
    )
    from ._pipeline import TextClassifier
    from ._tokenize import build_analyzer, char_ngrams, char_wb_ngrams, word_ngrams
    from ._vectorizers import CountVectorizer, HashingVectorizer, TfidfVectorizer
