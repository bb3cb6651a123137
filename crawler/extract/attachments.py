"""Text of attached files: PDF (pdfminer.six), DOCX (python-docx); .doc/.wps only with a converter.

Reports are often published as a PDF or Word attachment under a one-line page, so the
attachment's text is what gets archived. Old binary Word (.doc) and WPS files need an
external converter; without one on the machine the result says ``unsupported`` instead of
guessing at the bytes.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from crawler.extract.model import AttachmentText
from crawler.textnorm import canonical_text, content_hash

log = logging.getLogger(__name__)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXTENSIONS = {"pdf": "pdf", "docx": "docx", "doc": "doc", "wps": "wps", "xls": "xls", "xlsx": "xlsx",
               "et": "et", "ofd": "ofd", "zip": "zip", "rar": "rar", "txt": "txt"}
_CONVERT_TIMEOUT = 60


def document_type(body: bytes) -> str | None:
    """``"pdf"`` or ``"docx"`` when the bytes themselves are one (whatever the server claimed), else ``None``."""
    if body.startswith(b"%PDF"):
        return "pdf"
    if body.startswith(b"PK\x03\x04") and attachment_type("", None, body) == "docx":
        return "docx"
    return None


def attachment_type(url: str, content_type: str | None = None, body: bytes = b"") -> str:
    """The file type from the bytes' magic, else the Content-Type, else the URL's extension."""
    if body.startswith(b"%PDF"):
        return "pdf"
    if body.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return "zip"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "zip"
    if content_type:
        lowered = content_type.lower()
        if "pdf" in lowered:
            return "pdf"
        if "wordprocessingml" in lowered:
            return "docx"
        if "msword" in lowered:
            return "doc"
    promised = extension_type(url)
    if body.startswith(_OLE_MAGIC):  # the one container of .doc, .wps, .xls and .et: trust the name
        return promised if promised in ("doc", "wps", "xls", "et") else "doc"
    return promised or "unknown"


def extension_type(url: str) -> str | None:
    """The attachment type a link's URL promises, or ``None`` for an ordinary page link."""
    path = url.partition("?")[0].partition("#")[0]
    _, dot, extension = path.rpartition(".")
    if not dot or "/" in extension:  # no dot in the last path segment
        return None
    return _EXTENSIONS.get(extension.lower())


def extract_attachment(body: bytes, url: str, content_type: str | None = None) -> AttachmentText:
    """The text of an attachment; never raises for bad bytes (``status="error"`` names the URL)."""
    kind = attachment_type(url, content_type, body)
    if not body:
        return AttachmentText(text="", type=kind, status="error", error=f"{url}: empty body")
    try:
        if kind == "pdf":
            paragraphs = pdf_paragraphs(body)
        elif kind == "docx":
            paragraphs = docx_paragraphs(body)
        elif kind in ("doc", "wps"):
            converted = _convert_with_soffice(body, kind)
            if converted is None:
                return AttachmentText(text="", type=kind, status="unsupported",
                                      error=f"{url}: no .{kind} converter (LibreOffice) on this machine")
            paragraphs = docx_paragraphs(converted)
        else:
            return AttachmentText(text="", type=kind, status="unsupported", error=f"{url}: {kind} files are not read")
    except Exception as exc:  # noqa: BLE001 - third-party parsers raise anything on corrupt files
        log.warning("attachment %s (%s) could not be read: %s", url, kind, exc)
        return AttachmentText(text="", type=kind, status="error", error=f"{url}: {type(exc).__name__}: {exc}")
    text = canonical_text(paragraphs)
    return AttachmentText(text=text, type=kind, status="ok", content_hash=content_hash(text) if text else None)


def pdf_paragraphs(body: bytes) -> list[str]:
    """The text boxes of a PDF, each a paragraph; raises whatever pdfminer raises on a corrupt file."""
    from pdfminer.high_level import extract_text

    text = extract_text(io.BytesIO(body))
    # pdfminer separates text boxes with blank lines; a box is a paragraph whose lines were wrapped.
    boxes = [box.replace("\n", "") for box in text.split("\n\n")]
    return [box for box in boxes if box.strip() and box.strip() != "\x0c"]


def docx_paragraphs(body: bytes) -> list[str]:
    """Paragraphs and table rows (tab-separated cells) of a DOCX, in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(body))
    out: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                out.append("\t".join(cell.text.replace("\n", " ").replace("\t", " ") for cell in row.cells))
    return out


def _convert_with_soffice(body: bytes, kind: str) -> bytes | None:
    """Convert .doc/.wps to DOCX with a LibreOffice found on PATH, or ``None`` without one."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory() as workdir:
        source = Path(workdir) / f"attachment.{kind}"
        source.write_bytes(body)
        subprocess.run(
            [soffice, "--headless", "--convert-to", "docx", "--outdir", workdir, str(source)],
            check=True, capture_output=True, timeout=_CONVERT_TIMEOUT,
        )
        return (Path(workdir) / "attachment.docx").read_bytes()
