"""Attachment files (PDF and DOCX) generated deterministically in pure Python.

Some counties publish their report only as an attachment behind a short 详见附件 page. The
farm must serve such files byte-for-byte identically on every run (their ETag is their
hash), and their text must come back out of pdfminer.six and python-docx unchanged up to
whitespace, so the manifest's ``text_sha256`` holds for them too.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime, timezone

import docx

# Characters per PDF line and lines per PDF page for an A4 page at 12 pt.
_PDF_LINE_CHARS = 38
_PDF_PAGE_LINES = 48
# A fixed timestamp for everything inside a DOCX, so the bytes never depend on the clock.
_DOCX_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _wrap(paragraphs: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        text = paragraph.replace("\t", "    ")
        lines.extend(text[i : i + _PDF_LINE_CHARS] for i in range(0, len(text), _PDF_LINE_CHARS))
        lines.append("")
    return lines


# UniGB-UCS2-H has no code for U+00B7 (middle dot); Adobe-GB1's glyph for U+30FB maps back to
# U+00B7, so writing that code makes the extracted text show the original character.
_PDF_SUBSTITUTES = str.maketrans({"\u00b7": "\u30fb"})


def _pdf_string(text: str) -> bytes:
    """A PDF hex string of ``text`` in UCS-2 big-endian, as the UniGB-UCS2-H CMap expects."""
    encoded = text.translate(_PDF_SUBSTITUTES).encode("utf-16-be", errors="replace")
    return b"<" + encoded.hex().upper().encode("ascii") + b">"


def make_pdf(title: str, paragraphs: Sequence[str]) -> bytes:
    """A minimal valid PDF whose text pdfminer.six extracts as ``title`` then ``paragraphs``.

    The font is the standard CJK font ``STSong-Light`` with the ``UniGB-UCS2-H`` encoding:
    no font program is embedded, and pdfminer maps the UCS-2 codes back to Unicode through
    the Adobe-GB1 tables it ships, so Chinese text round-trips.
    """
    lines = [title, "", *_wrap(paragraphs)]
    pages = [lines[i : i + _PDF_PAGE_LINES] for i in range(0, len(lines), _PDF_PAGE_LINES)]
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree exists
    page_tree = add(b"")
    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >> /DW 1000 >>] >>"
    )
    page_ids = []
    for page_lines in pages:
        ops = [b"BT /F1 12 Tf 14 TL 50 800 Td"]
        for line in page_lines:
            ops.append(_pdf_string(line) + b" Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (page_tree, font, content)
            )
        )
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % page_tree
    objects[page_tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    return out.getvalue()


def make_docx(title: str, paragraphs: Sequence[str]) -> bytes:
    """A DOCX with ``title`` as heading, then one Word paragraph per paragraph (a tab row -> a table row).

    python-docx stamps zip entries with the current time; the archive is rewritten with a
    fixed time so equal inputs give equal bytes.
    """
    document = docx.Document()
    document.core_properties.created = _DOCX_TIME
    document.core_properties.modified = _DOCX_TIME
    document.add_heading(title, level=1)
    rows: list[list[str]] = []

    def flush_table() -> None:
        if rows:
            table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for row, cells in zip(table.rows, rows):
                for cell, value in zip(row.cells, cells):
                    cell.text = value
            rows.clear()

    for paragraph in paragraphs:
        if "\t" in paragraph:
            rows.append(paragraph.split("\t"))
            continue
        flush_table()
        document.add_paragraph(paragraph)
    flush_table()
    raw = io.BytesIO()
    document.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
