"""Loaders, the bundled corpus, the split, and the pickle-free model format."""

import importlib.util
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from applications.text_classification import (
    BUNDLED_CORPUS,
    CountVectorizer,
    HashingVectorizer,
    LogisticRegression,
    TextClassifier,
    TfidfVectorizer,
    load_bundled_corpus,
    load_dataset,
    load_folder,
    load_lines,
    load_tsv,
    train_test_split,
)


@pytest.fixture(scope="module")
def corpus():
    return load_bundled_corpus()


# -- data -------------------------------------------------------------------------------------


def test_bundled_corpus_is_balanced_and_not_trivial(corpus):
    texts, labels = corpus
    counts = Counter(labels)
    assert len(texts) >= 300 and len(counts) >= 3
    assert max(counts.values()) - min(counts.values()) <= len(texts) // 20
    assert len(set(texts)) == len(texts)
    # No single word separates the classes: the best one-word rule is far from perfect.
    vec = CountVectorizer(binary=True)
    X = vec.fit_transform(texts).tocsc()
    y = np.array(labels)
    best = 0.0
    for j in range(X.shape[1]):
        present = np.zeros(len(y), dtype=bool)
        present[X.indices[X.indptr[j]:X.indptr[j + 1]]] = True
        for label in counts:
            best = max(best, np.mean(present == (y == label)))
    assert best < 0.9


def test_make_corpus_reproduces_the_file():
    generator = Path(__file__).resolve().parents[3] / "datasets" / "text" / "make_corpus.py"
    spec = importlib.util.spec_from_file_location("make_corpus", generator)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.make_corpus()
    lines = BUNDLED_CORPUS.read_text(encoding="utf-8").splitlines()
    assert [f"{label}\t{text}" for label, text in rows] == lines


def test_default_model_accuracy_on_held_out_texts(corpus):
    texts, labels = corpus
    train_x, test_x, train_y, test_y = train_test_split(texts, labels, seed=0)
    accuracy = TextClassifier().fit(train_x, train_y).evaluate(test_x, test_y)["accuracy"]
    assert 0.85 <= accuracy <= 0.99


def test_tsv_and_folder_loaders(tmp_path):
    tsv = tmp_path / "data.tsv"
    tsv.write_text("ham\tSee you at  noon\n\nspam\tWIN a prize\ttoday\r\n", encoding="utf-8")
    assert load_tsv(tsv) == (["See you at  noon", "WIN a prize\ttoday"], ["ham", "spam"])
    root = tmp_path / "folders"
    for label, docs in {"rain": ["wet day", "storm"], "sun": ["warm"]}.items():
        (root / label).mkdir(parents=True)
        for i, doc in enumerate(docs):
            (root / label / f"{i}.txt").write_text(doc, encoding="utf-8")
    (root / ".hidden").mkdir()
    assert load_folder(root) == (["wet day", "storm", "warm"], ["rain", "rain", "sun"])
    assert load_dataset(root) == load_folder(root)
    assert load_dataset(tsv) == load_tsv(tsv)
    lines = tmp_path / "lines.txt"
    lines.write_text("one\n\n two \n", encoding="utf-8")
    assert load_lines(lines) == ["one", "two"]


SMS = [("ham", "See you at noon then"), ("spam", "WIN a free prize today"),
       ("ham", "Running late, start without me"), ("spam", "Claim your reward now"),
       ("ham", "Can you buy milk on the way"), ("spam", "You have been selected, call now"),
       ("ham", "The meeting moved to five")]


