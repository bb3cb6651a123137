"""The shared spider code on crafted responses: pager caps, split articles, link dating.

These are the spider's own callbacks fed real Scrapy responses built in the test (no
network): the behaviour a portal relies on when its pages are hostile or half broken.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse

from crawler.items import ReportGone, ReportPage
from spiders.base import PortalSpider, links_in
from tests.crawl.conftest import hantai_spider

HOST = "127.0.0.9"
MAX_PAGES = 5


@pytest.fixture
def spider(tmp_path: Path) -> PortalSpider:
    return hantai_spider(tmp_path, name="pager_test", host=HOST, max_pages=MAX_PAGES)


def page(url: str, html: str, status: int = 200, meta: dict | None = None, headers: dict | None = None) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=html.encode("utf-8"), encoding="utf-8", headers=headers,
                        request=scrapy.Request(url, meta=meta or {}))


@pytest.mark.parametrize(
    "script",
    [
        'createPageHTML(100000000, 0, "index", "html");',
        "createPageHTML('page_div', 100000000, 1, 'index', 'html', 1500000000);",
        "var countnum=1500000000; var currentPage=0; var countPage = 100000000;",
    ],
)
def test_a_huge_announced_page_count_is_capped_by_max_pages(spider: PortalSpider, script: str) -> None:
    response = page(f"http://{HOST}/zwgk/index.html", f"<html><body><script>{script}</script></body></html>",
                    meta={"role": "list", "hops": 0, "list_pages": 0})
    requests = list(spider.list_pages(response))
    urls = [r.url for r in requests]
    assert 0 < len(urls) <= MAX_PAGES
    assert all(url.startswith(f"http://{HOST}/zwgk/index_") for url in urls)
    assert spider.crawler.stats.get_value("crawl/pager_capped") == 1


def test_a_small_page_count_is_read_whole_and_not_counted_as_capped(spider: PortalSpider) -> None:
    response = page(f"http://{HOST}/zwgk/index.html",
                    '<script>createPageHTML(3, 0, "index", "html");</script>', meta={"list_pages": 0})
    urls = [r.url for r in spider.list_pages(response)]
    assert urls == [f"http://{HOST}/zwgk/index_1.html", f"http://{HOST}/zwgk/index_2.html"]
    assert spider.crawler.stats.get_value("crawl/pager_capped") is None


FIRST = f"http://{HOST}/zwgk/202403/t20240328_1.html"
SECOND = f"http://{HOST}/zwgk/202403/t20240328_1_1.html"
SPLIT = """<html><body><div class="TRS_Editor"><p>第一部分</p></div>
<script>createPageHTML(2, 0, "t20240328_1", "html");</script></body></html>"""


def _report_meta(**extra: object) -> dict:
    return {"role": "report", "hops": 1, "list_title": "2024年法治政府建设情况报告", **extra}


def test_a_split_article_asks_for_its_next_part_carrying_the_first(spider: PortalSpider) -> None:
    (request,) = spider.parse_report(page(FIRST, SPLIT, meta=_report_meta()))
    assert request.url == SECOND
    assert [url for url, _ in request.meta["parts"]] == [FIRST]


def test_a_redirected_part_stays_a_part_of_its_report(spider: PortalSpider) -> None:
    parts = [(FIRST, SPLIT.encode())]
    moved = SECOND.replace("http://", "https://")
    (request,) = spider.parse_report(page(SECOND, "", status=301, meta=_report_meta(parts=parts),
                                          headers={"Location": moved}))
    assert request.url == moved and request.meta["parts"] == parts
    (item,) = spider.parse_report(page(moved, "<html><body><p>第二部分</p></body></html>", meta=request.meta))
    assert isinstance(item, ReportPage)
    assert item.url == FIRST and item.urls == [FIRST, moved]


@pytest.mark.parametrize(("status", "headers"), [(404, {}), (302, {"Location": f"http://{HOST}/404.html"})])
def test_a_missing_part_is_a_counted_failure_not_a_removal(spider: PortalSpider, status: int, headers: dict) -> None:
    parts = [(FIRST, SPLIT.encode())]
    items = list(spider.parse_report(page(SECOND, "", status=status, meta=_report_meta(parts=parts), headers=headers)))
    assert not any(isinstance(item, (ReportGone, ReportPage)) for item in items)
    assert spider.crawler.stats.get_value("crawl/part_failed") == 1
    assert spider.crawler.stats.get_value("crawl/failed") == 1


def test_a_removed_single_page_report_is_gone(spider: PortalSpider) -> None:
    (item,) = spider.parse_report(page(FIRST, "", status=404, meta=_report_meta()))
    assert isinstance(item, ReportGone) and item.url == FIRST


def test_each_link_of_a_fragment_is_dated_by_its_own_row() -> None:
    fragment = ('<ul><li><a href="/art/1.html" title="甲">甲</a><span>2024-03-28</span></li>'
                '<li><a href="/art/2.html" title="乙">乙</a><span>2023-03-30</span></li></ul>')
    links = list(links_in(fragment, f"http://{HOST}/col/col1/index.html"))
    assert [(link.url, link.date) for link in links] == [
        (f"http://{HOST}/art/1.html", "2024-03-28"),
        (f"http://{HOST}/art/2.html", "2023-03-30"),
    ]


def test_a_bare_link_is_dated_by_its_fragment() -> None:
    (link,) = links_in('<a href="/art/1.html">甲</a><b>2024-03-28</b>', f"http://{HOST}/")
    assert link.date == "2024-03-28" and link.title == "甲"


# A list page as real portals have them: a long menu, a side bar of another column's latest
# articles (same URL shape, dated too, more of them than this last page has), a footer.
LIST_PAGE = f"""<html><body>
<div class="nav"><ul>{"".join(f'<li><a href="/zwgk/c{n}/index.html">栏目{n}</a></li>' for n in range(12))}
<li><a href="/zwgk/fzzfjs/index.html">法治政府建设</a></li></ul></div>
<div class="side"><ul><li><a href="/zwgk/qxdt/202401/t20240105_9.html">法治政府建设工作推进会</a>01-05</li>
<li><a href="/zwgk/qxdt/202401/t20240102_8.html">普法宣传进社区</a>01-02</li>
<li><a href="/zwgk/qxdt/202312/t20231231_7.html">法治建设观摩会</a>12-31</li>
<li><a href="/zwgk/qxdt/202312/t20231230_6.html">法治建设培训会</a>12-30</li></ul></div>
<div class="list"><ul>
<li><a href="./202403/t20240328_3.html">某县2023年度法治政府建设情况报告</a><span>2024-03-28</span></li>
<li><a ms-attr-href="./202402/t20240210_2.html">某县2024年法治政府建设工作要点</a><span>02-10</span></li>
<li><a href="./202401/t20240101_1.html"><img alt="某县司法局2023年法治建设工作总结"></a><span>[2024-01-01]</span></li>
</ul>
<div class="pager"><a href="javascript:goPage(2)">下一页</a></div>
<div style="display:none"><a href="index_3.htm">2</a><a href="index_2.htm">3</a><a href="index_1.htm">4</a></div>
<script>function goPage(n){{switch(n){{case 5:location.href='index_0.htm';break;}}}}</script>
</div>
<div class="footer"><p><a href="/about.html">关于我们</a> <a href="/map.html">网站地图</a></p></div>
</body></html>"""


def test_list_items_are_the_dated_main_list_not_menu_side_bar_or_footer(spider: PortalSpider) -> None:
    base = f"http://{HOST}/zwgk/fzzfjs/index.htm"
    links = list(spider.list_links(page(base, LIST_PAGE)))
    items = [link for link in links if not spider.is_list_url(link.url)]
    assert [link.url for link in items] == [f"http://{HOST}/zwgk/fzzfjs/{p}" for p in (
        "202403/t20240328_3.html", "202402/t20240210_2.html", "202401/t20240101_1.html")]
    assert [link.title for link in items][2] == "某县司法局2023年法治建设工作总结", "a title in the image's alt"
    assert items[0].date == "2024-03-28"
    # Menu links to list pages are offered for following (parse_list follows those named like reports).
    assert f"http://{HOST}/zwgk/fzzfjs/index.html" in {link.url for link in links}


def test_hidden_numbered_page_links_and_script_pages_are_followed(spider: PortalSpider) -> None:
    base = f"http://{HOST}/zwgk/fzzfjs/index.htm"
    urls = {request.url for request in spider.list_pages(page(base, LIST_PAGE))}
    assert urls == {f"http://{HOST}/zwgk/fzzfjs/index_{n}.htm" for n in range(4)}, "no menu page, no javascript:"


def test_a_trs_search_config_asks_the_pages_after_the_static_groups_by_post(spider: PortalSpider) -> None:
    from spiders.trs import trs_search_pages

    html = ("<html><body><div class='list'><script>var listConfig = {recordCount:'23', prepage:5, "
            "searchUrl:'/was5/web/search', channelid:'4711', staticPages:2};</script></div></body></html>")
    requests = list(trs_search_pages(spider, page(f"http://{HOST}/zwgk/fzzfjs/index.html", html)))
    assert [r.url for r in requests] == [f"http://{HOST}/was5/web/search?channelid=4711&page={n}&prepage=5"
                                         for n in (3, 4, 5)]
    assert {r.method for r in requests} == {"POST"}
    assert requests[0].body == b"channelid=4711&page=3&prepage=5"
    assert all(r.meta["trs_search"] and r.meta["role"] == "list" for r in requests)


@pytest.mark.parametrize("call", ['setPage(4, 0, "index", "shtml");', "pager.show('page_div', 4, 1, 'dc_list', 'html', 40);"])
def test_a_pager_is_known_by_its_arguments_whatever_its_name(spider: PortalSpider, call: str) -> None:
    html = f"<html><body><script>function setPage(a, b, c, d){{}} {call}</script></body></html>"
    urls = {request.url for request in spider.list_pages(page(f"http://{HOST}/zwgk/", html))}
    assert len(urls) == 4, urls
