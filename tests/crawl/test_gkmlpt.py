"""Guangdong's gkmlpt portals (the farm's optional fourth family): harvested whole, detected by ``auto``.

One small farm serves all four families (``--families trs,hanweb,shtml,gkmlpt``), so ``auto``
has to tell a gkmlpt catalog and its JSON API from the other families' pages. The catalog page
lists nothing; the reports come only from the API, asked with the SID the catalog's script
holds and the categories its start URLs name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse, TextResponse

from crawler.portals import Portal, load_portal
from spiders.gkmlpt import api_pages, api_url, categories
from tests.crawl.conftest import Workspace, crawl_farm, idle_spider
from tests.crawl.evaluate import portal_score, score
from tests.crawl.test_incremental_lists import fetched_lists
from tests.crawl.test_portal_check import lists_read_wrong
from tests.farm import RunningFarm, fetch, running_farm

FAMILIES = ["trs", "hanweb", "shtml", "gkmlpt"]


@pytest.fixture(scope="module")
def farm() -> Iterator[RunningFarm]:
    """4 county portals (one per family, one gkmlpt) and their 4 city portals (one gkmlpt)."""
    with running_farm(portals=4, seed=1, families=FAMILIES) as running:
        yield running


def _gkmlpt_counties(farm: RunningFarm) -> list[dict]:
    found = [p for p in farm.manifest()["portals"] if p["family"] == "gkmlpt" and p["kind"] == "county"]
    assert found
    return found


@pytest.mark.parametrize("family", [None, "generic"])
def test_gkmlpt_portals_are_harvested_whole(farm: RunningFarm, tmp_path: Path, family: str | None) -> None:
    """With the gkmlpt template (the config as written), and with ``generic`` (which reads the
    catalog's API as it reads Hanweb's proxy): every report of the API's categories, nothing else."""
    counties = _gkmlpt_counties(farm)
    workspace, summary = crawl_farm(farm, tmp_path, family, *(p["name"] for p in counties))
    assert summary["errors"] == 0
    for portal in counties:
        result = portal_score(workspace.engine(), farm.manifest(), portal["name"])
        assert result.expected, portal["name"]
        assert result.recall >= 0.99, (portal["name"], sorted(result.missing))
        assert result.precision >= 0.99, (portal["name"], sorted(result.extra))


def test_auto_harvests_every_portal_of_a_farm_with_gkmlpt(farm: RunningFarm, tmp_path: Path) -> None:
    workspace, summary = crawl_farm(farm, tmp_path, "auto")
    manifest = farm.manifest()
    result = score(workspace.engine(), manifest)
    assert result.recall >= 0.99, sorted(result.missing)
    assert result.precision >= 0.99, sorted(result.extra)
    assert summary["errors"] == 0
    for portal in _gkmlpt_counties(farm):
        assert portal_score(workspace.engine(), manifest, portal["name"]).recall >= 0.99, portal["name"]


@pytest.mark.parametrize("mode", ["own", "auto"])
def test_check_lists_the_catalog_and_its_api_pages_as_the_manifest_does(farm: RunningFarm, mode: str) -> None:
    """``crawler portal check --url`` on the catalog's start URLs: no item on the catalog, the first
    API page of each category as its further pages, each API page's articles in order; ``auto``
    reads every page as gkmlpt."""
    gkmlpt = [p for p in farm.manifest()["portals"] if p["family"] == "gkmlpt"]
    wrong = lists_read_wrong(farm, gkmlpt, mode)
    assert not wrong, "\n".join(wrong)


def _config(farm: RunningFarm, tmp_path: Path) -> Portal:
    """The farm's gkmlpt county portal config."""
    farm.write_portals(tmp_path)
    return load_portal(tmp_path / f"{_gkmlpt_counties(farm)[0]['name']}.toml")


def test_the_api_is_paged_from_the_first_answers_total_up_to_max_pages(farm: RunningFarm, tmp_path: Path) -> None:
    """A category of 250 articles is 3 API pages of 100: page 1 (or 0) asks for 2 and 3, no other
    page asks again; ``max_pages`` caps them."""
    portal = _config(farm, tmp_path)
    api = portal.start_urls[0].split("#")[0].replace("/index", "/api/all/")
    body = json.dumps({"total": 250, "articles": []}).encode()

    def pages(portal: Portal, page: int) -> list[str]:
        url = api_url(api, "7", page, "140821")
        answer = TextResponse(url, body=body, encoding="utf-8", request=scrapy.Request(url))
        requests = list(api_pages(idle_spider(portal), answer))
        assert all(r.meta["gkmlpt"] and r.callback for r in requests)
        return [r.url for r in requests]

    further = [api_url(api, "7", page, "140821") for page in (2, 3)]
    assert pages(portal, 1) == pages(portal, 0) == further and pages(portal, 2) == []
    capped = portal.model_copy(update={"limits": portal.limits.model_copy(update={"max_pages": 2})})
    assert pages(capped, 1) == further[:1]


def test_categories_come_from_the_start_urls_else_from_the_catalogs_links(farm: RunningFarm, tmp_path: Path) -> None:
    """The catalog is fetched once for all its ``#catId`` start URLs; a bare catalog URL lists every category."""
    portal = _config(farm, tmp_path)
    catalog = portal.start_urls[0].split("#")[0]
    response = HtmlResponse(catalog, body=fetch(catalog).body, encoding="utf-8", request=scrapy.Request(catalog))
    assert categories(idle_spider(portal), response) == [url.split("#")[1] for url in portal.start_urls]
    bare = portal.model_copy(update={"start_urls": [catalog]})
    linked = response.xpath("//a[@data-id]/@data-id").getall()
    assert linked and categories(idle_spider(bare), response) == linked


def test_a_new_report_behind_an_unchanged_catalog_is_found_on_a_night_without_sweep(tmp_path: Path) -> None:
    """The catalog page is the same every night (304) while its API lists a new report: the API is
    still asked, though unchanged lists are read no further on nights that do not sweep.

    Seed 3's gkmlpt county gets a report on night 2; ``LIST_SWEEP_DAYS`` keeps both nights from sweeping.
    """
    workspace = Workspace(tmp_path)
    port, manifests = 0, {}
    for night in (0, 2):
        with running_farm(portals=4, seed=3, night=night, port=port, families=FAMILIES) as farm:
            port = farm.port
            farm.write_portals(workspace.portals_dir)
            name = _gkmlpt_counties(farm)[0]["name"]
            manifests[night] = farm.manifest()
            workspace.crawl(name, "--set", "LIST_SWEEP_DAYS=1000", night=night)
    reports = [{r["url"] for r in manifests[n]["reports"] if r["portal"] == name} for n in (0, 2)]
    assert reports[1] - reports[0]
    fetched = fetched_lists(workspace)[name]
    assert [status for url, status in fetched.items() if "/gkmlpt/index" in url] == [304]
    result = portal_score(workspace.engine(), manifests[2], name)
    assert result.recall >= 0.99 and result.precision >= 0.99, (sorted(result.missing), sorted(result.extra))
