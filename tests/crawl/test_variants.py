"""The real-portal list variants (issue #8): every variant portal of the farm is harvested whole.

A farm of 15 portals (seed 1) carries every variant the farm knows (docs/simulator.md
"List-page variants"; the session farm of 8 has every portal-level one, not every family one).
Each variant portal must give up every report and nothing else twice: crawled with its own
family, and crawled with ``family = "generic"`` alone. Every list page
of every portal, read by its family's readers and by ``auto``'s detection, must show the
items and further pages the manifest's ``lists`` say, and no menu or side-bar link as an item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import scrapy
from scrapy.http import HtmlResponse, TextResponse
from sqlalchemy import select
from w3lib.url import canonicalize_url

from crawler.portals import load_portal
from crawler.sim.farm import PORTAL_VARIANTS, VARIANT_NAMES
from crawler.sim.templates import TEMPLATES
from spiders.auto import detect_family
from storage.models import Document, Version
from tests.crawl.conftest import Workspace, crawl_farm, idle_spider, with_family
from tests.crawl.evaluate import Score, portal_score
from tests.crawl.test_portal_check import lists_read_wrong
from tests.farm import RunningFarm, fetch, running_farm

# Every variant a farm of the tests' size carries: the list-template variants of one family
# each, the portal-level ones, and the family variants of the rotation.
VARIANTS = (
    "trs_dongjing_post_search", "aspnet_script_pages", "reverse_hidden_pager", "overlapping_columns",
    "aggregated_column", "auto_config", "renamed_pager", "six_arg_pager_prefix", "hanweb_jsonp",
    "hanweb_dates_in_b", "hanweb_absolute_links", "hanweb_totals_only_in_proxy", "hanweb_several_units", "short_list_dates", "uppercase_next_line_markup",
    "countpage_variables", "trs_dongjing", "list_dates_disagree", "numbered_page_links",
)


@pytest.fixture(scope="module")
def farm() -> Iterator[RunningFarm]:
    """15 portals: every (family, list variant) pair and every portal-level variant."""
    with running_farm(portals=15, seed=1) as running:
        yield running


@pytest.fixture(scope="module")
def farm_portals(farm: RunningFarm, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("variant-portals")
    farm.write_portals(directory)
    return directory


def _variant_portals(manifest: dict, variant: str) -> list[str]:
    return [p["name"] for p in manifest["portals"] if variant in p["variants"] and p["kind"] == "county"]


@pytest.fixture(scope="module")
def own_family(farm: RunningFarm, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace, summary = crawl_farm(farm, tmp_path_factory.mktemp("own"), None)
    assert summary["errors"] == 0
    return workspace


@pytest.fixture(scope="module")
def generic_only(farm: RunningFarm, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace, summary = crawl_farm(farm, tmp_path_factory.mktemp("generic"), "generic")
    assert summary["errors"] == 0
    return workspace


def test_the_farm_carries_every_variant(farm: RunningFarm) -> None:
    known = {name for names in VARIANT_NAMES.values() for name in names} | {name for name, _ in PORTAL_VARIANTS}
    known |= {name for _, _, extra in TEMPLATES.values() for name in extra}
    assert set(VARIANTS) == known, "VARIANTS must name every variant the farm serves"
    manifest = farm.manifest()
    for variant in VARIANTS:
        assert _variant_portals(manifest, variant), variant
    auto = next(p for p in manifest["portals"] if "auto_config" in p["variants"])
    assert 'family = "auto"' in farm.farm.portal_configs()[f"{auto['name']}.toml"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_portals_are_harvested_whole_with_their_own_family(own_family: Workspace, farm: RunningFarm,
                                                                   variant: str) -> None:
    manifest = farm.manifest()
    for portal in _variant_portals(manifest, variant):
        result = portal_score(own_family.engine(), manifest, portal)
        assert result.expected, portal
        assert result.recall >= 0.99, (portal, sorted(result.missing))
        assert result.precision >= 0.99, (portal, sorted(result.extra))


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_portals_are_harvested_whole_by_generic_alone(generic_only: Workspace, farm: RunningFarm,
                                                              variant: str) -> None:
    manifest = farm.manifest()
    for portal in _variant_portals(manifest, variant):
        result = portal_score(generic_only.engine(), manifest, portal)
        assert result.recall >= 0.99, (portal, sorted(result.missing))
        assert result.precision >= 0.99, (portal, sorted(result.extra))


def _late_unit_items(portal: dict) -> set[str]:
    """Items of a Hanweb page's later units that sit on proxy pages past the first unit's page count:
    what a reader loses if it takes the page's first total (``totalRecord``) for every unit."""
    pages = {page["url"]: page for page in portal["lists"]}
    late: set[str] = set()
    for page in portal["lists"]:
        units: dict[str, list[str]] = {}
        for url in page["next"]:
            units.setdefault(parse_qs(urlsplit(url).query).get("unitid", [""])[0], []).append(url)
        counts = [len(urls) for urls in units.values()]
        for urls in list(units.values())[1:]:
            late |= {item for url in urls[counts[0]:] for item in pages[url]["items"]}
    return late


