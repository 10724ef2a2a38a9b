"""Domain exceptions. The API maps them to HTTP once (``api/errors.py``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.position import Position


class JixiaoError(Exception):
    """Base of every error jixiao raises on purpose."""

    code = "error"


class InvalidInputError(JixiaoError, ValueError):
    """The caller gave something unusable (empty query, over-long text...)."""

    code = "invalid_input"


_LONG_QUOTE = re.compile(r"'[^'\n]{240,}'|\"[^\"\n]{240,}\"")


def _clipped(message: str) -> str:
    """The message with every quoted text over 240 characters cut to 120 (a layout quoting a
    row whose cell holds a whole document would answer with a message of that size)."""
    if len(message) < 1000:
        return message
    return _LONG_QUOTE.sub(lambda m: m.group(0)[:120] + "…" + m.group(0)[0], message)


class ParseError(InvalidInputError):
    """A table file could not be read or parsed; names the file and the place in it.

    ``ParseError(file, line, message)`` names a line of a text file; the readers
    pass ``position=`` (a :class:`~indexer.position.Position`: sheet, page, row,
    cell or line), whose text then leads the message. ``line`` defaults to the
    position's line.
    """

    code = "parse_error"

    def __init__(
        self, file: str, line: int | None, message: str, *, position: Position | None = None
    ) -> None:
        self.file = file
        self.line = line if line is not None or position is None else position.line
        self.message = message = _clipped(message)
        self.position = position
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{position if position is not None else where}: {message}")


class LimitExceededError(ParseError):
    """A file over a read limit (uncompressed size, pages, cells, sheets, depth, time): what it holds
    is too much to read, so the caller sent unusable input (HTTP 422)."""

    code = "limit_exceeded"


class FileTooLargeError(LimitExceededError):
    """A file whose bytes are over the size limit: too large to take at all (HTTP 413)."""

    code = "payload_too_large"  # the one code of a 413, as for a request body over the limit


class BadFilesError(ParseError):
    """Several files could not be read; ``failures`` holds each one's ParseError (file, place, what)."""

    def __init__(self, failures: Sequence[ParseError]) -> None:
        self.failures = tuple(failures)
        listed = "\n".join(f"  {failure}" for failure in self.failures)
        names = ", ".join(failure.file for failure in self.failures)
        super().__init__(names, None, f"{len(self.failures)} files cannot be read:\n{listed}")


class UnsupportedFormatError(ParseError):
    """A file in a format jixiao does not read (.et, .doc, .ods …): the message says which formats
    are read and what to save the file as (HTTP 415)."""

    code = "unsupported_format"


class UnknownLayoutError(ParseError):
    """The file is not one of the table layouts jixiao understands."""

    code = "unknown_layout"


class NotFoundError(JixiaoError, LookupError):
    """An id (project, indicator...) that does not exist."""

    code = "not_found"


class ArtifactError(JixiaoError):
    """A model artifact (encoder, index, classifier) is missing or unusable."""

    code = "artifact_error"


class StoreError(ArtifactError):
    """The corpus database cannot be opened or read (not a database, damaged, not permitted)."""

    code = "store_error"


class StoreBusyError(JixiaoError):
    """Another writer (an ingest, a build, a server's upload while it embeds) holds the corpus
    database's write lock for longer than this one waits: try again when it has finished."""

    code = "store_busy"

    def __init__(self, store: str, waited_s: float) -> None:
        self.store = store
        self.waited_s = waited_s
        super().__init__(
            f"the corpus store {store} is being written by another process (a `jixiao ingest` or "
            f"`jixiao build`, or a server storing an upload); waited {waited_s:g} s for it — "
            "try again when it has finished"
        )


class ArtifactMismatchError(ArtifactError):
    """An artifact does not match what it is loaded against."""

    code = "artifact_mismatch"

    def __init__(self, artifact: str, field: str, expected: object, found: object) -> None:
        self.artifact = artifact
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(f"{artifact}: {field} mismatch: expected {expected!r}, found {found!r}")
