"""Metadata of a report page: 信息公开 table, ``<meta>`` tags, header lines, URL dates, signature.

Each source gives :class:`Fields` with what it knows; :func:`merge` takes every field from the
most trustworthy source that has it (the 信息公开 table is the portal's own record, ``<meta>``
tags are template-filled, the URL only knows a date). Labels are matched after removing
whitespace, because tables pad them to equal width (``索 引 号``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date

from lxml import html

from crawler.extract.clean import text_of

# label (whitespace removed) -> field
LABELS: dict[str, str] = {
    "索引号": "index_no", "信息索引号": "index_no", "索取号": "index_no",
    "发文字号": "doc_no", "文号": "doc_no", "发文文号": "doc_no", "文件编号": "doc_no",
    "发文机关": "issuer", "发布机构": "issuer", "发布机关": "issuer", "发文单位": "issuer", "制发机关": "issuer",
    "发布单位": "issuer", "公开主体": "issuer", "信息来源": "source", "来源": "source", "文章来源": "source",
    "来源单位": "source", "发布日期": "published", "发布时间": "published", "公开日期": "published",
    "发文时间": "published", "发文日期": "published", "成文日期": "written", "生成日期": "published",
    "更新时间": "published", "日期": "published", "时间": "published",
    "主题分类": "subject", "分类": "subject", "标题": "title", "名称": "title", "文件名称": "title",
    "主题词": "keywords", "关键词": "keywords",
}
# Labels that only a 信息公开 record carries; two of them make a block a metadata table.
_STRONG = ("索引号", "发文字号", "发文机关", "发布机构", "主题分类", "成文日期", "公开日期", "文号", "发文时间", "主题词", "公开主体")
_LABEL_RE = re.compile(
    "(" + "|".join(sorted((r"\s*".join(map(re.escape, label)) for label in LABELS), key=len, reverse=True)) + r")\s*[:：]"
)
_META_NAMES = {
    "articletitle": "title", "pubdate": "published", "publishdate": "published", "firstpublishedtime": "published",
    "contentsource": "source", "sitename": "site_name", "og:title": "title", "og:site_name": "site_name",
    "keywords": "keywords",
}
_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_DATE_ONLY = re.compile(r"(?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?(\s+\d{1,2}:\d{2}(:\d{2})?)?")
_CN_DATE_RE = re.compile(r"([〇○零一二三四五六七八九Ｏ０O]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "Ｏ": 0, "O": 0, "０": 0}
_URL_DAY = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_"),
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/((?:19|20)\d{2})-(\d{2})/(\d{2})/"),
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/"),
)
_URL_MONTH = (re.compile(r"/((?:19|20)\d{2})(\d{2})/"), re.compile(r"/((?:19|20)\d{2})-(\d{2})/"))
_ORG_SUFFIX = re.compile(r"(人民政府|政府办公室|办公室|司法局|局|委员会|政府|委|办|中心|法院|检察院|厅|部|党组|区委|县委)$")
_YEAR_TITLE = (
    re.compile(r"((?:19|20)\d{2})\s*年度"),
    re.compile(r"关于\s*((?:19|20)\d{2})\s*年"),
    re.compile(r"((?:19|20)\d{2})\s*年.{0,20}(法治|依法|工作|情况|报告|总结)"),
)
_YEAR_BODY = (re.compile(r"^((?:19|20)\d{2})\s*年"), re.compile(r"((?:19|20)\d{2})\s*年度"))


@dataclass(slots=True)
class Fields:
    """What one metadata source says; ``None`` where it says nothing."""

    title: str | None = None
    published: str | None = None
    published_precision: str | None = None
    written: str | None = None
    issuer: str | None = None
    source: str | None = None
    index_no: str | None = None
    doc_no: str | None = None
    subject: str | None = None
    keywords: str | None = None
    site_name: str | None = None

    def set(self, name: str, value: str) -> None:
        """Record ``value`` for ``name`` unless this source already gave one (first label wins)."""
        value = " ".join(value.split())
        if not value or getattr(self, name) is not None:
            return
        if name in ("published", "written"):
            iso = parse_date(value)
            if iso is None:
                return
            value = iso
            if name == "published":
                self.published_precision = "day"
        setattr(self, name, value)


def merge(*sources: Fields) -> Fields:
    """Each field from the first source that has it."""
    merged = Fields()
    for name in (f.name for f in fields(Fields)):
        if name == "published_precision":
            continue
        for source in sources:
            value = getattr(source, name)
            if value is not None:
                setattr(merged, name, value)
                if name == "published":
                    merged.published_precision = source.published_precision
                break
    return merged


def parse_date(text: str) -> str | None:
    """The first valid date in ``text`` as ISO ``YYYY-MM-DD`` (Arabic or 二〇二五年一月二十二日 numerals)."""
    for match in _DATE_RE.finditer(text):
        iso = _iso(int(match[1]), int(match[2]), int(match[3]))
        if iso:
            return iso
    match = _CN_DATE_RE.search(text)
    if match:
        try:
            year = int("".join(str(_CN_DIGITS[c]) for c in match[1]))
            return _iso(year, _cn_number(match[2]), _cn_number(match[3]))
        except (KeyError, ValueError):  # 十十月, 一二日: not a date
            return None
    return None


def _cn_number(text: str) -> int:
    digits = "一二三四五六七八九"
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + digits.index(text[1]) + 1
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (digits.index(tens) + 1) * 10 + (digits.index(ones) + 1 if ones else 0)
    return digits.index(text) + 1


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def from_meta_tags(root: html.HtmlElement) -> Fields:
    """``<meta name="ArticleTitle|PubDate|ContentSource|SiteName...">`` as CMSs emit them."""
    found = Fields()
    for meta in root.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        name = _META_NAMES.get(key)
        content = meta.get("content")
        if name and content:
            found.set(name, content)
    return found


def from_url(url: str) -> Fields:
    """The publication date that TRS, Hanweb and .shtml URLs carry (day, or only the month)."""
    found = Fields()
    for pattern in _URL_DAY:
        match = pattern.search(url)
        if match and (iso := _iso(int(match[1]), int(match[2]), int(match[3]))):
            found.published, found.published_precision = iso, "day"
            return found
    for pattern in _URL_MONTH:
        match = pattern.search(url)
        if match and (iso := _iso(int(match[1]), int(match[2]), 1)):
            found.published, found.published_precision = iso, "month"
            return found
    return found


def label_pairs(text: str) -> list[tuple[str, str]]:
    """``label: value`` pairs in a line of text, for the labels this module knows."""
    matches = list(_LABEL_RE.finditer(text))
    pairs = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        label = "".join(match[1].split())
        pairs.append((label, text[match.end() : end].strip(" \t|｜")))
    return pairs


def is_meta_line(line: str) -> bool:
    """A short line that is only ``label: value`` pairs (``发布日期:2023-01-12 来源: 秦州区司法局``)."""
    if len(line) > 120:
        return False
    match = _LABEL_RE.match(line.strip())
    return match is not None and match.start() == 0


def is_date_line(line: str) -> bool:
    """A short line that is only a date, maybe with a time (``2024-05-13 13:48``)."""
    return len(line) <= 24 and _DATE_ONLY.fullmatch(line.strip()) is not None


def fields_from_lines(lines: list[str]) -> Fields:
    """Fields from header lines such as ``来源: 秦州区司法局`` (counters and empties are ignored)."""
    found = Fields()
    for line in lines:
        if is_date_line(line):
            found.set("published", line)
        for label, value in label_pairs(line):
            found.set(LABELS[label], value)
    return found


_RECORD_TAGS = frozenset(("table", "ul", "dl", "div"))
_MAX_RECORD_CHARS = 1500


def _strong_count(text: str) -> int:
    squeezed = "".join(text.split())
    return sum(1 for label in _STRONG if label in squeezed)


def find_meta_blocks(
    holders: list[html.HtmlElement], size: Callable[[html.HtmlElement], int]
) -> list[html.HtmlElement]:
    """The innermost tables/lists/divs that are 信息公开 records (two or more record labels).

    Only blocks around ``holders`` (elements whose own text may be a label) are looked at, and ``size`` (non-blank
    characters, known from the body scoring) rules out large blocks without reading them.
    A record is metadata, not body: record blocks score nothing as body text (no sentence
    punctuation), so removing them after scoring leaves the body choice unchanged.
    """
    records: dict[html.HtmlElement, bool] = {}
    for holder in holders:
        blocks = holder.iterancestors(*_RECORD_TAGS)
        for block in [holder, *blocks] if holder.tag in _RECORD_TAGS else blocks:
            if block in records or size(block) >= _MAX_RECORD_CHARS:
                break
            records[block] = _strong_count(text_of(block)) >= 2
    chosen = [block for block, is_record in records.items() if is_record]
    inner = {block for block in chosen if not any(other in chosen for other in block.iterdescendants(*_RECORD_TAGS))}
    return [block for block in chosen if block in inner]


def from_meta_block(block: html.HtmlElement) -> Fields:
    """Label/value pairs of a 信息公开 record, whether the value sits in the same cell or the next."""
    found = Fields()
    items = [" ".join(t.split()) for t in _leaf_texts(block)]
    items = [t for t in items if t]
    i = 0
    while i < len(items):
        item = items[i]
        pairs = label_pairs(item)
        if pairs and _LABEL_RE.match(item):
            for label, value in pairs:
                if value:
                    found.set(LABELS[label], value)
                elif i + 1 < len(items) and not _LABEL_RE.match(items[i + 1]):
                    found.set(LABELS[label], items[i + 1])
                    i += 1
        else:
            label = "".join(item.split()).rstrip(":：")
            if label in LABELS and i + 1 < len(items) and not _LABEL_RE.match(items[i + 1]):
                found.set(LABELS[label], items[i + 1])
                i += 1
        i += 1
    return found


_CELL_TAGS = ("td", "th", "li", "dt", "dd", "p", "span", "div", "label", "strong", "b", "em")


def _leaf_texts(block: html.HtmlElement) -> list[str]:
    """Texts of the smallest cells of a record (td/th/li/dt/dd/span/p without such children).

    Walked with tag-filtered iterators: the equivalent XPath (``[not(.//td or .//th …)]``)
    searches every cell's subtree once per tag.
    """
    cells = [cell for cell in block.iterdescendants(*_CELL_TAGS) if next(cell.iterdescendants(*_CELL_TAGS), None) is None]
    if not cells:
        return [text_of(block)]
    return [text_of(cell) for cell in cells]


def signature(paragraphs: list[str]) -> tuple[str | None, str | None]:
    """``(issuer, signed date)`` from the closing signature of a report.

    A report ends with the issuing body on one line and the date on the next (or both on
    one line); only the last few paragraphs are looked at.
    """
    tail = paragraphs[-4:]
    for offset in range(len(tail) - 1, -1, -1):
        line = tail[offset].strip()
        if len(line) > 40:
            continue
        signed = parse_date(line)
        if not signed:
            continue
        rest = _DATE_RE.sub("", _CN_DATE_RE.sub("", line)).strip()
        if rest and _ORG_SUFFIX.search(rest) and not any(ch in "，。；" for ch in rest):
            return rest, signed
        if rest:  # a date inside other words (《人民日报》（2024年05月10日）) is no signature
            continue
        if offset > 0:
            previous = tail[offset - 1].strip()
            if len(previous) <= 30 and _ORG_SUFFIX.search(previous) and not any(ch in "，。；、" for ch in previous):
                return previous, signed
        return None, signed
    return None, None


def report_year(title: str | None, paragraphs: list[str], published: str | None) -> int | None:
    """The year reported on: from the title, else the opening of the body; never after publication."""
    limit = int(published[:4]) if published else None
    candidates = []
    if title:
        for pattern in _YEAR_TITLE:
            if match := pattern.search(title):
                candidates.append(int(match[1]))
                break
    if not candidates:
        for paragraph in paragraphs[:3]:
            for pattern in _YEAR_BODY:
                if match := pattern.search(paragraph.strip()):
                    candidates.append(int(match[1]))
                    break
            if candidates:
                break
    for year in candidates:
        if limit is None or year <= limit:
            return year
    return None


def clean_title(raw: str | None, site_name: str | None = None) -> str | None:
    """A ``<title>`` without the site name that templates append (``报告_某某区人民政府``)."""
    if not raw:
        return None
    text = " ".join(raw.split())
    for separator in ("_", " - ", "-", "|", "｜", "——", "—"):
        if separator in text:
            parts = [p.strip() for p in text.split(separator) if p.strip()]
            if parts and len(parts[0]) >= 5:
                text = parts[0]
                break
    if site_name and text.endswith(site_name) and len(text) > len(site_name) + 4:
        text = text[: -len(site_name)].strip()
    return text or None
