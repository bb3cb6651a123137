"""Every fault profile of the farm at once: the crawl finishes, harvests the rest, and names each fault.

The manifest lists where each fault sits (portal and URL); each test checks that the crawl
survived it and that the summary (and so the archive's runs table) records it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from storage.models import Document, DocumentUrl, Fetch, Run
from tests.crawl.conftest import CRAWLER, Workspace
from tests.crawl.evaluate import score
from tests.farm import RunningFarm, running_farm

PORTALS = 8


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> dict:
    workspace = Workspace(tmp_path_factory.mktemp("faults"))
    with running_farm(portals=PORTALS, seed=1, night=0, faults=["all"]) as farm:
        farm.write_portals(workspace.portals_dir)
        summary = workspace.crawl()
        check = subprocess.run(
            [CRAWLER, "portal", "check", _fault(farm, "antibot_412")["portal"], "--portals-dir",
             str(workspace.portals_dir), "--json"], capture_output=True, text=True, timeout=120)
        yield {"farm": farm, "manifest": farm.manifest(), "summary": summary, "workspace": workspace,
               "blocked_check": check}


def _fault(farm: RunningFarm, kind: str) -> dict:
    return next(f for f in farm.manifest()["faults"] if f["kind"] == kind)


def _problems(faulty: dict, kind: str) -> list[str]:
    portal = next(f["portal"] for f in faulty["manifest"]["faults"] if f["kind"] == kind)
    return faulty["summary"]["per_portal"][portal]["problems"]


def _archived(faulty: dict) -> set[str]:
    with faulty["workspace"].engine().connect() as connection:
        return set(connection.scalars(select(DocumentUrl.url)))


def test_every_fault_kind_is_served(faulty: dict) -> None:
    kinds = {f["kind"] for f in faulty["manifest"]["faults"]}
    assert len(kinds) == 12


def test_reports_of_unblocked_portals_are_all_harvested(faulty: dict) -> None:
    """Recall and precision over the portals that answer; a city's copy of a blocked county's
    report is the only copy the crawl can reach, so it is archived in its own right."""
    blocked = _fault(faulty["farm"], "antibot_412")["portal"]
    reachable = [r for r in faulty["manifest"]["reports"] if r["portal"] != blocked]
    copies = {m for r in faulty["manifest"]["reports"] if r["portal"] == blocked for m in r["mirrors"]}
    result = score(faulty["workspace"].engine(), {**faulty["manifest"], "reports": reachable})
    assert result.recall >= 0.99, sorted(result.missing)
    extra = {(url, text) for url, text in result.extra if url not in copies}
    assert len(extra) <= 0.01 * len(result.found), sorted(extra)


def test_antibot_portal_is_reported_blocked_not_empty(faulty: dict) -> None:
    portal = _fault(faulty["farm"], "antibot_412")["portal"]
    assert faulty["summary"]["per_portal"][portal]["status"] == "blocked"
    assert portal in faulty["summary"]["blocked"]
    with faulty["workspace"].engine().connect() as connection:
        stats = connection.scalar(select(Run.stats).where(Run.portal == portal))
    assert stats["status"] == "blocked" and any(p.startswith("blocked") for p in stats["problems"])


def test_portal_check_names_the_block(faulty: dict) -> None:
    check = faulty["blocked_check"]
    assert check.returncode == 1
    result = json.loads(check.stdout)
    assert result["status"] == "blocked" and result["candidates"] == []
    assert any(p.startswith("blocked") for p in result["problems"])


@pytest.mark.parametrize("kind", ["http_500_burst", "connection_reset", "truncated_body", "slow"])
def test_transient_page_faults_are_retried_until_the_report_is_archived(faulty: dict, kind: str) -> None:
    fault = _fault(faulty["farm"], kind)
    assert fault["url"] in _archived(faulty)


def test_server_errors_and_network_errors_are_recorded(faulty: dict) -> None:
    assert any(p.startswith("server_errors") for p in _problems(faulty, "http_500_burst"))
    assert any(p.startswith("server_errors") for p in _problems(faulty, "http_503_burst"))
    assert any(p.startswith("network_errors") for p in _problems(faulty, "connection_reset"))


def test_list_page_with_503_burst_is_still_read(faulty: dict) -> None:
    """The 503 sits on a portal's first list page: its reports are archived all the same."""
    portal = _fault(faulty["farm"], "http_503_burst")["portal"]
    expected = {r["url"] for r in faulty["manifest"]["reports"] if r["portal"] == portal}
    assert expected and expected <= _archived(faulty)


def test_offsite_redirect_is_dropped_and_recorded(faulty: dict) -> None:
    fault = _fault(faulty["farm"], "offsite_redirect")
    assert any(p.startswith("offsite_redirect") for p in _problems(faulty, "offsite_redirect"))
    host = urlsplit(fault["url"]).hostname
    with faulty["workspace"].engine().connect() as connection:
        fetched = connection.scalars(
            select(Fetch.url).join(Run, Run.id == Fetch.run_id).where(Run.portal == fault["portal"])
        ).all()
    assert fetched and all(urlsplit(url).hostname == host for url in fetched)


def test_soft_404_is_a_problem_not_a_report(faulty: dict) -> None:
    fault = _fault(faulty["farm"], "soft_404")
    assert any(p.startswith("soft_404") for p in _problems(faulty, "soft_404"))
    assert fault["url"] not in _archived(faulty)


@pytest.mark.parametrize("kind", ["huge_page", "binary_as_html", "redirect_loop"])
def test_bad_pages_are_not_archived(faulty: dict, kind: str) -> None:
    assert _fault(faulty["farm"], kind)["url"] not in _archived(faulty)


def test_huge_page_is_cut_off(faulty: dict) -> None:
    assert any(p.startswith("fetch_errors") for p in _problems(faulty, "huge_page"))
    assert faulty["summary"]["bytes"] < 10 * 1024 * 1024


def test_calendar_trap_is_not_followed(faulty: dict) -> None:
    fault = _fault(faulty["farm"], "calendar_trap")
    with faulty["workspace"].engine().connect() as connection:
        calendar = connection.scalar(select(Fetch.id).where(Fetch.url.contains("/calendar/")).limit(1))
        documents = connection.scalar(select(Document.id).where(Document.canonical_url.contains("/calendar/")))
    assert calendar is None and documents is None, fault


def test_offsite_redirect_of_a_list_page_is_dropped_by_the_middleware(faulty: dict, tmp_path: Path) -> None:
    """A start URL (a list request, followed by Scrapy's redirect middleware) that redirects to
    another host: the target is never requested."""
    fault = _fault(faulty["farm"], "offsite_redirect")
    config = (faulty["workspace"].portals_dir / f"{fault['portal']}.toml").read_text(encoding="utf-8")
    start = next(line for line in config.splitlines() if line.startswith("start_urls"))
    workspace = Workspace(tmp_path)
    workspace.portals_dir.mkdir()
    (workspace.portals_dir / "goto.toml").write_text(
        config.replace(start, f'start_urls = ["{fault["url"]}"]').replace(f'name = "{fault["portal"]}"', 'name = "goto"'),
        encoding="utf-8")
    summary = workspace.crawl("goto")
    assert any(p.startswith("offsite_redirect") for p in summary["per_portal"]["goto"]["problems"])
    host = urlsplit(fault["url"]).hostname
    with workspace.engine().connect() as connection:
        fetched = connection.scalars(select(Fetch.url)).all()
    assert fetched and all(urlsplit(url).hostname == host for url in fetched)
