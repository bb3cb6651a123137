"""The portal-level list variants and the manifest's ``variants`` and ``lists``, read off the wire.

The pages are read with lxml here, not with the spiders' readers, so these tests check what
the farm serves against what its manifest claims (tests/crawl/test_variants.py checks the
spiders against the same manifest).
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import pytest

from crawler.sim import Farm
from crawler.sim.farm import PORTAL_VARIANTS, VARIANT_BLOCK
from tests.farm import RunningFarm, fetch, running_farm

POST_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _portal(manifest: dict, variant: str) -> dict:
    return next(p for p in manifest["portals"] if variant in p["variants"])


def _tree(url: str, encoding: str, method: str = "GET") -> lxml.html.HtmlElement:
    answer = fetch(url, method=method, body=b"" if method == "POST" else None,
                   headers=POST_FORM if method == "POST" else None)
    assert answer.status == 200, url
    return lxml.html.document_fromstring(answer.body.decode(encoding), base_url=url)


def _targets(tree: lxml.html.HtmlElement, xpath: str = "//a", base: str = "") -> list[str]:
    """Where the anchors under ``xpath`` point (``href`` or ``ms-attr-href``), resolved against ``base``."""
    out = []
    for anchor in tree.xpath(xpath):
        href = anchor.get("href") or anchor.get("ms-attr-href") or ""
        if href and not href.startswith("javascript:"):
            out.append(urljoin(base or tree.base_url, href))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_each_block_of_portals_carries_each_portal_variant_once(seed: int) -> None:
    farm = Farm(2 * VARIANT_BLOCK, seed, 0, 8800)
    manifest = farm.manifest()
    counties = [p for p in manifest["portals"] if p["kind"] == "county"]
    for block in (counties[:VARIANT_BLOCK], counties[VARIANT_BLOCK:]):
        carried = Counter(v for p in block for v in p["variants"] if v in dict(PORTAL_VARIANTS))
        assert carried == Counter(dict.fromkeys(dict(PORTAL_VARIANTS), 1)), carried
    assert Farm(2 * VARIANT_BLOCK, seed, 0, 8800).manifest()["portals"] == manifest["portals"]


def test_every_article_of_a_portal_is_an_item_of_some_list(farm: RunningFarm) -> None:
    manifest = farm.manifest()
    listed: dict[str, set[str]] = {}
    for portal in manifest["portals"]:
        listed[portal["name"]] = {url for page in portal["lists"] for url in page["items"]}
    for article in manifest["reports"] + manifest["negatives"]:
        assert article["url"] in listed[article["portal"]], article["url"]


def test_items_are_main_list_links_and_further_pages_are_served(farm: RunningFarm) -> None:
    """Each HTML list page links its items outside the menu, side bar and footer; every ``next`` page answers."""
    manifest = farm.manifest()
    for portal in manifest["portals"]:
        for page in portal["lists"]:
            if "dataproxy.jsp" in page["url"]:
                continue  # XML answers: tests/sim/test_farm_content.py reads the proxy
            tree = _tree(page["url"], portal["encoding"], page.get("method", "GET"))
            main = _targets(tree, "//a[not(ancestor::div[@class='nav' or @class='side' or @class='footer'])]")
            for record in tree.xpath("//script[@type='text/xml']/text()"):  # Hanweb: the records are the list
                records = lxml.html.fragment_fromstring(_records(record), create_parent="div")
                main += _targets(records, ".//a", page["url"])
            assert set(page["items"]) <= set(main), page["url"]
            menu = set(_targets(tree, "//div[@class='nav']//a"))
            assert not menu & set(page["items"]), page["url"]
            for url in page["next"]:
                method = "POST" if "/was5/web/search" in url else "GET"
                assert fetch(url, method=method, body=b"" if method == "POST" else None,
                             headers=POST_FORM if method == "POST" else None).status == 200, url


def test_trs_post_search_serves_the_pages_after_the_static_groups(farm: RunningFarm) -> None:
    manifest = farm.manifest()
    portal = _portal(manifest, "trs_dongjing_post_search")
    first, *search = portal["lists"][0], *[p for p in portal["lists"] if p.get("method") == "POST"]
    tree = _tree(first["url"], portal["encoding"])
    script = " ".join(tree.xpath("//script/text()"))
    assert "searchUrl:'/was5/web/search'" in script and "staticPages:2" in script
    assert not tree.xpath("//a[@href][ancestor::div[@class='list']]"), "static groups link only in ms-attr-href"
    own = [p for p in search if p["url"] in first["next"]]
    assert own and [p["url"] for p in own] == first["next"], "the file announces exactly its search pages"
    page = own[0]
    assert fetch(page["url"]).status == 405, "the search answers POST only"
    assert _targets(_tree(page["url"], portal["encoding"], "POST")) == page["items"]


def test_aspnet_lists_name_later_pages_only_in_a_script(farm: RunningFarm) -> None:
    manifest = farm.manifest()
    portal = _portal(manifest, "aspnet_script_pages")
    page = next(p for p in portal["lists"] if len(p["next"]) >= 3)
    assert page["url"].endswith("/Index.aspx") and "/Category_" in page["url"]
    tree = _tree(page["url"], portal["encoding"])
    linked = set(_targets(tree))
    script = " ".join(tree.xpath("//script/text()"))
    late = [url for url in page["next"] if url not in linked]
    assert late, "some pages exist only in the script"
    assert all(f"'{url.rsplit('/', 1)[-1]}'" in script for url in late)
    titles = {r["url"]: r["title"] for r in manifest["reports"] + manifest["negatives"]}
    shown = {urljoin(page["url"], a.get("href")): a.text_content() for a in tree.xpath("//ul[@class='list_ul']//a")}
    for url, text in shown.items():
        full = titles[url]
        assert text == full if len(full) <= 30 else text == full[:30] + "…"
    published = {r["url"]: r["published"] for r in manifest["reports"]}
    dates = {urljoin(page["url"], li.xpath(".//a/@href")[0]): li.xpath("string(.//span[@class='date'])")
             for li in tree.xpath("//ul[@class='list_ul']/li")}
    assert "list_dates_disagree" in portal["variants"]
    assert all(dates[url] != f"[{day}]" for url, day in published.items() if url in dates)


def test_reverse_pager_links_pages_only_in_a_hidden_div(farm: RunningFarm) -> None:
    manifest = farm.manifest()
    portal = _portal(manifest, "reverse_hidden_pager")
    page = next(p for p in portal["lists"] if p["url"].endswith("/index.htm") and len(p["next"]) >= 2)
    tree = _tree(page["url"], portal["encoding"])
    hidden = _targets(tree, "//div[@id='pagelinks' and contains(@style, 'display:none')]//a")
    assert set(page["next"]) <= set(hidden)
    assert all(a.get("href").startswith("javascript:") for a in tree.xpath("//div[@class='pagination']//a"))
    numbers = sorted(int(u.rsplit("_", 1)[-1].removesuffix(".htm")) for u in page["next"])
    assert numbers == list(range(1, len(page["next"]) + 1)), "page N of P is index_{P-N+1}.htm"


def test_overlapping_columns_list_one_report_twice_and_in_the_side_bar(farm: RunningFarm) -> None:
    manifest = farm.manifest()
    portal = _portal(manifest, "overlapping_columns")
    reports = {r["url"] for r in manifest["reports"] if r["portal"] == portal["name"]}
    seen = Counter(url for page in portal["lists"] if "dataproxy.jsp" not in page["url"] for url in page["items"])
    shared = [url for url in reports if seen[url] == 2]
    assert len(shared) == 1
    tree = _tree(portal["lists"][0]["url"], portal["encoding"])
    assert shared[0] in _targets(tree, "//div[@class='side']//a")


def test_aggregated_column_links_into_its_sibling_columns(farm: RunningFarm) -> None:
    manifest = farm.manifest()
    portal = _portal(manifest, "aggregated_column")
    config = farm.farm.portal_configs()[f"{portal['name']}.toml"]
    aggregated = [p for p in portal["lists"] if any("../../" in h for h in _raw_hrefs(p["url"], portal["encoding"]))]
    assert aggregated
    page = aggregated[0]
    assert page["url"] in config, "the aggregated column is a start URL"
    siblings = [p["url"] for p in portal["lists"] if p["url"] in page["next"] and p is not page]
    assert len([u for u in siblings if u in config]) == 2, "its column bar links both columns' first pages"


def _records(datastore: str) -> str:
    """The HTML of a Hanweb datastore's records (each a CDATA section)."""
    return "".join(record.text or "" for record in lxml.etree.fromstring(datastore.encode()).iter("record"))