@pytest.mark.parametrize("family", [None, "generic"])
def test_every_unit_of_a_hanweb_page_is_read_to_its_last_proxy_page(tmp_path: Path, family: str | None) -> None:
    """A Hanweb column page with two units (data stores), each with its own proxy query and total.
    In seed 2 a report sits on the second unit's proxy pages past the first unit's count, so a
    reader that takes one total for the whole page loses it; the family template and generic
    alone must both harvest the portal whole."""
    with running_farm(portals=4, seed=2) as farm:
        manifest = farm.manifest()
        (portal,) = [p for p in manifest["portals"] if "hanweb_several_units" in p["variants"]]
        reports = {r["url"] for r in manifest["reports"] if r["portal"] == portal["name"]}
        assert _late_unit_items(portal) & reports, "the farm no longer puts a report where one total loses it"
        workspace, summary = crawl_farm(farm, tmp_path, family, portal["name"])
        result = portal_score(workspace.engine(), manifest, portal["name"])
    assert summary["errors"] == 0
    assert result.recall >= 0.99, sorted(result.missing)
    assert result.precision >= 0.99, sorted(result.extra)


def test_the_articles_own_date_wins_over_the_list_date(own_family: Workspace, farm: RunningFarm) -> None:
    manifest = farm.manifest()
    for portal in _variant_portals(manifest, "list_dates_disagree"):
        expected = {r["url"]: r["published"] for r in manifest["reports"] if r["portal"] == portal}
        statement = (select(Document.canonical_url, Version.published, Version.meta)
                     .join(Version, (Version.document_id == Document.id) & (Version.seq == Document.latest_seq)))
        with own_family.engine().connect() as connection:
            rows = {url: (published, meta) for url, published, meta in connection.execute(statement)}
        assert {url: rows[url][0].isoformat() for url in expected} == expected
        assert all(rows[url][1]["list_date"] not in (None, published) for url, published in expected.items())


