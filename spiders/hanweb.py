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
    for store, script_total in units(response):
        records = len(store.findall(".//record"))
        if role == "probe":
            totals = _int(store, "totalrecord"), _int(store, "totalpage")
            urls = proxy_pages(response.meta["nextgroup"], records, *totals, limit=limit)
            urls = [u for u in urls if u != response.url]
        else:
            nextgroup = next(iter(links_in(store.findtext("nextgroup") or "", response.url)), None)
            if nextgroup is None:
                continue
            totals = _int(store, "totalrecord") or script_total, _int(store, "totalpage")
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
    for store, _ in units(response):
        yield store


def units(response: TextResponse) -> Iterator[tuple[etree._Element, int | None]]:
    """Each unit (data store) of a column page with the total its page script declares, or a proxy answer.

    A column page may hold several units, each with its own proxy query and its own
    ``totalRecord``: a unit's total is read from the scripts that name its id (``dataStore:
    '…'``, ``$('#…')``: its element's id or the ``unitid`` of its ``<nextgroup>``) or, failing
    that, from the scripts that follow its XML up to the next unit's. A page-wide total is
    taken only on a one-unit page; a unit with no total of its own is probed (the proxy's
    answer carries it).
    """
    if response.meta.get("dataproxy"):
        store = datastore_of(response.text)
        if store is not None:
            yield store, None
        return
    scripts = response.xpath("//script[@type='text/xml']")
    for script in scripts:
        store = datastore_of(script.xpath("string()").get() or "")
        if store is None:
            continue
        total = _unit_total(script, store, response.url)
        if total is None and len(scripts) == 1:
            total = _script_int(response.xpath("//script[not(@src)]/text()").getall(), "totalRecord")
        yield store, total


def _unit_total(script: scrapy.Selector, store: etree._Element, base_url: str) -> int | None:
    """The ``totalRecord`` a unit's own script declares (see :func:`units`), or ``None``.

    Where a script names the unit, the total of the statement naming it counts (one script
    often sets up every unit of the page, one call each).
    """
    ids = {value for value in script.xpath("ancestor::*[@id][1]/@id").getall() if value.strip()}
    nextgroup = next(iter(links_in(store.findtext("nextgroup") or "", base_url)), None)
    if nextgroup is not None:
        ids.update(value for key, value in parse_qsl(urlsplit(nextgroup.url).query) if key == "unitid" and value)
    naming = re.compile("|".join(rf"['\"]#?{re.escape(i)}['\"]" for i in sorted(ids))) if ids else None
    for text in script.xpath("//script[not(@src) and not(@type='text/xml')]/text()").getall():
        if naming is not None and (mention := naming.search(text)):
            start = text.rfind(";", 0, mention.start()) + 1
            end = text.find(";", mention.end())
            if (total := _script_int([text[start:end if end >= 0 else len(text)]], "totalRecord")) is not None:
                return total
    following = []
    for sibling in script.xpath("following::script"):
        if sibling.attrib.get("type") == "text/xml":
            break
        following.extend(sibling.xpath("text()").getall())
    return _script_int(following, "totalRecord")


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


def _script_int(scripts: list[str], name: str) -> int | None:
    """An integer the first of ``scripts`` that has one assigns (``var totalRecord=42``); read from JS text."""
    pattern = re.compile(rf"\b{name}\s*[=:]\s*['\"]?(\d+)")
    for script in scripts:
        if match := pattern.search(script):
            return int(match.group(1))
    return None