def _raw_hrefs(url: str, encoding: str) -> list[str]:
    return [a.get("href") or "" for a in _tree(url, encoding).xpath("//a")]


def test_hanweb_pages_with_several_units_page_each_unit_by_its_own_total(farm: RunningFarm) -> None:
    """Two data stores on one column page: each links its own ``unitid`` and states its own total,
    and the proxy serves each unit's records (and total) apart; the page's items are both units' first records."""
    manifest = farm.manifest()
    portal = _portal(manifest, "hanweb_several_units")
    pages = {page["url"]: page for page in portal["lists"]}
    column = next(p for p in portal["lists"] if "/col/col" in p["url"] and len(p["next"]) >= 3)
    tree = _tree(column["url"], portal["encoding"])
    units = tree.xpath("//div[script[@type='text/xml']]")
    assert len(units) == 2
    totals, firsts = [], []
    for unit in units:
        store = lxml.etree.fromstring(unit.xpath("string(script[@type='text/xml'])").encode())
        nextgroup = urljoin(column["url"], lxml.html.fragment_fromstring(store.findtext("nextgroup")).get("href"))
        assert f"unitid={unit.get('id')}&" in nextgroup and f"dataStore: '{unit.get('id')}'" in unit.text_content()
        total = int(unit.text_content().split("var totalRecord=")[1].split(";")[0])
        served = [url for url in column["next"] if f"unitid={unit.get('id')}&" in url]
        assert served[0] == nextgroup and sum(len(pages[url]["items"]) for url in served) == total
        proxy = lxml.etree.fromstring(fetch(nextgroup).body)
        assert int(proxy.findtext("totalrecord")) == total
        totals.append(total)
        firsts += _targets(lxml.html.fragment_fromstring(_records(lxml.etree.tostring(store).decode()),
                                                         create_parent="div"), ".//a", column["url"])
    assert totals[0] != totals[1] and firsts == column["items"]


