"""Guangdong's 政府信息公开目录平台 ``gkmlpt`` (family D1): a catalog page and a JSON API.

The catalog page ``/{dept}/gkmlpt/index`` lists no article itself: a script builds the list
from ``GET {API}{catId}?page=N&sid={SID}``, where ``SID`` (the site's id) is only in an
inline script, ``window.gkmlpt = {SID: '755031', API: '/gkmlpt/api/all/', …}``. The category
is the catalog URL's fragment (``/gkmlpt/index#4277``), which never reaches the server, so
the categories are read from the portal's start URLs (else from the catalog's category
links). The API answers ``{"total": T, "articles": [{id, title, url, display_publish_time,
created_at, …}]}``, 100 articles a page; page 1 (page 0 is the same page) says how many
pages there are. A wrong ``sid`` lists nothing, so the SID is never guessed. Articles are
``/{dept}/gkmlpt/content/{id//1e6}/{id//1e3}/post_{id}.html``. The readers are functions of
``(spider, response)``: ``auto`` and ``generic`` apply them to the pages :func:`is_gkmlpt` knows.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.http import JsonResponse, TextResponse
from w3lib.url import canonicalize_url

from spiders.base import ListLink, PortalSpider, date_in, generic_links, generic_pages

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
# China Standard Time: the API's epoch timestamps are dates on a Chinese calendar.
_CST = timezone(timedelta(hours=8))
# The platform's settings object in the catalog's script: the object literal holding ``SID``,
# and its fields (JS, not markup: ``{SID: '755031', API: "/gkmlpt/api/all/", PAGE_SIZE: 100}``).
_SETTINGS = re.compile(r"\{([^{}]*\bSID[\"']?\s*:[^{}]*)\}")
_FIELD = re.compile(r"""["']?([A-Za-z_$][\w$]*)["']?\s*:\s*(?:'([^']*)'|"([^"]*)"|([\w./:-]+))""")


def catalog_settings(response: TextResponse) -> dict[str, str]:
    """The fields of a catalog page's ``window.gkmlpt = {SID: …}`` (empty when the page has none).

    An ``SID`` counts only in a script that names the platform or on a page under ``/gkmlpt/``:
    other CMSes may have a variable of that name, and taking their lists for a catalog would
    lose them.
    """
    if isinstance(response, JsonResponse):  # a data answer, not a page: no scripts to read
        return {}
    on_platform = "/gkmlpt/" in urlsplit(response.url).path
    for script in response.xpath("//script[not(@src)]/text()").getall():
        if (match := _SETTINGS.search(script)) and (on_platform or "gkmlpt" in script):
            return {key: next(v for v in values if v is not None) for key, *values in _FIELD.findall(match.group(1))}
    return {}


def is_api_answer(response: TextResponse) -> bool:
    """Whether ``response`` answers the list API (asked by a catalog page, or a start URL itself)."""
    return bool(response.meta.get("gkmlpt")) or "/gkmlpt/api/" in urlsplit(response.url).path


def is_gkmlpt(response: TextResponse) -> bool:
    """Whether ``response`` is a gkmlpt catalog page or API answer (the fingerprints ``auto`` detects)."""
    return is_api_answer(response) or "SID" in catalog_settings(response)


def categories(spider: PortalSpider, response: TextResponse) -> list[str]:
    """The categories to list from this catalog page: its start URLs' fragments, else its category links.

    Several start URLs name one catalog page (``index#4277``, ``index#4278``); the page is
    fetched once (a fragment is no part of a request), so every category that names it is
    listed from it.
    """
    here = {canonicalize_url(u) for u in [response.url, *response.meta.get("redirect_urls", [])]}
    named = ([response.request.url] if response.request is not None else []) + spider.portal.start_urls
    found = [urlsplit(u).fragment for u in named if canonicalize_url(u) in here]
    if not any(found):
        found = [a.attrib.get("data-id") or urlsplit(response.urljoin(a.attrib["href"])).fragment
                 for a in response.xpath("//a[@href]")
                 if canonicalize_url(response.urljoin(a.attrib["href"])) in here]
    return [c for c in dict.fromkeys(found) if c.isdigit()]