def write_rows(path, rows, first=None):
    lines = ([first] if first else []) + [f"{a}\t{b}" for a, b in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("first", ["label\ttext", "v1\tv2", "Category\tMessage",
                                   "class\tdocument"])
def test_tsv_header_line_is_not_a_class(tmp_path, first):
    path = write_rows(tmp_path / "sms.tsv", SMS, first)
    texts, labels = load_tsv(path)
    assert sorted(set(labels)) == ["ham", "spam"]
    assert texts == [text for _, text in SMS]
    # Forced either way.
    assert load_tsv(path, header=False)[1][0] == first.split("\t")[0]
    no_header = write_rows(tmp_path / "plain.tsv", SMS)
    assert load_tsv(no_header, header=True)[0] == texts[1:]


def test_tsv_first_line_kept_when_it_is_data(tmp_path):
    # One-word cells, but the label recurs below: data, not a header.
    rows = [("spam", "text")] + SMS
    assert load_tsv(write_rows(tmp_path / "a.tsv", rows))[1][0] == "spam"
    rows = [("sports", "Goal!")] + [("sports", "A late winner"), ("weather", "Rain again")]
    assert len(load_tsv(write_rows(tmp_path / "b.tsv", rows))[0]) == 3


def test_swapped_columns_give_a_clear_error(tmp_path):
    path = write_rows(tmp_path / "swapped.tsv", [(text, label) for label, text in SMS],
                      first="text\tlabel")
    with pytest.raises(ValueError, match=r"columns look swapped.*--columns text-label"):
        load_tsv(path)
    texts, labels = load_tsv(path, columns="text-label")
    assert sorted(set(labels)) == ["ham", "spam"] and len(texts) == len(SMS)
    assert load_dataset(path, columns="text-label") == (texts, labels)
    with pytest.raises(ValueError, match="columns must be"):
        load_tsv(path, columns="both")


@pytest.mark.parametrize("content, match", [
    ("ham\thello\nno tab here\n", "line 2: expected 'label<TAB>text'"),
    ("ham\t   \n", "line 1: empty text"),
    ("\tsome text\n", "line 1: empty label"),
    ("\n\n", "holds no documents"),
])
def test_tsv_errors(tmp_path, content, match):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        load_tsv(path)


def test_loader_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_tsv(tmp_path / "missing.tsv")
    binary = tmp_path / "latin1.tsv"
    binary.write_bytes("ham\tcaf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        load_tsv(binary)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_folder(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="no class subfolders"):
        load_folder(tmp_path)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ValueError, match="holds no documents"):
        load_folder(tmp_path)
    (tmp_path / "empty_class" / "a.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty"):
        load_folder(tmp_path)


def test_split_is_seeded_and_stratified(corpus):
    texts, labels = corpus
    a = train_test_split(texts, labels, test_size=0.25, seed=4)
    b = train_test_split(texts, labels, test_size=0.25, seed=4)
    c = train_test_split(texts, labels, test_size=0.25, seed=5)
    assert a == b and a[1] != c[1]
    train_x, test_x, train_y, test_y = a
    assert sorted(train_x + test_x) == sorted(texts)
    assert Counter(test_y) == {label: 25 for label in set(labels)}
    with pytest.raises(ValueError, match="texts but"):
        train_test_split(texts, labels[:-1])
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(texts, labels, test_size=1.0)


# -- model files ------------------------------------------------------------------------------


@pytest.mark.parametrize("vectorizer", [
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
    CountVectorizer(analyzer="char_wb", ngram_range=(2, 3), max_features=500),
    HashingVectorizer(n_features=2**12),
], ids=["tfidf", "count", "hashing"])
def test_save_load_round_trip(tmp_path, corpus, vectorizer):
    texts, labels = corpus
    model = TextClassifier(vectorizer, LogisticRegression(C=5.0)).fit(texts[:200], labels[:200])
    model.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["arrays.npz",
                                                                      "model.json"]
    loaded = TextClassifier.load(tmp_path / "model")
    assert type(loaded.vectorizer) is type(vectorizer)
    np.testing.assert_array_equal(loaded.classifier.coef_, model.classifier.coef_)
    np.testing.assert_array_equal(loaded.classifier.intercept_, model.classifier.intercept_)
    assert loaded.classes_.tolist() == model.classes_.tolist()
    new = texts[200:]
    assert (loaded.transform(new) != model.transform(new)).nnz == 0
    np.testing.assert_array_equal(loaded.predict_proba(new), model.predict_proba(new))
    with np.load(tmp_path / "model" / "arrays.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)


@pytest.mark.parametrize("labels", [[3, 1, 2, 1, 3, 2], [True, False, True, False, True, True],
                                    [0.0, 2.0, 0.0, 2.0, 0.0, 2.0]])
def test_round_trip_keeps_label_types(tmp_path, labels):
    texts = ["rain again", "goal scored", "oven on", "goal again", "rain today", "oven hot"]
    weights = {labels[0]: 2.0, labels[1]: 0.5}
    classifier = LogisticRegression(C=3.0, class_weight=weights, penalty=None, max_iter=500)
    model = TextClassifier(CountVectorizer(stop_words="english"), classifier).fit(texts, labels)
    loaded = TextClassifier.load(model.save(tmp_path / "m"))
    assert loaded.classes_.dtype == model.classes_.dtype
    assert loaded.classifier.get_params() == classifier.get_params()
    assert loaded.vectorizer.get_params() == model.vectorizer.get_params()
    np.testing.assert_array_equal(loaded.predict(texts), model.predict(texts))


def test_malformed_model_files(tmp_path, corpus):
    texts, labels = corpus
    path = TextClassifier().fit(texts[:80], labels[:80]).save(tmp_path / "m")
    meta = json.loads((path / "model.json").read_text(encoding="utf-8"))

    def write(doc):
        (path / "model.json").write_text(json.dumps(doc), encoding="utf-8")

    with pytest.raises(FileNotFoundError, match="no model folder"):
        TextClassifier.load(tmp_path / "absent")
    write({**meta, "version": 99})
    with pytest.raises(ValueError, match="version"):
        TextClassifier.load(path)
    write({**meta, "format": "something-else"})
    with pytest.raises(ValueError, match="not an autodiff-text-classifier"):
        TextClassifier.load(path)
    vocab_short = json.loads(json.dumps(meta))
    vocab_short["vectorizer"]["vocabulary"] = vocab_short["vectorizer"]["vocabulary"][:-1]
    write(vocab_short)
    with pytest.raises(ValueError, match="idf|columns"):
        TextClassifier.load(path)
    (path / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        TextClassifier.load(path)
    write(meta)
    np.savez(path / "arrays.npz", coef=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="not a readable .npz|malformed"):
        TextClassifier.load(path)
    (path / "arrays.npz").unlink()
    with pytest.raises(FileNotFoundError, match="arrays.npz"):
        TextClassifier.load(path)


def test_pipeline_errors(corpus):
    texts, labels = corpus
    with pytest.raises(ValueError, match=r"texts\[1\] is empty"):
        TextClassifier().fit(["fine", "  "], ["a", "b"])
    with pytest.raises(ValueError, match="2 texts but 3 labels"):
        TextClassifier().fit(["one", "two"], ["a", "b", "c"])
    model = TextClassifier().fit(texts[:60], labels[:60])
    with pytest.raises(ValueError, match="labels not seen in training: opera"):
        model.evaluate(texts[:2], ["opera", labels[1]])
    with pytest.raises(TypeError, match="single string"):
        model.predict("just one string")
    with pytest.raises(RuntimeError, match="not fitted"):
        TextClassifier().save("never-written")


def test_save_onto_a_file_is_a_clear_error(tmp_path, corpus):
    texts, labels = corpus
    model = TextClassifier().fit(texts[:60], labels[:60])
    occupied = tmp_path / "model"
    occupied.write_text("not a model", encoding="utf-8")
    with pytest.raises(FileExistsError, match="is an existing file, and a model is a folder"):
        model.save(occupied)
    assert occupied.read_text(encoding="utf-8") == "not a model"
