"""Command line: ``python -m applications.text_classification train|evaluate|predict``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._io import load_bundled_corpus, load_dataset, load_lines, train_test_split
from ._logistic import LogisticRegression
from ._pipeline import TextClassifier
from ._vectorizers import CountVectorizer, HashingVectorizer, TfidfVectorizer

DEFAULT_OUT = Path("results") / "text_classification"
_ERRORS = (ValueError, TypeError, OSError, RuntimeError, KeyError)


def _add_split_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--test-size", type=float, default=0.25,
                        help="held-out fraction when no separate test data is given "
                             "(default: 0.25)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split (default: 0)")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with the ``train``, ``evaluate`` and ``predict`` subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m applications.text_classification",
        description="Text classification with TF-IDF features and logistic regression "
                    "fitted by autodiff's Newton-CG (AD Hessian-vector products).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser(
        "train", help="fit a model, print held-out metrics and top features, save it",
        description="Fit on DATA (default: the bundled 4-class corpus) with a seeded "
                    "held-out split, print the metrics and the most informative features, "
                    "and save the model under --out.",
    )
    train.add_argument("data", nargs="?", default=None,
                       help="TSV file of 'label<TAB>text' lines, or a folder with one "
                            "subfolder per class (default: the bundled corpus)")
    train.add_argument("--out", type=Path, default=DEFAULT_OUT,
                       help=f"output folder (default: {DEFAULT_OUT})")
    _add_split_args(train)
    train.add_argument("--vectorizer", choices=("tfidf", "count", "hashing"), default="tfidf")
    train.add_argument("--analyzer", choices=("word", "char", "char_wb"), default="word")
    train.add_argument("--ngram-range", type=int, nargs=2, metavar=("MIN", "MAX"),
                       default=None, help="n-gram sizes (default: 1 2 for words, 2 4 for "
                                          "characters)")
    train.add_argument("--min-df", type=float, default=1, help="minimum document frequency")
    train.add_argument("--max-features", type=int, default=None)
    train.add_argument("--n-features", type=int, default=2**18,
                       help="columns of the hashing vectorizer (default: 2**18)")
    train.add_argument("-C", "--C", dest="C", type=float, default=10.0,
                       help="inverse regularization strength (default: 10)")
    train.add_argument("--solver", choices=("newton-cg", "lbfgs", "gd", "adam"),
                       default="newton-cg")
    train.add_argument("--tol", type=float, default=1e-4)
    train.add_argument("--max-iter", type=int, default=100)
    train.add_argument("--top", type=int, default=8, help="top features shown per class")
    _add_progress(train)

    evaluate = sub.add_parser(
        "evaluate", help="score a saved model on labelled data",
        description="Print accuracy, per-class precision/recall/F1 and the confusion matrix "
                    "of a saved model. Without DATA, the held-out part of the bundled corpus "
                    "(same --seed/--test-size as train) is used.",
    )
    evaluate.add_argument("--model", type=Path, required=True, help="folder written by train")
    evaluate.add_argument("data", nargs="?", default=None,
                          help="TSV file or class-folder tree (default: bundled held-out split)")
    _add_split_args(evaluate)
    evaluate.add_argument("--out", type=Path, default=None,
                          help="also write metrics.json into this folder")

    predict = sub.add_parser(
        "predict", help="label new texts with a saved model",
        description="Print the predicted label (and its probability) of each text.",
    )
    predict.add_argument("--model", type=Path, required=True, help="folder written by train")
    predict.add_argument("texts", nargs="*", help="texts to classify")
    predict.add_argument("--file", type=Path, default=None,
                         help="UTF-8 file with one text per line")
    return parser


def _add_progress(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="show the solver's progress bar (default: when stderr is a "
                            "terminal)")
    group.add_argument("--no-progress", dest="progress", action="store_false")


def _make_vectorizer(args: argparse.Namespace) -> Any:
    ngram = args.ngram_range or ((1, 2) if args.analyzer == "word" else (2, 4))
    common = {"analyzer": args.analyzer, "ngram_range": tuple(ngram)}
    if args.vectorizer == "hashing":
        return HashingVectorizer(n_features=args.n_features, **common)
    min_df = int(args.min_df) if float(args.min_df).is_integer() else args.min_df
    common.update(min_df=min_df, max_features=args.max_features)
    if args.vectorizer == "count":
        return CountVectorizer(**common)
    return TfidfVectorizer(sublinear_tf=True, **common)


def _print_metrics(metrics: dict[str, Any]) -> None:
    print(metrics["report"])
    labels = [str(v) for v in metrics["labels"].tolist()]
    corner = "true \\ pred"
    width = max(len(s) for s in labels + [corner])
    cell = max(max(len(s) for s in labels), 5)
    print("\nconfusion matrix (rows: true, columns: predicted)")
    print(f"{corner:>{width}} " + " ".join(f"{s:>{cell}}" for s in labels))
    for name, row in zip(labels, metrics["confusion_matrix"]):
        print(f"{name:>{width}} " + " ".join(f"{int(v):>{cell}d}" for v in row))


def _metrics_json(metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "accuracy": metrics["accuracy"],
        "labels": [str(v) for v in metrics["labels"].tolist()],
        "confusion_matrix": metrics["confusion_matrix"].tolist(),
        "report": metrics["report"],
    }


def cmd_train(args: argparse.Namespace) -> int:
    texts, labels = load_dataset(args.data)
    source = args.data or "the bundled corpus"
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=args.test_size, seed=args.seed)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    classifier = LogisticRegression(C=args.C, solver=args.solver, tol=args.tol,
                                    max_iter=args.max_iter, progress=progress)
    model = TextClassifier(_make_vectorizer(args), classifier)
    print(f"data: {source}: {len(texts)} documents, {len(set(labels))} classes; "
          f"train {len(train_x)}, held out {len(test_x)} (seed {args.seed})")
    start = time.perf_counter()
    model.fit(train_x, train_y)
    seconds = time.perf_counter() - start
    result = classifier.result_
    n_features = classifier.coef_.shape[1]
    print(f"fit: {n_features} features, solver {args.solver}, {int(result.nit)} iterations, "
          f"{seconds:.2f} s ({result.message})")
    if not result.success and args.solver != "adam":  # adam always runs all its epochs
        print("warning: the solver did not converge; try a larger --max-iter", file=sys.stderr)
    print(f"train accuracy {model.evaluate(train_x, train_y)['accuracy']:.3f}\n")
    metrics = model.evaluate(test_x, test_y)
    print(f"held-out accuracy {metrics['accuracy']:.3f}\n")
    _print_metrics(metrics)
    top = model.top_features(args.top)
    print(f"\nmost informative features (top {args.top} per class)")
    for label, feats in top.items():
        print(f"  {label}: " + ", ".join(f"{name} ({w:+.2f})" for name, w in feats))
    out = args.out
    model.save(out)
    summary = _metrics_json(metrics)
    summary.update(
        data=str(source), n_train=len(train_x), n_test=len(test_x), seed=args.seed,
        fit_seconds=seconds, n_iter=int(result.nit), converged=bool(result.success),
        top_features={str(k): v for k, v in top.items()},
    )
    (out / "metrics.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"\nmodel and metrics written to {out}/")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = TextClassifier.load(args.model)
    if args.data is None:
        texts, labels = load_bundled_corpus()
        _, texts, _, labels = train_test_split(texts, labels, test_size=args.test_size,
                                               seed=args.seed)
        print(f"data: held-out part of the bundled corpus (seed {args.seed}), "
              f"{len(texts)} documents")
    else:
        texts, labels = load_dataset(args.data)
        print(f"data: {args.data}, {len(texts)} documents")
    metrics = model.evaluate(texts, labels)
    print(f"accuracy {metrics['accuracy']:.3f}\n")
    _print_metrics(metrics)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "metrics.json").write_text(
            json.dumps(_metrics_json(metrics), indent=1) + "\n", encoding="utf-8")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    texts = list(args.texts)
    if args.file is not None:
        texts.extend(load_lines(args.file))
    if not texts:
        raise ValueError("nothing to classify: give texts or --file")
    model = TextClassifier.load(args.model)
    proba = model.predict_proba(texts)
    classes = model.classes_
    for text, p in zip(texts, proba):
        best = int(np.argmax(p))
        short = text if len(text) <= 70 else text[:67] + "..."
        print(f"{classes[best]}\t{p[best]:.3f}\t{short}")
    return 0


_COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (errors: one line on stderr, status 1)."""
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except _ERRORS as exc:
        message = str(exc) if not isinstance(exc, KeyError) else f"missing key {exc}"
        print(f"error: {message}", file=sys.stderr)
        return 1
