"""Text classification with the library API: TF-IDF, AD-trained logistic regression, save/load.

Run ``python examples/text_classification.py``; the model is written to
``results/text_classification_example``.
"""

from pathlib import Path

from applications.text_classification import (
    LogisticRegression,
    TextClassifier,
    TfidfVectorizer,
    load_bundled_corpus,
    train_test_split,
)


def main() -> None:
    texts, labels = load_bundled_corpus()
    train_x, test_x, train_y, test_y = train_test_split(texts, labels, test_size=0.25, seed=1)

    # The pieces on their own: a sparse CSR matrix, then Newton-CG with AD Hessian products.
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    X_train = vectorizer.fit_transform(train_x)
    clf = LogisticRegression(C=10.0).fit(X_train, train_y)
    print(f"{X_train.shape[0]} x {X_train.shape[1]} TF-IDF matrix, {X_train.nnz} non-zeros; "
          f"Newton-CG: {clf.n_iter_[0]} iterations, {clf.result_.nhev} Hessian-vector products")
    print(f"held-out accuracy {clf.score(vectorizer.transform(test_x), test_y):.3f}")

    # The same as one model, with its report, its strongest features and a round trip.
    model = TextClassifier(vectorizer, clf).fit(train_x, train_y)
    print(model.evaluate(test_x, test_y)["report"])
    for label, features in model.top_features(5).items():
        print(f"{label:>10}: " + ", ".join(name for name, _ in features))
    folder = model.save(Path("results") / "text_classification_example")
    again = TextClassifier.load(folder)
    print(again.predict(["Thick fog and freezing drizzle this morning",
                         "The goalkeeper saved a penalty in extra time"]).tolist())


if __name__ == "__main__":
    main()
