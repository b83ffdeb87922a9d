"""Data loaders and the model file format.

Data: a TSV file of ``label<TAB>text`` lines (the SMS Spam Collection's layout), or a
folder holding one subfolder per class with one UTF-8 text file per document.

Model format (no pickle): a folder with

- ``model.json``: format name and version, the vectorizer's class, settings and
  vocabulary (terms in column order), the classifier's settings and its classes;
- ``arrays.npz``: ``coef``, ``intercept``, ``n_iter`` and, for TF-IDF, ``idf``; read with
  ``allow_pickle=False``, so loading never executes code from the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "BUNDLED_CORPUS",
    "load_bundled_corpus",
    "load_dataset",
    "load_folder",
    "load_lines",
    "load_tsv",
    "read_model",
    "train_test_split",
    "write_model",
]

#: The corpus shipped with the project (see ``datasets/text/README.md``).
BUNDLED_CORPUS = Path(__file__).resolve().parents[2] / "datasets" / "text" / "corpus.tsv"

MODEL_FORMAT = "autodiff-text-classifier"
MODEL_VERSION = 1
MODEL_JSON = "model.json"
MODEL_ARRAYS = "arrays.npz"


def _read_text(path: Path) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"expected a file, got a folder: {path}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


#: Column names that mark the first line of a TSV file as a header (compared lowercased).
_HEADER_NAMES = frozenset({
    "label", "labels", "class", "category", "target", "y", "tag", "topic", "sentiment",
    "text", "texts", "message", "sms", "document", "doc", "sentence", "content", "body",
    "review", "x", "v1", "v2",
})
_COLUMNS = ("label-text", "text-label")


def _split_line(line: str, columns: str) -> tuple[str, str, bool]:
    """``(label, text, found_tab)``: the label is the first field, or the last one."""
    if columns == "label-text":
        label, tab, text = line.partition("\t")
    else:
        text, tab, label = line.rpartition("\t")
    return label.strip(), text.strip(), bool(tab)


def _is_header(label: str, text: str, other_labels: list[str]) -> bool:
    """A first line whose cells are column names (``label<TAB>text``, ``v1<TAB>v2``...).

    Both cells must be single words, one of them a usual column name, and the label
    cell must not occur as a label again.
    """
    words = (label, text)
    return (all(len(w) <= 30 and not any(c.isspace() for c in w) for w in words)
            and any(w.lower() in _HEADER_NAMES for w in words)
            and label not in other_labels)


def _check_not_swapped(path: Path, texts: list[str], labels: list[str], columns: str) -> None:
    """Refuse a file whose text sits in the label column: sentences as labels, few texts."""
    n = len(labels)
    n_labels, n_texts = len(set(labels)), len(set(texts))
    if n < 6 or n_labels <= n / 2 or n_texts > n / 2:
        return
    spaced = sum(any(c.isspace() for c in label) for label in labels)
    if spaced <= n / 2:
        return
    other = "text-label" if columns == "label-text" else "label-text"
    where = "first" if columns == "label-text" else "last"
    examples = ", ".join(repr(t) for t in sorted(set(texts))[:4])
    raise ValueError(
        f"{path}: the columns look swapped: the {where} column (read as labels) holds "
        f"{n_labels} distinct sentences in {n} lines, the other only {n_texts} distinct "
        f"values ({examples}); expected '{columns.replace('-', '<TAB>')}' lines: swap the "
        f"columns or read them as {other!r} (command line: --columns {other})"
    )


def load_tsv(path: str | Path, *, columns: str = "label-text",
             header: bool | None = None) -> tuple[list[str], list[str]]:
    """Read ``label<TAB>text`` lines (or ``text<TAB>label`` with ``columns="text-label"``).

    Blank lines are skipped; the text is everything after the first tab (before the
    last tab for ``"text-label"``). A first line of column names (``label<TAB>text``,
    ``v1<TAB>v2``, ``category<TAB>message``...) is recognized as a header and skipped.

    Parameters
    ----------
    path : str or Path
    columns : {"label-text", "text-label"}
        Which column holds the label.
    header : bool, optional
        Whether the first non-blank line is a header; default: detected.

    Returns
    -------
    texts, labels : list of str

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is not UTF-8, has no documents, or a line has no tab, an empty
        label or an empty text (the message gives the line number), or if the columns
        look swapped (sentences in the label column, few distinct texts).
    """
    if columns not in _COLUMNS:
        raise ValueError(f"columns must be one of {_COLUMNS}, got {columns!r}")
    path = Path(path)
    rows: list[tuple[int, str, str]] = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        label, text, tab = _split_line(line, columns)
        if not tab:
            expected = columns.replace("-", "<TAB>")
            raise ValueError(f"{path}, line {number}: expected '{expected}', found no tab")
        rows.append((number, label, text))
    if rows:
        first = rows[0]
        others = [label for _, label, _ in rows[1:]]
        if header or (header is None and _is_header(first[1], first[2], others)):
            rows = rows[1:]
    texts: list[str] = []
    labels: list[str] = []
    for number, label, text in rows:
        if not label:
            raise ValueError(f"{path}, line {number}: empty label")
        if not text:
            raise ValueError(f"{path}, line {number}: empty text")
        labels.append(label)
        texts.append(text)
    if not texts:
        raise ValueError(f"{path} holds no documents")
    _check_not_swapped(path, texts, labels, columns)
    return texts, labels


def load_folder(path: str | Path) -> tuple[list[str], list[str]]:
    """Read a folder with one subfolder per class and one text file per document.

    Hidden entries (names starting with ``.``) are skipped; classes and files are read
    in sorted order.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    texts, labels : list of str
        Labels are the subfolder names.

    Raises
    ------
    FileNotFoundError
        If the folder does not exist.
    ValueError
        If it has no class subfolders, a class has no documents, or a document is
        empty or not UTF-8.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such folder: {path}")
    if not path.is_dir():
        raise NotADirectoryError(f"expected a folder of class subfolders, got a file: {path}")
    classes = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(f"{path} has no class subfolders")
    texts: list[str] = []
    labels: list[str] = []
    for folder in classes:
        files = sorted(
            p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
        )
        if not files:
            raise ValueError(f"class folder {folder} holds no documents")
        for file in files:
            text = _read_text(file).strip()
            if not text:
                raise ValueError(f"{file} is empty")
            texts.append(text)
            labels.append(folder.name)
    return texts, labels


