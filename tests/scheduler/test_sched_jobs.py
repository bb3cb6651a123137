"""Jobs live in the archive: a restart keeps them (paused state, CLI-added jobs, next run times),
and the CLI edits them while the daemon runs."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from crawler.cli import main
from scheduler.history import JobRuns
from storage.archive import Archive
from storage.db import make_engine
from tests.scheduler.daemon import copy_portal, job_runs, running_daemon, wait_until


def schedule(db_url: str, *args: str, portals_dir: Path | None = None) -> Result:
    """``crawler schedule ...`` in this process (the daemons are real subprocesses)."""
    command = ["schedule", *args, "--db", db_url]
    if portals_dir is not None:
        command += ["--portals-dir", str(portals_dir)]
    return CliRunner().invoke(main, command)


def jobs(db_url: str) -> dict[str, dict]:
    listing = schedule(db_url, "list", "--json")
    assert listing.exit_code == 0, listing.output
    return {job["id"]: job for job in json.loads(listing.stdout)["jobs"]}


def test_a_restart_keeps_the_jobs_and_their_state(sqlite_url: str, portals_dir: Path, county: Path, tmp_path: Path) -> None:
    copy_portal(county, "own_schedule", schedule="15 4 * * *")
    with running_daemon(sqlite_url, portals_dir, tmp_path, name="first") as first:
        first.wait_log("scheduler running on")
        assert first.stop() == 0
    before = jobs(sqlite_url)
    assert set(before) == {"nightly", "portal:own_schedule"}
    assert before["nightly"]["trigger"] == "cron[month='*', day='*', day_of_week='*', hour='2', minute='30']"
    assert before["portal:own_schedule"]["next_run_time"].endswith("04:15:00+08:00")

    assert schedule(sqlite_url, "pause", "nightly").exit_code == 0
    added = schedule(sqlite_url, "add", county.stem, "--cron", "0 5 * * *", portals_dir=portals_dir)
    assert added.exit_code == 0, added.output

    with running_daemon(sqlite_url, portals_dir, tmp_path, name="second") as second:
        second.wait_log("scheduler running on")
        after = jobs(sqlite_url)
        listing = json.loads(schedule(sqlite_url, "list", "--json").stdout)
        assert listing["active_scheduler"] is not None
        assert second.stop() == 0

    assert set(after) == {"nightly", "portal:own_schedule", f"portal:{county.stem}"}
    assert after["nightly"]["paused"] is True
    assert after["portal:own_schedule"]["next_run_time"] == before["portal:own_schedule"]["next_run_time"]
    assert after[f"portal:{county.stem}"]["next_run_time"].endswith("05:00:00+08:00")


def test_run_now_starts_a_job_in_the_running_daemon(db_url: str, portals_dir: Path, county: Path, tmp_path: Path) -> None:
    with running_daemon(db_url, portals_dir, tmp_path, env={"FAKE_CRAWL_MODE": "summary"}) as daemon:
        daemon.wait_log("scheduler running on")
        assert job_runs(db_url) == []
        queued = schedule(db_url, "run-now", "nightly")
        assert queued.exit_code == 0, queued.output
        assert "due now" in queued.stdout
        wait_until(lambda: len(job_runs(db_url)) == 1, daemon, timeout=30, what="the nightly run")
        assert daemon.stop() == 0
    (run,) = job_runs(db_url)
    assert (run.job, run.status) == ("nightly", "ok")
    assert set(run.summary["per_portal"]) == {county.stem, "sim_city_0000"}
    # The cron is untouched: the next run is tomorrow's 02:30 again.
    assert jobs(db_url)["nightly"]["next_run_time"].endswith("02:30:00+08:00")


def test_after_a_reboot_the_abandoned_run_is_closed_and_the_missed_run_happens(
    sqlite_url: str, portals_dir: Path, tmp_path: Path
) -> None:
    with running_daemon(sqlite_url, portals_dir, tmp_path, name="first") as first:
        first.wait_log("scheduler running on")
        assert first.stop() == 0
    # A reboot mid-harvest: the run was never closed, and the 02:30 harvest was missed.
    engine = make_engine(sqlite_url)
    JobRuns(Archive(engine)).start("nightly", ["sim_city_0000"])
    engine.dispose()
    queued = schedule(sqlite_url, "run-now", "nightly")
    assert "no scheduler is running" in queued.stdout
    with running_daemon(sqlite_url, portals_dir, tmp_path, env={"FAKE_CRAWL_MODE": "summary"}, name="second") as second:
        wait_until(lambda: len(job_runs(sqlite_url)) == 2, second, timeout=30, what="the missed run")
        assert second.stop() == 0
    abandoned, missed = job_runs(sqlite_url)
    assert (abandoned.job, abandoned.status) == ("nightly", "interrupted")
    assert abandoned.error == "the daemon ended without recording the end of this run"
    assert (missed.job, missed.status) == ("nightly", "ok")


def test_the_cli_refuses_what_it_cannot_do(sqlite_url: str, portals_dir: Path, county: Path) -> None:
    unknown = schedule(sqlite_url, "pause", "no_such_portal")
    assert unknown.exit_code == 1
    assert "portal:no_such_portal" in unknown.stderr

    no_cron = schedule(sqlite_url, "add", county.stem, portals_dir=portals_dir)
    assert no_cron.exit_code == 2
    assert "no `schedule` key" in no_cron.stderr

    bad_cron = schedule(sqlite_url, "add", county.stem, "--cron", "99 * * * *", portals_dir=portals_dir)
    assert bad_cron.exit_code == 2
    assert "'99 * * * *' is not a valid 5-field cron expression" in bad_cron.stderr

    assert schedule(sqlite_url, "add", county.stem, "--cron", "0 5 * * *", portals_dir=portals_dir).exit_code == 0
    assert schedule(sqlite_url, "pause", county.stem).exit_code == 0
    paused = schedule(sqlite_url, "run-now", county.stem)
    assert paused.exit_code == 1
    assert "is paused: resume it first" in paused.stderr
    assert schedule(sqlite_url, "resume", county.stem).exit_code == 0
    queued = schedule(sqlite_url, "run-now", county.stem)
    assert "no scheduler is running" in queued.stdout
    assert schedule(sqlite_url, "remove", county.stem).exit_code == 0
    assert f"portal:{county.stem}" not in jobs(sqlite_url)

    no_portals = schedule(sqlite_url, "run", portals_dir=county.parent / "missing")
    assert no_portals.exit_code == 2
    assert "missing is not a directory of portal TOML files" in no_portals.stderr
    bad_nightly = schedule(sqlite_url, "run", "--nightly", "at 2:30", portals_dir=county.parent)
    assert bad_nightly.exit_code == 2
    assert "'at 2:30' is not a valid 5-field cron expression" in bad_nightly.stderr


def test_a_broken_config_keeps_its_job_and_a_deleted_one_loses_it(
    sqlite_url: str, portals_dir: Path, county: Path, tmp_path: Path
) -> None:
    broken = copy_portal(county, "broken_later", schedule="15 4 * * *")
    deleted = copy_portal(county, "deleted_later", schedule="20 4 * * *")
    with running_daemon(sqlite_url, portals_dir, tmp_path, name="first") as first:
        first.wait_log("scheduler running on")
        assert first.stop() == 0
    assert {"portal:broken_later", "portal:deleted_later"} <= set(jobs(sqlite_url))

    broken.write_text(broken.read_text(encoding="utf-8") + "\nthis is not TOML\n", encoding="utf-8")
    deleted.unlink()
    with running_daemon(sqlite_url, portals_dir, tmp_path, name="second") as second:
        second.wait_log("scheduler running on")
        assert second.stop() == 0
    after = jobs(sqlite_url)
    assert "portal:broken_later" in after
    assert "portal:deleted_later" not in after
