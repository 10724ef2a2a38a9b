"""How far a PDF page's content streams inflate, measured in bounded memory before pdfminer inflates them.

pdfminer decodes a whole Flate stream with one ``zlib.decompress`` call, so a
page whose 400 KB content stream inflates to 400 MB costs that much memory (a
decompression bomb). Here each Flate stream of the page and of the form
XObjects it draws is inflated in 1 MiB steps, counting, and the count stops
at the budget; nothing is kept. Streams that cannot be inflated here (another
filter, a damaged stream) are left to pdfminer, which reports them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import LITERALS_FLATE_DECODE, PDFStream, resolve1
from pdfminer.psparser import LIT

_STEP = 2**20
_FORM = LIT("Form")


def _inflated(data: bytes, budget: int) -> int:
    """Bytes ``data`` inflates to, counted up to just past ``budget``; 0 when it is not zlib data."""
    inflater = zlib.decompressobj()
    total = 0
    try:
        while total <= budget:
            chunk = inflater.decompress(data, _STEP)
            total += len(chunk)
            data = inflater.unconsumed_tail
            if not chunk and not data:
                break
    except zlib.error:
        return 0
    return total


def _streams(page: PDFPage) -> Iterator[PDFStream]:
    for content in page.contents:
        stream = resolve1(content)
        if isinstance(stream, PDFStream):
            yield stream
    resources = resolve1(page.resources) or {}
    xobjects = resolve1(resources.get("XObject")) if isinstance(resources, dict) else None
    for ref in (xobjects or {}).values() if isinstance(xobjects, dict) else ():
        stream = resolve1(ref)
        if isinstance(stream, PDFStream) and resolve1(stream.get("Subtype")) is _FORM:
            yield stream


def content_size(page: PDFPage, budget: int) -> int:
    """Inflated size of the page's Flate content streams, counted up to just past ``budget``."""
    total = 0
    for stream in _streams(page):
        filters = stream.get_filters()
        data = stream.rawdata
        if data is None or not filters or filters[0][0] not in LITERALS_FLATE_DECODE:
            continue
        if stream.decipher is not None and stream.objid is not None and stream.genno is not None:
            data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
        total += _inflated(data, budget - total)
        if total > budget:
            break
    return total