def load_dataset(path: str | Path | None = None, *, columns: str = "label-text",
                 header: bool | None = None) -> tuple[list[str], list[str]]:
    """Load a TSV file, a class-folder tree, or (``path=None``) the bundled corpus.

    ``columns`` and ``header`` are passed to :func:`load_tsv` for a TSV file.
    """
    if path is None:
        return load_bundled_corpus()
    path = Path(path)
    if path.is_dir():
        return load_folder(path)
    return load_tsv(path, columns=columns, header=header)


def load_bundled_corpus() -> tuple[list[str], list[str]]:
    """The project's own four-class corpus (400 texts), as ``(texts, labels)``."""
    if not BUNDLED_CORPUS.is_file():
        raise FileNotFoundError(
            f"the bundled corpus is missing ({BUNDLED_CORPUS}); regenerate it with "
            "`python datasets/text/make_corpus.py`"
        )
    return load_tsv(BUNDLED_CORPUS)


def load_lines(path: str | Path) -> list[str]:
    """One document per non-blank line of a UTF-8 file (for prediction)."""
    path = Path(path)
    texts = [line.strip() for line in _read_text(path).splitlines() if line.strip()]
    if not texts:
        raise ValueError(f"{path} holds no documents")
    return texts


def train_test_split(
    texts: list[str], labels: list[Any], *, test_size: float = 0.25, seed: int = 0,
    stratify: bool = True,
) -> tuple[list[str], list[str], list[Any], list[Any]]:
    """Seeded random split into ``(train_texts, test_texts, train_labels, test_labels)``.

    With ``stratify`` each class contributes ``round(test_size * count)`` documents (at
    least one, and at least one left for training when it has two or more) to the test
    part, so class proportions are kept.

    Examples
    --------
    >>> a, b, ya, yb = train_test_split(list("abcdefgh"), [0, 1] * 4, test_size=0.5)
    >>> len(a), len(b), sorted(yb)
    (4, 4, [0, 0, 1, 1])
    """
    if len(texts) != len(labels):
        raise ValueError(f"got {len(texts)} texts but {len(labels)} labels")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must lie strictly between 0 and 1, got {test_size}")
    rng = np.random.default_rng(seed)
    n = len(texts)
    if stratify:
        groups: dict[Any, list[int]] = {}
        for i, label in enumerate(labels):
            groups.setdefault(label, []).append(i)
        test: list[int] = []
        for members in groups.values():
            order = rng.permutation(len(members))
            k = int(round(test_size * len(members)))
            k = min(max(k, 1), len(members) - 1) if len(members) > 1 else 0
            test.extend(members[j] for j in order[:k])
    else:
        test = rng.permutation(n)[: int(round(test_size * n))].tolist()
    if not test or len(test) == n:
        raise ValueError(f"test_size={test_size} leaves an empty part with {n} documents")
    in_test = np.zeros(n, dtype=bool)
    in_test[test] = True
    train_idx, test_idx = np.flatnonzero(~in_test), np.flatnonzero(in_test)
    return ([texts[i] for i in train_idx], [texts[i] for i in test_idx],
            [labels[i] for i in train_idx], [labels[i] for i in test_idx])


