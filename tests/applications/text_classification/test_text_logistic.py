"""LogisticRegression against scikit-learn's, coefficient by coefficient, plus properties."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import autodiff as ad
from applications.text_classification import (
    ConstantDesign,
    LogisticRegression,
    TfidfVectorizer,
    binary_objective,
    load_bundled_corpus,
    multinomial_objective,
    train_test_split,
)


@pytest.fixture(scope="module")
def corpus():
    texts, labels = load_bundled_corpus()
    train_x, test_x, train_y, test_y = train_test_split(texts, labels, seed=3)
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
    X = vec.fit_transform(train_x)
    return X, np.array(train_y), vec.transform(test_x), np.array(test_y)


def sklearn_fit(X, y, C):
    return SkLogisticRegression(C=C, tol=1e-10, max_iter=10000).fit(X, y)


def test_binary_sparse_matches_sklearn(corpus):
    X, y, _, _ = corpus
    y = np.where(y == "weather", "weather", "other")
    ours = LogisticRegression(C=5.0, tol=1e-10, max_iter=200).fit(X, y)
    ref = sklearn_fit(X, y, 5.0)
    assert ours.result_.success
    assert ours.coef_.shape == ref.coef_.shape == (1, X.shape[1])
    assert ours.classes_.tolist() == ref.classes_.tolist()
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4, rtol=0)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4, rtol=0)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_multinomial_dense_matches_sklearn(corpus):
    X, y, _, _ = corpus
    dense = X[:, :400].toarray()
    ours = LogisticRegression(C=3.0, tol=1e-10, max_iter=200).fit(dense, y)
    ref = sklearn_fit(dense, y, 3.0)
    assert ours.result_.success
    assert ours.coef_.shape == ref.coef_.shape == (4, 400)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4, rtol=0)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4, rtol=0)
    np.testing.assert_array_equal(ours.predict(dense), ref.predict(dense))


def test_no_intercept_matches_sklearn(corpus):
    X, y, _, _ = corpus
    ours = LogisticRegression(C=2.0, fit_intercept=False, tol=1e-10).fit(X, y)
    ref = SkLogisticRegression(C=2.0, fit_intercept=False, tol=1e-10, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4, rtol=0)
    assert np.all(ours.intercept_ == 0)


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_other_solvers_reach_the_same_optimum(corpus, solver):
    X, y, _, _ = corpus
    newton = LogisticRegression(C=2.0, tol=1e-8).fit(X, y)
    other = LogisticRegression(C=2.0, tol=1e-6, solver=solver, max_iter=3000).fit(X, y)
    assert other.result_.success, other.result_.message
    np.testing.assert_allclose(other.coef_, newton.coef_, atol=1e-2)


def test_adam_minibatches_learn(corpus):
    X, y, X_test, y_test = corpus
    # Adam has no convergence test on noisy mini-batch gradients: it uses its whole budget.
    with pytest.warns(ConvergenceWarning):
        model = LogisticRegression(C=10.0, solver="adam", batch_size=32, max_iter=30,
                                   random_state=0).fit(X, y)
    assert model.score(X_test, y_test) >= 0.85
    with pytest.warns(ConvergenceWarning):
        again = LogisticRegression(C=10.0, solver="adam", batch_size=32, max_iter=30,
                                   random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.coef_, again.coef_)  # seeded


@pytest.mark.parametrize("binary", [True, False])
def test_hand_derivatives_agree_with_ad(corpus, binary):
    X, y, _, _ = corpus
    if binary:
        y = np.where(y == "sports", 1, 0)
    ad_fit = LogisticRegression(C=4.0, tol=1e-9).fit(X, y)
    hand_fit = LogisticRegression(C=4.0, tol=1e-9, derivatives="manual").fit(X, y)
    np.testing.assert_allclose(ad_fit.coef_, hand_fit.coef_, atol=1e-7)


def test_objective_derivatives_are_exact():
    rng = np.random.default_rng(0)
    X = sp.random(30, 6, density=0.5, random_state=1, format="csr")
    onehot = np.eye(3)[rng.integers(0, 3, 30)]
    signs = np.where(rng.random(30) < 0.5, -1.0, 1.0)
    W, b = rng.normal(size=(6, 3)), rng.normal(size=3)
    for design in (X, ConstantDesign(X), ConstantDesign(X.toarray())):
        ad.check_grads(lambda w, d=design: multinomial_objective(
            {"coef": w, "intercept": b}, d, onehot, 0.1), (W,), order=2)
        ad.check_grads(lambda w, d=design: binary_objective(
            {"coef": w, "intercept": b[0]}, d, signs, 0.1), (W[:, 0],), order=2)


def test_constant_design_memo_is_keyed_by_value():
    X = sp.csr_matrix(np.array([[1.0, 2.0], [3.0, 4.0]]))
    A = ConstantDesign(X)
    w = np.array([1.0, -1.0])
    first = A @ w
    first[0] = 100.0  # the caller owns its result
    w[1] = 5.0        # and may reuse its buffer
    np.testing.assert_array_equal(A @ w, X @ w)
    np.testing.assert_array_equal(A @ np.array([1.0, -1.0]), [-1.0, -1.0])


def test_labels_of_any_type_and_outputs(corpus):
    X, y, _, _ = corpus
    codes = {"cooking": 7, "sports": -2, "technology": 40, "weather": 3}
    y_int = np.array([codes[v] for v in y])
    model = LogisticRegression(C=5.0).fit(X, y_int)
    assert model.classes_.tolist() == [-2, 3, 7, 40]
    proba = model.predict_proba(X)
    assert proba.shape == (X.shape[0], 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    scores = model.decision_function(X)
    assert scores.shape == (X.shape[0], 4)
    np.testing.assert_array_equal(model.predict(X), model.classes_[scores.argmax(axis=1)])
    assert model.score(X, y_int) > 0.9
    assert model.n_iter_.shape == (1,) and model.n_iter_[0] >= 1

    binary = LogisticRegression().fit(X, y == "sports")
    assert binary.classes_.tolist() == [False, True]
    assert binary.decision_function(X).shape == (X.shape[0],)
    np.testing.assert_allclose(np.log(binary.predict_proba(X)), binary.predict_log_proba(X))


def test_inputs_are_not_modified(corpus):
    X, y, _, _ = corpus
    X_copy, y_copy = X.copy(), y.copy()
    LogisticRegression().fit(X, y)
    assert (X != X_copy).nnz == 0
    np.testing.assert_array_equal(y, y_copy)


def test_larger_C_fits_training_data_more_closely(corpus):
    X, y, _, _ = corpus
    losses = []
    for C in (0.1, 1.0, 10.0):
        model = LogisticRegression(C=C).fit(X, y)
        p = model.predict_proba(X)[np.arange(len(y)), np.searchsorted(model.classes_, y)]
        losses.append(-np.mean(np.log(p)))
    assert losses[0] > losses[1] > losses[2]


def test_errors(corpus):
    X, y, _, _ = corpus
    with pytest.raises(ValueError, match="at least 2 classes"):
        LogisticRegression().fit(X, np.full(X.shape[0], "a"))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LogisticRegression().fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(np.array([[np.nan, 1.0], [0.0, 1.0]]), [0, 1])
    with pytest.raises(ValueError, match="2D"):
        LogisticRegression().fit(np.ones(3), [0, 1, 0])
    with pytest.raises(ValueError, match="convert"):
        LogisticRegression().fit(np.array([["a", "b"], ["c", "d"]]), [0, 1])
    with pytest.raises(ValueError, match="Unknown label type"):
        LogisticRegression().fit(X, np.linspace(0, 1, X.shape[0]))
    with pytest.raises(ValueError, match="penalty"):
        LogisticRegression(penalty="l1").fit(X, y)
    with pytest.raises(ValueError, match="non-negative"):
        LogisticRegression().fit(X, y, sample_weight=-np.ones(X.shape[0]))
    with pytest.raises(ValueError, match="non-zero"):
        LogisticRegression().fit(X, y, sample_weight=np.zeros(X.shape[0]))
    with pytest.raises(ValueError, match="absent from y: \\['opera'\\]"):
        LogisticRegression(class_weight={"opera": 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight must be"):
        LogisticRegression(class_weight="even").fit(X, y)
    with pytest.raises(ValueError, match="2 classes with non-zero weight"):
        LogisticRegression().fit(X, y, sample_weight=(y == "sports").astype(float))
    # A class whose samples all weigh zero drops out of "balanced" instead of giving NaN.
    model = LogisticRegression(class_weight="balanced").fit(
        X, y, sample_weight=(y != "sports").astype(float))
    assert np.isfinite(model.coef_).all() and model.result_.success
    with pytest.raises(ValueError, match="C must be"):
        LogisticRegression(C=0.0).fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        LogisticRegression(solver="sag").fit(X, y)
    with pytest.raises(ValueError, match="derivatives"):
        LogisticRegression(derivatives="symbolic").fit(X, y)
    with pytest.raises(NotFittedError, match="not fitted"):
        LogisticRegression().predict(X)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :10])
