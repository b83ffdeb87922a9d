"""Text preprocessing and analyzers: word tokens, word n-grams and character n-grams.

The conventions are scikit-learn's (``sklearn.feature_extraction.text``) so that the
same settings give the same features:

- preprocessing lowercases (optionally) and then strips accents (optionally);
- word tokens are the matches of ``token_pattern`` (default: runs of two or more word
  characters), stop words are removed before n-grams are formed, and n-grams are the
  tokens joined by one space;
- ``"char"`` n-grams run over the whole text after runs of two or more whitespace
  characters are collapsed to one space; ``"char_wb"`` n-grams run inside each
  whitespace-separated word padded with one space on both sides, and a word shorter
  than ``n`` yields itself (padded) once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

__all__ = [
    "DEFAULT_TOKEN_PATTERN",
    "build_analyzer",
    "char_ngrams",
    "char_wb_ngrams",
    "strip_accents_ascii",
    "strip_accents_unicode",
    "word_ngrams",
]

DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_MULTI_WHITESPACE = re.compile(r"\s\s+")
_ANALYZERS = ("word", "char", "char_wb")


def strip_accents_unicode(text: str) -> str:
    """Remove combining accents after Unicode NFKD decomposition (``"café" -> "cafe"``)."""
    try:
        # The common case: pure ASCII needs no work.
        text.encode("ASCII", errors="strict")
        return text
    except UnicodeEncodeError:
        pass
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def strip_accents_ascii(text: str) -> str:
    """Decompose with NFKD and drop every character that has no ASCII form."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ASCII", "ignore").decode("ASCII")


_ACCENT_STRIPPERS: dict[str | None, Callable[[str], str] | None] = {
    None: None,
    "unicode": strip_accents_unicode,
    "ascii": strip_accents_ascii,
}


def _check_ngram_range(ngram_range: tuple[int, int]) -> tuple[int, int]:
    try:
        low, high = (int(n) for n in ngram_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"ngram_range must be a pair of integers (min_n, max_n), got {ngram_range!r}"
        ) from None
    if low < 1 or high < low:
        raise ValueError(f"ngram_range must satisfy 1 <= min_n <= max_n, got {ngram_range!r}")
    return low, high


def word_ngrams(
    tokens: list[str], ngram_range: tuple[int, int] = (1, 1), stop_words: Iterable[str] = ()
) -> list[str]:
    """Word n-grams of a token list: stop words removed, n-grams joined by one space.

    Parameters
    ----------
    tokens : list of str
        The tokens of one document, in order.
    ngram_range : (int, int)
        Smallest and largest n, inclusive.
    stop_words : iterable of str
        Tokens removed before the n-grams are formed.

    Returns
    -------
    list of str
        Unigrams (when ``min_n == 1``) followed by longer n-grams, in document order.

    Examples
    --------
    >>> word_ngrams(["the", "rain", "falls"], (1, 2))
    ['the', 'rain', 'falls', 'the rain', 'rain falls']
    """
    low, high = _check_ngram_range(ngram_range)
    stop = frozenset(stop_words)
    if stop:
        tokens = [t for t in tokens if t not in stop]
    if high == 1:
        return list(tokens)
    out = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_ngrams(text: str, ngram_range: tuple[int, int] = (1, 1)) -> list[str]:
    """Character n-grams of a whole text, after collapsing runs of whitespace.

    Examples
    --------
    >>> char_ngrams("a  b", (2, 2))
    ['a ', ' b']
    """
    low, high = _check_ngram_range(ngram_range)
    text = _MULTI_WHITESPACE.sub(" ", text)
    size = len(text)
    out: list[str] = []
    for n in range(low, min(high, size) + 1):
        out.extend(text[i : i + n] for i in range(size - n + 1))
    return out


def char_wb_ngrams(text: str, ngram_range: tuple[int, int] = (1, 1)) -> list[str]:
    """Character n-grams inside word boundaries (each word padded with one space).

    A padded word shorter than ``n`` contributes itself once, and longer n are skipped
    for it.

    Examples
    --------
    >>> char_wb_ngrams("hi there", (3, 3))
    [' hi', 'hi ', ' th', 'the', 'her', 'ere', 're ']
    """
    low, high = _check_ngram_range(ngram_range)
    text = _MULTI_WHITESPACE.sub(" ", text)
    out: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            if size <= n:
                out.append(padded)
                break
            out.extend(padded[i : i + n] for i in range(size - n + 1))
    return out


def _stop_list(stop_words: str | Iterable[str] | None) -> frozenset[str]:
    """The stop words as a set: ``"english"`` is scikit-learn's list, others are refused."""
    if stop_words is None:
        return frozenset()
    if isinstance(stop_words, str):
        if stop_words != "english":
            raise ValueError(
                f"stop_words must be 'english', a list of words or None, got {stop_words!r}"
            )
        # scikit-learn is the text application's base; imported here, when asked for.
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    return frozenset(stop_words)


def build_analyzer(
    *,
    analyzer: str = "word",
    lowercase: bool = True,
    strip_accents: str | None = None,
    token_pattern: str = DEFAULT_TOKEN_PATTERN,
    ngram_range: tuple[int, int] = (1, 1),
    stop_words: Iterable[str] | None = None,
) -> Callable[[str], list[str]]:
    """Return a function that maps one document to its list of features (with repeats).

    Parameters
    ----------
    analyzer : {"word", "char", "char_wb"}
        Word n-grams, character n-grams over the text, or character n-grams inside words.
    lowercase : bool
        Lowercase the text before anything else.
    strip_accents : {None, "unicode", "ascii"}
        Accent removal after lowercasing.
    token_pattern : str
        Regular expression of a token (word analyzer only). If it has one capturing
        group, the group is the token.
    ngram_range : (int, int)
        Smallest and largest n of the n-grams, inclusive.
    stop_words : "english" or iterable of str, optional
        Tokens removed before forming word n-grams; ``"english"`` is scikit-learn's
        built-in list.

    Returns
    -------
    callable
        ``analyze(doc: str) -> list[str]``.

    Examples
    --------
    >>> build_analyzer(ngram_range=(1, 2))("Snow, then SNOW.")
    ['snow', 'then', 'snow', 'snow then', 'then snow']
    """
    if analyzer not in _ANALYZERS:
        raise ValueError(f"analyzer must be one of {_ANALYZERS}, got {analyzer!r}")
    if strip_accents not in _ACCENT_STRIPPERS:
        raise ValueError(
            f"strip_accents must be None, 'unicode' or 'ascii', got {strip_accents!r}"
        )
    ngram_range = _check_ngram_range(ngram_range)
    stop = _stop_list(stop_words)
    accent = _ACCENT_STRIPPERS[strip_accents]

    def preprocess(doc: str) -> str:
        if not isinstance(doc, str):
            raise TypeError(f"documents must be str, got {type(doc).__name__}")
        if lowercase:
            doc = doc.lower()
        if accent is not None:
            doc = accent(doc)
        return doc

    if analyzer == "char":
        return lambda doc: char_ngrams(preprocess(doc), ngram_range)
    if analyzer == "char_wb":
        return lambda doc: char_wb_ngrams(preprocess(doc), ngram_range)

    pattern = re.compile(token_pattern)
    if pattern.groups > 1:
        raise ValueError(
            f"token_pattern has {pattern.groups} capturing groups; at most one is allowed"
        )
    # findall returns the group when there is exactly one, the whole match otherwise.
    return lambda doc: word_ngrams(pattern.findall(preprocess(doc)), ngram_range, stop)
