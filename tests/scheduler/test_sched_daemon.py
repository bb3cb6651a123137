"""A child that crashes and one that hangs past its limit are recorded, and the daemon goes on.

The children here are stand-ins (``fake_crawl.py``): crashy and hangy portals misbehave, the
others answer with a made-up summary at once, so the time limit can be seconds. Real
harvests of the farm are in test_sched_status.py and test_sched_sigterm.py.
"""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import func, select

from storage.db import make_engine
from storage.models import Run
from tests.scheduler.daemon import alive, copy_portal, job_runs, running_daemon, wait_until


def test_crashing_and_hanging_children_are_recorded_and_the_daemon_goes_on(
    portals_dir: Path, county: Path, sqlite_url: str, tmp_path: Path
) -> None:
    copy_portal(county, "crashy_portal", schedule="0 3 * * *")
    copy_portal(county, "hangy_portal", schedule="0 3 * * *")
    pids = tmp_path / "hang.pids"

    def runs_of(job: str, status: str) -> list:
        return [r for r in job_runs(sqlite_url) if r.job == job and r.status == status]

    def daemon_went_on() -> bool:
        crashes, hangs = runs_of("portal:crashy_portal", "crashed"), runs_of("portal:hangy_portal", "timeout")
        if not crashes or not hangs:
            return False
        both_failed = max(crashes[0].finished_at, hangs[0].finished_at)
        return any(r.started_at > both_failed for r in runs_of("nightly", "ok"))

    env = {"FAKE_CRAWL_PIDS": str(pids), "FAKE_CRAWL_MODE": "summary"}
    with running_daemon(sqlite_url, portals_dir, tmp_path, "--trigger-every", "1", "--time-limit", "3",
                        "--kill-grace", "2", env=env) as daemon:
        wait_until(daemon_went_on, daemon, timeout=60, what="a crash, a timeout and a nightly harvest after both")
        assert daemon.stop(signal.SIGTERM) == 0

    nightly = runs_of("nightly", "ok")[0]
    # The nightly job covers the portals without a job of their own.
    assert set(nightly.portals) == {county.stem, "sim_city_0000"}
    assert nightly.exit_code == 0

    crash = runs_of("portal:crashy_portal", "crashed")[0]
    assert crash.portals == ("crashy_portal",)
    assert crash.exit_code == -signal.SIGKILL
    assert crash.error.startswith("killed by SIGKILL")

    hang = runs_of("portal:hangy_portal", "timeout")[0]
    assert "time limit of 3 s" in hang.error
    assert (hang.finished_at - hang.started_at).total_seconds() >= 3
    hung = [int(pid) for line in pids.read_text().splitlines() for pid in line.split()]
    wait_until(lambda: not any(alive(pid) for pid in hung), timeout=10, what="the hung child and its grandchild to be gone")

    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Run).where(Run.status == "running")) == 0
    engine.dispose()
