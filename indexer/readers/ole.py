"""What an OLE compound file (the magic ``D0 CF 11 E0``) holds.

Legacy .xls and .doc files are OLE containers, and so is every password-protected
.xlsx/.docx: Office wraps the encrypted package in one (streams
``EncryptionInfo`` and ``EncryptedPackage``). olefile reads the directory.
"""

from __future__ import annotations

import olefile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_KINDS = (
    ("EncryptedPackage", "encrypted"),
    ("Workbook", "xls"),
    ("Book", "xls"),
    ("WordDocument", "doc"),
    ("PowerPoint Document", "ppt"),
)


def ole_kind(data: bytes) -> str | None:
    """ "encrypted" (a password-protected .xlsx/.docx), "xls", "doc", "ppt", "ole" (another
    compound file), "broken-ole" (truncated or damaged), or None (not OLE at all)."""
    if not data.startswith(OLE_MAGIC):
        return None
    try:
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except (OSError, ValueError, IndexError, KeyError, TypeError):  # olefile's errors on broken input
        return "broken-ole"
    for stream, kind in _KINDS:
        if stream in streams:
            return kind
    return "ole"
