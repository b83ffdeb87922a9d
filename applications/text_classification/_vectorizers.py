"""Bag-of-words vectorizers: counts, TF-IDF and the hashing trick, as CSR matrices.

Names, parameters and numerical conventions follow scikit-learn's
``CountVectorizer``, ``TfidfVectorizer`` and ``HashingVectorizer`` so that the same
settings give the same matrices (the tests compare them entry by entry).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._dask import dask_method, is_document_chunks
from ._hashing import murmurhash3_32
from ._tokenize import DEFAULT_TOKEN_PATTERN, build_analyzer

__all__ = ["CountVectorizer", "HashingVectorizer", "TfidfVectorizer"]


def _check_documents(raw_documents: Any) -> list[str]:
    if isinstance(raw_documents, (str, bytes)):
        raise TypeError(
            "expected an iterable of text documents, got a single string; wrap it in a list"
        )
    try:
        docs = list(raw_documents)
    except TypeError:
        raise TypeError(
            f"expected an iterable of text documents, got {type(raw_documents).__name__}"
        ) from None
    for i, doc in enumerate(docs):
        if not isinstance(doc, str):
            raise TypeError(f"document {i} is a {type(doc).__name__}, expected str")
    return docs


def _index_dtype(n: int) -> type:
    return np.int32 if n <= np.iinfo(np.int32).max else np.int64


def _normalize_rows(X: sp.csr_matrix, norm: str | None) -> sp.csr_matrix:
    """Divide each row of ``X`` (in place) by its l1 or l2 norm; empty rows stay zero."""
    if norm is None:
        return X
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    # bincount adds the weights in order, row by row: the same sums as a plain loop.
    if norm == "l2":
        norms = np.sqrt(np.bincount(rows, weights=X.data * X.data, minlength=X.shape[0]))
    else:
        norms = np.bincount(rows, weights=np.abs(X.data), minlength=X.shape[0])
    norms[norms == 0.0] = 1.0
    X.data /= norms[rows]
    return X


def _check_norm(norm: str | None) -> None:
    if norm not in (None, "l1", "l2"):
        raise ValueError(f"norm must be 'l1', 'l2' or None, got {norm!r}")


class _AnalyzerMixin:
    """Shared options: how a document becomes a list of features."""

    analyzer: str
    ngram_range: tuple[int, int]
    lowercase: bool
    strip_accents: str | None
    token_pattern: str
    stop_words: list[str] | None

    def build_analyzer(self):
        """Return the callable ``doc -> list of features`` for the current settings."""
        return build_analyzer(
            analyzer=self.analyzer,
            lowercase=self.lowercase,
            strip_accents=self.strip_accents,
            token_pattern=self.token_pattern,
            ngram_range=tuple(self.ngram_range),
            stop_words=self.stop_words,
        )

    def _analyzer_params(self) -> dict[str, Any]:
        stop_words = self.stop_words
        if stop_words is not None and not isinstance(stop_words, str):
            stop_words = list(stop_words)
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "lowercase": self.lowercase,
            "strip_accents": self.strip_accents,
            "token_pattern": self.token_pattern,
            "stop_words": stop_words,
        }

    def __sklearn_tags__(self) -> Any:
        # Input is a list of strings, not a 2-D array: scikit-learn's common checks that
        # feed numeric arrays do not apply (as for its own vectorizers).
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


class CountVectorizer(_AnalyzerMixin, TransformerMixin, BaseEstimator,
                      auto_wrap_output_keys=None):
    """Convert texts to a sparse matrix of feature counts.

    Parameters
    ----------
    analyzer : {"word", "char", "char_wb"}
        Features are word n-grams, character n-grams, or character n-grams inside words.
    ngram_range : (int, int)
        Smallest and largest n of the n-grams, inclusive.
    lowercase : bool
        Lowercase before tokenizing.
    strip_accents : {None, "unicode", "ascii"}
        Accent removal.
    token_pattern : str
        Regular expression of a word token (default: two or more word characters).
    stop_words : "english" or list of str, optional
        Words removed before forming word n-grams; ``"english"`` is scikit-learn's
        built-in list (``sklearn.feature_extraction.text.ENGLISH_STOP_WORDS``).
    min_df, max_df : int or float
        Keep features whose document frequency is at least ``min_df`` and at most
        ``max_df``: an int is a number of documents, a float in [0, 1] a proportion.
    max_features : int, optional
        Then keep the ``max_features`` features with the largest total count.
    vocabulary : mapping or iterable of str, optional
        A fixed vocabulary (term -> column, or terms in column order); no pruning.
    binary : bool
        Record presence (1) instead of counts.
    dtype : dtype
        Data type of the matrix.

    Attributes
    ----------
    vocabulary_ : dict of str -> int
        Column of each feature; columns are in sorted order of the terms when learned.

    Examples
    --------
    >>> cv = CountVectorizer()
    >>> X = cv.fit_transform(["rain and wind", "wind, wind"])
    >>> cv.get_feature_names_out().tolist()
    ['and', 'rain', 'wind']
    >>> X.toarray().tolist()
    [[1, 1, 1], [0, 0, 2]]
    """

    def __init__(
        self,
        *,
        analyzer: str = "word",
        ngram_range: tuple[int, int] = (1, 1),
        lowercase: bool = True,
        strip_accents: str | None = None,
        token_pattern: str = DEFAULT_TOKEN_PATTERN,
        stop_words: str | list[str] | None = None,
        min_df: float = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        vocabulary: Mapping[str, int] | Iterable[str] | None = None,
        binary: bool = False,
        dtype: Any = np.int64,
    ) -> None:
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.binary = binary
        self.dtype = dtype

    # -- validation ---------------------------------------------------------------

    def _check_params(self) -> None:
        for name in ("min_df", "max_df"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real):
                raise TypeError(f"{name} must be an int or a float, got {value!r}")
            if isinstance(value, Integral):
                if value < 0:
                    raise ValueError(f"{name} must be >= 0, got {value}")
            elif not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} as a proportion must lie in [0, 1], got {value}")
        if self.max_features is not None and (
            isinstance(self.max_features, bool)
            or not isinstance(self.max_features, Integral)
            or self.max_features <= 0
        ):
            raise ValueError(f"max_features must be a positive int, got {self.max_features!r}")
        self.build_analyzer()  # validates analyzer, ngram_range, stop_words, pattern

    def _fixed_vocabulary(self) -> dict[str, int] | None:
        if self.vocabulary is None:
            return None
        if isinstance(self.vocabulary, Mapping):
            vocab = {str(k): int(v) for k, v in self.vocabulary.items()}
            if sorted(vocab.values()) != list(range(len(vocab))):
                raise ValueError("vocabulary indices must be 0, 1, ..., n - 1, each once")
        else:
            terms = list(self.vocabulary)
            vocab = {}
            for term in terms:
                if term in vocab:
                    raise ValueError(f"vocabulary contains {term!r} twice")
                vocab[term] = len(vocab)
        if not vocab:
            raise ValueError("the vocabulary is empty")
        return vocab

    # -- counting -----------------------------------------------------------------

    def _count(
        self, docs: list[str], vocab: dict[str, int], grow: bool
    ) -> sp.csr_matrix:
        """Count matrix over ``vocab``; new terms are added to it when ``grow``."""
        analyze = self.build_analyzer()
        indices: list[int] = []
        values: list[int] = []
        indptr = [0]
        for doc in docs:
            counts: dict[int, int] = {}
            for feature in analyze(doc):
                j = vocab.get(feature)
                if j is None:
                    if not grow:
                        continue
                    j = vocab[feature] = len(vocab)
                counts[j] = counts.get(j, 0) + 1
            indices.extend(counts)
            values.extend(counts.values())
            indptr.append(len(indices))
        if grow and not vocab:
            raise ValueError(
                "empty vocabulary: the documents contain no tokens (or only stop words)"
            )
        idx_dtype = _index_dtype(max(len(indices), len(vocab)))
        X = sp.csr_matrix(
            (
                np.asarray(values, dtype=np.int64),
                np.asarray(indices, dtype=idx_dtype),
                np.asarray(indptr, dtype=idx_dtype),
            ),
            shape=(len(docs), len(vocab)),
        )
        X.sort_indices()
        return X

    def _prune(self, X: sp.csr_matrix, vocab: dict[str, int]) -> tuple[sp.csr_matrix, dict]:
        """Sort the columns by term, then apply min_df, max_df and max_features."""
        terms = sorted(vocab)
        order = np.fromiter((vocab[t] for t in terms), dtype=np.int64, count=len(terms))
        X = X[:, order]
        n_docs = X.shape[0]
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_docs
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_docs
        if high < low:
            raise ValueError(
                f"max_df={self.max_df} keeps fewer documents than min_df={self.min_df}"
            )
        df = np.bincount(X.indices, minlength=X.shape[1])
        keep = (df >= low) & (df <= high)
        if self.max_features is not None and keep.sum() > self.max_features:
            totals = np.asarray(X.sum(axis=0)).ravel()
            kept = np.flatnonzero(keep)
            # Largest totals first; ties broken as scikit-learn does (same argsort call).
            best = kept[(-totals[kept]).argsort()[: self.max_features]]
            keep = np.zeros_like(keep)
            keep[best] = True
        if not keep.any():
            raise ValueError(
                "after pruning no terms remain; try a lower min_df or a higher max_df"
            )
        columns = np.flatnonzero(keep)
        new_vocab = {terms[j]: i for i, j in enumerate(columns)}
        return X[:, columns], new_vocab

    def _finish(self, X: sp.csr_matrix) -> sp.csr_matrix:
        if self.binary:
            X.data[:] = 1
        return X.astype(self.dtype, copy=False)

    # -- public API ---------------------------------------------------------------

    def fit(self, raw_documents: Iterable[str], y: Any = None) -> CountVectorizer:
        """Learn the vocabulary of ``raw_documents``; returns ``self``."""
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents: Iterable[str], y: Any = None) -> sp.csr_matrix:
        """Learn the vocabulary and return the count matrix, shape (n_documents, n_features)."""
        return self._finish(self._fit_counts(raw_documents))

    def _fit_counts(self, raw_documents: Iterable[str]) -> sp.csr_matrix:
        self._check_params()
        docs = _check_documents(raw_documents)
        fixed = self._fixed_vocabulary()
        if fixed is not None:
            self.vocabulary_ = fixed
            return self._count(docs, fixed, grow=False)
        vocab: dict[str, int] = {}
        counts = self._count(docs, vocab, grow=True)
        X, self.vocabulary_ = self._prune(counts, vocab)
        return X

    def transform(self, raw_documents: Iterable[str]) -> sp.csr_matrix:
        """Count matrix of new documents over the learned vocabulary (unknown terms ignored)."""
        return self._finish(self._transform_counts(raw_documents))

    def _transform_counts(self, raw_documents: Iterable[str]) -> sp.csr_matrix:
        self._check_fitted()
        docs = _check_documents(raw_documents)
        return self._count(docs, self.vocabulary_, grow=False)

    def _check_fitted(self) -> None:
        check_is_fitted(self, "vocabulary_")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Feature names in column order, as an object array of str."""
        self._check_fitted()
        names = np.empty(len(self.vocabulary_), dtype=object)
        for term, j in self.vocabulary_.items():
            names[j] = term
        return names

    def _json_params(self) -> dict[str, Any]:
        """Settings as JSON-friendly values (used to save a model)."""
        params = self._analyzer_params()
        params.update(
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            binary=self.binary,
            dtype=np.dtype(self.dtype).name,
        )
        return params


