"""One job run without the daemon: which portals a job covers, and what is recorded when it cannot run."""

from __future__ import annotations

import shlex
from pathlib import Path

from scheduler.child import Children
from scheduler.harvest import Harvester, HarvestOptions
from scheduler.history import JobRuns
from storage.archive import Archive
from storage.db import make_engine
from tests.scheduler.daemon import CHILD_COMMAND, copy_portal, job_runs


def harvester(db_url: str, portals_dir: Path, own: set[str]) -> Harvester:
    options = HarvestOptions(db_url=db_url, portals_dir=portals_dir, time_limit=60, child_command=tuple(shlex.split(CHILD_COMMAND)))
    return Harvester(options, JobRuns(Archive(make_engine(db_url))), Children(), own_jobs=lambda: own)


def test_the_nightly_job_skips_portals_with_a_job_of_their_own(
    sqlite_url: str, portals_dir: Path, county: Path, monkeypatch
) -> None:
    monkeypatch.setenv("FAKE_CRAWL_MODE", "summary")
    copy_portal(county, "early_bird", schedule="0 1 * * *")

    assert harvester(sqlite_url, portals_dir, own={"early_bird"}).run("nightly") == "ok"
    assert harvester(sqlite_url, portals_dir, own=set()).run("nightly") == "ok"
    partial, everything = job_runs(sqlite_url)
    assert set(partial.portals) == {county.stem, "sim_city_0000"}
    assert set(partial.summary["per_portal"]) == {county.stem, "sim_city_0000"}
    assert set(everything.portals) == {county.stem, "sim_city_0000", "early_bird"}


def test_a_portal_job_without_a_valid_config_is_recorded_as_failed(sqlite_url: str, portals_dir: Path, county: Path) -> None:
    broken = copy_portal(county, "broken_one")
    broken.write_text(broken.read_text(encoding="utf-8").replace("max_pages = 500", "max_pages = -1"), encoding="utf-8")

    assert harvester(sqlite_url, portals_dir, own={"broken_one"}).run("portal:broken_one") == "failed"
    assert harvester(sqlite_url, portals_dir, own={"gone"}).run("portal:gone") == "failed"
    broken_run, gone_run = job_runs(sqlite_url)
    assert broken_run.portals == ("broken_one",)
    assert broken_run.error.startswith("no valid config for portal broken_one: ")
    assert "broken_one.toml: limits.max_pages" in broken_run.error
    assert gone_run.error == f"no valid config for portal gone: no gone.toml in {portals_dir}"
