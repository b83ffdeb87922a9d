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

from typing import TYPE_CHECKING

from .._lazy import attach

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

__all__ = [  # the same names as _SOURCES
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


__getattr__, __dir__ = attach(__name__, {module: list(names) for module, names in _SOURCES.items()})


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
