"""Text normalisation for search, with a map back to the original for display.

The tables come from PDF extraction and hand-made spreadsheets: HTML tags
(``<p>``) leak into cells, wrapped lines break words and even codes
(``23-生 态效益``, ``实施周\\n期指标值``), and full-/half-width punctuation is
mixed (``;`` ``；`` ``:`` ``：`` ``≧`` ``≥``). :func:`normalize` produces one
canonical form; :func:`normalize_mapped` also returns, for every output
character, the index of the input character it came from, so a parser can
split the normalised text and still cut the matching original span.

Canonical form:

* HTML tags removed, entities decoded;
* full-width ASCII (``０-９ Ａ-Ｚ ％ ＞``) folded to half-width;
* Chinese clause punctuation full-width: ``，；：（）！？`` (``,`` and ``:``
  between two digits stay half-width: ``1,500`` ``1:1``);
* ``≧ >=`` → ``≥``, ``≦ <=`` → ``≤``, ``【】`` → ``[]``;
* whitespace containing a line break is a wrap artefact and is removed; other
  whitespace is kept (as one space) only between two ASCII letters/digits.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:#\d{1,6}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad"}

_CHAR_MAP = {
    "≧": "≥",
    "≦": "≤",
    "【": "[",
    "】": "]",
    ";": "；",
    "(": "（",
    ")": "）",
    "!": "！",
    "?": "？",
    "\u3000": " ",
    "\u00a0": " ",
}
_DIGIT_GUARDED = {",": "，", ":": "："}  # kept half-width between two digits


def _fold(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        ch = chr(code - 0xFEE0)
    return _CHAR_MAP.get(ch, ch)


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def strip_html(text: str) -> str:
    """Remove HTML tags and decode entities (``<p>a&amp;b</p>`` → ``a&b``)."""
    return html.unescape(_TAG.sub("", text))


def _decoded_chars(text: str) -> list[tuple[str, int]]:
    """Characters of ``text`` with HTML tags dropped and entities decoded, each
    paired with its index in ``text``."""
    skip: dict[int, tuple[int, str]] = {}
    for m in _TAG.finditer(text):
        skip[m.start()] = (m.end(), "")
    for m in _ENTITY.finditer(text):
        if m.start() not in skip:
            skip[m.start()] = (m.end(), html.unescape(m.group()))
    out: list[tuple[str, int]] = []
    i = 0
    n = len(text)
    while i < n:
        if i in skip:
            end, repl = skip[i]
            out.extend((c, i) for c in repl)
            i = end
            continue
        out.append((text[i], i))
        i += 1
    return out


def normalize_mapped(text: str) -> tuple[str, list[int]]:
    """Normalise ``text`` (see module doc) and map each output character to the
    index of the input character it came from."""
    chars = [(c, i) for c, i in _decoded_chars(text) if c not in _ZERO_WIDTH]
    folded = [(_fold(c), i) for c, i in chars]

    out: list[str] = []
    pos: list[int] = []
    k = 0
    n = len(folded)
    while k < n:
        ch, idx = folded[k]
        if ch.isspace():
            j = k
            has_break = False
            while j < n and folded[j][0].isspace():
                has_break = has_break or folded[j][0] in "\n\r\v\f\u2028\u2029"
                j += 1
            prev = out[-1] if out else ""
            nxt = folded[j][0] if j < n else ""
            if not has_break and prev and nxt and _is_ascii_alnum(prev) and _is_ascii_alnum(nxt):
                out.append(" ")
                pos.append(idx)
            k = j
            continue
        if ch in "<>" and k + 1 < n and folded[k + 1][0] == "=":
            out.append("≥" if ch == ">" else "≤")
            pos.append(idx)
            k += 2
            continue
        if ch in _DIGIT_GUARDED:
            prev = out[-1] if out else ""
            nxt = folded[k + 1][0] if k + 1 < n else ""
            if not (prev.isdigit() and nxt.isdigit()):
                ch = _DIGIT_GUARDED[ch]
        out.append(ch)
        pos.append(idx)
        k += 1
    return "".join(out), pos


def normalize(text: str) -> str:
    """The canonical search form of ``text`` (HTML stripped, wraps joined,
    punctuation unified, ``≧``→``≥``); idempotent."""
    return normalize_mapped(text)[0]


def display(text: str) -> str:
    """The original text made presentable: HTML stripped, wrapped lines joined,
    surrounding whitespace trimmed; spaces and punctuation kept as written."""
    text = strip_html(text)
    lines = [line.strip() for line in text.splitlines()]
    return "".join(line for line in lines if line).strip()


def raw_slice(raw: str, positions: list[int], start: int, end: int) -> str:
    """The part of ``raw`` that produced ``normalized[start:end]``, made
    presentable with :func:`display`."""
    if start >= end or start >= len(positions):
        return ""
    return display(raw[positions[start] : positions[end - 1] + 1])
