"""Metrics against scikit-learn's, and the most-informative-features helper."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk_metrics

from applications.text_classification import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    precision_recall_f1,
    top_features,
)

labels_strategy = st.lists(st.sampled_from(["ham", "spam", "eggs"]), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_match_sklearn(data):
    y_true = data.draw(labels_strategy)
    y_pred = data.draw(st.lists(st.sampled_from(["ham", "spam", "eggs"]),
                                min_size=len(y_true), max_size=len(y_true)))
    labels = sorted(set(y_true) | set(y_pred))
    with warnings.catch_warnings():
        # scikit-learn warns when only one label occurs; the reference values are fine.
        warnings.simplefilter("ignore", UserWarning)
        sk_accuracy = sk_metrics.accuracy_score(y_true, y_pred)
        sk_cm = sk_metrics.confusion_matrix(y_true, y_pred, labels=labels)
        p, r, f, s = sk_metrics.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, zero_division=0)
    assert accuracy_score(y_true, y_pred) == sk_accuracy
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), sk_cm)
    ours = precision_recall_f1(y_true, y_pred)
    assert ours["labels"].tolist() == labels
    np.testing.assert_allclose(ours["precision"], p)
    np.testing.assert_allclose(ours["recall"], r)
    np.testing.assert_allclose(ours["f1"], f)
    np.testing.assert_array_equal(ours["support"], s)


def test_confusion_matrix_with_given_labels():
    cm = confusion_matrix([1, 2, 3, 3], [1, 3, 3, 2], labels=[3, 1])
    np.testing.assert_array_equal(cm, [[1, 0], [0, 1]])


def test_report_lists_every_class_and_the_averages():
    report = classification_report(["a", "b", "b", "c"], ["a", "b", "c", "c"])
    lines = report.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1", "support"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:] if line.strip()}
    assert rows["b"] == ["1.000", "0.500", "0.667", "2"]
    assert rows["accuracy"] == ["0.750", "4"]
    assert "macro" in rows and "weighted" in rows


def test_top_features_binary_and_multiclass():
    names = ["rain", "goal", "oven", "wifi"]
    binary = top_features(np.array([[2.0, -3.0, 0.5, 1.0]]), names, ["neg", "pos"], n=2)
    assert binary == {"neg": [("goal", 3.0), ("oven", -0.5)],
                      "pos": [("rain", 2.0), ("wifi", 1.0)]}
    coef = np.array([[0.0, 1.0, 5.0, -1.0], [3.0, 0.0, -2.0, 4.0]])
    multi = top_features(coef, names, [10, 20], n=1)
    assert multi == {10: [("oven", 5.0)], 20: [("wifi", 4.0)]}
    with pytest.raises(ValueError, match="feature names"):
        top_features(coef, names[:3], [10, 20])


def test_errors():
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        accuracy_score([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="no labels"):
        accuracy_score([], [])
    with pytest.raises(ValueError, match="repeated"):
        confusion_matrix([1], [1], labels=[1, 1])
