"""The daemon against the farm with a fast trigger: harvests happen and are recorded; a child
that crashes and one that hangs past its limit are recorded, and the daemon goes on."""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import func, select

from storage.db import make_engine
from storage.models import Document, Run
from tests.scheduler.daemon import alive, copy_portal, job_runs, running_daemon, wait_until


def test_harvests_crashes_and_hangs_are_recorded_and_the_daemon_goes_on(
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

    with running_daemon(sqlite_url, portals_dir, tmp_path, "--trigger-every", "1", "--time-limit", "20",
                        "--kill-grace", "2", env={"FAKE_CRAWL_PIDS": str(pids)}) as daemon:
        wait_until(daemon_went_on, daemon, timeout=90, what="a crash, a timeout and a nightly harvest after both")
        assert daemon.stop(signal.SIGTERM) == 0

    runs = job_runs(sqlite_url)
    nightly = runs_of("nightly", "ok")[0]
    # The nightly job harvests the portals without a job of their own, and the crawl's summary is kept.
    assert set(nightly.portals) == {county.stem, "sim_city_0000"}
    assert nightly.exit_code == 0
    assert nightly.summary["per_portal"][county.stem]["status"] == "ok"
    assert nightly.summary["per_portal"][county.stem]["reports"] > 0

    crash = runs_of("portal:crashy_portal", "crashed")[0]
    assert crash.portals == ("crashy_portal",)
    assert crash.exit_code == -signal.SIGKILL
    assert crash.error.startswith("killed by SIGKILL")

    hang = runs_of("portal:hangy_portal", "timeout")[0]
    assert "time limit of 20 s" in hang.error
    assert (hang.finished_at - hang.started_at).total_seconds() >= 20
    hung = [int(pid) for line in pids.read_text().splitlines() for pid in line.split()]
    wait_until(lambda: not any(alive(pid) for pid in hung), timeout=10, what="the hung child and its grandchild to be gone")

    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Document)) > 0
        assert connection.scalar(select(func.count()).select_from(Run).where(Run.status == "running")) == 0
    engine.dispose()
    assert {r.status for r in runs} <= {"ok", "crashed", "timeout", "interrupted"}
