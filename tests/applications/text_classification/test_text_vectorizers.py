"""Vectorizers and analyzers against scikit-learn's on the same corpus."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction import text as sk_text
from sklearn.utils import murmurhash3_32 as sk_murmurhash3_32

from applications.text_classification import (
    CountVectorizer,
    HashingVectorizer,
    TfidfVectorizer,
    build_analyzer,
    char_ngrams,
    char_wb_ngrams,
    load_bundled_corpus,
    word_ngrams,
)
from applications.text_classification._hashing import murmurhash3_32

EDGE_DOCS = [
    "Café   naïve  résumé\tfoo\n\nbar",
    "",
    "a b c",
    "x",
    "THE the The  the",
    "don't stop-believing 42 4.2",
]


@pytest.fixture(scope="module")
def docs():
    texts, _ = load_bundled_corpus()
    return texts[:120] + EDGE_DOCS


def assert_same_csr(A, B, *, exact):
    """Same shape, dtype, sparsity pattern and values (bit for bit when ``exact``)."""
    assert sp.issparse(A) and A.format == "csr"
    assert A.shape == B.shape
    assert A.dtype == B.dtype
    A, B = A.copy(), sp.csr_matrix(B)
    A.sort_indices()
    B.sort_indices()
    np.testing.assert_array_equal(A.indptr, B.indptr)
    np.testing.assert_array_equal(A.indices, B.indices)
    if exact:
        np.testing.assert_array_equal(A.data, B.data)
    else:
        np.testing.assert_allclose(A.data, B.data, rtol=1e-14, atol=0)


SETTINGS = [
    {},
    {"ngram_range": (1, 2)},
    {"ngram_range": (2, 3)},
    {"analyzer": "char", "ngram_range": (2, 4)},
    {"analyzer": "char_wb", "ngram_range": (1, 5)},
    {"min_df": 2, "max_df": 0.5},
    {"min_df": 0.02, "max_df": 30},
    {"max_features": 50},
    {"max_features": 7, "ngram_range": (1, 2)},
    {"lowercase": False},
    {"strip_accents": "unicode"},
    {"strip_accents": "ascii", "analyzer": "char"},
    {"stop_words": ["the", "a", "and"], "ngram_range": (1, 3)},
    {"stop_words": "english", "ngram_range": (1, 2)},
    {"binary": True},
    {"token_pattern": r"(?u)\b\w+\b"},
]


@pytest.mark.parametrize("kwargs", SETTINGS, ids=lambda kw: ",".join(map(str, kw.items())))
@pytest.mark.parametrize("name", ["CountVectorizer", "TfidfVectorizer"])
def test_matches_sklearn(docs, name, kwargs):
    ours = {"CountVectorizer": CountVectorizer, "TfidfVectorizer": TfidfVectorizer}[name]
    ref = getattr(sk_text, name)
    a, b = ours(**kwargs), ref(**kwargs)
    # fit_transform: scikit-learn normalizes TF-IDF rows before sorting their column
    # indices, so its row norms are sums in another order (a few ulps apart).
    assert_same_csr(a.fit_transform(docs[:90]), b.fit_transform(docs[:90]),
                    exact=name == "CountVectorizer")
    assert a.vocabulary_ == b.vocabulary_
    assert a.get_feature_names_out().tolist() == b.get_feature_names_out().tolist()
    if name == "TfidfVectorizer":
        np.testing.assert_array_equal(a.idf_, b.idf_)
    # transform with the same vocabulary: equal bit for bit.
    assert_same_csr(a.transform(docs[90:]), b.transform(docs[90:]), exact=True)
    assert_same_csr(a.transform(docs[:90]), b.transform(docs[:90]), exact=True)


@pytest.mark.parametrize("kwargs", [
    {"norm": None},
    {"norm": None, "sublinear_tf": True, "ngram_range": (1, 2)},
    {"norm": None, "smooth_idf": False},
    {"norm": None, "use_idf": False},
    {"norm": "l1", "sublinear_tf": True},
    {"norm": "l2", "use_idf": False},
])
def test_tfidf_options_match_sklearn(docs, kwargs):
    a, b = TfidfVectorizer(**kwargs), sk_text.TfidfVectorizer(**kwargs)
    # Without row normalization fit_transform is the same arithmetic, operation for operation.
    assert_same_csr(a.fit_transform(docs), b.fit_transform(docs), exact=kwargs["norm"] is None)
    assert_same_csr(a.transform(docs), b.transform(docs), exact=True)


@pytest.mark.parametrize("kwargs", [
    {},
    {"n_features": 64},
    {"n_features": 16, "alternate_sign": False, "norm": None},
    {"n_features": 32, "binary": True},
    {"analyzer": "char_wb", "ngram_range": (2, 3), "n_features": 2**10, "norm": "l1"},
])
def test_hashing_matches_sklearn(docs, kwargs):
    A = HashingVectorizer(**kwargs).transform(docs)
    B = sk_text.HashingVectorizer(**kwargs).transform(docs)
    assert_same_csr(A, B, exact=True)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=40), st.integers(0, 2**32 - 1))
def test_murmurhash_matches_sklearn(key, seed):
    assert murmurhash3_32(key, seed) == sk_murmurhash3_32(key, seed)
    assert murmurhash3_32(key, seed, positive=True) == sk_murmurhash3_32(
        key, seed, positive=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab cé\t", max_size=25), min_size=1, max_size=6),
       st.sampled_from(["word", "char", "char_wb"]), st.integers(1, 3), st.integers(0, 2))
def test_analyzers_match_sklearn(texts, analyzer, low, extra):
    ngram = (low, low + extra)
    ours = build_analyzer(analyzer=analyzer, ngram_range=ngram)
    ref = sk_text.CountVectorizer(analyzer=analyzer, ngram_range=ngram).build_analyzer()
    for text in texts:
        assert ours(text) == ref(text)


def test_counts_are_feature_occurrences(docs):
    cv = CountVectorizer(ngram_range=(1, 2))
    X = cv.fit_transform(docs)
    analyze = cv.build_analyzer()
    assert X.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(X.sum(axis=1)).ravel(),
                                  [len(analyze(d)) for d in docs])
    names = cv.get_feature_names_out().tolist()
    assert names == sorted(names)  # columns in sorted term order


def test_tfidf_rows_have_unit_norm(docs):
    X = TfidfVectorizer().fit_transform(docs)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    nonempty = np.diff(X.indptr) > 0
    np.testing.assert_allclose(norms[nonempty], 1.0, rtol=1e-12)
    assert np.all(norms[~nonempty] == 0)


def test_fixed_vocabulary(docs):
    vocab = ["rain", "goal", "oven", "laptop"]
    cv = CountVectorizer(vocabulary=vocab, min_df=5)
    X = cv.fit_transform(docs)
    assert cv.get_feature_names_out().tolist() == vocab
    ref = sk_text.CountVectorizer(vocabulary=vocab).fit_transform(docs)
    assert_same_csr(X, ref, exact=True)


def test_inputs_are_not_modified(docs):
    copy = list(docs)
    TfidfVectorizer().fit(docs)
    assert docs == copy


def test_tokenizer_examples():
    assert word_ngrams(["a", "b", "c"], (2, 3)) == ["a b", "b c", "a b c"]
    assert word_ngrams(["a", "b"], (1, 1), stop_words=["a"]) == ["b"]
    assert char_ngrams("ab", (1, 3)) == ["a", "b", "ab"]
    assert char_wb_ngrams("a bcd", (3, 3)) == [" a ", " bc", "bcd", "cd "]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"analyzer": "sentence"}, ValueError, "analyzer"),
    ({"ngram_range": (2, 1)}, ValueError, "ngram_range"),
    ({"ngram_range": "ab"}, ValueError, "ngram_range"),
    ({"min_df": -1}, ValueError, "min_df"),
    ({"max_df": 1.5}, ValueError, "max_df"),
    ({"min_df": "two"}, TypeError, "min_df"),
    ({"max_features": 0}, ValueError, "max_features"),
    ({"stop_words": "french"}, ValueError, "stop_words"),
    ({"strip_accents": "latin"}, ValueError, "strip_accents"),
    ({"token_pattern": r"(a)(b)"}, ValueError, "capturing groups"),
    ({"vocabulary": ["a", "a"]}, ValueError, "twice"),
    ({"vocabulary": {"a": 0, "b": 2}}, ValueError, "indices"),
    ({"min_df": 5, "max_df": 2}, ValueError, "max_df"),
])
def test_bad_settings(docs, kwargs, error, match):
    with pytest.raises(error, match=match):
        CountVectorizer(**kwargs).fit(docs)


def test_errors():
    with pytest.raises(TypeError, match="single string"):
        CountVectorizer().fit("one document")
    with pytest.raises(TypeError, match="document 1"):
        CountVectorizer().fit(["fine", 3])
    with pytest.raises(ValueError, match="empty vocabulary"):
        CountVectorizer().fit(["a", "!"])
    with pytest.raises(ValueError, match="no terms remain"):
        CountVectorizer(min_df=2).fit(["rain", "snow", "hail"])
    with pytest.raises(NotFittedError, match="not fitted"):
        TfidfVectorizer().transform(["rain"])
    with pytest.raises(ValueError, match="n_features"):
        HashingVectorizer(n_features=0).transform(["rain"])
    with pytest.raises(ValueError, match="norm"):
        TfidfVectorizer(norm="l3").fit(["rain"])
    with pytest.raises(TypeError, match="floating"):
        TfidfVectorizer(dtype=np.int64).fit(["rain"])
