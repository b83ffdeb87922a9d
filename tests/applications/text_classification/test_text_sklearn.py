"""scikit-learn compatibility: common checks, clone, Pipeline, GridSearchCV, cross_val_score,
and weights, penalties and sparse formats against scikit-learn's own estimators."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction import text as sk_text
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

import autodiff as ad
from applications.text_classification import (
    CountVectorizer,
    HashingVectorizer,
    LogisticRegression,
    TfidfVectorizer,
    load_bundled_corpus,
)
from applications.text_classification._logistic import _block_loss

# -- scikit-learn's common checks ---------------------------------------------------------


# LogisticRegression passes every check; no check is expected to fail. Three skip themselves
# in this environment: check_sample_weights_pandas_series and
# check_classifier_data_not_an_array need pandas (not a dependency), check_array_api_input
# needs SCIPY_ARRAY_API=1.
@parametrize_with_checks(
    [LogisticRegression(),
     LogisticRegression(solver="lbfgs", max_iter=500, class_weight="balanced")],
    expected_failed_checks=lambda estimator: {},
)
def test_logistic_regression_passes_sklearn_checks(estimator, check):
    check(estimator)


# The vectorizers take a list of strings, not a 2-D array. Like scikit-learn's own
# vectorizers they carry the tags ``input_tags.string=True, two_d_array=False``, with which
# check_estimator skips every check (they all feed numeric arrays). The checks below are
# the API checks that do not feed data; the ones that fit (fit returns self, parameters not
# overwritten, pickling, clone) are repeated on text in the tests that follow.
VECTORIZER_API_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
]
VECTORIZERS = [CountVectorizer(), TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
               HashingVectorizer(n_features=2**10)]


@pytest.mark.parametrize("check_name", VECTORIZER_API_CHECKS)
@pytest.mark.parametrize("vectorizer", VECTORIZERS, ids=lambda v: type(v).__name__)
def test_vectorizers_pass_sklearn_api_checks(vectorizer, check_name):
    getattr(estimator_checks, check_name)(type(vectorizer).__name__, vectorizer)


@pytest.fixture(scope="module")
def corpus():
    texts, labels = load_bundled_corpus()
    return texts, np.array(labels)


@pytest.mark.parametrize("cls", [CountVectorizer, TfidfVectorizer, HashingVectorizer])
def test_vectorizer_params_match_sklearn(cls):
    ours, ref = cls(), getattr(sk_text, cls.__name__)()
    params = ours.get_params(deep=True)
    assert params == ours.get_params(deep=False)
    reference = ref.get_params()
    # Same names and defaults; scikit-learn has a few more (input, encoding, tokenizer...).
    assert params == {name: reference[name] for name in params}


@pytest.mark.parametrize("vectorizer", VECTORIZERS, ids=lambda v: type(v).__name__)
def test_vectorizers_fit_like_estimators(corpus, vectorizer):
    texts = corpus[0][:120]
    before = vectorizer.get_params()
    fitted = clone(vectorizer)
    assert fitted.fit(texts) is fitted
    assert fitted.get_params() == before  # fit changes no parameter
    assert not hasattr(vectorizer, "vocabulary_")
    X = fitted.transform(texts)
    again = pickle.loads(pickle.dumps(fitted))
    assert (again.transform(texts) != X).nnz == 0
    assert (clone(vectorizer).fit_transform(texts) != X).nnz == 0
    changed = clone(vectorizer).set_params(lowercase=False, ngram_range=(1, 1))
    assert changed.get_params()["lowercase"] is False
    other = changed.fit_transform(texts)
    assert other.shape != X.shape or (other != X).nnz > 0


# -- ecosystem: clone, Pipeline, GridSearchCV, cross_val_score ---------------------------


def test_pipeline_grid_search_and_cross_validation(corpus):
    texts, labels = corpus
    pipe = Pipeline([("tfidf", TfidfVectorizer()), ("clf", LogisticRegression())])
    scores = cross_val_score(pipe, texts, labels, cv=3, error_score="raise")
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    assert scores.min() > 0.85
    search = GridSearchCV(pipe, {"tfidf__ngram_range": [(1, 1), (1, 2)],
                                 "clf__C": [0.1, 10.0]}, cv=3, error_score="raise")
    search.fit(texts, labels)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_["clf__C"] == 10.0
    best = search.best_estimator_.named_steps["clf"]
    assert best.C == 10.0 and hasattr(best, "coef_")
    assert clone(best).get_params() == best.get_params()
    assert not hasattr(clone(best), "coef_")


# -- LogisticRegression against scikit-learn -----------------------------------------------


@pytest.fixture(scope="module")
def features(corpus):
    texts, labels = corpus
    return TfidfVectorizer(ngram_range=(1, 2), min_df=2).fit_transform(texts), labels


def assert_close_to_sklearn(ours, ref, rtol=1e-4):
    """Coefficients and intercepts within ``rtol`` of scikit-learn's, relative to their norm."""
    assert ours.classes_.tolist() == ref.classes_.tolist()
    assert ours.coef_.shape == ref.coef_.shape
    for a, b in ((ours.coef_, ref.coef_), (ours.intercept_, ref.intercept_)):
        assert np.linalg.norm(a - b) <= rtol * np.linalg.norm(b), np.abs(a - b).max()


