"""Three nights of the farm, crawled over HTTP into one archive: the issue's "done when" list.

Night 0 is the first harvest, night 1 changes nothing, night 2 brings edits, removals,
late reports and city portals mirroring county reports. The farm is restarted on the same
port each night, so URLs stay the same, as they do on the real web.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import Document, DocumentUrl, Run, Version
from tests.crawl.conftest import Workspace
from tests.crawl.evaluate import score
from tests.farm import running_farm

PORTALS = 6
SEED = 3


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Crawl nights 0, 1, 2 into one archive; keep each night's summary, manifest and score."""
    workspace = Workspace(tmp_path_factory.mktemp("nights"))
    port = 0
    results = {}
    for night in (0, 1, 2):
        with running_farm(portals=PORTALS, seed=SEED, night=night, port=port) as farm:
            port = farm.port
            farm.write_portals(workspace.portals_dir)
            summary = workspace.crawl(night=night)
            manifest = farm.manifest()
            results[night] = {"summary": summary, "manifest": manifest, "score": score(workspace.engine(), manifest)}
    results["workspace"] = workspace
    return results


def test_night0_harvests_every_report_and_nothing_else(nights: dict) -> None:
    night = nights[0]
    assert night["score"].recall >= 0.99, sorted(night["score"].missing)
    assert night["score"].precision >= 0.99, sorted(night["score"].extra)
    assert night["summary"]["new_documents"] == len(night["manifest"]["reports"])
    assert night["summary"]["errors"] == 0


def test_night0_rejects_every_negative(nights: dict) -> None:
    """News, work plans, 解读 and 信息公开年报 pages are fetched as candidates but never archived."""
    negatives = {n["url"] for n in nights[0]["manifest"]["negatives"]}
    with nights["workspace"].engine().connect() as connection:
        archived = set(connection.scalars(select(DocumentUrl.url)))
    assert negatives and not negatives & archived
    assert nights[0]["summary"]["rejected"] > 0


def test_night1_unchanged_costs_304s(nights: dict) -> None:
    first, second = nights[0]["summary"], nights[1]["summary"]
    assert second["new_documents"] == 0
    assert second["new_versions"] == 0
    assert second["duplicates"] == 0 and second["removed"] == 0
    assert second["not_modified"] >= 0.9 * second["report_fetches"] > 0
    assert second["bytes"] <= 0.1 * first["bytes"]
    assert nights[1]["score"].recall >= 0.99


def test_night2_new_versions_and_removals_match_the_manifest(nights: dict) -> None:
    manifest, summary = nights[2]["manifest"], nights[2]["summary"]
    assert nights[2]["score"].recall >= 0.99, sorted(nights[2]["score"].missing)
    assert nights[2]["score"].precision >= 0.99, sorted(nights[2]["score"].extra)
    edited = {r["url"]: r["version"] for r in manifest["reports"] if r["version"] > 1}
    with nights["workspace"].engine().connect() as connection:
        versions = dict(connection.execute(select(Document.canonical_url, Document.latest_seq)
                                           .where(Document.latest_seq > 1)).all())
        removed = set(connection.scalars(select(Document.canonical_url).where(Document.status == "removed")))
    assert edited and versions == edited
    assert summary["new_versions"] == sum(v - 1 for v in edited.values())
    expected_removed = {r["url"] for r in manifest["removed"]}
    assert expected_removed and removed == expected_removed
    assert summary["removed"] == len(expected_removed)


def test_removed_reports_keep_their_text(nights: dict) -> None:
    with nights["workspace"].engine().connect() as connection:
        rows = connection.execute(
            select(Document.canonical_url, Version.content_hash)
            .join(Version, Version.document_id == Document.id)
            .where(Document.status == "removed")
        ).all()
    assert rows and all(content_hash for _, content_hash in rows)


def test_mirrors_are_stored_once(nights: dict) -> None:
    mirrored = {r["url"]: r["mirrors"] for r in nights[2]["manifest"]["reports"] if r["mirrors"]}
    assert mirrored, "the farm's night 2 should mirror some county reports on city portals"
    with nights["workspace"].engine().connect() as connection:
        owner = dict(connection.execute(
            select(DocumentUrl.url, Document.canonical_url).join(Document, Document.id == DocumentUrl.document_id)
        ).all())
        canonical = set(connection.scalars(select(Document.canonical_url)))
    for url, mirrors in mirrored.items():
        for mirror in mirrors:
            assert owner.get(mirror) == url, f"mirror {mirror} is not filed under {url}"
            assert mirror not in canonical


def test_runs_table_holds_the_summaries(nights: dict) -> None:
    """Every night leaves one run per portal and one for the whole crawl, with the summary's numbers."""
    with nights["workspace"].engine().connect() as connection:
        runs = connection.execute(select(Run.portal, Run.status, Run.stats).order_by(Run.id)).all()
    totals = [r for r in runs if r.portal is None]
    assert [r.status for r in totals] == ["finished"] * 3
    for night, run in enumerate(totals):
        summary = nights[night]["summary"]
        for key in ("pages_fetched", "report_fetches", "not_modified", "new_documents", "new_versions",
                    "unchanged", "duplicates", "removed", "errors", "bytes"):
            assert run.stats[key] == summary[key], (night, key)
    per_portal = [r for r in runs if r.portal is not None]
    assert len(per_portal) == 3 * nights[0]["summary"]["portals"]
    assert all("problems" in r.stats and "status" in r.stats for r in per_portal)


def test_summary_has_the_documented_keys(nights: dict) -> None:
    summary = nights[0]["summary"]
    for key in ("portals", "pages_fetched", "report_fetches", "not_modified", "new_documents", "new_versions",
                "unchanged", "duplicates", "removed", "errors", "bytes", "per_portal", "config_errors"):
        assert key in summary
    assert summary["portals"] == len(list(Path(nights["workspace"].portals_dir).glob("*.toml")))
