"""A page the server calls unchanged is not read again: what the spider read on it last time
(a list page's links and pages, a split report's further parts) is used, and the night does
exactly what a fresh reading would have made it do.

The unit tests feed the spider's own ``parse_list`` crafted responses (the ``cached`` flag is
what the HTTP cache sets on a page revalidated with a 304); the farm test crawls an unchanged
night twice from the same archive, once with the kept readings and once without.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse
from sqlalchemy import select

from spiders.base import PortalSpider
from storage.models import Fetch, Run
from tests.crawl.conftest import CRAWL_TIMEOUT, Workspace, hantai_spider
from tests.farm import running_farm

HOST = "127.0.0.9"
URL = f"http://{HOST}/zwgk/index.html"
LIST = """<html><body><ul class="list">
<li><a href="./202403/t20240328_1.html">汉台区2023年法治政府建设情况报告</a><span>2024-03-28</span></li>
<li><a href="./202402/t20240201_2.html">关于春节值班的通知</a><span>2024-02-01</span></li>
<li><a href="./202401/t20240110_3.html">{third}</a><span>2024-01-10</span></li>
</ul><script>createPageHTML(50, 0, "index", "html");</script></body></html>"""


def night_spider(directory: Path, day: str = "2025-06-01") -> PortalSpider:
    """The test portal's spider on the night of ``day``, its HTTP cache (and readings) in ``directory``."""
    spider = hantai_spider(directory, name="readings_test", host=HOST, max_pages=3,
                           settings={"HTTPCACHE_ENABLED": True, "HTTPCACHE_DIR": str(directory / "cache"),
                                     "CRAWL_AS_OF": f"{day}T02:00:00+08:00"})
    spider.sweep_lists = True
    return spider


@pytest.fixture
def spider(tmp_path: Path) -> PortalSpider:
    return night_spider(tmp_path)


def list_page(third: str = "汉台区2022年法治政府建设情况报告", *, cached: bool, hops: int = 0) -> HtmlResponse:
    return HtmlResponse(URL, body=LIST.format(third=third).encode("utf-8"), encoding="utf-8",
                        flags=["cached"] if cached else [],
                        request=scrapy.Request(URL, meta={"role": "list", "hops": hops, "list_pages": 0}))


def made(requests: list[scrapy.Request]) -> list[tuple]:
    return [(r.url, r.method, r.body, r.callback.__name__, sorted(r.meta.items())) for r in requests]


def test_an_unchanged_list_is_not_read_again_and_makes_the_same_requests(spider: PortalSpider) -> None:
    fresh = list(spider.parse_list(list_page(cached=False)))
    kept = list(spider.parse_list(list_page(cached=True)))
    stats = spider.crawler.stats
    assert stats.get_value("crawl/readings_reused/list") == 1
    assert [r.meta["list_unchanged"] for r in kept if r.meta["role"] == "report"] == [True, True]
    for request in kept:
        request.meta.pop("list_unchanged", None)
    for request in fresh:
        request.meta.pop("list_unchanged", None)
    assert made(kept) == made(fresh)
    # Two report candidates by title, two further pages (the pager's 50 capped at max_pages 3).
    assert [r.meta["role"] for r in kept] == ["report", "report", "list", "list"]
    # What the reading counted is counted on the night it is used too.
    assert stats.get_value("crawl/pager_capped") == 2
    assert stats.get_value("crawl/candidates") == 4
    assert stats.get_value("crawl/rejected_by_title") == 2


def test_a_changed_list_or_another_hop_is_read_afresh(spider: PortalSpider) -> None:
    list(spider.parse_list(list_page(cached=False)))
    changed = list(spider.parse_list(list_page("关于印发工作要点的通知", cached=True)))
    assert spider.crawler.stats.get_value("crawl/readings_reused/list") is None
    assert [r.meta["role"] for r in changed] == ["report", "list", "list"]
    deeper = list(spider.parse_list(list_page(cached=True, hops=1)))
    assert spider.crawler.stats.get_value("crawl/readings_reused/list") is None
    assert all(r.meta["hops"] == 2 for r in deeper if r.meta["role"] == "report")


def test_readings_are_kept_from_one_crawl_to_the_next_and_dropped_when_long_unused(tmp_path: Path) -> None:
    first = night_spider(tmp_path, "2025-06-01")
    list(first.parse_list(list_page(cached=False)))
    first.readings.save()
    second = night_spider(tmp_path, "2025-06-02")
    list(second.parse_list(list_page(cached=True)))
    assert second.crawler.stats.get_value("crawl/readings_reused/list") == 1
    second.readings.save()
    # Forty days on, the portal's crawl reads another page only: the old reading is dropped.
    later = night_spider(tmp_path, "2025-07-12")
    list(later.parse_list(list_page("关于印发工作要点的通知", cached=False)))
    later.readings.save()
    last = night_spider(tmp_path, "2025-07-13")
    list(last.parse_list(list_page(cached=True)))
    assert last.crawler.stats.get_value("crawl/readings_reused/list") is None


