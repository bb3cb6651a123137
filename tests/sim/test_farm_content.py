"""What the farm serves on nights 0, 1 and 2 is what its manifest says."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from crawler.sim import Farm
from crawler.sim.model import NEGATIVE_KINDS
from crawler.sim.templates import TEMPLATES
from crawler.textnorm import content_hash, hash_key
from tests.farm import fetch, running_farm
from tests.sim.farm_walk import attachment_text, list_articles, page, served_text


def _portal_info(manifest: dict) -> dict[str, dict]:
    return {p["name"]: p for p in manifest["portals"]}


def _check_report(report: dict, portal: dict) -> None:
    """Fetch a report (all its pages, or its attachment) and compare with the manifest's text."""
    if report["attachments"]:
        text = attachment_text(report["attachments"][0])
        assert hash_key(text) == hash_key(report["text"]), report["url"]
    else:
        text = served_text(portal["family"], report["pages"], portal["encoding"])
        assert text == report["text"], report["url"]
    assert content_hash(report["text"]) == report["text_sha256"]


def test_every_listed_report_and_negative_is_found_by_following_pagination():
    """15 portals hold every (family, list variant) pair; a crawler following each one's pager finds everything.

    Portals whose lists a list template replaces (crawler/sim/templates.py) are walked by
    tests/sim/test_farm_variants.py instead.
    """
    with running_farm(portals=15, seed=1, night=0) as farm:
        manifest = farm.manifest()
        pairs = {(p["family"], p["list_variant"]) for p in manifest["portals"] if p["kind"] == "county"}
        assert len(pairs) == 15
        walked = {p["name"] for p in manifest["portals"] if not set(p["variants"]) & set(TEMPLATES)}
        found: set[str] = set()
        list_requests = 0
        for name, config in _configs(farm).items():
            if name not in walked:
                continue
            portal = _portal_info(manifest)[name]
            for start_url in config["start_urls"]:
                links, requests = list_articles(portal["family"], start_url, portal["encoding"])
                found.update(links)
                list_requests += requests
        assert {r["url"] for r in manifest["reports"] if r["portal"] in walked} <= found
        assert {n["url"] for n in manifest["negatives"] if n["portal"] in walked} <= found
        # Some columns need more than one list page (or proxy call): pagination was exercised.
        assert list_requests > sum(len(c["start_urls"]) for c in _configs(farm).values())


def test_night_0_serves_exactly_the_manifest_text(farm):
    manifest = farm.manifest()
    portals = _portal_info(manifest)
    bodies = {r["body"] for r in manifest["reports"]}
    assert {"html", "pages", "pdf", "docx"} <= bodies
    assert any("\t" in r["text"] for r in manifest["reports"]), "no report with a table"
    for report in manifest["reports"]:
        _check_report(report, portals[report["portal"]])
        assert report["version"] == 1


def test_negatives_cover_every_kind_and_are_served(farm):
    manifest = farm.manifest()
    kinds = {n["kind"] for n in manifest["negatives"]}
    assert kinds == set(NEGATIVE_KINDS)
    for negative in manifest["negatives"][:10]:
        assert fetch(negative["url"]).status == 200


def _configs(farm) -> dict[str, dict]:
    import tomllib

    return {
        name.removesuffix(".toml"): tomllib.loads(text)
        for name, text in farm.farm.portal_configs().items()
        if not name.startswith("sim_city_")
    }


@pytest.fixture(scope="module")
def night2():
    with running_farm(portals=4, seed=3, night=2) as running:
        yield running


def _without_port(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path}"


def test_night_1_changes_nothing_but_chrome(farm):
    with running_farm(portals=8, seed=1, night=1) as night1:
        before, after = farm.manifest(), night1.manifest()
        assert [(_without_port(r["url"]), r["text_sha256"], r["version"]) for r in after["reports"]] == [
            (_without_port(r["url"]), r["text_sha256"], r["version"]) for r in before["reports"]
        ]
        assert not after["removed"]
        portals = _portal_info(after)
        for report in after["reports"][::5]:
            _check_report(report, portals[report["portal"]])


def test_night_2_serves_edits_deletions_mirrors_and_late_reports(night2):
    manifest = night2.manifest()
    portals = _portal_info(manifest)
    night0 = {r["url"]: r for r in Farm(4, 3, 0, night2.port).manifest()["reports"]}
    edited = [r for r in manifest["reports"] if r["version"] == 2]
    assert edited, "no edited report on night 2"
    for report in edited:
        assert report["text_sha256"] != night0[report["url"]]["text_sha256"]
        _check_report(report, portals[report["portal"]])
    late = [r for r in manifest["reports"] if r["url"] not in night0]
    assert late and all(r["published"] == "2025-06-03" for r in late)
    for report in late:
        _check_report(report, portals[report["portal"]])
    hows = {r["how"] for r in manifest["removed"]}
    assert hows == {"404", "redirect"}
    for removed in manifest["removed"]:
        answer = fetch(removed["url"])
        if removed["how"] == "404":
            assert answer.status == 404
        else:
            assert answer.status == 302
            parts = urlsplit(removed["url"])
            assert answer.headers["location"] == f"{parts.scheme}://{parts.netloc}/"
    mirrored = [r for r in manifest["reports"] if r["mirrors"]]
    counties = [p for p in manifest["portals"] if p["kind"] == "county"]
    assert len(mirrored) > len(counties), "an old mirror per county plus the night's new ones"
    for report in mirrored:
        mirror_url = report["mirrors"][0]
        assert mirror_url.split("/")[2] != report["url"].split("/")[2], "a mirror lives on another host"
        city = next(p for p in manifest["portals"] if mirror_url.startswith(p["base_url"]))
        if report["attachments"]:
            tree = page(mirror_url, city["encoding"])
            copy = tree.xpath("//div[@class='attachments']//a/@href")
            assert copy and copy[0] != report["attachments"][0]
            assert hash_key(attachment_text(urljoin(mirror_url, copy[0]))) == hash_key(report["text"])
            continue
        mirror_pages = [mirror_url] + [_page_url(mirror_url, k) for k in range(2, len(report["pages"]) + 1)]
        assert served_text(city["family"], mirror_pages, city["encoding"]) == report["text"]


def _page_url(url: str, page: int) -> str:
    stem, dot, ext = url.rpartition(".")
    return f"{stem}_{page}{dot}{ext}"


def test_the_optional_gkmlpt_family_is_served_only_when_asked(farm):
    assert "gkmlpt" not in {p["family"] for p in farm.manifest()["portals"]}
    with running_farm(portals=3, seed=2, families=["gkmlpt", "trs", "hanweb", "shtml"]) as mixed:
        manifest = mixed.manifest()
        portals = _portal_info(manifest)
        gkmlpt = [p for p in manifest["portals"] if p["family"] == "gkmlpt" and p["kind"] == "county"]
        assert gkmlpt
        for portal in gkmlpt:
            config = _configs(mixed)[portal["name"]]
            found = set()
            for start_url in config["start_urls"]:
                found.update(list_articles("gkmlpt", start_url, portal["encoding"])[0])
            mine = [r for r in manifest["reports"] if r["portal"] == portal["name"]]
            assert mine and {r["url"] for r in mine} <= found
            for report in mine:
                _check_report(report, portals[report["portal"]])