# -- model files ------------------------------------------------------------------------------


def _labels_to_json(classes: np.ndarray) -> tuple[list[Any], str]:
    kind = classes.dtype.kind
    if kind in "US" or (kind == "O" and all(isinstance(c, str) for c in classes.tolist())):
        return [str(c) for c in classes.tolist()], "str"
    if kind in "biuf":
        return classes.tolist(), classes.dtype.str
    raise TypeError(
        f"labels of dtype {classes.dtype} cannot be saved; use str, int, float or bool labels"
    )


def _labels_from_json(values: list[Any], dtype: str) -> np.ndarray:
    if dtype == "str":
        return np.asarray([str(v) for v in values])
    if np.dtype(dtype).kind not in "biuf":
        raise ValueError(f"unsupported label dtype {dtype!r}")
    return np.asarray(values, dtype=np.dtype(dtype))


def write_model(path: str | Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    """Write ``model.json`` (``meta`` plus format tags) and ``arrays.npz`` into ``path``.

    ``meta["classifier"]["classes"]`` may be an ndarray of labels; it is stored with its
    dtype so that loading gives back the same labels.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"cannot save the model: {path} is an existing file, and a "
                              "model is a folder")
    path.mkdir(parents=True, exist_ok=True)
    meta = json.loads(json.dumps(meta, default=_no_json))  # deep copy; fails early
    doc = {"format": MODEL_FORMAT, "version": MODEL_VERSION, **meta}
    with open(path / MODEL_JSON, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    np.savez(path / MODEL_ARRAYS, **{k: np.asarray(v) for k, v in arrays.items()})
    return path


def _no_json(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        labels, dtype = _labels_to_json(value)
        return {"values": labels, "dtype": dtype}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    raise TypeError(f"cannot store a {type(value).__name__} in model.json")


def read_model(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read back what :func:`write_model` wrote: ``(meta, arrays)``.

    Raises
    ------
    FileNotFoundError
        If the folder or one of its two files is missing.
    ValueError
        If a file is malformed or of another format or version.
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no model folder at {path}")
    json_path, npz_path = path / MODEL_JSON, path / MODEL_ARRAYS
    try:
        doc = json.loads(_read_text(json_path))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{json_path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
        raise ValueError(f"{json_path} is not an {MODEL_FORMAT} model file")
    if doc.get("version") != MODEL_VERSION:
        raise ValueError(
            f"{json_path} has format version {doc.get('version')!r}; "
            f"this code reads version {MODEL_VERSION}"
        )
    if not npz_path.is_file():
        raise FileNotFoundError(f"no such file: {npz_path}")
    try:
        with np.load(npz_path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{npz_path} is not a readable .npz archive: {exc}") from None
    classifier = doc.get("classifier")
    if not isinstance(classifier, dict) or not isinstance(classifier.get("classes"), dict):
        raise ValueError(f"{json_path} has no classifier classes")
    try:
        classes = classifier["classes"]
        classifier["classes"] = _labels_from_json(classes["values"], classes["dtype"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{json_path}: malformed classes ({exc})") from None
    return doc, arrays
