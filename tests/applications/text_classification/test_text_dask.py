"""LogisticRegression and HashingVectorizer on dask collections."""

import numpy as np
import pytest
import scipy.sparse as sp

from applications._dask import DaskInputError, is_dask_array
from applications.text_classification import HashingVectorizer, LogisticRegression

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")


def problem(n=1200, p=150, classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.05, format="csr", random_state=seed)
    scores = X @ rng.standard_normal(p) + 0.3 * rng.standard_normal(n)
    y = (scores > 0).astype(int) if classes == 2 else np.digitize(scores, [-0.4, 0.4])
    return X, np.array(["ham", "spam", "eggs"])[y]


def sparse_chunks(X, rows):
    """A dask array of CSR chunks of ``rows`` rows each."""
    blocks = [X[i:i + rows] for i in range(0, X.shape[0], rows)]
    meta = sp.csr_matrix((0, X.shape[1]))
    return da.concatenate([da.from_delayed(dask.delayed(b), shape=b.shape, dtype=b.dtype,
                                           meta=meta) for b in blocks])


def relative(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("classes, solver", [(2, "newton-cg"), (3, "newton-cg"), (2, "lbfgs")])
def test_chunked_fit_matches_the_in_memory_fit(classes, solver):
    X, y = problem(classes=classes)
    ref = LogisticRegression(C=10.0, solver=solver, tol=1e-8).fit(X, y)
    clf = LogisticRegression(C=10.0, solver=solver, tol=1e-8).fit(sparse_chunks(X, 250), y)
    assert relative(clf.coef_, ref.coef_) <= 1e-6
    assert relative(clf.intercept_, ref.intercept_) <= 1e-6
    assert clf.n_iter_[0] == ref.n_iter_[0]
    assert clf.classes_.tolist() == ref.classes_.tolist()


def test_dense_chunks_split_along_features_are_rechunked():
    X, y = problem(n=400, p=40)
    Xd = da.from_array(X.toarray(), chunks=(100, 15))
    ref = LogisticRegression(C=1.0, tol=1e-8).fit(X, y)
    clf = LogisticRegression(C=1.0, tol=1e-8).fit(Xd, da.from_array(y, chunks=100))
    assert relative(clf.coef_, ref.coef_) <= 1e-6


def test_fit_on_a_distributed_cluster(active_client):
    X, y = problem(classes=3)
    ref = LogisticRegression(C=10.0, tol=1e-8).fit(X, y)
    clf = LogisticRegression(C=10.0, tol=1e-8).fit(sparse_chunks(X, 300), y)
    assert relative(clf.coef_, ref.coef_) <= 1e-6


@pytest.mark.parametrize("classes", [2, 3])
def test_predictions_are_lazy(classes):
    X, y = problem(n=300, classes=classes)
    clf = LogisticRegression(C=10.0).fit(X, y)
    Xd = sparse_chunks(X, 100)
    for method in ("decision_function", "predict_proba", "predict_log_proba", "predict"):
        lazy = getattr(clf, method)(Xd)
        assert is_dask_array(lazy), method
        expected = getattr(clf, method)(X)
        assert lazy.shape == expected.shape
        if method == "predict":
            assert lazy.compute().tolist() == expected.tolist()
        else:
            np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make, error, message", [
    (lambda X: sparse_chunks(X, 100)[da.ones(X.shape[0], chunks=100, dtype=bool)], DaskInputError,
     "unknown chunk sizes"),
    (lambda X: da.from_array(X.toarray(), chunks=100).astype(complex), TypeError, "real numbers"),
])
def test_bad_X_is_named(make, error, message):
    X, y = problem(n=300)
    with pytest.raises(error, match=message):
        LogisticRegression().fit(make(X), y)


def test_unsupported_solver_and_failing_chunk():
    X, y = problem(n=300)
    with pytest.raises(ValueError, match="not available for dask input"):
        LogisticRegression(solver="adam").fit(sparse_chunks(X, 100), y)
    dense = X.toarray()
    dense[250, 3] = np.nan
    with pytest.raises(RuntimeError, match="chunk of the distributed fit failed.*NaN"):
        LogisticRegression().fit(da.from_array(dense, chunks=(100, -1)), y)
    with pytest.raises(ValueError, match="300 samples but y has 299"):
        LogisticRegression().fit(sparse_chunks(X, 100), y[:-1])


DOCS = ["the rain in spain", "falls mainly", "on the plain", "rain rain go away",
        "come again another day", "spain again"]


def test_hashing_vectorizer_on_a_bag_and_on_files(tmp_path):
    db = pytest.importorskip("dask.bag")
    vec = HashingVectorizer(n_features=64)
    expected = vec.transform(DOCS).toarray()
    bag = db.from_sequence(DOCS, npartitions=3)
    lazy = vec.transform(bag)
    assert is_dask_array(lazy) and lazy.chunks[0] == (2, 2, 2)
    np.testing.assert_allclose(lazy.compute().toarray(), expected)
    files = []
    for i in range(2):
        files.append(tmp_path / f"part{i}.txt")
        files[-1].write_text("\n".join(DOCS[3 * i:3 * i + 3]) + "\n")
    from_files = vec.transform(files)
    assert from_files.chunks[0] == (3, 3)
    np.testing.assert_allclose(from_files.compute().toarray(), expected)
    # A list of strings is still a list of documents.
    assert vec.transform([str(f) for f in files]).shape == (2, 64)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        vec.transform([tmp_path / "missing.txt"])


def test_hashed_bag_trains_a_chunked_model():
    db = pytest.importorskip("dask.bag")
    docs = DOCS * 10
    y = np.array([0, 1, 0, 1, 0, 1] * 10)
    vec = HashingVectorizer(n_features=128)
    X = vec.transform(db.from_sequence(docs, npartitions=4))
    ref = LogisticRegression(C=5.0, tol=1e-8).fit(vec.transform(docs), y)
    clf = LogisticRegression(C=5.0, tol=1e-8).fit(X, y)
    assert relative(clf.coef_, ref.coef_) <= 1e-6


def test_sample_and_class_weights_as_in_memory():
    X, y = problem(n=600, classes=3, seed=5)
    weight = np.random.default_rng(6).uniform(0.0, 2.0, size=X.shape[0])
    settings = {"C": 3.0, "tol": 1e-10, "class_weight": "balanced"}
    ref = LogisticRegression(**settings).fit(X, y, sample_weight=weight)
    clf = LogisticRegression(**settings).fit(sparse_chunks(X, 150), y,
                                             sample_weight=da.from_array(weight, chunks=150))
    assert relative(clf.coef_, ref.coef_) <= 1e-6
