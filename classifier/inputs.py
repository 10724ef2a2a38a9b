"""Checks and cleaning of classifier input: one indicator's name, value and level-1."""

from __future__ import annotations

import unicodedata
from typing import Any

from indexer.errors import InvalidInputError

MAX_CHARS = 500
_STRIP_CF = {"\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad"}

Item = (
    str
    | tuple[str, str | None, str | None, str | None]
    | tuple[str, str | None, str | None]
    | tuple[str, str | None]
    | tuple[str]
)


def has_cjk(text: str) -> bool:
    """True when ``text`` contains a CJK ideograph (basic block or extension A)."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def clean_text(text: object, field: str, required: bool) -> str | None:
    """Validate one input field; returns the stripped text (None if optional and blank).

    Raises ``InvalidInputError`` naming ``field`` for a non-string, an empty
    required text, more than ``MAX_CHARS`` characters or control characters.
    """
    if text is None:
        if required:
            raise InvalidInputError(f"{field} is empty")
        return None
    if not isinstance(text, str):
        raise InvalidInputError(f"{field} must be text, got {type(text).__name__}")
    stripped = "".join(ch for ch in text if ch not in _STRIP_CF).strip()
    if not stripped:
        if required:
            raise InvalidInputError(f"{field} is empty")
        return None
    if len(stripped) > MAX_CHARS:
        raise InvalidInputError(f"{field} is too long: {len(stripped)} characters (at most {MAX_CHARS})")
    bad = next((ch for ch in stripped if unicodedata.category(ch) in ("Cc", "Cs")), None)
    if bad is not None:
        raise InvalidInputError(
            f"{field} contains a control character U+{ord(bad):04X} at position {stripped.index(bad)}"
        )
    return stripped


def as_triple(item: Item | dict[str, Any]) -> tuple[object, object, object]:
    """``(name, value, level1)`` of a name, a tuple or a dict (unchecked)."""
    if isinstance(item, str):
        return item, None, None
    if isinstance(item, dict):
        return item.get("name"), item.get("value"), item.get("level1")
    if isinstance(item, tuple) and 1 <= len(item) <= 3:
        padded = (*item, None, None)
        return padded[0], padded[1], padded[2]
    raise InvalidInputError(
        f"cannot classify {type(item).__name__}: expected a name or (name, value, level1)"
    )


def as_fields(item: Item | dict[str, Any]) -> tuple[object, object, object, object]:
    """``(name, value, level1, framework)`` of a name, a tuple of up to four or a dict (unchecked)."""
    if isinstance(item, dict):
        return item.get("name"), item.get("value"), item.get("level1"), item.get("framework")
    if isinstance(item, tuple) and len(item) == 4:
        return item[0], item[1], item[2], item[3]
    return (*as_triple(item), None)
