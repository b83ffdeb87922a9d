"""Text classification: bag-of-words vectorizers and logistic regression trained by AD solvers.

The vectorizers follow scikit-learn's names and conventions and produce ``scipy.sparse``
CSR matrices. :class:`LogisticRegression` minimizes scikit-learn's objective, written as a
NumPy function of the parameters and handed to :func:`autodiff.optimize.minimize`
(Newton-CG with forward-over-reverse Hessian-vector products by default).
:class:`TextClassifier` chains the two and saves to a pickle-free folder (JSON + ``.npz``).
Run ``python -m applications.text_classification --help`` for the command line.
"""

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

__all__ = [
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