def _response(page: dict, encoding: str) -> TextResponse:
    """A manifest list page fetched as the spider fetches it (POST search pages by POST)."""
    if page.get("method") == "POST":
        answer = fetch(page["url"], method="POST", body=b"",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        meta = {"trs_search": True}
    else:
        answer = fetch(page["url"])
        # A proxy page that announces others is the first, which a spider asks as a probe when
        # the column page states no total; the others it asks as pages.
        role = {"dataproxy": "probe", "nextgroup": page["url"]} if page["next"] else {"dataproxy": "page"}
        meta = role if "dataproxy.jsp" in page["url"] else {}
    assert answer.status == 200, page["url"]
    content_type = answer.headers["content-type"]
    cls = HtmlResponse if "html" in content_type else TextResponse
    return cls(page["url"], body=answer.body, headers={"Content-Type": content_type},
               encoding=encoding if cls is HtmlResponse else "utf-8", request=scrapy.Request(page["url"], meta=meta))


def test_every_list_page_reads_as_the_manifest_lists_it(farm: RunningFarm, farm_portals: Path) -> None:
    """Items exactly (order too: no menu, footer or side-bar link), every announced further page, the family."""
    manifest = farm.manifest()
    for portal in manifest["portals"]:
        spider = idle_spider(load_portal(farm_portals / f"{portal['name']}.toml"))
        for page in portal["lists"]:
            response = _response(page, portal["encoding"])
            assert detect_family(response) == page["family"], page["url"]
            links = list(spider.list_links(response))
            items = [link.url for link in links if not spider.is_list_url(link.url)]
            further = {r.url for r in spider.list_pages(response)} | {link.url for link in links
                                                                      if spider.is_list_url(link.url)}
            expected = [canonicalize_url(u) for u in page["items"]]
            assert [canonicalize_url(u) for u in dict.fromkeys(items)] == expected, page["url"]
            missing = {canonicalize_url(u) for u in page["next"]} - {canonicalize_url(u) for u in further}
            assert not missing, (page["url"], missing)


@pytest.mark.parametrize("mode", ["own", "auto"])
def test_check_json_reads_every_list_page_of_every_portal_as_the_manifest_lists_it(farm: RunningFarm, mode: str) -> None:
    """``crawler portal check --url … --json`` (the portal's family, or ``auto``) on all 30 portals
    of this farm, county and city: every list page's items exactly, every further page the
    manifest knows, no navigation or side-bar link as an item, and ``auto`` naming each page's family.
    (tests/crawl/test_portal_check.py does the same on the session farm, whose eight county portals
    lack some (family, list variant) pairs.)"""
    wrong = lists_read_wrong(farm, farm.manifest()["portals"], mode)
    assert not wrong, "\n".join(wrong)


def _crawl_portal(farm: RunningFarm, root: Path, portal: dict, start_urls: list[str], family: str | None = None,
                  max_depth: int | None = None) -> Score:
    """Crawl one portal of the farm from other start URLs (and family, hop limit); score it."""
    workspace = Workspace(root)
    workspace.portals_dir.mkdir()
    text = farm.farm.portal_configs()[f"{portal['name']}.toml"]
    text = re.sub(r"^start_urls = .*$", "start_urls = " + json.dumps(start_urls), text, flags=re.MULTILINE)
    text = with_family(text, family)
    if max_depth is not None:
        text = re.sub(r"^max_depth = \d+$", f"max_depth = {max_depth}", text, flags=re.MULTILINE)
    (workspace.portals_dir / f"{portal['name']}.toml").write_text(text, encoding="utf-8")
    summary = workspace.crawl()
    assert summary["errors"] == 0, summary
    return portal_score(workspace.engine(), farm.manifest(), portal["name"])


@pytest.mark.parametrize("queries, found", [(("法治政府建设", "法治建设"), True), ((), False)])
def test_generic_harvests_through_site_search_start_urls(farm: RunningFarm, tmp_path: Path, queries: tuple[str, ...],
                                                         found: bool) -> None:
    """站内搜索 pages as start URLs: one hop from the results reaches every report (none from the bare form).

    The portal is one whose robots.txt allows ``/search/`` (odd index), limited to one hop.
    """
    manifest = farm.manifest()
    portal = next(p for p in manifest["portals"] if p["kind"] == "county" and int(p["name"][-4:]) % 2)
    search = [f"{portal['base_url']}search/index.html" + (f"?q={quote(q)}" if q else "") for q in queries or ("",)]
    result = _crawl_portal(farm, tmp_path, portal, search, "generic", max_depth=1)
    if found:
        assert result.recall >= 0.99, sorted(result.missing)
        assert result.precision >= 0.99, sorted(result.extra)
    else:
        assert result.recall == 0


@pytest.mark.parametrize("family", ["generic", None])
def test_generic_follows_report_columns_from_the_home_page(farm: RunningFarm, tmp_path: Path,
                                                           family: str | None) -> None:
    """From the home page alone, generic reaches the 政府信息公开 column and through it every report;
    the portal's family template follows only lists named like reports and misses the 司法局 column's."""
    manifest = farm.manifest()
    portal = next(p for p in manifest["portals"] if "aggregated_column" in p["variants"])
    result = _crawl_portal(farm, tmp_path, portal, [portal["base_url"]], family)
    if family == "generic":
        assert result.recall >= 0.99, sorted(result.missing)
        assert result.precision >= 0.99, sorted(result.extra)
    else:
        bureau = {r["url"] for r in manifest["reports"]
                  if r["portal"] == portal["name"] and r["issuer_kind"] == "bureau"}
        assert {url for url, _ in result.missing} & bureau