def test_an_unreadable_readings_file_is_read_afresh_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = night_spider(tmp_path)
    list(first.parse_list(list_page(cached=False)))
    first.readings.save()
    first.readings.path.write_bytes(b"\x80\x05not a pickle")
    second = night_spider(tmp_path, "2025-06-02")
    requests = list(second.parse_list(list_page(cached=True)))
    assert [r.meta["role"] for r in requests] == ["report", "report", "list", "list"]
    assert second.crawler.stats.get_value("crawl/readings_reused/list") is None
    assert "readings_test.pickle: kept readings not usable" in caplog.text


def test_a_list_that_was_not_revalidated_is_read_even_with_a_kept_reading(spider: PortalSpider) -> None:
    list(spider.parse_list(list_page(cached=False)))
    list(spider.parse_list(list_page(cached=False)))
    assert spider.crawler.stats.get_value("crawl/readings_reused/list") is None


SPLIT = f"http://{HOST}/zwgk/202403/t20240328_1.html"
SPLIT_PAGE = """<html><body><div class="content">第一部分……</div>
<script>createPageHTML(40, 0, "t20240328_1", "html");</script>
<a href="t20240328_1_1.html">2</a><a href="t20240328_1_1.html">下一页</a></body></html>"""


def report_page(*, cached: bool, hops: int = 1) -> HtmlResponse:
    return HtmlResponse(SPLIT, body=SPLIT_PAGE.encode("utf-8"), encoding="utf-8", flags=["cached"] if cached else [],
                        request=scrapy.Request(SPLIT, meta={"role": "report", "hops": hops}))


def test_an_unchanged_split_report_is_not_read_again_for_its_parts(spider: PortalSpider) -> None:
    # Found as a candidate one night, re-checked from the archive (hop 0) the next.
    fresh = spider.article_parts(report_page(cached=False), SPLIT)
    kept = spider.article_parts(report_page(cached=True, hops=0), SPLIT)
    assert fresh == kept == [f"http://{HOST}/zwgk/202403/t20240328_1_{n}.html" for n in (1, 2)]
    stats = spider.crawler.stats
    assert stats.get_value("crawl/readings_reused/parts") == 1
    assert stats.get_value("crawl/pager_capped") == 2  # 40 pages announced, max_pages 3: counted both nights
    # The part request the spider makes from the kept reading is the one it made from a fresh one.
    first = next(iter(spider.parse_report(report_page(cached=True))))
    assert first.url == f"http://{HOST}/zwgk/202403/t20240328_1_1.html"


def night_log(workspace: Workspace) -> list[tuple]:
    """The last night's fetch log, portal by portal: what was asked for and what came back."""
    with workspace.engine().connect() as connection:
        last = connection.execute(select(Run.id).where(Run.portal.is_(None)).order_by(Run.id.desc())).first()[0]
        rows = connection.execute(select(Run.portal, Fetch.url, Fetch.http_status, Fetch.not_modified, Fetch.bytes)
                                  .join(Run, Run.id == Fetch.run_id).where(Run.id > last)).all()
    return sorted(tuple(row) for row in rows)


def crawl_unchanged_night(workspace: Workspace) -> tuple[dict, int]:
    """Night 1 with every list read to its end (its links and its pager used, not only its column
    links): the summary, and how many list readings were used again (from the stats at INFO)."""
    command = workspace.crawl_command("--all", "--set", "LIST_SWEEP_DAYS=1", "--log-level", "INFO", night=1)
    result = subprocess.run(command, capture_output=True, text=True, timeout=CRAWL_TIMEOUT)
    assert result.returncode == 0, result.stderr[-4000:]
    reused = re.findall(r"'crawl/readings_reused/list': (\d+)", result.stderr)
    return json.loads(result.stdout), sum(map(int, reused))


def test_an_unchanged_night_with_kept_readings_does_what_fresh_readings_do(tmp_path: Path) -> None:
    kept, fresh = Workspace(tmp_path / "kept"), Workspace(tmp_path / "fresh")
    with running_farm(portals=4, seed=5, night=0) as farm:
        farm.write_portals(kept.portals_dir)
        kept.crawl()
        port = farm.port
    shutil.copytree(kept.root, fresh.root)
    shutil.rmtree(fresh.cache_dir / "readings")
    with running_farm(portals=4, seed=5, night=1, port=port):
        kept_summary, kept_reused = crawl_unchanged_night(kept)
        fresh_summary, fresh_reused = crawl_unchanged_night(fresh)
    assert fresh_reused == 0
    assert kept_reused >= 10
    assert kept_summary["not_modified"] > 0 and kept_summary["pages_fetched"] > 20
    for summary in (kept_summary, fresh_summary):
        del summary["run_id"]
    assert kept_summary == fresh_summary
    assert night_log(kept) == night_log(fresh)
