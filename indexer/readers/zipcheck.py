"""Check an Office Open XML zip container (.xlsx, .docx) before a library opens it.

A zip bomb is refused from the sizes the archive declares, before anything is
inflated: the sum of the members' uncompressed sizes, the compression ratio of
each large member and the number of members. Python's ``zipfile`` (which
openpyxl and python-docx read through) stops every member at its declared size
and checks its CRC, so a member that lies about its size cannot inflate past
the checked total.
"""

from __future__ import annotations

import io
import zipfile

from indexer.errors import LimitExceededError, ParseError
from indexer.readers.base import ReadLimits

_RATIO_FLOOR = 2**20  # members below 1 MiB may compress as well as they like


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def open_zip(data: bytes, file_name: str, limits: ReadLimits, what: str) -> zipfile.ZipFile:
    """The checked archive; ``what`` names the format in messages (".xlsx workbook")."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ParseError(
            file_name, None, f"damaged or truncated {what}: the zip container cannot be opened ({exc})"
        ) from None
    if len(infos) > limits.max_zip_members:
        raise LimitExceededError(
            file_name,
            None,
            f"{what} has {len(infos):,} zip members, more than the limit of {limits.max_zip_members:,}",
        )
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise LimitExceededError(
                file_name,
                None,
                f"zip bomb? member {info.filename} of the {what} would expand from "
                f"{_mb(info.compress_size)} to {_mb(info.file_size)} (ratio {ratio:,.0f}:1, "
                f"limit {limits.max_compression_ratio:g}:1)",
            )
        if total > limits.max_uncompressed_bytes:
            raise LimitExceededError(
                file_name,
                None,
                f"zip bomb? the {what} would expand to more than {_mb(limits.max_uncompressed_bytes)} "
                f"(the limit) by member {info.filename}",
            )
    return archive


_CONTENT_TYPES = "[Content_Types].xml"
_PACKAGE_KINDS = {
    "xlsx": ("spreadsheetml.sheet.main", "sheet.macroEnabled.main", "spreadsheetml.template.main"),
    "docx": ("wordprocessingml.document.main", "document.macroEnabled.main", "wordprocessingml.template"),
}
_MAIN_PARTS = {"xlsx": "xl/workbook.xml", "docx": "word/document.xml"}
_OTHER_PACKAGES = (("xl/workbook.bin", "xlsb"), ("ppt/presentation.xml", "pptx"))
_ODF_MIMETYPE = "application/vnd.oasis.opendocument."


def package_kind(data: bytes) -> str | None:
    """What a zip file holds: "xlsx" or "docx" for an Office Open XML package (by its
    declared content types, else its main part's name); "xlsb", "pptx" or "odf-<kind>"
    (``odf-spreadsheet``, ``odf-text``…: OpenDocument, by its ``mimetype`` member) for a
    package that is read nowhere here; "zip" for another zip, "broken-zip" for one that
    cannot be opened (truncated), None for no zip."""
    if not data.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            types = ""
            info = archive.getinfo(_CONTENT_TYPES) if _CONTENT_TYPES in names else None
            if info is not None and info.file_size < _RATIO_FLOOR:
                types = archive.read(info).decode("utf-8", "replace")
            mimetype = ""
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError):
        return "broken-zip"
    for kind, markers in _PACKAGE_KINDS.items():
        if any(marker in types for marker in markers) or _MAIN_PARTS[kind] in names:
            return kind
    for part, kind in _OTHER_PACKAGES:
        if part in names:
            return kind
    if mimetype.startswith(_ODF_MIMETYPE):
        return "odf-" + mimetype.removeprefix(_ODF_MIMETYPE).split("-")[0]
    return "zip"
