"""A Hanweb column page with several units: each unit is paged by its own total, never another's."""

from __future__ import annotations

import scrapy
from scrapy.http import HtmlResponse

from spiders.hanweb import units

_PROXY = "/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&columnid=9&unitid={unit}&permissiontype=0"


def _unit(unit: str, records: int) -> str:
    rows = "".join(f'<record><![CDATA[<li><a href="/art/{unit}_{k}.html">报告{k}</a></li>]]></record>'
                   for k in range(records))
    return (f'<div id="{unit}"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="'
            f'{_PROXY.format(unit=unit)}"></a>]]></nextgroup><recordset>{rows}</recordset></datastore></script></div>')


def _page(body: str) -> HtmlResponse:
    html = f"<html><head><script>var site = 'x';</script></head><body>{body}</body></html>"
    url = "http://county.example/col/col9/index.html"
    return HtmlResponse(url, body=html.encode(), encoding="utf-8", request=scrapy.Request(url))


def test_each_unit_takes_the_total_of_the_script_naming_it() -> None:
    # As real pages bind them: a jQuery call on the unit's element, after both units.
    page = _page(_unit("7001", 3) + _unit("7002", 3)
                 + "<script>$('#7001').jpage({perPage: 3, totalRecord: '12'});"
                 + "$('#7002').jpage({perPage: 3, totalRecord: '40'});</script>")
    assert [total for _, total in units(page)] == [12, 40]


def test_a_units_total_is_read_from_the_scripts_that_follow_it() -> None:
    page = _page(_unit("7001", 3) + "<script>var totalRecord = 9;</script>"
                 + _unit("7002", 3) + "<script>var totalRecord = 31;</script>")
    assert [total for _, total in units(page)] == [9, 31]


def test_a_unit_with_no_total_of_its_own_is_left_to_the_probe() -> None:
    # The first unit's total must not be lent to the second: it would cut the second unit short.
    page = _page(_unit("7001", 3) + "<script>var totalRecord = 9;</script>" + _unit("7002", 3))
    assert [total for _, total in units(page)] == [9, None]


def test_a_one_unit_page_takes_the_page_wide_total() -> None:
    page = _page("<script>var totalRecord = 25;</script>" + _unit("7001", 3))
    assert [total for _, total in units(page)] == [25]
