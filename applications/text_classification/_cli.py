"""Command line: ``python -m applications.text_classification train|evaluate|predict``.

Only the standard library is imported at module level, so ``--help`` answers at once;
NumPy, SciPy, scikit-learn and autodiff are imported inside the commands. Every output
path is checked before any work: an existing file is never overwritten without
``--overwrite``, and an input never.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("results") / "text_classification"
MODEL_FILES = ("model.json", "arrays.npz")
METRICS_FILE = "metrics.json"
_ERRORS = (ValueError, TypeError, OSError, RuntimeError, KeyError)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Append ``(default: X)`` to every option whose default says something."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("%(default)" in text or "default:" in text or action.default is None
                or action.default is False or action.default == argparse.SUPPRESS):
            return text
        return super()._get_help_string(action) or text


def _add_split_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--test-size", type=float, default=0.25,
                        help="held-out fraction when no separate test data is given")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split")


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--columns", choices=("label-text", "text-label"),
                        default="label-text",
                        help="column order of a TSV file (a header line is detected and "
                             "skipped)")


def _add_overwrite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing output files (never an input)")


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
        formatter_class=_HelpFormatter,
        description="Fit on DATA (default: the bundled 4-class corpus) with a seeded "
                    "held-out split, print the metrics and the most informative features, "
                    "and save the model (model.json, arrays.npz, metrics.json) under --out.",
    )
    train.add_argument("data", nargs="?", default=None,
                       help="TSV file of 'label<TAB>text' lines, or a folder with one "
                            "subfolder per class (default: the bundled corpus)")
    train.add_argument("--out", type=Path, default=DEFAULT_OUT,
                       help="output folder of the model")
    _add_overwrite(train)
    _add_data_args(train)
    _add_split_args(train)
    train.add_argument("--vectorizer", choices=("tfidf", "count", "hashing"), default="tfidf",
                       help="bag-of-words features")
    train.add_argument("--analyzer", choices=("word", "char", "char_wb"), default="word",
                       help="features from words or characters")
    train.add_argument("--ngram-range", type=int, nargs=2, metavar=("MIN", "MAX"),
                       default=None, help="n-gram sizes (default: 1 2 for words, 2 4 for "
                                          "characters)")
    train.add_argument("--stop-words", choices=("english",), default=None,
                       help="drop scikit-learn's English stop words (default: keep all)")
    train.add_argument("--min-df", type=float, default=1,
                       help="minimum document frequency (count, or proportion below 1)")
    train.add_argument("--max-features", type=int, default=None,
                       help="keep the most frequent features (default: all)")
    train.add_argument("--n-features", type=int, default=2**18,
                       help="columns of the hashing vectorizer")
    train.add_argument("-C", "--C", dest="C", type=float, default=10.0,
                       help="inverse regularization strength")
    train.add_argument("--class-weight", choices=("balanced",), default=None,
                       help="weight classes inversely to their frequency (default: equal)")
    train.add_argument("--solver", choices=("newton-cg", "lbfgs", "gd", "adam"),
                       default="newton-cg", help="optimizer")
    train.add_argument("--tol", type=float, default=1e-4,
                       help="stop when the gradient max-norm is below this")
    train.add_argument("--max-iter", type=int, default=100, help="iteration budget")
    train.add_argument("--top", type=int, default=8, help="top features shown per class")
    _add_progress(train)

    evaluate = sub.add_parser(
        "evaluate", help="score a saved model on labelled data",
        formatter_class=_HelpFormatter,
        description="Print accuracy, per-class precision/recall/F1 and the confusion matrix "
                    "of a saved model. Without DATA, the held-out part of the bundled corpus "
                    "(same --seed/--test-size as train) is used.",
    )
    evaluate.add_argument("--model", type=Path, required=True, help="folder written by train")
    evaluate.add_argument("data", nargs="?", default=None,
                          help="TSV file or class-folder tree (default: bundled held-out split)")
    _add_data_args(evaluate)
    _add_split_args(evaluate)
    evaluate.add_argument("--out", type=Path, default=None,
                          help="also write metrics.json into this folder (default: print only)")
    _add_overwrite(evaluate)

    predict = sub.add_parser(
        "predict", help="label new texts with a saved model",
        formatter_class=_HelpFormatter,
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
    group.add_argument("--no-progress", dest="progress", action="store_false",
                       help="never show the progress bar")


# -- checks done before any work ----------------------------------------------------------------


def _check_outputs(folder: Path, names: Sequence[str], *, overwrite: bool,
                   inputs: Sequence[Path | None] = ()) -> list[Path]:
    """The output files ``folder/name``, after making sure they may be written.

    Raises
    ------
    ValueError
        If ``folder`` is an existing file, an output exists and ``overwrite`` is False,
        or an output is one of the ``inputs``.
    """
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out {folder} is an existing file; the output is a folder, "
                         "choose another name")
    existing = next(p for p in (folder, *folder.parents) if p.exists() or p == Path(p.anchor))
    if not existing.is_dir():
        raise ValueError(f"cannot create {folder}: {existing} is a file")
    if not os.access(existing, os.W_OK):
        raise ValueError(f"cannot write to {folder}: {existing} is not writable")
    given = [p.resolve() for p in inputs if p is not None and p.exists()]
    where = folder.resolve()
    for source in given:
        if source.is_dir() and (where == source or source in where.parents):
            raise ValueError(f"--out {folder} is inside the input folder {source}; "
                             "choose another --out")
    targets = [folder / name for name in names]
    for target in targets:
        if target.resolve() in given:
            raise ValueError(f"{target} is an input of this command; choose another --out")
        if target.exists() and not overwrite:
            raise ValueError(f"{target} already exists; pass --overwrite to replace it, or "
                             "choose another --out")
    return targets


def _check_input(path: Path | None, what: str) -> None:
    if path is not None and not path.exists():
        raise FileNotFoundError(f"no such {what}: {path}")


# -- commands -------------------------------------------------------------------------------------


def _make_vectorizer(args: argparse.Namespace) -> Any:
    from ._vectorizers import CountVectorizer, HashingVectorizer, TfidfVectorizer

    ngram = args.ngram_range or ((1, 2) if args.analyzer == "word" else (2, 4))
    common = {"analyzer": args.analyzer, "ngram_range": tuple(ngram),
              "stop_words": args.stop_words}
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


def _write_new(path: Path, text: str, overwrite: bool) -> None:
    """Write ``text`` to ``path``; without ``overwrite`` the file must not exist yet."""
    with open(path, "w" if overwrite else "x", encoding="utf-8") as fh:
        fh.write(text)


def cmd_train(args: argparse.Namespace) -> int:
    """Fit, report and save a model."""
    data = None if args.data is None else Path(args.data)
    _check_input(data, "file or folder")
    _check_outputs(args.out, MODEL_FILES + (METRICS_FILE,), overwrite=args.overwrite,
                   inputs=[data])
    if args.max_iter < 1:
        raise ValueError(f"--max-iter must be >= 1, got {args.max_iter}")

    from sklearn.exceptions import ConvergenceWarning

    from ._io import load_dataset, train_test_split
    from ._logistic import LogisticRegression
    from ._pipeline import TextClassifier

    texts, labels = load_dataset(data, columns=args.columns)
    source = args.data or "the bundled corpus"
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=args.test_size, seed=args.seed)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    classifier = LogisticRegression(C=args.C, class_weight=args.class_weight,
                                    solver=args.solver, tol=args.tol,
                                    max_iter=args.max_iter, progress=progress)
    model = TextClassifier(_make_vectorizer(args), classifier)
    print(f"data: {source}: {len(texts)} documents, {len(set(labels))} classes; "
          f"train {len(train_x)}, held out {len(test_x)} (seed {args.seed})")
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Reported below, in one line with the option to change.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(train_x, train_y)
    seconds = time.perf_counter() - start
    result = classifier.result_
    n_features = classifier.coef_.shape[1]
    print(f"fit: {n_features} features, solver {args.solver}, {int(result.nit)} iterations, "
          f"{seconds:.2f} s ({result.message})")
    if not result.success:
        print(f"warning: the solver stopped before converging after {int(result.nit)} "
              f"iterations (success=False: {result.message}); try a larger --max-iter "
              f"(now {args.max_iter})", file=sys.stderr)
    print(f"train accuracy {model.evaluate(train_x, train_y)['accuracy']:.3f}\n")
    metrics = model.evaluate(test_x, test_y)
    print(f"held-out accuracy {metrics['accuracy']:.3f}\n")
    _print_metrics(metrics)
    top = model.top_features(args.top)
    print(f"\nmost informative features (top {args.top} per class)")
    for label, feats in top.items():
        print(f"  {label}: " + ", ".join(f"{name} ({w:+.2f})" for name, w in feats))
    # Checked again at the last moment: something may have appeared during the fit.
    _check_outputs(args.out, MODEL_FILES + (METRICS_FILE,), overwrite=args.overwrite,
                   inputs=[data])
    out = args.out
    model.save(out)
    summary = _metrics_json(metrics)
    summary.update(
        data=str(source), n_train=len(train_x), n_test=len(test_x), seed=args.seed,
        fit_seconds=seconds, n_iter=int(result.nit), converged=bool(result.success),
        solver_message=str(result.message),
        top_features={str(k): v for k, v in top.items()},
    )
    _write_new(out / METRICS_FILE, json.dumps(summary, indent=1) + "\n", args.overwrite)
    print(f"\nmodel and metrics written to {out}/")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Score a saved model on labelled data."""
    data = None if args.data is None else Path(args.data)
    _check_input(args.model, "model folder")
    _check_input(data, "file or folder")
    if args.out is not None:
        _check_outputs(args.out, (METRICS_FILE,), overwrite=args.overwrite,
                       inputs=[data, args.model / MODEL_FILES[0], args.model / MODEL_FILES[1]])

    from ._io import load_bundled_corpus, load_dataset, train_test_split
    from ._pipeline import TextClassifier

    model = TextClassifier.load(args.model)
    if data is None:
        texts, labels = load_bundled_corpus()
        _, texts, _, labels = train_test_split(texts, labels, test_size=args.test_size,
                                               seed=args.seed)
        print(f"data: held-out part of the bundled corpus (seed {args.seed}), "
              f"{len(texts)} documents")
    else:
        texts, labels = load_dataset(data, columns=args.columns)
        print(f"data: {data}, {len(texts)} documents")
    metrics = model.evaluate(texts, labels)
    print(f"accuracy {metrics['accuracy']:.3f}\n")
    _print_metrics(metrics)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        _write_new(args.out / METRICS_FILE, json.dumps(_metrics_json(metrics), indent=1) + "\n",
                   args.overwrite)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Label new texts with a saved model."""
    texts = list(args.texts)
    if args.file is not None:
        from ._io import load_lines

        texts.extend(load_lines(args.file))
    if not texts:
        raise ValueError("nothing to classify: give texts or --file")

    import numpy as np

    from ._pipeline import TextClassifier

    model = TextClassifier.load(args.model)
    proba = model.predict_proba(texts)
    classes = model.classes_
    for text, p in zip(texts, proba):
        best = int(np.argmax(p))
        short = text if len(text) <= 70 else text[:67] + "..."
        print(f"{classes[best]}\t{p[best]:.3f}\t{short}")
    return 0


_COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict}


def _one_line(exc: BaseException) -> str:
    """The error as one line, without ``[Errno N]`` noise."""
    if isinstance(exc, KeyError):
        return f"missing key {exc}"
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        message = f"{where}: {exc.strerror}" if where else exc.strerror
    else:
        message = str(exc)
    return " ".join(message.split())


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (errors: one line on stderr, status 1)."""
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning  # one line each, no source location
        try:
            return _COMMANDS[args.command](args)
        except _ERRORS as exc:
            print(f"error: {_one_line(exc)}", file=sys.stderr)
            return 1
