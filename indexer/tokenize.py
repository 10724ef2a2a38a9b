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
touched) and is built lazily on first use: importing this module is cheap. Building
it loads jieba's whole prefix dictionary (~500k words, most of a second); a command
that tokenises one query can instead :func:`use_table` a SQLite copy of that
dictionary written at build time (:func:`write_table`), from which each call reads
only the substrings of its text — all that jieba ever looks up for it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from indexer.errors import ArtifactError
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


class _Cutter(Protocol):
    def cut_for_search(self, sentence: str, HMM: bool = True) -> Iterator[str]: ...


_tokenizer: _Cutter | None = None


def _jieba() -> _Cutter:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:  # another thread may have built it while we waited
                _tokenizer = _full_dictionary()
    return _tokenizer


def _full_dictionary() -> jieba.Tokenizer:
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in user_words():
        # No frequency: jieba picks one just high enough to keep the word whole.
        tokenizer.add_word(word)
    return tokenizer


_TABLE_CHUNK = 900  # host parameters per SELECT


def write_table(out: Path) -> dict[str, Any]:
    """Write jieba's prefix dictionary with the domain words added (word → frequency, the
    total) to the SQLite file ``out``, for :func:`use_table`; returns manifest counts."""
    full = _full_dictionary()
    with sqlite3.connect(out) as db:
        db.execute("CREATE TABLE freq (word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.executemany("INSERT INTO freq VALUES (?, ?)", full.FREQ.items())
        meta = {"total": full.total, "max_len": max(map(len, full.FREQ)), "fingerprint": fingerprint()}
        db.executemany("INSERT INTO meta VALUES (?, ?)", ((k, str(v)) for k, v in meta.items()))
    db.close()
    return {"n_words": len(full.FREQ), "total": full.total}


class _TableDictionary:
    """jieba over a :func:`write_table` file: each call builds a ``jieba.Tokenizer`` whose
    dictionary holds just the entries for its text's substrings, so it cuts exactly as
    the full dictionary does (jieba only looks up substrings of the sentence)."""

    def __init__(self, path: Path) -> None:
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            self._total, self._max_len = int(meta["total"]), int(meta["max_len"])
        except (sqlite3.Error, KeyError, ValueError) as exc:
            raise ArtifactError(f"jieba table {path}: unreadable ({exc})") from exc
        if meta.get("fingerprint") != fingerprint():
            raise ArtifactError(
                f"jieba table {path}: built for another dictionary (rebuild with `jixiao build`)"
            )
        self._lock = threading.Lock()

    def cut_for_search(self, sentence: str, HMM: bool = True) -> Iterator[str]:
        """``jieba.Tokenizer.cut_for_search`` of ``sentence`` with the stored dictionary."""
        import jieba

        grams = sorted(
            {
                sentence[i:j]
                for i in range(len(sentence))
                for j in range(i + 1, min(len(sentence), i + self._max_len) + 1)
            }
        )
        entries: dict[str, int] = {}
        with self._lock:
            for start in range(0, len(grams), _TABLE_CHUNK):
                chunk = grams[start : start + _TABLE_CHUNK]
                marks = ",".join("?" * len(chunk))
                entries.update(
                    self._db.execute(f"SELECT word, freq FROM freq WHERE word IN ({marks})", chunk)
                )
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = entries, self._total, True
        return tokenizer.cut_for_search(sentence, HMM=HMM)


def use_table(path: Path) -> bool:
    """Tokenise with the :func:`write_table` file ``path`` from now on, unless the full
    dictionary is already loaded (then nothing changes). For a process that tokenises a
    few texts; each call costs a table look-up per substring. True if installed."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            _tokenizer = _TableDictionary(Path(path))
            return True
    return False


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