class TfidfVectorizer(CountVectorizer, auto_wrap_output_keys=None):
    """Convert texts to a TF-IDF weighted sparse matrix.

    Counts as in :class:`CountVectorizer`, then

    .. math::

        \\mathrm{idf}(t) = \\ln\\frac{1 + n}{1 + \\mathrm{df}(t)} + 1

    (``smooth_idf=True``; otherwise :math:`\\ln(n / \\mathrm{df}(t)) + 1`),
    :math:`\\mathrm{tf} \\to 1 + \\ln \\mathrm{tf}` when ``sublinear_tf``, entries
    ``tf * idf`` and each row scaled to unit ``norm``.

    Parameters
    ----------
    norm : {"l2", "l1", None}
        Row normalization.
    use_idf : bool
        Weight by the inverse document frequency.
    smooth_idf : bool
        Add one to document frequencies, as if one extra document held every term.
    sublinear_tf : bool
        Replace a count ``tf`` by ``1 + ln(tf)``.
    analyzer, ngram_range, lowercase, strip_accents, token_pattern, stop_words, min_df, \
max_df, max_features, vocabulary, binary, dtype
        As in :class:`CountVectorizer` (``dtype`` defaults to float64).

    Attributes
    ----------
    vocabulary_ : dict of str -> int
    idf_ : ndarray, shape (n_features,)

    Examples
    --------
    >>> tv = TfidfVectorizer()
    >>> X = tv.fit_transform(["sun and rain", "rain"])
    >>> X.toarray()[1].round(4).tolist()
    [0.0, 1.0, 0.0]
    """

    def __init__(
        self,
        *,
        analyzer: str = "word",
        ngram_range: tuple[int, int] = (1, 1),
        lowercase: bool = True,
        strip_accents: str | None = None,
        token_pattern: str = DEFAULT_TOKEN_PATTERN,
        stop_words: str | list[str] | None = None,
        min_df: float = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        vocabulary: Mapping[str, int] | Iterable[str] | None = None,
        binary: bool = False,
        dtype: Any = np.float64,
        norm: str | None = "l2",
        use_idf: bool = True,
        smooth_idf: bool = True,
        sublinear_tf: bool = False,
    ) -> None:
        super().__init__(
            analyzer=analyzer, ngram_range=ngram_range, lowercase=lowercase,
            strip_accents=strip_accents, token_pattern=token_pattern, stop_words=stop_words,
            min_df=min_df, max_df=max_df, max_features=max_features, vocabulary=vocabulary,
            binary=binary, dtype=dtype,
        )
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf

    def _check_params(self) -> None:
        super()._check_params()
        _check_norm(self.norm)
        if not np.issubdtype(np.dtype(self.dtype), np.floating):
            raise TypeError(f"TfidfVectorizer needs a floating dtype, got {self.dtype!r}")

    def _weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        X = counts.astype(np.float64)
        if self.binary:
            X.data[:] = 1.0
        if self.sublinear_tf:
            np.log(X.data, out=X.data)
            X.data += 1.0
        if self.use_idf:
            X.data *= self.idf_[X.indices]
        return _normalize_rows(X, self.norm).astype(self.dtype, copy=False)

    def fit_transform(self, raw_documents: Iterable[str], y: Any = None) -> sp.csr_matrix:
        """Learn vocabulary and idf, return the TF-IDF matrix, shape (n_documents, n_features)."""
        counts = self._fit_counts(raw_documents)
        n_docs = counts.shape[0] + int(self.smooth_idf)
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        df += int(self.smooth_idf)
        self.idf_ = np.log(n_docs / df) + 1.0
        return self._weight(counts)

    def transform(self, raw_documents: Iterable[str]) -> sp.csr_matrix:
        """TF-IDF matrix of new documents with the learned vocabulary and idf."""
        return self._weight(self._transform_counts(raw_documents))

    def _json_params(self) -> dict[str, Any]:
        params = super()._json_params()
        params.update(
            norm=self.norm,
            use_idf=self.use_idf,
            smooth_idf=self.smooth_idf,
            sublinear_tf=self.sublinear_tf,
        )
        return params


