"""Where something is in a source file: the place named in errors and kept as provenance.

A leaf module (imports nothing of jixiao) so that :mod:`indexer.errors` and
:mod:`indexer.readers` can both use it without a cycle; ``indexer.readers.base``
re-exports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Names the readers give to sheets that have no name of their own: they read as
# a place by themselves ("表格2", "第3页", "正文"), a workbook's sheet name does not.
_GENERATED_NAME = re.compile(r"表格\d+(?:[.-]\d+)*|第\d+页|正文")


def column_letters(col: int) -> str:
    """Spreadsheet column name of a 1-based column index: 1 → A, 27 → AA."""
    if col < 1:
        raise ValueError(f"column index must be 1-based, got {col}")
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a source file; every index is 1-based, every part optional but the file.

    ``row``/``col`` index the reader's :class:`~indexer.readers.base.Sheet` grid
    (for a PDF table that runs over several pages, the row of the whole table;
    ``page`` says on which page it is printed). ``line`` is a line of a text
    file or of a PDF page's text layer.
    """

    file: str
    sheet: str | None = None
    page: int | None = None
    row: int | None = None
    col: int | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, str | int]:
        """The position as JSON-ready fields, the unset ones left out (its one serialisation)."""
        return {k: v for k in self.__slots__ if (v := getattr(self, k)) is not None}

    @classmethod
    def from_dict(cls, data: dict[str, str | int]) -> Position:
        """The position :meth:`to_dict` wrote."""
        return cls(**data)  # type: ignore[arg-type]

    def __str__(self) -> str:
        parts = [self.file]
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.sheet is not None and not (self.page is not None and self.sheet.startswith("第")):
            generated = _GENERATED_NAME.fullmatch(self.sheet) is not None
            parts.append(self.sheet if generated else f"sheet {self.sheet}")
        if self.line is not None:
            parts.append(f"line {self.line}")
            if self.col is not None:
                parts.append(f"column {self.col}")
        elif self.row is not None and self.col is not None:
            if self.page is not None:
                parts.append(f"table row {self.row}, column {self.col}")
            else:
                parts.append(f"cell {column_letters(self.col)}{self.row}")
        elif self.row is not None:
            parts.append(f"table row {self.row}" if self.page is not None else f"row {self.row}")
        elif self.col is not None:
            parts.append(f"column {column_letters(self.col)}")
        return ", ".join(parts)
