"""Report records as the crawl pipeline builds them, for the archive tests and their child processes."""

from __future__ import annotations

import datetime as dt

from crawler.textnorm import content_hash
from storage.records import ReportRecord

T0 = dt.datetime(2024, 3, 20, 2, 30, tzinfo=dt.UTC)


def report(url: str, text: str, *, at: dt.datetime = T0, portal: str | None = "sim_trs_0001", **fields) -> ReportRecord:
    """A report record as the crawl pipeline builds it: the hash always from crawler.textnorm."""
    return ReportRecord(portal=portal, url=url, fetched_at=at, text=text, content_hash=content_hash(text), **fields)


def report_text(topic: str, paragraphs: int = 12) -> str:
    """A report-like text long enough for MinHash; ``topic`` makes texts differ in every paragraph."""
    return "\n".join(
        f"{topic}第{i}项：全面推进依法行政，深化行政复议体制改革，落实普法责任制，第{i}年度{topic}工作取得实效。"
        for i in range(1, paragraphs + 1)
    )
