"""One active scheduler per archive: a second one is refused, or stands by and takes over."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from crawler.cli.schedule import EXIT_SCHEDULER_ACTIVE
from scheduler.lock import APPLICATION_NAME
from storage.db import describe, make_engine
from tests.scheduler.daemon import CRAWLER, running_daemon


def test_a_second_scheduler_is_refused_and_a_standby_takes_over(db_url: str, portals_dir: Path, tmp_path: Path) -> None:
    with running_daemon(db_url, portals_dir, tmp_path, name="first") as first:
        first.wait_log("scheduler running on")

        second = subprocess.run(
            [CRAWLER, "schedule", "run", "--db", db_url, "--portals-dir", str(portals_dir)],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )
        assert second.returncode == EXIT_SCHEDULER_ACTIVE
        assert f"another scheduler is already active on {describe(db_url)}" in second.stderr
        assert "--standby" in second.stderr

        with running_daemon(db_url, portals_dir, tmp_path, "--standby", name="standby") as standby:
            standby.wait_log("standby: another scheduler is active")
            assert "scheduler running on" not in standby.log_text()
            assert first.stop() == 0
            standby.wait_log("standby over: took the scheduler lock")
            standby.wait_log("scheduler running on")
            assert standby.stop() == 0


def test_a_standby_stopped_before_taking_over_exits_cleanly(sqlite_url: str, portals_dir: Path, tmp_path: Path) -> None:
    with running_daemon(sqlite_url, portals_dir, tmp_path, name="first") as first:
        first.wait_log("scheduler running on")
        with running_daemon(sqlite_url, portals_dir, tmp_path, "--standby", name="standby") as standby:
            standby.wait_log("standby: another scheduler is active")
            assert standby.stop(signal.SIGINT) == 0
            assert "stopped while standing by" in standby.log_text()
        assert first.stop(signal.SIGINT) == 0
        assert "stopping: received SIGINT" in first.log_text()


def test_the_lock_needs_a_database_file(tmp_path: Path) -> None:
    result = subprocess.run([CRAWLER, "schedule", "run", "--db", "sqlite://"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    assert "needs an archive in a database file" in result.stderr


@pytest.mark.postgres
def test_a_daemon_that_loses_its_postgresql_lock_stops_with_an_error(pg_url: str, portals_dir: Path, tmp_path: Path) -> None:
    """A dropped lock connection means a standby may already have taken over: stop rather than run twice."""
    with running_daemon(pg_url, portals_dir, tmp_path) as daemon:
        daemon.wait_log("scheduler running on")
        engine = make_engine(pg_url)
        with engine.connect() as connection:
            killed = connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": APPLICATION_NAME},
            ).scalars().all()
        engine.dispose()
        assert killed == [True]
        assert daemon.process.wait(60) == 1
    assert "stopping: lost the scheduler lock on" in daemon.log_text()
