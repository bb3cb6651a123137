"""What the spider read on a page, kept for the nights the server calls the page unchanged.

Reading a list page — decoding it, parsing it, finding its main list, its pager and its links
to other columns — was the largest part of an unchanged night's own work (a sixth of it),
done again on pages whose bytes had not changed since the night before; finding the further
parts of a split report on its first page was the next. A reading is a pure function of the
page (URL, Content-Type, bytes), of the request meta the family readers look at
(:data:`READER_META`), of the portal's config and of the code that reads it, so it is kept
under a key of all of them and used again when the HTTP cache says the
page is unchanged. What the spider then does with what it read (titles against keywords,
hops, the sweep) is decided afresh every night.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import lxml.etree
import parsel
import scrapy
from scrapy.utils.request import request_from_dict

import crawler.extract.encoding
import spiders
from crawler.memo import source_fingerprint, write_atomically

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.http import TextResponse

    from spiders.base import ListLink, PortalSpider

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A reading not used for this many days is dropped: a page that left the portal's lists.
KEEP_DAYS = 30

# The request meta the family readers read (hop count, pager state, which answer of a proxy,
# a search or an API a page is): a page is read once per their values. A reader that starts
# reading another meta key adds it here.
READER_META = ("hops", "list_pages", "dataproxy", "nextgroup", "trs_search", "gkmlpt", "redirect_urls")


@dataclass(frozen=True)
class ListReading:
    """What a list page was read as: its links, its further pages and the family that read it."""

    links: list[ListLink]
    pages: list[dict[str, Any]]  # further list pages, as ``Request.to_dict``
    family: str

    def requests(self, spider: PortalSpider) -> list[scrapy.Request]:
        """The further pages as requests of ``spider`` (callbacks found by name)."""
        return [request_from_dict(page, spider=spider) for page in self.pages]


class Readings:
    """A portal spider's readings, by kind (``"list"``, ``"parts"``) and page, in one file per
    portal beside the HTTP cache (none are kept without one).

    One file, read at the portal's first page and written when its crawl closes: a file per
    page cost the first night more than the readings save (creating thousands of small files
    was 5 % of its time). A reading unused for :data:`KEEP_DAYS` is dropped at the next write,
    so pages that left the portal do not pile up; a crawl killed outright writes nothing, and
    its pages are read afresh the next night.
    """

    def __init__(self, directory: Path | None, spider: PortalSpider) -> None:
        self.path = directory / f"{spider.portal.name}.pickle" if directory is not None else None
        self.today = spider.now().toordinal()  # the crawl's day, for KEEP_DAYS
        self.stats = spider.crawler.stats
        self.context = json.dumps([
            _code_fingerprint(), scrapy.__version__, parsel.__version__, lxml.etree.LXML_VERSION,
            type(spider).family, spider.portal.model_dump(mode="json"),
        ], sort_keys=True)
        self._kept: dict[str, tuple[Any, dict[str, Any], int]] | None = None  # key -> (reading, counted, day last used)

    def read(self, kind: str, response: TextResponse, read: Callable[[], T], *args: Any) -> T:
        """``read()`` of ``response``; for a page the HTTP cache says is unchanged, what it gave
        on that page last time with the same ``args`` (whatever else the reading depends on:
        JSON values).

        The stats ``read`` counted are kept with what it gave, and counted again when that is
        used: a kept reading counts on its night what a fresh one would (``crawl/pager_capped`` …).
        """
        if self.path is None:
            return read()
        kept = self._load()
        key = self._key(kind, response, args)
        if "cached" in response.flags and key in kept:
            value, counted, _ = kept[key]
            kept[key] = (value, counted, self.today)
            for name, count in counted.items():
                if isinstance(count, int):
                    self.stats.inc_value(name, count)
                else:
                    self.stats.set_value(name, count)
            self.stats.inc_value(f"crawl/readings_reused/{kind}")
            return value
        before = dict(self.stats.get_stats())
        value = read()
        counted = {name: count - before.get(name, 0) if isinstance(count, int) else count
                   for name, count in self.stats.get_stats().items() if count != before.get(name)}
        kept[key] = (value, counted, self.today)
        return value

    def save(self) -> None:
        """Write the portal's readings, less those unused for :data:`KEEP_DAYS` (the spider's ``closed``)."""
        if self.path is None or self._kept is None:
            return
        oldest = self.today - KEEP_DAYS
        readings = {key: entry for key, entry in self._kept.items() if entry[2] >= oldest}
        write_atomically(self.path, pickle.dumps({"context": self.context, "readings": readings},
                                                 protocol=pickle.HIGHEST_PROTOCOL))

    def _load(self) -> dict[str, tuple[Any, dict[str, Any], int]]:
        """The portal's kept readings; none from a file this code cannot read (another release's)."""
        if self._kept is None:
            try:
                stored = pickle.loads(self.path.read_bytes()) if self.path.exists() else {}
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError) as exc:
                logger.warning("%s: kept readings not usable (%s); the portal's pages are read afresh",
                               self.path, exc)
                stored = {}
            self._kept = stored["readings"] if isinstance(stored, dict) and stored.get("context") == self.context else {}
        return self._kept

    @staticmethod
    def _key(kind: str, response: TextResponse, args: tuple[Any, ...]) -> str:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        digest = hashlib.sha256(json.dumps([kind, args, response.url, content_type], sort_keys=True).encode())
        digest.update(hashlib.sha256(response.body).digest())
        return digest.hexdigest()


def reader_meta(response: TextResponse) -> dict[str, Any]:
    """The request meta of ``response`` its family readers read (:data:`READER_META`)."""
    return {key: response.meta[key] for key in READER_META if key in response.meta}


@functools.cache
def _code_fingerprint() -> str:
    """The spiders' source and the decoding they read pages with."""
    return source_fingerprint(spiders, crawler.extract.encoding)