class HashingVectorizer(_AnalyzerMixin, TransformerMixin, BaseEstimator,
                        auto_wrap_output_keys=None):
    """Stateless vectorizer: each feature goes to column ``|murmurhash3(feature)| % n_features``.

    No vocabulary is stored, so it scales to unbounded vocabularies and streams;
    columns cannot be mapped back to terms. With ``alternate_sign`` a feature whose
    hash is negative counts ``-1``, which keeps inner products unbiased under
    collisions.

    Parameters
    ----------
    n_features : int
        Number of columns.
    alternate_sign : bool
        Sign each occurrence by the sign of its hash.
    norm : {"l2", "l1", None}
        Row normalization.
    binary : bool
        Set every stored entry to 1 (before normalization).
    dtype : dtype
        Data type of the matrix.
    **kwargs
        ``analyzer``, ``ngram_range``, ``lowercase``, ``strip_accents``,
        ``token_pattern``, ``stop_words`` as in :class:`CountVectorizer`.

    Examples
    --------
    >>> X = HashingVectorizer(n_features=16, norm=None).transform(["rain rain"])
    >>> float(abs(X).sum())
    2.0
    """

    def __init__(
        self,
        *,
        n_features: int = 2**20,
        alternate_sign: bool = True,
        norm: str | None = "l2",
        binary: bool = False,
        dtype: Any = np.float64,
        analyzer: str = "word",
        ngram_range: tuple[int, int] = (1, 1),
        lowercase: bool = True,
        strip_accents: str | None = None,
        token_pattern: str = DEFAULT_TOKEN_PATTERN,
        stop_words: str | list[str] | None = None,
    ) -> None:
        self.n_features = n_features
        self.alternate_sign = alternate_sign
        self.norm = norm
        self.binary = binary
        self.dtype = dtype
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.token_pattern = token_pattern
        self.stop_words = stop_words

    def _check_params(self) -> None:
        if (
            isinstance(self.n_features, bool)
            or not isinstance(self.n_features, Integral)
            or not 1 <= self.n_features <= np.iinfo(np.int32).max
        ):
            raise ValueError(
                f"n_features must be an int in [1, 2**31 - 1], got {self.n_features!r}"
            )
        _check_norm(self.norm)
        self.build_analyzer()

    def fit(self, raw_documents: Iterable[str] | None = None, y: Any = None) -> HashingVectorizer:
        """Check the settings (nothing to learn); returns ``self``."""
        self._check_params()
        return self

    @dask_method("applications.text_classification._dask:hashing_transform",
                 is_document_chunks)  # dask bag / files in -> dask array of CSR chunks
    def transform(self, raw_documents: Iterable[str]) -> sp.csr_matrix:
        """Hashed feature matrix, shape (n_documents, n_features)."""
        self._check_params()
        docs = _check_documents(raw_documents)
        analyze = self.build_analyzer()
        cache: dict[str, tuple[int, float]] = {}
        indices: list[int] = []
        values: list[float] = []
        indptr = [0]
        for doc in docs:
            for feature in analyze(doc):
                hit = cache.get(feature)
                if hit is None:
                    h = murmurhash3_32(feature)
                    sign = -1.0 if (self.alternate_sign and h < 0) else 1.0
                    hit = cache[feature] = (abs(h) % self.n_features, sign)
                indices.append(hit[0])
                values.append(hit[1])
            indptr.append(len(indices))
        X = sp.csr_matrix(
            (
                np.asarray(values, dtype=np.float64),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=_index_dtype(len(indices))),
            ),
            shape=(len(docs), self.n_features),
        )
        # Adds repeated features; entries that cancel under alternate_sign stay stored.
        X.sum_duplicates()
        if self.binary:
            X.data[:] = 1.0
        return _normalize_rows(X, self.norm).astype(self.dtype, copy=False)

    def fit_transform(self, raw_documents: Iterable[str], y: Any = None) -> sp.csr_matrix:
        """Same as :meth:`transform` (nothing is learned)."""
        return self.transform(raw_documents)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # stateless
        return tags

    def _json_params(self) -> dict[str, Any]:
        """Settings as JSON-friendly values (used to save a model)."""
        params = self._analyzer_params()
        params.update(
            n_features=int(self.n_features),
            alternate_sign=self.alternate_sign,
            norm=self.norm,
            binary=self.binary,
            dtype=np.dtype(self.dtype).name,
        )
        return params
