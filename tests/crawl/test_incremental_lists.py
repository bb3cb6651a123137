"""Unchanged lists are read to their first page only, except on a portal's sweep night or after a
run that was not clean; a list whose first page changed is always read to the end.

Three nights of a small farm into one archive, over HTTP. Night 0 is cut short by a page limit
(every county portal ``limited``: lists cached but not read to the end; the city portals are
first crawled on night 1), night 1 changes nothing, night 2 brings late reports on some lists'
first pages. ``LIST_SWEEP_DAYS`` is set so high that no portal sweeps by the calendar (the test
asks :func:`sweeps_lists` which, if any, do).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from crawler.middlewares import sweeps_lists
from crawler.portals import load_portal
from storage.models import Fetch, Run
from tests.crawl.conftest import Workspace, as_of
from tests.crawl.evaluate import score
from tests.farm import running_farm

PORTALS = 4
SEED = 3
CYCLE = 1000


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Crawl nights 0 (page-limited), 1 and 2; keep each night's summary, manifest, score and list fetches."""
    workspace = Workspace(tmp_path_factory.mktemp("incremental"))
    port = 0
    results: dict = {}
    for night, setting in ((0, "CLOSESPIDER_PAGECOUNT=6"), (1, f"LIST_SWEEP_DAYS={CYCLE}"),
                           (2, f"LIST_SWEEP_DAYS={CYCLE}")):
        with running_farm(portals=PORTALS, seed=SEED, night=night, port=port) as farm:
            port = farm.port
            farm.write_portals(workspace.portals_dir)
            manifest = farm.manifest()
            # Night 0 leaves the city portals out: had they been crawled after cut-short
            # counties, their copies of the county reports would be archived as the originals.
            names = [p["name"] for p in manifest["portals"] if p["kind"] == "county"] if night == 0 else ["--all"]
            summary = workspace.crawl(*names, "--set", setting, night=night)
        results[night] = {"summary": summary, "manifest": manifest, "score": score(workspace.engine(), manifest),
                          "fetched": fetched_lists(workspace)}
    results["start_urls"] = {path.stem: load_portal(path).start_urls
                             for path in workspace.portals_dir.glob("*.toml")}
    return results


def fetched_lists(workspace: Workspace) -> dict[str, dict[str, int]]:
    """Portal -> {URL: HTTP status} of what the fetch log holds for its latest run (lists, robots.txt)."""
    latest = select(func.max(Run.id)).where(Run.portal.is_not(None)).group_by(Run.portal)
    with workspace.engine().connect() as connection:
        rows = connection.execute(select(Run.portal, Fetch.url, Fetch.http_status)
                                  .join(Run, Run.id == Fetch.run_id).where(Run.id.in_(latest))).all()
    fetched: dict[str, dict[str, int]] = defaultdict(dict)
    for portal, url, status in rows:
        fetched[portal][url] = status
    return fetched


def columns(portal: dict, start_urls: list[str]) -> dict[str, set[str]]:
    """Each start URL's further list pages (the manifest's ``next`` links, followed to the end)."""
    pages = {page["url"]: page["next"] for page in portal["lists"]}
    result = {}
    for start in start_urls:
        seen, todo = {start}, [start]
        while todo:
            for url in pages.get(todo.pop(), []):
                if url not in seen:
                    seen.add(url)
                    todo.append(url)
        result[start] = seen - set(start_urls)
    return result


def sweeps(name: str, night: int) -> bool:
    """Whether the crawl of ``night`` sweeps portal ``name`` by the calendar (its previous run was clean)."""
    day = datetime.fromisoformat(as_of(night)).astimezone(UTC).date()
    return sweeps_lists(name, day, CYCLE, "ok")


def test_a_run_cut_short_is_followed_by_a_full_sweep(nights: dict) -> None:
    """Night 0 stopped at a page limit with first pages cached: night 1 still reads every list to the end."""
    assert {p["status"] for p in nights[0]["summary"]["per_portal"].values()} == {"limited"}
    assert nights[0]["score"].recall < 0.9  # the limit did cut night 0 short
    night = nights[1]
    assert night["score"].recall >= 0.99, sorted(night["score"].missing)
    assert night["summary"]["errors"] == 0 and night["summary"]["new_versions"] == 0
    for portal in night["manifest"]["portals"]:
        further = set().union(*columns(portal, nights["start_urls"][portal["name"]]).values())
        missed = further - set(night["fetched"][portal["name"]])
        assert not missed, (portal["name"], sorted(missed))


def test_unchanged_lists_are_read_to_their_first_page_only(nights: dict) -> None:
    """Night 2: a column whose first page answered 304 has no further page asked for; one that changed, all."""
    night = nights[2]
    assert night["score"].recall >= 0.99, sorted(night["score"].missing)
    assert night["score"].precision >= 0.99, sorted(night["score"].extra)
    changed_and_paged = unchanged_and_paged = 0
    for portal in night["manifest"]["portals"]:
        name = portal["name"]
        fetched = night["fetched"][name]
        for start, further in columns(portal, nights["start_urls"][name]).items():
            if not further:
                continue
            asked = further & set(fetched)
            if sweeps(name, 2) or fetched[start] == 200:
                assert asked == further, (name, start, sorted(further - asked))
                changed_and_paged += fetched[start] == 200
            else:
                assert fetched[start] == 304 and not asked, (name, start, sorted(asked))
                unchanged_and_paged += 1
    # Both cases occur on this farm: late reports change some first pages, most stay as they were.
    assert changed_and_paged and unchanged_and_paged