def test_numbered_page_links_are_the_only_way_to_later_pages() -> None:
    """``list-N.html`` pages linked by their numbers alone: no pager call, no next or last link,
    no platform fingerprint (the manifest reads them as ``generic``). The session farm has the
    variant on a city portal only (one page a column), so a farm of 15 serves it here."""
    with running_farm(portals=15, seed=1) as farm:
        portal = _portal({"portals": [p for p in farm.manifest()["portals"] if p["kind"] == "county"]},
                         "numbered_page_links")
        assert [p for p in portal["lists"] if p["next"]]
        for page in portal["lists"]:
            assert page["family"] == "generic" and re.search(r"/list-\d+\.html$", page["url"])
            tree = _tree(page["url"], portal["encoding"])
            assert "createPageHTML" not in " ".join(tree.xpath("//script/text()"))
            numbered = tree.xpath("//div[@class='pagination']/a")
            assert [urljoin(page["url"], a.get("href")) for a in numbered] == page["next"]
            assert all(a.text_content().isdigit() for a in numbered)
            assert not [a for a in tree.xpath("//a") if a.text_content().strip() in ("下一页", "末页", "尾页")]


def test_hanweb_pages_without_a_total_leave_it_to_the_proxy(farm: RunningFarm) -> None:
    """No total on the column page: it announces only the ``<nextgroup>`` proxy page, whose answer
    states the total and the page count, and that page announces the rest."""
    manifest = farm.manifest()
    portal = _portal(manifest, "hanweb_totals_only_in_proxy")
    pages = {page["url"]: page for page in portal["lists"]}
    column = next(p for p in portal["lists"] if "/col/col" in p["url"] and pages[p["next"][0]]["next"])
    tree = _tree(column["url"], portal["encoding"])
    assert "totalRecord" not in " ".join(tree.xpath("//script/text()"))
    (first,) = column["next"]
    answer = lxml.etree.fromstring(fetch(first).body)
    further = pages[first]["next"]
    assert int(answer.findtext("totalpage")) == 1 + len(further)
    assert int(answer.findtext("totalrecord")) == sum(len(pages[url]["items"]) for url in [first, *further])
