"""Hanweb 大汉 JCMS (family B): columns ``/col/col{ID}/index.html`` whose records sit in XML.

The first page of a column carries its first records inside
``<script type="text/xml"><datastore>…<recordset><record><![CDATA[<li>…</li>]]></record>…``
and a ``<nextgroup>`` link to ``/module/web/jpage/dataproxy.jsp``, which serves the later
records as the same XML (sometimes wrapped in JSONP). The proxy pages by ``page=N`` or by
``startrecord``/``endrecord``/``perpage``; the total comes as ``<totalrecord>`` (and
``<totalpage>``). The XML is parsed with lxml and each record's HTML with parsel.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from lxml import etree
from scrapy.http import TextResponse

from spiders.base import ListLink, PortalSpider, generic_links, generic_pages, links_in

logger = logging.getLogger(__name__)

_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
# JSONP around a datastore: raw({"result": "<datastore>…"}); the JSON is read, not the markup.
_JSONP = re.compile(r"^\s*[\w.$]+\s*\((.*)\)\s*;?\s*$", re.DOTALL)


def datastore_of(text: str) -> etree._Element | None:
    """The ``<datastore>`` element of a column page's XML script or a proxy answer (JSON/JSONP too)."""
    text = text.strip()
    if not text.startswith("<"):
        match = _JSONP.match(text)
        try:
            data = json.loads(match.group(1) if match else text)
        except ValueError:
            return None
        text = data.get("result", "") if isinstance(data, dict) else ""
        if not isinstance(text, str):
            return None
    start = text.find("<datastore")
    if start < 0:
        return None
    root = etree.fromstring(text[start:].encode("utf-8"), _XML_PARSER)
    return root


def _int(root: etree._Element, tag: str) -> int | None:
    value = root.findtext(tag)
    return int(value) if value and value.strip().isdigit() else None


def hanweb_links(spider: PortalSpider, response: TextResponse) -> Iterator[ListLink]:
    """A column page's links and its embedded records' links, or a proxy answer's records' links."""
    if not response.meta.get("dataproxy"):
        # A proxy answer is XML or JSONP, not a page: only its records hold links.
        yield from generic_links(spider, response)
    for store in datastores(response):
        for record in store.iter("record"):
            yield from links_in(record.text or "", response.url)


def hanweb_pages(spider: PortalSpider, response: TextResponse) -> Iterator[scrapy.Request]:
    """Proxy pages: all of them when the totals are known, else a probe whose answer tells them."""
    yield from generic_pages(spider, response)
    role = response.meta.get("dataproxy")
    if role == "page":
        return
    hops = response.meta.get("hops", 0)
    limit = spider.portal.limits.max_pages
    for store in datastores(response):
        records = len(store.findall(".//record"))
        if role == "probe":
            totals = _int(store, "totalrecord"), _int(store, "totalpage")
            urls = proxy_pages(response.meta["nextgroup"], records, *totals, limit=limit)
            urls = [u for u in urls if u != response.url]
        else:
            nextgroup = next(iter(links_in(store.findtext("nextgroup") or "", response.url)), None)
            if nextgroup is None:
                continue
            totals = _int(store, "totalrecord") or _script_int(response, "totalRecord"), _int(store, "totalpage")
            urls = proxy_pages(nextgroup.url, records, *totals, limit=limit)
            if not urls:
                yield spider.list_request(
                    nextgroup.url, hops=hops, pages=1, meta={"dataproxy": "probe", "nextgroup": nextgroup.url}
                )
                continue
        for url in urls:
            yield spider.list_request(url, hops=hops, pages=1, meta={"dataproxy": "page"})


def datastores(response: TextResponse) -> Iterator[etree._Element]:
    """The ``<datastore>`` elements of a column page's XML scripts, or of a proxy answer."""
    if response.meta.get("dataproxy"):
        store = datastore_of(response.text)
        if store is not None:
            yield store
        return
    for script in response.xpath("//script[@type='text/xml']/text()").getall():
        store = datastore_of(script)
        if store is not None:
            yield store


def proxy_pages(nextgroup: str, records: int, total_records: int | None, total_pages: int | None, *,
                limit: int) -> list[str]:
    """Every proxy page of a unit from its ``<nextgroup>`` link on (at most ``limit``), or ``[]`` if the totals are unknown.

    ``records`` is how many records the page at hand carried (the page size). A
    ``startrecord``/``endrecord`` link is paged in groups of its own size; a ``page=N`` link
    by page number, from the page it names (page 1 repeats the embedded records on some
    sites and continues them on others, so it is asked for).
    """
    parts = urlsplit(nextgroup)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    urls: list[str] = []
    if "startrecord" in query or "endrecord" in query:
        if total_records is None:
            return []
        start = int(query.get("startrecord") or records + 1)
        end = int(query.get("endrecord") or start + max(records, 1) - 1)
        group = max(end - start + 1, 1)
        while start <= total_records and len(urls) < limit:
            query.update(startrecord=str(start), endrecord=str(min(start + group - 1, total_records)))
            urls.append(urlunsplit(parts._replace(query=urlencode(query))))
            start += group
        return urls
    if total_pages is None and total_records is not None and records:
        total_pages = -(-total_records // records)
    if total_pages is None:
        return []
    first = int(query.get("page") or 1)
    for page in range(first, min(total_pages, first + limit - 1) + 1):
        query["page"] = str(page)
        urls.append(urlunsplit(parts._replace(query=urlencode(query))))
    return urls


class HanwebSpider(PortalSpider):
    family = "hanweb"

    def list_links(self, response: TextResponse) -> Iterator[ListLink]:
        return hanweb_links(self, response)

    def list_pages(self, response: TextResponse) -> Iterator[scrapy.Request]:
        return hanweb_pages(self, response)


def _script_int(response: TextResponse, name: str) -> int | None:
    """An integer a column page's inline script assigns (``var totalRecord=42``); read from JS text."""
    pattern = re.compile(rf"\b{name}\s*[=:]\s*(\d+)")
    for script in response.xpath("//script[not(@src)]/text()").getall():
        if match := pattern.search(script):
            return int(match.group(1))
    return None
