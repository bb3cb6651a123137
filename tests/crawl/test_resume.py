"""kill -9 in the middle of a crawl, then a re-run: the archive ends as if nothing had happened.

The archive is idempotent (recording a page already recorded is UNCHANGED) and every write is
one transaction, so a re-run completes what the killed crawl left; a job directory left by a
killed crawl is not trusted (its queue can be torn) and is discarded.
A graceful stop (SIGINT) keeps a job directory exactly for the portals it interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError

from storage.models import Document
from tests.crawl.conftest import Workspace
from tests.crawl.evaluate import archive_state
from tests.farm import RunningFarm, running_farm

KILL_AFTER_DOCUMENTS = 3


def _documents(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Document)) or 0
    except OperationalError:
        return 0  # the schema is not there yet
    finally:
        engine.dispose()


def _stop_mid_crawl(workspace: Workspace, *args: str, how: signal.Signals = signal.SIGKILL) -> str:
    """Start a crawl, send it ``how`` once some documents are archived (and before it ends); return its stdout."""
    process = subprocess.Popen(workspace.crawl_command("--all", "--parallel", "1", *args),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    try:
        while _documents(workspace.db_url) < KILL_AFTER_DOCUMENTS:
            assert process.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline, "no documents archived in time"
            time.sleep(0.05)
        assert process.poll() is None, "the crawl ended before it could be killed"
        os.kill(process.pid, how)
    finally:
        stdout, _ = process.communicate(timeout=60)
    if how == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    return stdout


@pytest.fixture(scope="module")
def farm() -> Iterator[RunningFarm]:
    with running_farm(portals=4, seed=2, night=0) as running:
        yield running


@pytest.fixture(scope="module")
def reference(farm: RunningFarm, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The archive of one uninterrupted crawl of the farm."""
    workspace = Workspace(tmp_path_factory.mktemp("uninterrupted"))
    farm.write_portals(workspace.portals_dir)
    workspace.crawl()
    return archive_state(workspace.engine())


@pytest.mark.parametrize("jobdir", [False, True], ids=["plain", "jobdir"])
def test_kill_9_and_rerun_ends_with_the_same_archive(
    farm: RunningFarm, reference: dict, workspace: Workspace, jobdir: bool
) -> None:
    farm.write_portals(workspace.portals_dir)
    args = ("--jobdir", str(workspace.root / "jobs")) if jobdir else ()
    _stop_mid_crawl(workspace, *args)
    killed = _documents(workspace.db_url)
    assert 0 < killed < len(reference["documents"])
    workspace.crawl("--all", *args)
    assert archive_state(workspace.engine()) == reference


def test_graceful_stop_resumes_from_the_job_directory(farm: RunningFarm, reference: dict, workspace: Workspace) -> None:
    """Ctrl-C (SIGINT) stops the crawl cleanly and says so; the re-run with the same job directory completes it.

    Exactly the portals whose spider closed on the stop (reason ``shutdown``) keep a marked job
    directory. A portal that finished leaves none, and neither does one stopped before its
    spider opened (the signal can land while a portal is starting): it is crawled afresh.
    """
    farm.write_portals(workspace.portals_dir)
    jobs = workspace.root / "jobs"
    summary = json.loads(_stop_mid_crawl(workspace, "--jobdir", str(jobs), how=signal.SIGINT))
    assert summary["stopped"] is True
    assert 0 < _documents(workspace.db_url) < len(reference["documents"])
    interrupted = {name for name, portal in summary["per_portal"].items() if portal["finish_reason"] == "shutdown"}
    left = {job.name: (job / "closed-cleanly").read_text() for job in jobs.iterdir()} if jobs.exists() else {}
    assert left == dict.fromkeys(interrupted, "shutdown")
    rerun = workspace.crawl("--all", "--jobdir", str(jobs))
    assert rerun["stopped"] is False
    assert archive_state(workspace.engine()) == reference
    assert not any(jobs.iterdir()), "finished portals leave no job directory behind"
