"""Item pipelines: extraction, then attachments, then the archive.

* :class:`ExtractionPipeline` runs the one extraction (:func:`crawler.extract.extract`) with
  the portal's ``[extract]`` rules and encoding, stitches a multi-page article into one text,
  and drops what the extraction says is not an annual rule-of-law report (news, work plans,
  解读, 信息公开年报) — the second half of candidate selection after the spider's title filter.
* :class:`AttachmentPipeline` downloads a report's PDF/DOCX attachments through the engine
  (so they pass the same offsite, robots and retry middlewares) and extracts their text; a
  report published only as an attachment gets the attachment's text.
* :class:`ArchivePipeline` records the report (new document, new version, unchanged or
  duplicate), a 304 sighting, or a removal, and counts the outcome into the crawl's stats.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import pickle
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from parsel.csstranslator import css2xpath
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

import crawler.extract as extraction_package
from crawler.extensions import ArchiveRun
from crawler.extract import AttachmentText, ChromeRules, Extraction, extract, extract_attachment
from crawler.extract.classify import classify
from crawler.items import ReportGone, ReportNotModified, ReportPage
from crawler.memo import cache_subdir, source_fingerprint, write_atomically
from crawler.regions import Region
from crawler.textnorm import canonical_text, content_hash

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from storage.records import AttachmentRecord

logger = logging.getLogger(__name__)

REPORT_KIND = "annual_rule_of_law_report"
# Attachment types worth downloading, and how many per report at most.
READ_ATTACHMENTS = ("pdf", "docx", "doc", "wps")
MAX_ATTACHMENTS = 8
# A page whose own text is shorter than this is a cover for its attachment ("详见附件").
COVER_PAGE_CHARS = 200


class Extractions:
    """What the extraction made of a page before, keyed by its URL, bytes and the extraction that read it.

    The extraction is a pure function, so the same bytes at the same URL under the same rules
    and the same extraction code give the same result: the many news and work-plan pages met
    again on a sweep night are rejected by a hash instead of a parse, and a cover page whose
    attachment is re-checked every night (it may change under an unchanged page) is not parsed
    again either. Stored pickled, beside (and as trusted as) Scrapy's own pickled HTTP cache.
    """

    def __init__(self, directory: Path, context: str) -> None:
        self.directory = directory
        self.context = hashlib.sha256(f"{extraction_fingerprint()}\n{context}".encode()).hexdigest()

    def get(self, item: ReportPage) -> Extraction | None:
        path = self._path(item)
        return pickle.loads(path.read_bytes()) if path.exists() else None

    def put(self, item: ReportPage, extraction: Extraction) -> None:
        write_atomically(self._path(item), pickle.dumps(extraction, protocol=pickle.HIGHEST_PROTOCOL))

    def _path(self, item: ReportPage) -> Path:
        digest = hashlib.sha256(f"{self.context}\n{item.content_type or ''}".encode())
        for url, body in zip(item.urls, item.bodies, strict=True):
            digest.update(url.encode() + b"\0" + hashlib.sha256(body).digest())
        key = digest.hexdigest()
        return self.directory / key[:2] / f"{key}.pickle"


@functools.cache
def extraction_fingerprint() -> str:
    """A hash of the extraction's source: a changed extraction invalidates every stored verdict."""
    return source_fingerprint(extraction_package)


