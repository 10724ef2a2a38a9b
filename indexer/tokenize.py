"""The one Chinese tokenizer of jixiao: jieba search mode + a domain dictionary.

BM25, highlights, the reuse report and the classifier all call :func:`tokenize`
so that a query and the texts it is matched against are always cut the same
way. Text is first folded per character (``indexer.text.fold_width_case``: NFKC,
full-width → half-width, compatibility forms, and lower case); jieba then cuts it in search mode
(``cut_for_search``: long words plus the dictionary words inside them, so
``纳统企业`` yields ``纳统``, ``企业`` and ``纳统企业``) with its HMM off, so an
unknown word falls apart into the same single characters in the query and in
the corpus. Stop words, punctuation and bare numbers are dropped.

The jieba ``Tokenizer`` is our own instance (the global ``jieba.dt`` is never
touched) and is built lazily on first use: importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from indexer.records import Highlight
from indexer.text import fold_width_case, fold_width_case_mapped

if TYPE_CHECKING:
    import jieba

_DATA = "indexer.data"
USERDICT = "userdict.txt"
STOPWORDS = "stopwords.txt"

_lock = threading.Lock()


def _data_text(name: str) -> str:
    return resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")


def _lines(name: str) -> list[str]:
    return [
        line.strip() for line in _data_text(name).splitlines() if line.strip() and not line.startswith("#")
    ]


@cache
def stopwords() -> frozenset[str]:
    """The stop-word list (``indexer/data/stopwords.txt``), normalised."""
    return frozenset(fold_width_case(w) for w in _lines(STOPWORDS))


@cache
def user_words() -> tuple[str, ...]:
    """The domain dictionary words (``indexer/data/userdict.txt``, first column)."""
    return tuple(fold_width_case(line.split()[0]) for line in _lines(USERDICT))


@cache
def fingerprint() -> str:
    """A short hash of the dictionary and stop words: artifacts built from
    tokens record it, because a changed dictionary changes every token."""
    digest = hashlib.sha256()
    for name in (USERDICT, STOPWORDS):
        digest.update(_data_text(name).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


_tokenizer: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:  # another thread may have built it while we waited
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in user_words():
                    # No frequency: jieba picks one just high enough to keep the word whole.
                    tokenizer.add_word(word)
                _tokenizer = tokenizer
    return _tokenizer


def _keep(token: str, stop: frozenset[str]) -> bool:
    if not token or token in stop:
        return False
    if not any(ch.isalnum() for ch in token):
        return False  # punctuation, symbols, whitespace
    stripped = token.replace(".", "").replace(",", "")
    return not stripped.isdigit()  # bare numbers and amounts


def tokenize(text: str) -> list[str]:
    """Search-mode tokens of ``text`` (normalised, stop words and numbers removed).

    Order follows jieba's output and duplicates are kept (BM25 counts them).
    """
    if not text:
        return []
    stop = stopwords()
    words = _jieba().cut_for_search(fold_width_case(text), HMM=False)
    return [w for w in (w.strip() for w in words) if _keep(w, stop)]


def highlight_spans(text: str, query_tokens: list[str] | tuple[str, ...]) -> tuple[Highlight, ...]:
    """Spans of ``text`` (code-point offsets into ``text`` as given) where a
    query token occurs, overlapping spans merged, in order.

    Matching is on the normalised form, so ``ＡＢ`` in the text matches ``ab``.
    Single-character tokens are used only when no longer token matches, so a
    stray character does not light up the whole text.
    """
    if not text or not query_tokens:
        return ()
    folded, positions = fold_width_case_mapped(text)
    tokens = {fold_width_case(t) for t in query_tokens if t}
    long_tokens = sorted((t for t in tokens if len(t) >= 2), key=len, reverse=True)
    spans = _find_all(folded, long_tokens)
    if not spans:
        spans = _find_all(folded, sorted(t for t in tokens if len(t) == 1))
    if not spans:
        return ()
    spans.sort()
    merged: list[list[int]] = [list(spans[0])]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[Highlight] = []
    for start, end in merged:
        raw_start = positions[start]
        raw_end = positions[end - 1] + 1
        if out and raw_start <= out[-1].end:
            out[-1] = Highlight(out[-1].start, max(out[-1].end, raw_end))
        else:
            out.append(Highlight(raw_start, raw_end))
    return tuple(out)


def _find_all(haystack: str, needles: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for needle in needles:
        start = haystack.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = haystack.find(needle, start + 1)
    return spans
