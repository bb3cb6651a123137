"""What a crawl does when a part of it fails: the failure costs only what it must, and it shows.

An attachment that cannot be downloaded costs the attachment, not its report; a page a
pipeline fails on is counted in ``errors`` and named among the portal's problems (and so in
the archive's runs table), instead of being visible only in the log.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from storage.models import DocumentUrl, Run
from tests.crawl.conftest import CRAWLER, Workspace
from tests.farm import RunningFarm, running_farm

# Far below any attachment the farm serves, far above its robots.txt; HTML pages have their own
# limit (PAGE_MAXSIZE), so only attachment downloads are cut off, each one for good.
ATTACHMENT_LIMIT = ["--set", "DOWNLOAD_MAXSIZE=600"]


@pytest.fixture(scope="module")
def farm() -> Iterator[RunningFarm]:
    with running_farm(portals=2, seed=1, night=0) as running:
        yield running


def _problem(summary: dict, portal: str, kind: str) -> str | None:
    return next((p for p in summary["per_portal"][portal]["problems"] if p.startswith(f"{kind}:")), None)


def test_a_failed_attachment_download_still_archives_its_report_and_is_counted(
    farm: RunningFarm, workspace: Workspace
) -> None:
    reports = farm.manifest()["reports"]
    with_attachment = [r for r in reports if r["attachments"]]
    assert with_attachment, "the farm serves reports published as attachments"
    farm.write_portals(workspace.portals_dir)

    summary = workspace.crawl("--all", *ATTACHMENT_LIMIT)

    with workspace.engine().connect() as connection:
        archived = set(connection.scalars(select(DocumentUrl.url)))
    assert {r["url"] for r in with_attachment} <= archived
    assert {r["url"] for r in reports} <= archived
    for portal in {r["portal"] for r in with_attachment}:
        expected = sum(len(r["attachments"]) for r in with_attachment if r["portal"] == portal)
        assert _problem(summary, portal, "attachment_errors") == (
            f"attachment_errors: {expected} attachment(s) could not be downloaded"
        )
        assert summary["per_portal"][portal]["status"] == "degraded"


def test_a_pipeline_error_is_counted_in_errors_and_the_portal_problems(farm: RunningFarm, workspace: Workspace) -> None:
    farm.write_portals(workspace.portals_dir)
    upgrade = subprocess.run([CRAWLER, "db", "upgrade", "--db", workspace.db_url], capture_output=True, text=True,
                             timeout=60)
    assert upgrade.returncode == 0, upgrade.stderr
    engine = workspace.engine()
    with engine.begin() as connection:  # the archive refuses every new document: a real database error
        connection.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON documents "
                                "BEGIN SELECT RAISE(ABORT, 'documents are refused'); END"))

    summary = workspace.crawl()

    manifest = farm.manifest()
    lost: Counter[str] = Counter(r["portal"] for r in manifest["reports"])  # each page of a report text ...
    for report in manifest["reports"]:  # ... and each city portal's copy of one
        lost.update(_portal_of(manifest, url) for url in report["mirrors"])
    assert summary["new_documents"] == 0
    assert summary["errors"] == sum(lost.values())
    for portal, count in lost.items():
        assert summary["per_portal"][portal]["errors"] == count
        assert _problem(summary, portal, "pipeline_errors") == (
            f"pipeline_errors: {count} page(s) lost to an error in the item pipelines (see the log)"
        )
        assert summary["per_portal"][portal]["status"] == "degraded"
    with engine.connect() as connection:
        runs = {run.portal: run for run in connection.execute(select(Run.portal, Run.status, Run.stats))}
    for portal, count in lost.items():
        assert (runs[portal].status, runs[portal].stats["errors"]) == ("degraded", count)


def _portal_of(manifest: dict, url: str) -> str:
    return next(p["name"] for p in manifest["portals"] if url.startswith(p["base_url"]))
