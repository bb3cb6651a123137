"""``extract()``: bytes of one fetched page (HTML, PDF or DOCX) in, :class:`Extraction` out.

The chain is short and pure, in the trafilatura manner: decode → parse once → read head
metadata and attachment links → clean → lift the 信息公开 record out → choose the body
container → strip furniture → paragraphs → text rules → metadata, region, kind, hash.
Nothing here does I/O, and bad input is *flagged* in ``problems`` rather than raised, because
one broken page must never stop a crawl of thousands.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin

from lxml import etree, html

from crawler.extract import attachments as attachment_files
from crawler.extract import metadata
from crawler.extract.body import (
    Scores,
    attached,
    find_container,
    headings_above,
    paragraphs_of,
    score_tree,
    strip_chrome,
)
from crawler.extract.classify import classify
from crawler.extract.clean import clean, is_structural_chrome, parse, remove, text_of
from crawler.extract.encoding import utf8_body
from crawler.extract.model import Attachment, Extraction
from crawler.extract.rules import ChromeRules
from crawler.regions import resolve_region
from crawler.regions import region_by_code
from crawler.textnorm import clean_paragraph, clean_paragraphs, content_hash

log = logging.getLogger(__name__)

# Larger bodies are not report pages (a 20 MB "page" is a mis-served file or a trap).
MAX_BODY_BYTES = 8 * 1024 * 1024
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")
_SOFT_404 = re.compile(r"404|页面不存在|页面未找到|找不到(该|您要访问的)?页面|您访问的页面|文章不存在|信息不存在|已被删除|Not Found", re.I)
_FILE_APPENDIX = re.compile(r"file_appendix\s*=\s*(['\"])(.*?)(?<!\\)\1", re.S)
# Bytes a text page is made of: everything but the C0 controls other than \t \n \v \f \r.
_TEXT_BYTES = bytes(b for b in range(256) if b < 9 or 13 < b < 32)
_BEIAN = re.compile(r"公网安备\s*[:：]?\s*(\d{6})")
# Own texts the metadata readers look at: header-line labels, 信息公开 record labels, 公网安备.
_WATCH = re.compile("来源|发布|日期|时间|机构|索|文号|发文|主题|成文|公开|公网安备|主办")
_SPONSOR = re.compile(r"主办(?:单位)?\s*[:：]?\s*([^\s|｜,，;；:：]{4,40})")
_MAX_HEADER_CHARS = 200
_BLOCKS = frozenset("p div li td th dd dt h1 h2 h3 h4 h5 h6 tr table span section".split())


def extract(
    body: bytes,
    url: str,
    content_type: str | None = None,
    *,
    encoding: str | None = None,
    rules: ChromeRules | None = None,
) -> Extraction:
    """Extract the clean text and metadata of one page; never raises for bad bodies."""
    rules = rules or ChromeRules.default()
    result = Extraction(url=url)
    if not body or body.isspace():
        result.problems.append("empty")
        return result
    if len(body) > MAX_BODY_BYTES:
        result.problems.append("too_large")
        log.info("%s: body of %d bytes is over the %d-byte limit", url, len(body), MAX_BODY_BYTES)
        return result
    document = attachment_files.document_type(body)
    if document is not None:
        return _extract_document(body, url, document, result)
    if body.startswith(_IMAGE_MAGIC) or _looks_binary(body):
        result.problems.append("binary")
        return result
    data, result.encoding = utf8_body(body, content_type, encoding)
    root = parse(data)
    if root is None:
        result.problems.append("unparseable")
        return result
    if _has_start_tag(body[:4096]) and not _has_end_tag(body):
        result.problems.append("truncated")
    _extract_html(root, data, result, rules)
    return result


def _has_start_tag(head: bytes) -> bool:
    """Whether the page opens a document (a bare fragment or plain text cannot be cut short)."""
    lowered = head.lower()
    return b"<html" in lowered or b"<body" in lowered


def _has_end_tag(body: bytes) -> bool:
    """Whether the last 64 KiB close the document: a page cut off in transfer does not.

    Searched from the end (where the closing tags are) and without copying the tail.
    """
    start = max(0, len(body) - 65536)
    return any(body.rfind(tag, start) != -1 for tag in (b"</html", b"</HTML", b"</body", b"</BODY", b"</Html", b"</Body"))


def _looks_binary(body: bytes) -> bool:
    """NUL bytes or many control characters early on: not a text page, whatever the Content-Type."""
    head = body[:2048]
    if b"\x00" in head:
        return True
    return len(head.translate(None, _TEXT_BYTES)) < len(head) - len(head) // 20


def _extract_html(root: html.HtmlElement, data: bytes, result: Extraction, rules: ChromeRules) -> None:
    head = metadata.from_meta_tags(root)
    html_title = root.findtext(".//title")
    links = _script_attachments(root, result.url) if b"file_appendix" in data else []
    removed = clean(root, rules)
    links += _link_attachments(root, result.url, rules)
    scores = score_tree(root, _WATCH)
    beian = _beian_region(scores.watched) if "公网安备".encode() in data else None
    sponsor = _sponsor(scores) if "主办".encode() in data else None
    record = metadata.Fields()
    blocks = metadata.find_meta_blocks(scores.watched, scores.size)
    for block in blocks:
        record = metadata.merge(record, metadata.from_meta_block(block))
        remove(block)
        removed += 1
    watched = scores.watched
    if blocks:  # what was inside a record is gone with it
        watched = [element for element in watched if attached(element, root)]
    header = metadata.fields_from_lines(_header_lines(watched, scores))
    container = find_container(root, scores, rules)
    if container is None:
        result.problems.append("empty")
        return
    title = head.title or record.title
    if not title:  # the heading is read before the furniture inside it goes
        headings = [h for h in headings_above(scores, container) if not blocks or attached(h, root)]
        title = _heading_title(headings, head.site_name, html_title, rules)
    removed += strip_chrome(root, container, scores, rules)
    title = title or metadata.clean_title(html_title, head.site_name)
    if title and head.site_name and "".join(title.split()) == "".join(head.site_name.split()):
        title = None  # the <title> of many county pages is only the site's name
    paragraphs, lines, dropped = _filter(clean_paragraphs(paragraphs_of(container)), title, rules)
    removed += dropped
    found = metadata.merge(record, metadata.fields_from_lines(lines), head, header, metadata.from_url(result.url))
    _finish(result, title, paragraphs, found, site_name=head.site_name or sponsor, beian=beian)
    result.chrome_removed = removed
    result.attachments = _unique(links)
    if not paragraphs:
        result.problems.append("empty")
    elif len(result.text) < 200 and _SOFT_404.search(f"{title or ''} {result.text}"):
        # A "page not found" served with 200 is not content: nothing of it may be archived.
        result.problems.append("soft_404")
        result.paragraphs, result.text, result.content_hash = [], "", None
        result.kind, result.is_annual_report = "other", False


def _filter(paragraphs: list[str], title: str | None, rules: ChromeRules) -> tuple[list[str], list[str], int]:
    """Split paragraphs into body, header lines (``来源: …``) and dropped chrome/title repeats."""
    body: list[str] = []
    header: list[str] = []
    dropped = 0
    squeezed_title = "".join(title.split()) if title else ""
    # The title repeated at the top of the body, whole or broken over lines (not a short
    # opening that merely occurs in it, like 2023年).
    shortest_part = max(6, len(squeezed_title) // 4)
    for paragraph in paragraphs:
        if not body and squeezed_title and _repeats_title(paragraph, squeezed_title, shortest_part):
            continue
        if not body and metadata.is_date_line(paragraph):  # a bare date above the text is its dateline
            header.append(paragraph)
            dropped += 1
        elif metadata.is_meta_line(paragraph):
            header.append(paragraph)
            dropped += 1
        elif rules.is_chrome_text(paragraph):
            dropped += 1
        else:
            body.append(paragraph)
    return body, header, dropped


def _repeats_title(paragraph: str, squeezed_title: str, shortest_part: int) -> bool:
    """Whether a paragraph above the body is the title again, or a piece of it (blanks ignored)."""
    squeezed = "".join(paragraph.split())
    return len(squeezed) >= shortest_part and squeezed in squeezed_title


def _finish(
    result: Extraction,
    title: str | None,
    paragraphs: list[str],
    found: metadata.Fields,
    *,
    site_name: str | None = None,
    beian: str | None = None,
) -> None:
    """Fill the fields every body type shares: text, hash, dates, issuer, region, kind."""
    result.title = clean_paragraph(title) if title else None
    result.paragraphs = paragraphs
    result.text = "\n".join(paragraphs)  # already clean_paragraphs()-ed: canonical_text() by construction
    result.content_hash = content_hash(result.text) if result.text else None
    signer, result.signed = metadata.signature(paragraphs)
    result.written = found.written
    result.published = found.published
    result.published_precision = found.published_precision if found.published else None
    result.issuer = found.issuer or signer or found.source
    result.index_no = found.index_no
    result.doc_no = found.doc_no
    result.subject = found.subject
    result.keywords = found.keywords
    result.report_year = metadata.report_year(result.title, paragraphs, result.published or result.signed)
    region = None
    for candidate in (result.issuer, result.title, site_name):
        if candidate and (region := resolve_region(candidate)):
            break
    if region is None and beian:
        region = region_by_code(beian)
    result.kind = classify(result.title, paragraphs)
    result.is_annual_report = result.kind == "annual_rule_of_law_report"
    if region is None and result.is_annual_report:
        # A report speaks of its own county (我区…); other pages name the places they report on.
        region = resolve_region(result.text[:3000])
    if region is not None:
        result.region, result.region_code = region.full_name, region.code


def _header_lines(holders: list[html.HtmlElement], scores: Scores) -> list[str]:
    """Short blocks that start with a metadata label, wherever they sit (``发布日期: … 来源: …``).

    A body paragraph that mentions a date is long (its size is known from the scoring, so
    it is not even read), and a header line starts with its label.
    """
    lines = []
    seen: set[html.HtmlElement] = set()
    for element in holders:
        while element is not None and element.tag not in _BLOCKS:
            element = element.getparent()
        if element is None or element in seen or scores.size(element) > _MAX_HEADER_CHARS:
            continue
        seen.add(element)
        raw = text_of(element).strip()
        if metadata.is_meta_line(raw):
            lines.append(clean_paragraph(raw))
    return lines


def _heading_title(
    headings: list[html.HtmlElement], site_name: str | None, html_title: str | None, rules: ChromeRules
) -> str | None:
    """The article's own heading, among the headings above the body (or at its very top).

    Of those, the longest that the ``<title>`` repeats wins (a logo or column name may be
    repeated too, but is shorter); otherwise the one nearest the body, since column names
    and logos also sit in ``title``-class elements and ``<h1>``s higher up the page, and many
    county portals put only the site name in ``<title>``.
    """
    page_title = "".join((html_title or "").split())
    nearest = repeated = None
    for element in headings:
        text = clean_paragraph(text_of(element))
        squeezed = "".join(text.split())
        if not 6 <= len(squeezed) <= 150 or squeezed == site_name or metadata.is_meta_line(text):
            continue
        if rules.is_chrome_text(text):  # a breadcrumb styled as a heading
            continue
        if element.tag != "h1" and element.find(".//a") is not None:  # a "title" class on a link list
            continue
        if page_title and squeezed in page_title and (repeated is None or len(squeezed) > len(repeated)):
            repeated = text
        nearest = text
    return repeated or nearest


def _sponsor(scores: Scores) -> str | None:
    """The footer's 主办 (the body that runs the site), read before the footer goes as chrome.

    Only short blocks count: a report sentence about who 主办ed a training is no footer.
    """
    for element in scores.watched:
        if scores.size(element) <= _MAX_HEADER_CHARS and (match := _SPONSOR.search(text_of(element))):
            return match[1]
    return None


def _beian_region(holders: list[html.HtmlElement]) -> str | None:
    """The county code that opens a 公网安备 number: the police bureau that registered the site."""
    for element in holders:
        if match := _BEIAN.search(text_of(element)):
            return match[1]
    return None


def _script_attachments(root: html.HtmlElement, url: str) -> list[Attachment]:
    """Links that newer TRS templates keep in ``var file_appendix='<a href=…>'`` (gone after cleaning)."""
    found = []
    for script in root.iter("script"):
        source = script.text or ""
        if "file_appendix" not in source:
            continue
        for match in _FILE_APPENDIX.finditer(source):
            markup = match[2].replace("\\'", "'").replace('\\"', '"')
            try:
                fragments = html.fragments_fromstring(markup)
            except (etree.ParserError, ValueError):
                continue
            for fragment in fragments:
                if isinstance(fragment, html.HtmlElement):
                    anchors = [fragment] if fragment.tag == "a" else fragment.iter("a")
                    found += [a for a in (_attachment(anchor, url) for anchor in anchors) if a]
    return found


def _link_attachments(root: html.HtmlElement, url: str, rules: ChromeRules) -> list[Attachment]:
    found = []
    for anchor in root.iter("a"):
        attachment = _attachment(anchor, url)
        if attachment and not any(is_structural_chrome(a, rules) for a in anchor.iterancestors()):
            found.append(attachment)
    return found


def _attachment(anchor: html.HtmlElement, url: str) -> Attachment | None:
    href = (anchor.get("href") or "").strip()
    if not href or href.startswith(("javascript:", "#", "mailto:")):
        return None
    kind = attachment_files.extension_type(href)
    if kind is None:
        return None
    name = clean_paragraph(text_of(anchor)) or anchor.get("title") or href.rsplit("/", 1)[-1]
    return Attachment(url=urljoin(url, href), name=name, type=kind)


def _unique(attachments: list[Attachment]) -> list[Attachment]:
    seen: dict[str, Attachment] = {}
    for attachment in attachments:
        seen.setdefault(attachment.url, attachment)
    return list(seen.values())


def _extract_document(body: bytes, url: str, kind: str, result: Extraction) -> Extraction:
    """A PDF or DOCX served as the report itself: its first short line is the title."""
    result.encoding = None
    try:
        raw = attachment_files.pdf_paragraphs(body) if kind == "pdf" else attachment_files.docx_paragraphs(body)
    except Exception as exc:  # noqa: BLE001 - pdfminer/python-docx raise anything on corrupt files
        log.warning("%s: %s body could not be read: %s", url, kind, exc)
        result.problems.append(f"unreadable_{kind}")
        return result
    paragraphs = clean_paragraphs(raw)
    title = None
    if paragraphs and len(paragraphs[0]) <= 80 and not any(ch in "，。；" for ch in paragraphs[0]):
        title, paragraphs = paragraphs[0], paragraphs[1:]
    _finish(result, title, paragraphs, metadata.from_url(url))
    if not paragraphs:
        result.problems.append("empty")
    return result
