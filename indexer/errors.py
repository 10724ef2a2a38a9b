"""Domain exceptions. The API maps them to HTTP once (``api/errors.py``)."""

from __future__ import annotations


class JixiaoError(Exception):
    """Base of every error jixiao raises on purpose."""

    code = "error"


class InvalidInputError(JixiaoError, ValueError):
    """The caller gave something unusable (empty query, over-long text...)."""

    code = "invalid_input"


class ParseError(InvalidInputError):
    """A table file could not be parsed; names the file and line."""

    code = "parse_error"

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {message}")


class UnknownLayoutError(ParseError):
    """The file is not one of the table layouts jixiao understands."""

    code = "unknown_layout"


class NotFoundError(JixiaoError, LookupError):
    """An id (project, indicator...) that does not exist."""

    code = "not_found"


class ArtifactError(JixiaoError):
    """A model artifact (encoder, index, classifier) is missing or unusable."""

    code = "artifact_error"


class ArtifactMismatchError(ArtifactError):
    """An artifact does not match what it is loaded against."""

    code = "artifact_mismatch"

    def __init__(self, artifact: str, field: str, expected: object, found: object) -> None:
        self.artifact = artifact
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(f"{artifact}: {field} mismatch: expected {expected!r}, found {found!r}")