def api_url(api: str, category: str, page: int, sid: str) -> str:
    """One page of a category's listing: ``{api}{category}?page=N&sid=SID``."""
    return f"{api}{category}?{urlencode({'page': page, 'sid': sid})}"


def gkmlpt_links(spider: PortalSpider, response: TextResponse) -> Iterator[ListLink]:
    """An API answer's articles; a catalog page lists none; any other page is read the generic way."""
    if not is_gkmlpt(response):
        yield from generic_links(spider, response)
    yield from api_links(spider, response)


def gkmlpt_pages(spider: PortalSpider, response: TextResponse) -> Iterator[scrapy.Request]:
    """The API pages of a catalog page or a first API page; any other page's pages the generic way."""
    if not is_gkmlpt(response):
        yield from generic_pages(spider, response)
    yield from api_pages(spider, response)


def api_links(spider: PortalSpider, response: TextResponse) -> Iterator[ListLink]:
    """The articles of an API answer, with the title and date the catalog would show; nothing for other pages."""
    if not is_api_answer(response):
        return
    for article in _answer(response).get("articles") or []:
        url = (article.get("url") or article.get("post_url")) if isinstance(article, dict) else None
        if isinstance(url, str) and url.strip():
            title = " ".join(str(article.get("title") or "").split())
            yield ListLink(response.urljoin(url.strip()), title, _article_date(article))


def api_pages(spider: PortalSpider, response: TextResponse) -> Iterator[scrapy.Request]:
    """A catalog page's first API page per category; a first API page's further pages (from ``total``).

    The further API pages and any other page yield nothing. The first page is ``page=1`` (the
    API takes 0 for the same page), so all further pages are known from its answer at once.
    """
    hops = response.meta.get("hops", 0)
    if is_api_answer(response):
        parts = urlsplit(response.url)
        query = dict(parse_qsl(parts.query))
        total = str(_answer(response).get("total", ""))
        if query.get("page", "1") not in ("0", "1") or not total.isdigit():
            return
        for page in range(2, min(-(-int(total) // PAGE_SIZE), spider.portal.limits.max_pages) + 1):
            url = urlunsplit(parts._replace(query=urlencode({**query, "page": page})))
            yield spider.list_request(url, hops=hops, pages=page, meta={"gkmlpt": "api"})
        return
    settings = catalog_settings(response)
    if "SID" not in settings:
        return
    base = urljoin(response.url, settings.get("API") or "api/all/")
    for category in categories(spider, response):
        yield spider.list_request(api_url(base, category, 1, settings["SID"]), hops=hops, pages=1,
                                  meta={"gkmlpt": "api"})


def _answer(response: TextResponse) -> dict[str, Any]:
    """The API's JSON object; a page that is not one is logged and lists nothing."""
    try:
        data = json.loads(response.text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        logger.warning("%s: not a gkmlpt API answer (JSON object expected)", response.url)
        return {}
    return data


def _article_date(article: dict[str, Any]) -> str | None:
    """The date an article is shown with: ``display_publish_time`` (epoch s or ms, China time), else ``created_at``."""
    stamp = article.get("display_publish_time") or article.get("create_time")
    if isinstance(stamp, int | float) and stamp > 0:
        seconds = stamp / 1000 if stamp > 10**11 else stamp
        return datetime.fromtimestamp(seconds, _CST).date().isoformat()
    return date_in(str(article.get("created_at") or ""))


class GkmlptSpider(PortalSpider):
    family = "gkmlpt"

    def list_links(self, response: TextResponse) -> Iterator[ListLink]:
        return gkmlpt_links(self, response)

    def list_pages(self, response: TextResponse) -> Iterator[scrapy.Request]:
        return gkmlpt_pages(self, response)
