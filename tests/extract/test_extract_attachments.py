"""Attachment links on pages, and the text of PDF/DOCX attachment bodies."""

from __future__ import annotations

import io
import shutil

import docx
import pytest

from crawler.extract import extract, extract_attachment
from crawler.textnorm import content_hash

REPORT = ["某县2023年度法治政府建设情况报告", "2023年，县政府全面推进依法行政。", "一、主要举措"]


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with Helvetica text lines (ASCII: base-14 fonts carry no CJK)."""
    stream = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({line}) Tj 0 -40 Td" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_docx_attachment_text_with_table_rows():
    body = make_docx(REPORT, table=[["指标", "数值"], ["审查文件", "12件"]])
    result = extract_attachment(body, "http://127.0.0.1/files/report.docx")
    assert result.status == "ok" and result.type == "docx"
    assert result.text.split("\n") == [*REPORT, "指标\t数值", "审查文件\t12件"]
    assert result.content_hash == content_hash(result.text)


def test_pdf_attachment_text():
    result = extract_attachment(make_pdf(["Rule of law report 2023", "Section one"]), "http://127.0.0.1/f/P0.pdf")
    assert result.status == "ok" and result.type == "pdf"
    assert "Rule of law report 2023" in result.text and "Section one" in result.text


def test_corrupt_pdf_is_an_error_naming_the_url():
    result = extract_attachment(b"%PDF-1.4\n garbage", "http://127.0.0.1/f/broken.pdf")
    assert result.status == "error"
    assert "http://127.0.0.1/f/broken.pdf" in result.error


def test_legacy_word_needs_a_converter():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024
    result = extract_attachment(ole, "http://127.0.0.1/f/report.wps")
    assert result.type == "wps"
    if shutil.which("soffice") or shutil.which("libreoffice"):
        assert result.status in ("ok", "error")
    else:
        assert result.status == "unsupported"
        assert "report.wps" in result.error


def test_docx_body_is_extracted_as_a_report():
    result = extract(make_docx(REPORT), "http://127.0.0.1/files/report.docx")
    assert result.title == REPORT[0]
    assert result.paragraphs == REPORT[1:]
    assert result.report_year == 2023 and result.kind == "annual_rule_of_law_report"


def test_attachment_links_found_on_the_page_and_in_trs_script():
    page = (
        "<html><head><title>某县2023年度法治政府建设情况报告</title>"
        "<script>var file_appendix='<a href=\"./P020240328.pdf\">报告全文.pdf</a>';</script></head><body>"
        "<div class='TRS_Editor'><p>2023年，县政府全面推进依法行政，各项工作取得积极成效。</p></div>"
        "<div class='fj'>附件：<a href='/files/table.docx'>统计表</a> <a href='/files/table.docx'>统计表</a></div>"
        "<div class='footer'><a href='/about.pdf'>网站说明</a></div></body></html>"
    )
    result = extract(page.encode(), "http://127.0.0.1/zwgk/202403/t20240328_1.html")
    assert [(a.url, a.name, a.type) for a in result.attachments] == [
        ("http://127.0.0.1/zwgk/202403/P020240328.pdf", "报告全文.pdf", "pdf"),
        ("http://127.0.0.1/files/table.docx", "统计表", "docx"),
    ]
    assert result.published == "2024-03-28"


@pytest.mark.parametrize(
    ("href", "kind"),
    [
        ("/files/报告.PDF?v=1.2", "pdf"),
        ("/files/table.docx#page=2", "docx"),
        ("/zwgk/2024.05/report", None),  # a dot in a directory is no extension
        ("/zwgk/t20240328_1.html", None),
        ("/download?file=a.pdf", None),  # the query is not the file name
    ],
)
def test_attachment_type_is_the_link_file_names_extension(href, kind):
    page = f"<html><body><div id='zoom'><p>2023年，县政府全面推进依法行政。<a href='{href}'>附件</a></p></div></body></html>"
    result = extract(page.encode(), "http://127.0.0.1/zwgk/a.html")
    assert [a.type for a in result.attachments] == ([kind] if kind else [])


def test_pdf_served_as_html_is_read_as_pdf():
    result = extract(make_pdf(["Annual report", "Body text of the report"]), "http://127.0.0.1/a.html", "text/html")
    assert result.title == "Annual report"
    assert result.paragraphs == ["Body text of the report"]
    assert result.encoding is None