@pytest.mark.parametrize("weights", ["sample", "balanced", "dict", "both"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_weighted_fits_match_sklearn(features, weights, n_classes):
    X, y = features
    if n_classes == 2:
        y = np.where(y == "sports", "sports", "other")
    rng = np.random.default_rng(n_classes)
    fit_kw = {"sample_weight": rng.uniform(0.0, 3.0, y.size)} if weights != "dict" else {}
    init_kw = {}
    if weights in ("balanced", "both"):
        init_kw["class_weight"] = "balanced"
    if weights in ("dict", "both"):
        classes = np.unique(y)
        init_kw["class_weight"] = dict(zip(classes, np.linspace(0.3, 3.0, classes.size)))
    ours = LogisticRegression(C=3.0, tol=1e-8, **init_kw).fit(X, y, **fit_kw)
    ref = SkLogisticRegression(C=3.0, tol=1e-10, max_iter=10000, **init_kw).fit(X, y, **fit_kw)
    assert ours.result_.success
    assert_close_to_sklearn(ours, ref)
    # The weights change the answer: an unweighted fit is far from it.
    plain = LogisticRegression(C=3.0, tol=1e-8).fit(X, y)
    assert np.linalg.norm(plain.coef_ - ref.coef_) > 1e-2 * np.linalg.norm(ref.coef_)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_no_penalty_matches_sklearn(n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    scores = X @ rng.normal(size=(5, n_classes)) + rng.gumbel(size=(200, n_classes)) * 2
    y = np.argmax(scores, axis=1)  # noisy labels: the unpenalized optimum is finite
    ours = LogisticRegression(penalty=None, tol=1e-8).fit(X, y)
    # scikit-learn >= 1.8 spells "no penalty" C=inf (penalty is deprecated); so may we.
    ref = SkLogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(X, y)
    assert_close_to_sklearn(ours, ref)
    assert_close_to_sklearn(LogisticRegression(C=np.inf, tol=1e-8).fit(X, y), ref)
    penalized = LogisticRegression(C=0.01).fit(X, y)
    assert np.linalg.norm(penalized.coef_) < 0.5 * np.linalg.norm(ours.coef_)


@pytest.mark.parametrize("fmt", ["coo", "csc", "lil", "dok", "bsr", "csr_array", "dense"])
def test_any_sparse_format(features, fmt):
    X, y = features
    X = X[:, :300]
    ref = LogisticRegression(C=2.0).fit(X, y)
    if fmt == "csr_array":
        other = sp.csr_array(X)
    elif fmt == "dense":
        other = X.toarray()
    else:
        other = X.asformat(fmt)
    model = LogisticRegression(C=2.0).fit(other, y)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.predict_proba(other), ref.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("solver", ["newton-cg", "lbfgs"])
def test_budget_exhaustion_warns(features, solver):
    X, y = features
    with pytest.warns(ConvergenceWarning, match="did not converge after 2 iterations"):
        model = LogisticRegression(solver=solver, max_iter=2, tol=1e-12).fit(X, y)
    assert model.n_iter_.tolist() == [2]
    assert not model.result_.success and model.result_.stop_reason == "maxiter"


def test_block_losses_add_up(features):
    """The per-block loss is what a chunked (dask) fit sums: values and gradients add up."""
    X, y = features
    classes, codes = np.unique(y, return_inverse=True)
    onehot = np.eye(classes.size)[codes]
    weight = np.random.default_rng(1).uniform(0.5, 2.0, y.size)
    rng = np.random.default_rng(2)
    params = {"coef": rng.normal(size=(X.shape[1], classes.size)) * 0.1,
              "intercept": rng.normal(size=classes.size)}
    value_and_grad = ad.value_and_grad(_block_loss)
    full_value, full_grad = value_and_grad(params, X, onehot, weight)
    blocks = np.array_split(np.arange(y.size), 3)
    parts = [value_and_grad(params, X[rows], onehot[rows], weight[rows]) for rows in blocks]
    np.testing.assert_allclose(sum(v for v, _ in parts), full_value, rtol=1e-12)
    for key in params:
        np.testing.assert_allclose(sum(g[key] for _, g in parts), full_grad[key],
                                   rtol=1e-10, atol=1e-12)


def test_autodiff_core_does_not_import_sklearn():
    code = ("import sys, autodiff, autodiff.optimize, autodiff.numpy, autodiff.scipy; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert run.stdout.strip() == "[]"