class ExtractionPipeline:
    """Extract (and stitch) a report page; drop pages that are not reports, with their kind."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.rules = ChromeRules.default()
        self.encoding: str | None = None
        self.extractions: Extractions | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        portal = getattr(self.crawler.spider, "portal", None)
        if portal is not None:
            self.encoding = portal.encoding
            body = portal.extract.body_xpath or (portal.selectors.body and _as_xpath(portal.selectors.body))
            self.rules = ChromeRules.default().extend(
                text=portal.extract.chrome_text, xpath=portal.extract.chrome_xpath, body_xpath=body
            )
        if (directory := cache_subdir(self.crawler.settings, "extractions")) is not None:
            context = json.dumps([self.encoding, self.rules.text_patterns, self.rules.chrome_xpath, self.rules.body_xpath])
            self.extractions = Extractions(directory, context)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ReportPage):
            return item
        extraction = self.extractions.get(item) if self.extractions is not None else None
        if extraction is None:
            extraction = self.stitch(item)
            if self.extractions is not None:
                self.extractions.put(item, extraction)
        item.extraction = extraction
        if "soft_404" in extraction.problems:
            return ReportGone(item.portal, item.url, item.fetched_at, item.status, "soft 404 (page says not found)")
        if extraction.kind != REPORT_KIND and not self._maybe_attachment_report(extraction):
            self._reject(item, extraction.kind,
                         f"not a report: kind={extraction.kind} title={extraction.title!r} url={item.url}")
        return item

    def _reject(self, item: ReportPage, kind: str, reason: str) -> None:
        self.crawler.stats.inc_value("crawl/rejected_by_kind")
        self.crawler.stats.inc_value(f"crawl/rejected_by_kind/{kind}")
        self._log_rejected(item)
        raise DropItem(reason, log_level="INFO")

    def stitch(self, item: ReportPage) -> Extraction:
        """One extraction for all parts: the first part's metadata, every part's paragraphs."""
        parts = [
            extract(body, url, item.content_type, encoding=self.encoding, rules=self.rules)
            for body, url in zip(item.bodies, item.urls, strict=True)
        ]
        first = parts[0]
        if len(parts) > 1:
            first.paragraphs = [p for part in parts for p in part.paragraphs]
            first.text = canonical_text(first.paragraphs)
            first.content_hash = content_hash(first.text) if first.text else None
            first.attachments = [a for part in parts for a in part.attachments]
        return first

    def _maybe_attachment_report(self, extraction: Extraction) -> bool:
        """A near-empty page titled like a report with attachments: decided after the attachments are read."""
        return (
            len(extraction.text) < COVER_PAGE_CHARS
            and bool(extraction.attachments)
            and classify(extraction.title, [extraction.title or "-"]) == REPORT_KIND
        )

    def _log_rejected(self, item: ReportPage) -> None:
        run = self.crawler.get_extension(ArchiveRun)
        if run is not None:
            run.log_fetch(item.url, status=item.status, etag=item.etag, last_modified=item.last_modified,
                          size=sum(map(len, item.bodies)))


def _as_xpath(selector: str) -> str:
    """A ``[selectors]`` value as XPath (the extraction's rules are XPath; selectors may be CSS)."""
    return selector if selector.startswith(("/", "(")) else css2xpath(selector)


class AttachmentTexts:
    """Extracted attachment texts on disk, keyed by the file's bytes and the extraction's code.

    Reading a PDF is the most expensive step of a crawl (pdfminer, ~0.5 s a file), and an
    unchanged night revalidates every attachment of a cover-page report through the HTTP cache
    only to get the same bytes back. Keyed by content, a stored text is right whatever URL,
    night or crash it came from.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, body: bytes) -> AttachmentText | None:
        path = self._path(body)
        if not path.exists():
            return None
        return AttachmentText(**json.loads(path.read_text(encoding="utf-8")))

    def put(self, body: bytes, text: AttachmentText) -> None:
        write_atomically(self._path(body), json.dumps(text.to_dict(), ensure_ascii=False))

    def _path(self, body: bytes) -> Path:
        # The extraction's fingerprint is part of the key: a changed attachment reader (or a
        # changed AttachmentText) reads the file again instead of trusting an old verdict.
        digest = hashlib.sha256(extraction_fingerprint().encode() + b"\0")
        digest.update(body)
        key = digest.hexdigest()
        return self.directory / key[:2] / f"{key}.json"


class AttachmentPipeline:
    """Fetch and read a report's attachments; give a cover page its attachment's text."""

    def __init__(self, crawler: Crawler, texts: AttachmentTexts | None) -> None:
        self.crawler = crawler
        self.texts = texts
        # pdfminer logs every glyph at DEBUG; under Scrapy's root logger that costs more than the parsing.
        logging.getLogger("pdfminer").setLevel(logging.WARNING)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        directory = cache_subdir(crawler.settings, "attachment-texts")
        return cls(crawler, AttachmentTexts(directory) if directory is not None else None)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ReportPage):
            return item
        extraction: Extraction = item.extraction
        wanted = [a for a in extraction.attachments if a.type in READ_ATTACHMENTS][:MAX_ATTACHMENTS]
        for attachment in wanted:
            item.attachments.append(await self.read(attachment.url, attachment.name, attachment.type, item.url))
        if len(extraction.text) < COVER_PAGE_CHARS:
            self.use_attachment_text(item)
        if extraction.kind != REPORT_KIND:
            self.crawler.stats.inc_value("crawl/rejected_by_kind")
            self.crawler.stats.inc_value(f"crawl/rejected_by_kind/{extraction.kind}")
            raise DropItem(f"not a report: kind={extraction.kind} (cover page): {item.url}", log_level="INFO")
        return item

    @staticmethod
    def use_attachment_text(item: ReportPage) -> None:
        """A cover page ("全文详见附件") stands for its attachment: the report's text is the attachment's."""
        extraction: Extraction = item.extraction
        texts = [a.text for a in item.attachments if a.status == "ok" and a.text]
        if not texts:
            return
        extraction.paragraphs = [p for text in texts for p in text.split("\n")]
        extraction.text = canonical_text(extraction.paragraphs)
        extraction.content_hash = content_hash(extraction.text)
        item.text_from = "attachments"
        if extraction.kind != REPORT_KIND:
            extraction.kind = classify(extraction.title, extraction.paragraphs)

    async def read(self, url: str, name: str | None, kind: str, referer: str) -> AttachmentRecord:
        from storage.records import AttachmentRecord

        request = Request(url, meta={"role": "attachment", "handle_httpstatus_all": True})
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # noqa: BLE001 - any failed download (refused, timeout, reset, too large, off-site)
            # One unreadable attachment must not cost the report: the page is archived without it.
            logger.warning("attachment %s of %s not downloaded: %s: %s", url, referer, type(exc).__name__, exc)
            self.crawler.stats.inc_value("crawl/attachment_errors")
            return AttachmentRecord(url=url, name=name, type=kind, status="error")
        self.crawler.stats.inc_value("crawl/attachments")
        if response.status != 200:
            logger.warning("attachment %s of %s: HTTP %s", url, referer, response.status)
            self.crawler.stats.inc_value("crawl/attachment_errors")
            return AttachmentRecord(url=url, name=name, type=kind, status="error")
        content_type = response.headers.get("Content-Type")
        result = self.texts.get(response.body) if self.texts else None
        if result is None:
            # Reading a PDF takes pdfminer about half a second: in a reactor thread it would stall
            # every portal's downloads meanwhile, so it runs in Twisted's thread pool.
            result = await maybe_deferred_to_future(threads.deferToThread(
                extract_attachment, response.body, url, content_type.decode("latin-1") if content_type else None
            ))
            if self.texts and result.status == "ok":
                self.texts.put(response.body, result)
        if result.status != "ok":
            logger.info("attachment %s: %s", url, result.error)
        return AttachmentRecord(
            url=url, name=name, type=result.type, content_hash=result.content_hash, text=result.text or None, status=result.status
        )


class ArchivePipeline:
    """Record reports, 304 sightings and removals in the archive; count outcomes as ``archive/*`` stats."""

    def __init__(self, crawler: Crawler, run: ArchiveRun | None) -> None:
        self.crawler = crawler
        self.run = run
        self.portal: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.get_extension(ArchiveRun))

    def open_spider(self) -> None:
        self.portal = getattr(self.crawler.spider, "portal", None)

    def process_item(self, item: Any) -> Any:
        stats = self.crawler.stats
        if isinstance(item, ReportPage):
            stats.inc_value("crawl/reports")
        if self.run is None or self.run.archive is None:
            return item
        archive = self.run.archive
        if isinstance(item, ReportPage):
            result = archive.record(self.report_record(item))
            stats.inc_value(f"archive/{result.outcome.value}")
            logger.debug("%s: %s (document %s)", item.url, result.outcome.value, result.document_id)
        elif isinstance(item, ReportNotModified):
            stats.inc_value("archive/not_modified")
            self.run.log_fetch(item.url, status=304, etag=item.etag, last_modified=item.last_modified, size=0)
        elif isinstance(item, ReportGone):
            self.run.log_fetch(item.url, status=item.status, error=item.reason)
            if archive.mark_removed(item.url, item.fetched_at, item.reason):
                stats.inc_value("archive/removed")
                logger.info("%s removed: %s", item.url, item.reason)
            else:
                stats.inc_value("crawl/broken_links")
        return item

    def report_record(self, item: ReportPage) -> Any:
        from storage.records import ReportRecord

        extraction: Extraction = item.extraction
        metadata = {
            "list_title": item.list_title,
            "list_date": item.list_date,
            "found_on": item.referer,
            "parts": item.urls if len(item.urls) > 1 else None,
            "text_from": item.text_from,
            "signed": extraction.signed,
            "published_precision": extraction.published_precision,
            "encoding": extraction.encoding,
            "chrome_removed": extraction.chrome_removed,
            "problems": extraction.problems,
        }
        return ReportRecord(
            portal=item.portal,
            url=item.url,
            fetched_at=item.fetched_at,
            run_id=self.run.run_id if self.run else None,
            title=extraction.title or item.list_title,
            text=extraction.text,
            content_hash=extraction.content_hash or content_hash(extraction.text),
            published=date.fromisoformat(extraction.published) if extraction.published else None,
            report_year=extraction.report_year,
            # The page's own county first; else the portal's (a county portal speaks of itself).
            region=extraction.region or (self.portal and Region(**self.portal.region.model_dump()).full_name),
            region_code=extraction.region_code or (self.portal and self.portal.region.code),
            issuer=extraction.issuer,
            index_no=extraction.index_no,
            doc_no=extraction.doc_no,
            subject=extraction.subject,
            kind=extraction.kind,
            metadata={k: v for k, v in metadata.items() if v not in (None, [], "")},
            # Validators only for a report wholly on its page: a portal can swap an attachment or
            # edit page 2 under an unchanged page 1, so such reports are revalidated part by part
            # through the HTTP cache instead (unchanged parts still cost only 304s).
            etag=item.etag if item.self_contained else None,
            last_modified=item.last_modified if item.self_contained else None,
            http_status=item.status,
            bytes=sum(map(len, item.bodies)),
            attachments=tuple(item.attachments),
        )
