"""How a crawl that ends early is reported and what it leaves for the next one."""

from __future__ import annotations

import json
import os
import subprocess

from sqlalchemy import select

from scheduler.child import Status, classify
from storage.models import DocumentUrl
from tests.crawl.conftest import CRAWL_TIMEOUT, Workspace
from tests.farm import running_farm


def test_a_page_limited_crawl_leaves_no_job_directory_and_the_next_night_reads_the_lists(workspace: Workspace) -> None:
    """A limit is not a pause: resuming would find the start URLs already seen and read no list."""
    jobs = workspace.root / "jobs"
    with running_farm(portals=1, seed=4, night=0) as farm:
        farm.write_portals(workspace.portals_dir)
        portal = farm.manifest()["portals"][0]["name"]
        command = workspace.crawl_command(portal, "--jobdir", str(jobs), "--set", "CLOSESPIDER_PAGECOUNT=2")
        command.remove("--json")  # the tables
        limited = subprocess.run(command, capture_output=True, text=True, timeout=CRAWL_TIMEOUT,
                                 env={**os.environ, "COLUMNS": "200"})
        assert limited.returncode == 0, limited.stderr[-3000:]
        # The table output shows the problem as written (rich markup would eat "[limits]").
        assert "page_limit: stopped at [limits].max_pages" in limited.stdout
        assert not list(jobs.iterdir())

        summary = workspace.crawl(portal, "--jobdir", str(jobs))
        reports = {r["url"] for r in farm.manifest()["reports"] if r["portal"] == portal}
    assert summary["per_portal"][portal]["status"] == "ok"
    with workspace.engine().connect() as connection:
        assert reports <= set(connection.scalars(select(DocumentUrl.url)))
    assert not list(jobs.iterdir())


def test_a_crawl_stopped_from_outside_the_scheduler_is_an_interrupted_run() -> None:
    """Exit 0 with a summary is "ok" only if the crawl was not stopped before its end."""
    stopped = classify(0, json.dumps({"portals": 3, "stopped": True}).encode(), b"", duration=1.0)
    assert stopped.status == Status.INTERRUPTED
    assert "stopped" in stopped.error
    finished = classify(0, json.dumps({"portals": 3, "stopped": False}).encode(), b"", duration=1.0)
    assert (finished.status, finished.error) == (Status.OK, None)
