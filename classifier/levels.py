"""Level-aware prediction: restrict probabilities to a known level-1 and map cost codes by framework.

14 (成本 under 产出, pre-2021) and 41 (经济成本, 成本 as a level-1, 2021 framework) are one
concept; the text cannot tell them apart, the table can. So before restricting:

* the framework is ``"2021"`` when the level-1 is 成本, else what the caller knows
  (a table's structure: :func:`table_framework`), else unknown;
* under 产出, or in a pre-2021 table, the probability of 41 moves to 14 (a cost filed
  under 产出 is 14); under 成本, or in a 2021 table, that of 14 moves to 41;
* then every code outside the level-1 (and outside the framework, when known) gets 0 and
  the row is renormalised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from classifier import taxonomy
from indexer.errors import InvalidInputError

_FRAMEWORK_ALIASES = {"pre2021": "pre2021", "2020": "pre2021", "2021": "2021"}


def normalize_framework(value: object) -> str | None:
    """``"pre2021"``, ``"2021"`` or None (blank); ``InvalidInputError`` for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    key = str(value).strip().lower()
    if key not in _FRAMEWORK_ALIASES:
        raise InvalidInputError(f"unknown framework {value!r}; expected pre2021 or 2021")
    return _FRAMEWORK_ALIASES[key]


def table_framework(level1s: Iterable[str | None], codes: Iterable[str | None]) -> str | None:
    """The framework a table's structure shows: 2021 if 成本 is a level-1 (or 41–43 are used),
    pre2021 if 14 is used, None if neither shows."""
    codes = [c for c in codes if c]
    if any(lvl == "成本" for lvl in level1s) or any(c in ("41", "42", "43") for c in codes):
        return "2021"
    if any(c == "14" for c in codes):
        return "pre2021"
    return None


def restrict(
    probs: np.ndarray,
    classes: Sequence[str],
    level1s: Sequence[str | None],
    frameworks: Sequence[str | None] | None = None,
) -> np.ndarray:
    """Probabilities ``(n, len(classes))`` restricted to each row's level-1 and framework (module doc).

    A row with neither keeps its probabilities; a row whose allowed codes all have
    probability 0 stays all zero.
    """
    out = np.array(probs, dtype=np.float64, copy=True)
    index = {str(c): i for i, c in enumerate(classes)}
    i14, i41 = index.get("14"), index.get("41")
    fws = frameworks if frameworks is not None else [None] * len(level1s)
    for row, (level1, framework) in enumerate(zip(level1s, fws, strict=True)):
        if level1 == "成本":
            framework = "2021"
        if level1 is None and framework is None:
            continue
        if i14 is not None and i41 is not None:
            if framework == "pre2021" or level1 == "产出":
                out[row, i14] += out[row, i41]
                out[row, i41] = 0.0
            elif framework == "2021":
                out[row, i41] += out[row, i14]
                out[row, i14] = 0.0
        allowed = set(taxonomy.CODES)
        if level1 is not None:
            allowed &= set(taxonomy.codes_for_level1(level1))
        if framework is not None:
            allowed &= set(taxonomy.codes_for_framework(framework))
        mask = np.array([str(c) not in allowed for c in classes])
        out[row, mask] = 0.0
        total = out[row].sum()
        if total > 0:
            out[row] /= total
    return out
