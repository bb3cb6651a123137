"""Fault profiles appear where the manifest says, behave as documented, and only when asked for."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from crawler.sim import FAULT_KINDS, Farm
from tests.farm import fetch, running_farm


@pytest.fixture(scope="module")
def hostile():
    with running_farm(portals=6, seed=5, night=0, faults=["all"]) as running:
        yield running


def _urls(manifest: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for fault in manifest["faults"]:
        out.setdefault(fault["kind"], []).append(fault["url"])
    return out


def test_every_kind_is_listed(hostile):
    assert set(_urls(hostile.manifest())) == set(FAULT_KINDS)


def test_status_bursts_then_recover(hostile):
    urls = _urls(hostile.manifest())
    assert [fetch(urls["http_500_burst"][0]).status for _ in range(3)] == [500, 500, 200]
    first = fetch(urls["http_503_burst"][0])
    assert first.status == 503 and first.headers["retry-after"] == "1"
    assert [fetch(urls["http_503_burst"][0]).status for _ in range(2)] == [503, 200]


def test_connection_resets_then_recovers(hostile):
    url = _urls(hostile.manifest())["connection_reset"][0]
    for _ in range(2):
        with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
            fetch(url)
    assert fetch(url).status == 200


def test_truncated_body_then_recovers(hostile):
    url = _urls(hostile.manifest())["truncated_body"][0]
    for _ in range(2):
        with pytest.raises(http.client.IncompleteRead):
            fetch(url)
    assert fetch(url).status == 200


def test_slow_page_still_answers(hostile):
    assert fetch(_urls(hostile.manifest())["slow"][0]).status == 200


def test_redirect_loop_and_offsite_redirect(hostile):
    urls = _urls(hostile.manifest())
    start = urls["redirect_loop"][0]
    hop = fetch(start)
    assert hop.status == 302
    back = fetch(hop.headers["location"])
    assert back.status == 302 and urlsplit(back.headers["location"]).path == urlsplit(start).path
    offsite = fetch(urls["offsite_redirect"][0])
    assert offsite.status == 302
    assert urlsplit(offsite.headers["location"]).hostname != urlsplit(urls["offsite_redirect"][0]).hostname


def test_calendar_trap_never_ends(hostile):
    import lxml.html

    url = _urls(hostile.manifest())["calendar_trap"][0]
    seen = set()
    for _ in range(5):
        tree = lxml.html.document_fromstring(fetch(url).body, base_url=url)
        tree.make_links_absolute()
        url = next(a.get("href") for a in tree.iter("a") if a.text == "下个月")
        assert url not in seen
        seen.add(url)


def test_huge_binary_and_soft_404_pages(hostile):
    urls = _urls(hostile.manifest())
    huge = fetch(urls["huge_page"][0], timeout=60)
    assert huge.status == 200 and len(huge.body) >= 20 * 1024 * 1024
    binary = fetch(urls["binary_as_html"][0])
    assert binary.headers["content-type"] == "text/html" and b"\x00" in binary.body
    soft = fetch(urls["soft_404"][0])
    assert soft.status == 200
    portal = next(p for p in hostile.manifest()["portals"] if urls["soft_404"][0].startswith(p["base_url"]))
    assert "页面不存在" in soft.body.decode(portal["encoding"])


def test_antibot_portal_answers_412_everywhere(hostile):
    manifest = hostile.manifest()
    blocked = _urls(manifest)["antibot_412"][0]
    for path in ("", "robots.txt", "index.html"):
        answer = fetch(blocked + path)
        assert answer.status == 412 and b"$_ts" in answer.body
    reports = [r for r in manifest["reports"] if r["url"].startswith(blocked)]
    assert reports and all(fetch(r["url"]).status == 412 for r in reports[:2])


def test_no_fault_appears_unless_asked(farm):
    """The session farm has no faults: the places faults would sit behave normally."""
    assert farm.manifest()["faults"] == []
    would_be = Farm(farm.portals, farm.seed, farm.night, farm.port, faults=FAULT_KINDS).manifest()["faults"]
    assert {f["kind"] for f in would_be} == set(FAULT_KINDS)
    for fault in would_be:
        answer = fetch(fault["url"])
        if fault["kind"] in ("http_500_burst", "http_503_burst", "slow", "connection_reset", "truncated_body",
                             "antibot_412"):
            assert answer.status == 200, fault
        else:
            assert answer.status == 404, fault
