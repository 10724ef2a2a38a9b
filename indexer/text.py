"""Every text normalisation of jixiao, each named for what it folds.

* :func:`canonical` / :func:`canonical_mapped` — the parser's canonical form of
  a table cell (below), with a map back to the original characters;
* :func:`fold_width_case` / :func:`fold_width_case_mapped` — per-character
  NFKC (full-width → half-width, compatibility forms) and lower case: what
  tokens, highlights and evidence are matched on;
* :func:`strip_punctuation_space` — whitespace and punctuation dropped, ASCII
  lower-cased: the exact-duplicate key of the reuse report;
* :func:`fold_width_case_strip_punctuation` — NFKC, lower case, punctuation and
  whitespace dropped: the classifier's deduplication key of indicator names;
* :func:`simplified` — traditional characters written in simplified ones (a query typed
  in traditional script finds the simplified tables);
* :func:`display`, :func:`raw_slice` — original text made presentable;
  :func:`display_width` — terminal columns.

The tables come from PDF extraction and hand-made spreadsheets: HTML tags
(``<p>``) leak into cells, wrapped lines break words and even codes
(``23-生 态效益``, ``实施周\\n期指标值``), and full-/half-width punctuation is
mixed (``;`` ``；`` ``:`` ``：`` ``≧`` ``≥``). :func:`canonical` produces one
canonical form; :func:`canonical_mapped` also returns, for every output
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

import functools
import html
import re
import unicodedata
from typing import Any

from indexer.errors import InvalidInputError
from indexer.traditional import may_change

_TAG = r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>"
_ENTITY = r"&(?:#\d{1,6}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});"
_MARKUP = re.compile(rf"(?P<tag>{_TAG})|(?P<entity>{_ENTITY})")
_ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u00ad"
_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_SPACE_RUN = re.compile(r"\s+")
_DIGIT_GUARDED = re.compile(r"[,:]")

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
_GUARD_MAP = {",": "，", ":": "："}  # kept half-width between two digits


def _fold(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        ch = chr(code - 0xFEE0)
    return _CHAR_MAP.get(ch, ch)


_TRANSLATE: dict[int, str | None] = {ord(c): None for c in _ZERO_WIDTH}
_TRANSLATE.update({code: _fold(chr(code)) for code in range(0xFF01, 0xFF5F)})
_TRANSLATE.update({ord(c): v for c, v in _CHAR_MAP.items()})
_MAX_PASSES = 4


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def strip_html(text: str) -> str:
    """Remove HTML tags and decode entities (``<p>a&amp;b</p>`` → ``a&b``)."""
    return _MARKUP.sub(lambda m: "" if m.group("tag") else html.unescape(m.group()), text)


def _keep_space(run: str, prev: str, nxt: str) -> bool:
    return not (_BREAKS & set(run)) and _is_ascii_alnum(prev) and _is_ascii_alnum(nxt)


def _pass(text: str) -> str:
    """One normalisation pass (see the module doc); :func:`_pass_mapped` is its twin."""
    text = strip_html(text).translate(_TRANSLATE)

    def space(m: re.Match[str]) -> str:
        prev = text[m.start() - 1] if m.start() else ""
        nxt = text[m.end()] if m.end() < len(text) else ""
        return " " if _keep_space(m.group(), prev, nxt) else ""

    text = _SPACE_RUN.sub(space, text).replace(">=", "≥").replace("<=", "≤")

    def guard(m: re.Match[str]) -> str:
        i = m.start()
        if 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            return m.group()
        return _GUARD_MAP[m.group()]

    return _DIGIT_GUARDED.sub(guard, text)


def _pass_mapped(text: str) -> tuple[str, list[int]]:
    """:func:`_pass`, also mapping each output character to its input index."""
    chars: list[tuple[str, int]] = []
    last = 0
    for m in _MARKUP.finditer(text):
        chars.extend((text[i], i) for i in range(last, m.start()))
        if m.group("entity"):
            chars.extend((c, m.start()) for c in html.unescape(m.group()))
        last = m.end()
    chars.extend((text[i], i) for i in range(last, len(text)))
    folded = [(f, i) for c, i in chars for f in (c.translate(_TRANSLATE),) if f]

    spaced: list[tuple[str, int]] = []
    k, n = 0, len(folded)
    while k < n:
        if not folded[k][0].isspace():
            spaced.append(folded[k])
            k += 1
            continue
        j = k
        while j < n and folded[j][0].isspace():
            j += 1
        run = "".join(c for c, _ in folded[k:j])
        prev = folded[k - 1][0] if k else ""
        nxt = folded[j][0] if j < n else ""
        if _keep_space(run, prev, nxt):
            spaced.append((" ", folded[k][1]))
        k = j

    merged: list[tuple[str, int]] = []
    k, n = 0, len(spaced)
    while k < n:
        ch, idx = spaced[k]
        if ch in "<>" and k + 1 < n and spaced[k + 1][0] == "=":
            merged.append(("≥" if ch == ">" else "≤", idx))
            k += 2
            continue
        merged.append((ch, idx))
        k += 1

    out: list[str] = []
    for k, (ch, _) in enumerate(merged):
        if ch in _GUARD_MAP and not (
            0 < k < len(merged) - 1 and merged[k - 1][0].isdigit() and merged[k + 1][0].isdigit()
        ):
            ch = _GUARD_MAP[ch]
        out.append(ch)
    return "".join(out), [i for _, i in merged]


def canonical_mapped(text: str) -> tuple[str, list[int]]:
    """:func:`canonical` of ``text``, mapping each output character to the index
    of the input character it came from."""
    text, positions = _pass_mapped(text)
    for _ in range(_MAX_PASSES - 1):
        # A pass can expose new markup (a tag wrapped over a line break): repeat
        # until stable, checking stability with the fast twin.
        if _pass(text) == text:
            break
        text, pos = _pass_mapped(text)
        positions = [positions[i] for i in pos]
    return text, positions


def canonical(text: str) -> str:
    """The parser's canonical form of ``text``: HTML stripped, wrap breaks removed,
    full-width ASCII folded to half-width, clause punctuation made full-width,
    ``≧ >=``→``≥`` (see the module doc); idempotent."""
    for _ in range(_MAX_PASSES):
        new = _pass(text)
        if new == text:
            return text
        text = new
    return text


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


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and full-width (CJK) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --------------------------------------------------------------------------- matching folds


def _fold_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


def fold_width_case_mapped(text: str) -> tuple[str, list[int]]:
    """:func:`fold_width_case` of ``text``, mapping every output character back to the
    index of the input character it came from (one character may fold to several)."""
    out: list[str] = []
    pos: list[int] = []
    for index, ch in enumerate(text):
        folded = _fold_char(ch) if not ch.isascii() or ch.isupper() else ch
        out.append(folded)
        pos.extend([index] * len(folded))
    return "".join(out), pos


def fold_width_case(text: str) -> str:
    """``text`` folded character by character: NFKC (full-width → half-width,
    compatibility forms such as ``ﬁ`` → ``fi``) and lower case. Tokens, highlights and
    evidence match on this form."""
    return fold_width_case_mapped(text)[0]


# --------------------------------------------------------------------------- dedup keys

_KEEP_SYMBOLS = frozenset("≥≤%‰℃<>=+-.")
_KEY_DROP = re.compile(r"[\s\-－—_·、，。；：:;,.!！?？（）()\[\]【】“”\"'‘’《》<>]+")


def strip_punctuation_space(text: str) -> str:
    """``text`` without whitespace, punctuation, symbols and control characters
    (Unicode categories P, Z, S, C) except the meaningful ``≥ ≤ % ‰ ℃ < > = + - .``;
    ASCII letters lower-cased, nothing else folded. Expects :func:`canonical` text."""
    out = []
    for ch in text:
        if ch in _KEEP_SYMBOLS or ch.isalnum():
            out.append(ch.lower() if ch.isascii() else ch)
        elif unicodedata.category(ch)[0] not in "PZSC":
            out.append(ch)
    return "".join(out)


def fold_width_case_strip_punctuation(text: str) -> str:
    """``text`` in NFKC (whole string), without whitespace and common Chinese and
    ASCII punctuation (``、，。；：（）【】“”《》`` …, hyphens and dashes), lower-cased."""
    return _KEY_DROP.sub("", unicodedata.normalize("NFKC", text)).lower()


@functools.cache
def _traditional_to_simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` with traditional characters written in simplified ones, by OpenCC's phrase
    tables (``t2s``: 會展補貼 → 会展补贴, 滿意度 → 满意度; simplified text is left as it is).
    A text with no character the conversion could rewrite is returned without loading OpenCC."""
    if not may_change(text):
        return text
    return _traditional_to_simplified().convert(text)


_INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn"))


def visible(text: str) -> str:
    """``text`` without control, format (zero-width, BOM) and unassigned characters, stripped of
    surrounding whitespace: what a filter a person typed holds."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE).strip()


def filter_value(name: str, value: str | None) -> str | None:
    """A name filter (district, sector, words…) as it is matched: None when absent (no filter), its
    :func:`visible` text otherwise. A filter that is empty or holds nothing but whitespace, control
    or zero-width characters raises ``InvalidInputError`` naming ``name``: it would match nothing
    (or everything), and either answer would look like a real one. The HTTP edge passes an empty
    query parameter (``?district=``, an untouched form field) as absent."""
    if value is None:
        return None
    shown = visible(value)
    if not shown:
        what = "nothing but whitespace, control or zero-width characters"
        raise InvalidInputError(f"{name}: blank ({what}: {value!r})")
    return shown
