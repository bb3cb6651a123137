"""Read the farm the way a crawler must: follow each family's pagination, pull out body text.

Deliberately written from the family descriptions in docs/simulator.md, not from the farm's
code, so the tests check what a crawler sees on the wire.
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
import lxml.etree
import lxml.html
from pdfminer.high_level import extract_text

from crawler.textnorm import canonical_text
from tests.farm import fetch

# JavaScript pager calls (a script's text, not markup).
_TRS_PAGER = re.compile(r'createPage(?:HTML)?\((\d+),\s*(\d+),\s*"(\w+)",\s*"(\w+)"\)')
_TRS_COUNT = re.compile(r"countPage=(\d+)")
_SHTML_PAGER = re.compile(r"createPageHTML\('page_div',\s*(\d+),\s*(\d+),\s*'(\w+)',\s*'(\w+)',\s*(\d+)\)")

_GKMLPT_SID = re.compile(r"SID:\s*'(\w+)'")

BODY_XPATH = {
    "gkmlpt": "//div[@class='article-content']",
    "trs": "//div[contains(concat(' ', @class, ' '), ' TRS_Editor ')]",
    "hanweb": "//div[@id='zoom']",
    "shtml": "//div[@id='zoomcon']",
}


def page(url: str, encoding: str) -> lxml.html.HtmlElement:
    fetched = fetch(url)
    assert fetched.status == 200, f"{url}: HTTP {fetched.status}"
    return lxml.html.document_fromstring(fetched.body.decode(encoding), base_url=url)


def _scripts(tree: lxml.html.HtmlElement) -> str:
    return "\n".join(s.text or "" for s in tree.iter("script"))


def list_articles(family: str, start_url: str, encoding: str) -> tuple[list[str], int]:
    """Every article URL listed in the column at ``start_url`` and the number of list requests made."""
    if family == "hanweb":
        return _hanweb_articles(start_url, encoding)
    if family == "gkmlpt":
        return _gkmlpt_articles(start_url, encoding)
    tree = page(start_url, encoding)
    pages = [tree]
    scripts = _scripts(tree)
    if family == "trs":
        match, count_var = _TRS_PAGER.search(scripts), _TRS_COUNT.search(scripts)
        name, ext = urlsplit(start_url).path.rsplit("/", 1)[1].split(".")
        if match:
            count, name, ext = int(match.group(1)), match.group(3), match.group(4)
        else:  # the variables form pages the start page's own file name; hidden groups need no pages
            count = int(count_var.group(1)) if count_var else 1
        urls = [urljoin(start_url, f"{name}_{i}.{ext}") for i in range(1, count)]
        selector = "//div[@class='list']//a[@href]"
        hidden = [urljoin(start_url, a.get("ms-attr-href")) for a in tree.xpath("//a[@ms-attr-href]")]
        if hidden:
            return hidden, 1
    else:
        if match := _SHTML_PAGER.search(scripts):
            count, name, ext = int(match.group(1)), match.group(3), match.group(4)
            urls = [urljoin(start_url, f"{name}_{i}.{ext}") for i in range(2, count + 1)]
        else:  # no pager call: the pages are linked by their numbers only
            urls = [urljoin(start_url, a.get("href")) for a in tree.xpath("//div[@class='pagination']/a[@href]")]
        selector = "//ul[contains(@class, 'newsList')]/li/a[@href]"
    pages += [page(url, encoding) for url in urls]
    links = [urljoin(p.base_url, a.get("href")) for p in pages for a in p.xpath(selector)]
    return links, len(pages)


def _hanweb_articles(start_url: str, encoding: str) -> tuple[list[str], int]:
    """Every unit (data store) of the column page, each walked through the proxy by its own ``unitid``."""
    tree = page(start_url, encoding)
    links: list[str] = []
    requests = 1
    for script in tree.xpath("//script[@type='text/xml']"):
        unit, asked = _hanweb_unit(start_url, lxml.etree.fromstring(script.text.encode("utf-8")))
        links += unit
        requests += asked
    return links, requests


def _hanweb_unit(start_url: str, store: lxml.etree._Element) -> tuple[list[str], int]:
    embedded = _record_links(store, start_url)
    proxy_link = lxml.html.fragment_fromstring(store.findtext("nextgroup")).get("href")
    proxy = urlsplit(urljoin(start_url, proxy_link))
    params = dict(parse_qsl(proxy.query))
    params.pop("page", None)
    per_page, start, requests = 5, 1, 0
    links: list[str] = []
    while True:
        query = urlencode({**params, "startrecord": start, "endrecord": start + 3 * per_page - 1, "perpage": per_page})
        answer = fetch(f"{proxy.scheme}://{proxy.netloc}{proxy.path}?{query}")
        requests += 1
        body = answer.body
        if not body.lstrip().startswith(b"<"):  # JSONP: raw({"result": "<datastore>…"});
            body = json.loads(body.decode("utf-8").strip().removeprefix("raw(").removesuffix(");"))["result"].encode()
        data = lxml.etree.fromstring(body)
        links += _record_links(data, start_url)
        start += 3 * per_page
        if start > int(data.findtext("totalrecord")):
            assert links[: len(embedded)] == embedded, f"{start_url}: embedded records are not the first proxy records"
            return links, requests


def _gkmlpt_articles(start_url: str, encoding: str) -> tuple[list[str], int]:
    """The catalog page gives the SID, its URL fragment the category; the JSON API gives the articles."""
    tree = page(start_url, encoding)
    sid = _GKMLPT_SID.search(_scripts(tree)).group(1)
    category = urlsplit(start_url).fragment
    links: list[str] = []
    requests, number = 1, 1
    while True:
        answer = fetch(urljoin(start_url, f"/gkmlpt/api/all/{category}?page={number}&sid={sid}"))
        requests += 1
        data = json.loads(answer.body)
        links += [article["url"] for article in data["articles"]]
        if not data["articles"] or len(links) >= data["total"]:
            return links, requests
        number += 1


def _record_links(store: lxml.etree._Element, base: str) -> list[str]:
    links = []
    for record in store.iter("record"):
        fragment = lxml.html.fragment_fromstring(record.text, create_parent="div")
        links += [urljoin(base, a.get("href")) for a in fragment.xpath(".//a[@href]")]
    return links


def body_paragraphs(family: str, tree: lxml.html.HtmlElement) -> list[str]:
    """Paragraphs of the body container: each ``<p>``, each table row as tab-joined cells."""
    container = tree.xpath(BODY_XPATH[family])
    assert container, f"{tree.base_url}: no {family} body container"
    out = []
    for node in container[0].iter("p", "tr"):
        if node.tag == "p":
            out.append(node.text_content())
        else:
            out.append("\t".join(cell.text_content() for cell in node.iter("td", "th")))
    return out


def served_text(family: str, pages: list[str], encoding: str) -> str:
    """The canonical text of an HTML report served over ``pages``."""
    paragraphs = []
    for url in pages:
        paragraphs += body_paragraphs(family, page(url, encoding))
    return canonical_text(paragraphs)


def attachment_text(url: str) -> str:
    """Text of a PDF or DOCX attachment, as pdfminer.six / python-docx give it."""
    fetched = fetch(url)
    assert fetched.status == 200, f"{url}: HTTP {fetched.status}"
    if url.endswith(".pdf"):
        assert fetched.headers["content-type"] == "application/pdf"
        return extract_text(io.BytesIO(fetched.body))
    document = docx.Document(io.BytesIO(fetched.body))
    lines = []
    for block in document.element.body.iterchildren():
        if block.tag.endswith("}p"):
            lines.append(Paragraph(block, document).text)
        elif block.tag.endswith("}tbl"):
            lines += ["\t".join(cell.text for cell in row.cells) for row in Table(block, document).rows]
    return "\n".join(lines)
