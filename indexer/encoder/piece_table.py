"""The encoder's Unigram tokenizer for a few texts, without parsing its 250,002-piece ``tokenizer.json``.

``tokenizers.Tokenizer.from_file`` on the encoder's ``tokenizer.json`` (16.8 MB)
costs about a second of CPU, most of ``jixiao search``'s start, to build a trie of
every piece. A Unigram tokenizer's output for a text depends only on the pieces
that occur inside the text's pre-tokens (and on the smallest score of the whole
vocabulary, which prices an unknown character). :func:`write_piece_table` stores the
pieces in an indexed SQLite table at build time; :class:`PieceTableTokenizer` looks up
the substrings of the texts it is given and runs the same ``tokenizers`` code on a
vocabulary of just those pieces, mapping the ids back to the full vocabulary's. Same
normaliser, pre-tokeniser, special tokens, post-processor and truncation, so the same
ids (tests/test_piece_table.py checks against the full tokenizer).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ArtifactError

PIECE_TABLE = "pieces.sqlite"
_CHUNK = 900  # host parameters per SELECT (SQLite's old default limit is 999)


def write_piece_table(tokenizer_json: Path, out: Path) -> dict[str, Any]:
    """Store the Unigram pieces of ``tokenizer_json`` (piece, id, score) and the rest of
    its configuration in the SQLite file ``out``; returns counts for a manifest."""
    config = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    model = config.get("model") or {}
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        raise ArtifactError(f"{tokenizer_json}: not a Unigram tokenizer without byte fallback")
    vocab = model["vocab"]
    head = {**config, "model": {k: v for k, v in model.items() if k != "vocab"}}
    min_id = int(np.argmin([score for _, score in vocab]))
    with sqlite3.connect(out) as db:
        db.execute("CREATE TABLE piece (piece TEXT PRIMARY KEY, id INTEGER NOT NULL, score REAL NOT NULL)")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.executemany(
            "INSERT INTO piece VALUES (?, ?, ?)", ((p, i, float(s)) for i, (p, s) in enumerate(vocab))
        )
        meta = {
            "head": json.dumps(head, ensure_ascii=False),
            "size": str(len(vocab)),
            "max_len": str(max(len(p) for p, _ in vocab)),
            "min_id": str(min_id),
        }
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    db.close()
    return {"n_pieces": len(vocab), "max_piece_chars": int(meta["max_len"])}


class PieceTableTokenizer:
    """Token ids of texts (with special tokens, truncated) from a :func:`write_piece_table` file.

    Cheap to open; each call builds a small Unigram tokenizer over the pieces its texts
    contain, so it suits a few texts per call (a CLI query), not a corpus.
    """

    def __init__(self, path: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self.path = Path(path)
        try:
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            head = json.loads(meta["head"])
            self._max_len, self._size = int(meta["max_len"]), int(meta["size"])
            fixed = [int(meta["min_id"])]
        except (sqlite3.Error, KeyError, ValueError) as exc:
            raise ArtifactError(f"piece table {self.path}: unreadable ({exc})") from exc
        self._lock = threading.Lock()  # one connection, shared by the threads that call
        self._head = head
        self._max_length = max_length
        self._unk_id = int(head["model"]["unk_id"])
        # Special tokens keep their ids: the post-processor's template names them by id.
        self._special = {int(t["id"]): t["content"] for t in head.get("added_tokens", [])}
        self._fixed = sorted(
            {*range(self._unk_id + 1), *fixed, *(i for i in self._special if i < self._size)}
        )
        base = Tokenizer.from_str(json.dumps(self._config(self._select("id", self._fixed))[0]))
        self._normalizer, self._pre_tokenizer = base.normalizer, base.pre_tokenizer
        names = sorted(self._special.values(), key=len, reverse=True)
        self._split = re.compile("|".join(re.escape(n) for n in names)) if names else None

    def _select(self, column: str, keys: Sequence[int] | Sequence[str]) -> dict[int, tuple[str, float]]:
        """(piece, score) by id of the pieces whose ``column`` ("id" or "piece") is in ``keys``."""
        rows: dict[int, tuple[str, float]] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT piece, id, score FROM piece WHERE {column} IN ({marks})"
            for piece, i, score in self._db.execute(sql, chunk):
                rows[int(i)] = (piece, float(score))
        return rows

    def _config(self, rows: dict[int, tuple[str, float]]) -> tuple[dict[str, Any], np.ndarray]:
        """``tokenizer.json`` with the vocabulary cut to ``rows`` (kept in the full
        vocabulary's order), the special tokens' ids (which the post-processor's template
        names) remapped, and each new id's full-vocabulary id."""
        order = sorted(rows)
        beyond = sorted(i for i in self._special if i >= self._size)  # added tokens outside the model
        position = {orig: k for k, orig in enumerate([*order, *beyond])}
        added = [{**t, "id": position[int(t["id"])]} for t in self._head.get("added_tokens", [])]
        model = {
            **self._head["model"],
            "unk_id": position[self._unk_id],
            "vocab": [list(rows[i]) for i in order],
        }
        config = {**self._head, "model": model, "added_tokens": added}
        post = config.get("post_processor")
        if post:
            config["post_processor"] = json.loads(
                json.dumps(post), object_hook=lambda d: _remap_ids(d, position)
            )
        return config, np.array([*order, *beyond], dtype=np.int64)

    def _candidates(self, texts: Sequence[str]) -> list[str]:
        """Every substring (up to the longest piece) of every pre-token the tokenizer can see."""
        found: set[str] = set()
        for text in texts:
            parts = [text, *(self._split.split(text) if self._split else ())]
            for part in parts:
                normalized = self._normalizer.normalize_str(part) if self._normalizer else part
                pre = (
                    self._pre_tokenizer.pre_tokenize_str(normalized)
                    if self._pre_tokenizer
                    else [(normalized, None)]
                )
                for word, _ in pre:
                    for i in range(len(word)):
                        for j in range(i + 1, min(len(word), i + self._max_len) + 1):
                            found.add(word[i:j])
        return sorted(found)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, as the full tokenizer gives them."""
        from tokenizers import Tokenizer

        with self._lock:
            rows = self._select("id", self._fixed)
            rows.update(self._select("piece", self._candidates(texts)))
        config, ids = self._config(rows)
        tokenizer = Tokenizer.from_str(json.dumps(config))
        tokenizer.enable_truncation(max_length=self._max_length)
        return [ids[enc.ids].tolist() for enc in tokenizer.encode_batch(list(texts))]

    def token_to_id(self, token: str) -> int | None:
        """The full vocabulary's id of ``token`` (None if it is not a piece)."""
        with self._lock:
            row = self._db.execute("SELECT id FROM piece WHERE piece = ?", (token,)).fetchone()
        return None if row is None else int(row[0])


def _remap_ids(node: dict[str, Any], position: dict[int, int]) -> dict[str, Any]:
    if "ids" in node and isinstance(node["ids"], list):
        node = {**node, "ids": [position[int(i)] for i in node["ids"]]}
    return node
