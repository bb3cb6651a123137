"""``crawler status``: per-portal health from the run history, and the flags ``--check`` alerts on."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from crawler.cli import main
from crawler.cli.status import EXIT_FLAGGED
from scheduler.child import ChildResult, Status
from scheduler.history import JobRuns, crawl_marker, recent_job_runs
from storage.archive import Archive
from storage.db import make_engine
from storage.models import Document, Run
from tests.scheduler.daemon import job_runs, running_daemon, wait_until


def summary(**portals: tuple[str, int, list[str]]) -> dict:
    """A crawl summary: portal -> (status, candidates, problems)."""
    return {
        "portals": len(portals),
        "per_portal": {
            name: {"status": status, "candidates": found, "reports": found, "problems": problems, "pages_fetched": 9}
            for name, (status, found, problems) in portals.items()
        },
    }


def record(db_url: str, job: str, portals: list[str], status: Status, crawl: dict | None = None, error: str | None = None) -> None:
    engine = make_engine(db_url)
    runs = JobRuns(Archive(engine))
    run_id = runs.start(job, portals)
    runs.finish(run_id, job, portals, ["crawler", "crawl"], ChildResult(status, 0 if crawl else -9, crawl, error, 1.0))
    engine.dispose()


def count_documents(db_url: str) -> int:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(Document))
    engine.dispose()
    return total


def status(db_url: str, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["status", "--db", db_url, "--portals-dir", "/nonexistent", "--json", *args])
    assert result.exit_code in (0, EXIT_FLAGGED), result.output
    return result.exit_code, {p["portal"]: p for p in json.loads(result.stdout)["portals"]}


def test_health_of_each_portal_from_the_run_history(sqlite_url: str) -> None:
    both = ["steady", "emptied"]
    for found in (5, 7, 6):
        record(sqlite_url, "nightly", both, Status.OK, summary(steady=("ok", 4, []), emptied=("ok", found, [])))
    record(sqlite_url, "nightly", both, Status.TIMEOUT, error="killed after the time limit of 3600 s")
    record(sqlite_url, "nightly", both, Status.INTERRUPTED, error="stopped with the daemon")
    record(sqlite_url, "nightly", both, Status.OK, summary(steady=("ok", 4, []), emptied=("empty", 0, ["nothing_found: ..."])))

    code, portals = status(sqlite_url)
    assert code == 0  # flags are shown, but only --check turns them into an exit code
    steady, emptied = portals["steady"], portals["emptied"]
    assert steady["flags"] == [] and steady["found_last"] == 4 and steady["usual"] == 4
    assert emptied["flags"] == ["empty"]
    assert (emptied["found_last"], emptied["usual"]) == (0, 6)
    # The timeout is the last failure; the interrupted run counts neither way; the success reset the streak.
    assert emptied["last_error"] == "killed after the time limit of 3600 s"
    assert emptied["failure_streak"] == 0
    assert emptied["runs"] == 5
    assert emptied["last_success"] > emptied["last_failure"]
    assert status(sqlite_url, "--check")[0] == EXIT_FLAGGED


def test_a_portal_that_never_had_reports_is_not_flagged_empty(sqlite_url: str) -> None:
    for _ in range(3):
        record(sqlite_url, "nightly", ["quiet"], Status.OK, summary(quiet=("empty", 0, ["nothing_found: ..."])))
    code, portals = status(sqlite_url, "--check")
    assert code == 0
    assert portals["quiet"]["flags"] == []
    # The same history, read as if the last run were older than --max-age: the scheduler is down.
    code, _ = status(sqlite_url, "--check", "--max-age", "0")
    assert code == EXIT_FLAGGED
    result = CliRunner().invoke(main, ["status", "--db", sqlite_url, "--portals-dir", "/nonexistent", "--json", "--max-age", "0"])
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem.startswith("no job run since ") and problem.endswith("more than 0 h ago: is `crawler schedule run` running on this archive?")


def test_failing_after_n_failures_in_a_row_and_blocked(sqlite_url: str) -> None:
    record(sqlite_url, "portal:flaky", ["flaky"], Status.OK, summary(flaky=("ok", 3, [])))
    record(sqlite_url, "portal:flaky", ["flaky"], Status.CRASHED, error="killed by SIGKILL")
    record(sqlite_url, "portal:flaky", ["flaky"], Status.FAILED, error="exit code 1: archive error")
    record(sqlite_url, "nightly", ["walled"], Status.OK,
           summary(walled=("blocked", 0, ["blocked: 3 anti-bot challenge(s) (HTTP 412/521 with a script)"])))

    code, portals = status(sqlite_url, "--check")
    assert code == EXIT_FLAGGED
    assert portals["flaky"]["failure_streak"] == 2
    assert portals["flaky"]["last_error"] == "exit code 1: archive error"
    assert portals["flaky"]["flags"] == []  # two failures: below the default of 3
    assert portals["walled"]["flags"] == ["blocked"]
    assert portals["walled"]["last_error"].startswith("blocked: 3 anti-bot")

    code, portals = status(sqlite_url, "--check", "--failures", "2")
    assert portals["flaky"]["flags"] == ["failing"]


def test_status_lists_configured_portals_that_never_ran_and_reports_no_daemon(sqlite_url: str, portals_dir: Path) -> None:
    result = CliRunner().invoke(main, ["status", "--db", sqlite_url, "--portals-dir", str(portals_dir), "--check", "--json"])
    # No portal is flagged, but no job ever ran: the daemon is not there, which --check reports.
    assert result.exit_code == EXIT_FLAGGED, result.output
    report = json.loads(result.stdout)
    assert (report["job_runs"], report["flagged"]) == (0, 0)
    assert report["problems"] == ["no job run recorded: is `crawler schedule run` running on this archive?"]
    assert {p["portal"]: (p["runs"], p["last_run"]) for p in report["portals"]} == {
        name.stem: (0, None) for name in portals_dir.glob("*.toml")
    }


def test_harvests_are_recorded_and_a_portal_turned_empty_is_flagged_by_status_check(sqlite_url: str, portals_dir: Path, county: Path, tmp_path: Path) -> None:
    def nightly_ok() -> list:
        return [r for r in job_runs(sqlite_url) if r.job == "nightly" and r.status == "ok"]

    with running_daemon(sqlite_url, portals_dir, tmp_path, "--trigger-every", "1") as daemon:
        wait_until(lambda: len(nightly_ok()) >= 1, daemon, timeout=60, what="a first harvest")
        first = nightly_ok()[0]
        assert set(first.portals) == {county.stem, "sim_city_0000"}
        assert first.exit_code == 0
        assert first.summary["per_portal"][county.stem]["candidates"] > 0
        assert first.summary["new_documents"] == count_documents(sqlite_url) > 0
        # A redesign: the portal's lists no longer have the markup its config expects.
        with county.open("a", encoding="utf-8") as config:
            config.write('\n[selectors]\nlist_items = "div.list-before-the-redesign a"\n')
        changed = dt.datetime.now(dt.UTC)  # a harvest started after this reads the new config
        wait_until(lambda: any(r.started_at > changed for r in nightly_ok()), daemon, timeout=60, what="a harvest after the change")
        assert daemon.stop() == 0

    result = CliRunner().invoke(main, ["status", "--db", sqlite_url, "--portals-dir", str(portals_dir), "--check", "--json"])
    assert result.exit_code == EXIT_FLAGGED, result.output
    portals = {p["portal"]: p for p in json.loads(result.stdout)["portals"]}
    assert portals[county.stem]["flags"] == ["empty"]
    assert portals[county.stem]["found_last"] == 0
    assert portals[county.stem]["usual"] > 0
    assert portals["sim_city_0000"]["flags"] == []


def seed_night(db_url: str, portals: list[str]) -> tuple[str, int]:
    """A nightly job run in mode distributed: it only seeded a run (its crawl's row, under the job's marker)."""
    engine = make_engine(db_url)
    runs = JobRuns(Archive(engine))
    job_run = runs.start("nightly", portals)
    marker = crawl_marker("nightly", job_run)
    crawl = Archive(engine).start_run(None, command=marker)
    seeded = {"seeded": len(portals), "run_id": crawl, "stopped": False, "config_errors": []}
    runs.finish(job_run, "nightly", portals, ["crawler", "crawl", "--seed-only"], ChildResult(Status.OK, 0, seeded, None, 1.0))
    engine.dispose()
    return marker, crawl


def worker_run(db_url: str, marker: str, portal: str | None, status: str, found: int = 0) -> int:
    """A run a worker wrote under the seeded run's marker: a portal's attempt (or, for None, the run's end)."""
    archive = Archive(make_engine(db_url))
    run_id = archive.start_run(portal, command=marker)
    if status != "running":
        stats = {"status": status, "candidates": found, "reports": found, "problems": []} if portal else {"portals": 2}
        archive.finish_run(run_id, stats, status)
    archive.engine.dispose()
    return run_id


def run_statuses(db_url: str) -> dict[int, str]:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        statuses = dict(connection.execute(select(Run.id, Run.status)).all())
    engine.dispose()
    return statuses


def test_a_seeded_night_reads_each_portal_from_the_workers_runs(sqlite_url: str) -> None:
    """Mode distributed: the job run only seeded; each portal's health comes from the run the
    worker that crawled it wrote, a portal not crawled yet counts neither way, and one the
    finished run never crawled is missing."""
    portals = ["done_early", "taken_over", "never_crawled"]
    for found in (4, 4):
        record(sqlite_url, "nightly", portals, Status.OK, summary(done_early=("ok", found, []), taken_over=("ok", 2, []),
                                                                 never_crawled=("ok", 1, [])))
    marker, crawl = seed_night(sqlite_url, portals)
    worker_run(sqlite_url, marker, "done_early", "ok", 5)
    worker_run(sqlite_url, marker, "taken_over", "lost")  # a worker killed -9: another crawls it again
    _, live = status(sqlite_url, "--check", "--failures", "1")
    assert live["done_early"]["found_last"] == 5 and live["done_early"]["runs"] == 3
    assert [live[name]["runs"] for name in ("taken_over", "never_crawled")] == [2, 2]  # not crawled yet
    assert not any(health["flags"] or health["failure_streak"] for health in live.values()), live
    engine = make_engine(sqlite_url)
    assert JobRuns(Archive(engine)).settle_seeded() == 0  # the workers are still at it
    engine.dispose()

    worker_run(sqlite_url, marker, "taken_over", "ok", 2)
    engine = make_engine(sqlite_url)
    Archive(engine).finish_run(crawl, {"portals": 2}, "finished")  # the last worker closes the run
    engine.dispose()
    code, done = status(sqlite_url, "--check", "--failures", "1")
    assert code == EXIT_FLAGGED
    assert (done["taken_over"]["found_last"], done["taken_over"]["failure_streak"]) == (2, 0)
    assert done["never_crawled"]["flags"] == ["failing"]
    assert done["never_crawled"]["last_error"] == "not in the crawl's summary (invalid config?)"
    # Before the next seeding the daemon settles the night: its job run keeps the results itself.
    engine = make_engine(sqlite_url)
    runs = JobRuns(Archive(engine))
    assert (runs.settle_seeded(), runs.settle_seeded()) == (1, 0)
    night = recent_job_runs(Archive(engine), 1)[0]
    engine.dispose()
    assert set(night.summary["per_portal"]) == {"done_early", "taken_over"} and night.status == "ok"
    assert status(sqlite_url, "--check", "--failures", "1")[1] == done


def test_a_restarted_daemon_leaves_a_seeded_run_to_its_workers(sqlite_url: str) -> None:
    """Only the crawl runs of job runs the earlier daemon left open are closed as interrupted; a
    seeded run's rows, which live workers are writing, stay as they are."""
    marker, crawl = seed_night(sqlite_url, ["a", "b"])
    crawling = worker_run(sqlite_url, marker, "a", "running")
    engine = make_engine(sqlite_url)
    runs = JobRuns(Archive(engine))
    abandoned = runs.start("portal:c", ["c"])
    orphan = Archive(engine).start_run("c", command=crawl_marker("portal:c", abandoned))
    assert runs.close_abandoned() == 2
    engine.dispose()
    statuses = run_statuses(sqlite_url)
    assert (statuses[crawl], statuses[crawling]) == ("running", "running")
    assert (statuses[abandoned], statuses[orphan]) == ("interrupted", "interrupted")
