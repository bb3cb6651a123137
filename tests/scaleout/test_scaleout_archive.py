"""A distributed crawl leaves the archive a single-process crawl leaves, also when a worker is killed -9 or stopped.

Each night of the farm is crawled twice: by one ``crawler crawl`` process into SQLite (the
reference), and by a ``crawler crawl --redis`` seeder plus ``crawler worker`` processes into
PostgreSQL, the frontier in Redis. Documents, versions and removals must be equal, URL by URL
and hash by hash.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, select

from crawler.extensions import SUMMARY_KEYS
from storage.models import Run
from tests.farm import running_farm
from tests.scaleout.conftest import LEASE_TTL, Cluster, archive_snapshot, duplicate_fetches, finish

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

FARM = {"portals": 3, "seed": 5}  # 3 county portals and their 3 city portals


def test_workers_archive_equals_single_process_over_three_nights(cluster: Cluster) -> None:
    workspace = cluster.workspace
    engine = create_engine(cluster.db_url)
    port = 0
    try:
        for night in (0, 1, 2):
            with running_farm(night=night, port=port, **FARM) as farm:
                port = farm.port
                farm.write_portals(workspace.portals_dir)
                reference = workspace.crawl(night=night)
                seeder = cluster.seed(night, "--parallel", "2")
                cluster.wait_for_run()
                workers = [cluster.worker(f"w{i}", "--parallel", "2") for i in (1, 2)]
                run = finish(seeder)
                done = [finish(w) for w in workers]
                manifest = farm.manifest()
            assert archive_snapshot(engine) == archive_snapshot(workspace.engine()), night
            # The run's summary sums its workers: every portal once, with the summary of whichever
            # worker crawled it; the archive's row of the run holds the same totals.
            assert run["portals"] == reference["portals"] == len(manifest["portals"])
            assert set(run["per_portal"]) == set(reference["per_portal"])
            by_workers = [name for w in done for name in w["per_portal"]]
            assert len(by_workers) == len(set(by_workers)) and set(by_workers) <= set(run["per_portal"])
            assert all(run["per_portal"][name] == summary for w in done for name, summary in w["per_portal"].items())
            with engine.connect() as connection:
                attempts = connection.scalars(select(Run.status).where(Run.portal.is_not(None))).all()
                recorded = connection.scalar(select(Run.stats).where(Run.id == run["run_id"]))
                seeded_by = connection.scalar(select(Run.command).where(Run.id == run["run_id"]))
                commands = set(connection.scalars(select(Run.command).where(Run.portal.is_not(None), Run.id > run["run_id"])))
            # Every portal run names the command that seeded the run, whichever worker crawled it.
            assert " crawl --all " in seeded_by and commands == {seeded_by}, (seeded_by, commands)
            assert recorded == {"portals": run["portals"], **{key: run[key] for key in SUMMARY_KEYS}}, recorded
            assert len(attempts) == run["portals"] * (night + 1) and "lost" not in attempts  # each portal crawled once
            for key in ("new_documents", "new_versions", "removed"):
                assert run[key] == reference[key], (night, key, run, reference)
            assert not run["stopped"]
            assert not duplicate_fetches(engine)
        assert run["new_versions"] > 0 and run["removed"] > 0 and run["not_modified"] > 0
        with engine.connect() as connection:
            statuses = set(connection.scalars(select(Run.status).where(Run.portal.is_(None))))
        assert statuses == {"finished"}
        # Each portal's frontier lived in Redis and is gone; the finished runs are no longer current.
        keys = {k.decode() for k in cluster.redis.keys(f"{cluster.prefix}:*")}
        assert not any(k.endswith((":requests", ":dupefilter")) or ":lease:" in k for k in keys), keys
        assert f"{cluster.prefix}:current" not in keys
    finally:
        engine.dispose()


def test_worker_killed_mid_run_loses_nothing(cluster: Cluster) -> None:
    workspace = cluster.workspace
    engine = create_engine(cluster.db_url)
    try:
        with running_farm(night=0, **FARM) as farm:
            farm.write_portals(workspace.portals_dir)
            workspace.crawl(night=0)
            # The seeder crawls one portal at a time; the victim takes two and crawls them slowly.
            seeder = cluster.seed(0, "--parallel", "1")
            run_id = cluster.wait_for_run()
            victim = _slow_worker(cluster, "victim")
            held = _wait_until_fetching(cluster, run_id, victim.pid)
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(timeout=10)
            run = finish(seeder)
        assert not run["stopped"] and run["portals"] == len(farm.manifest()["portals"])
        assert archive_snapshot(engine) == archive_snapshot(workspace.engine())
        assert not duplicate_fetches(engine)
        with engine.connect() as connection:
            lost = set(connection.scalars(select(Run.portal).where(Run.status == "lost")))
        # The killed worker's attempts are closed as lost by the worker that took them over.
        assert lost and lost <= held
    finally:
        engine.dispose()


def test_worker_stopped_mid_run_gives_its_portals_back(cluster: Cluster) -> None:
    """A worker taken out of service (SIGTERM, as ``systemctl stop``) mid-run puts the portals it
    was crawling back in the run: another worker crawls them afresh, nothing is lost or doubled."""
    workspace = cluster.workspace
    engine = create_engine(cluster.db_url)
    try:
        with running_farm(night=0, **FARM) as farm:
            farm.write_portals(workspace.portals_dir)
            workspace.crawl(night=0)
            seeder = cluster.seed(0, "--parallel", "1")
            run_id = cluster.wait_for_run()
            leaving = _slow_worker(cluster, "leaving")
            held = _wait_until_fetching(cluster, run_id, leaving.pid)
            leaving.send_signal(signal.SIGTERM)
            gone = finish(leaving)
            run = finish(seeder)
        assert gone["stopped"] and not set(gone["per_portal"]) & held  # it finished none of the portals it gave back
        assert not run["stopped"] and set(run["per_portal"]) == {p["name"] for p in farm.manifest()["portals"]}
        assert archive_snapshot(engine) == archive_snapshot(workspace.engine())
        assert not duplicate_fetches(engine)
        with engine.connect() as connection:
            attempts = connection.execute(select(Run.portal, Run.status).where(Run.portal.is_not(None))).all()
        assert "lost" not in {status for _, status in attempts}  # a graceful stop loses nothing
        tries = Counter(portal for portal, _ in attempts if portal in held)
        assert set(tries) == held and min(tries.values()) >= 2, tries  # given back, then crawled afresh
    finally:
        engine.dispose()


def _slow_worker(cluster: Cluster, name: str) -> subprocess.Popen:
    """A worker that takes two portals and crawls them slowly, so it is caught in the middle."""
    return cluster.worker(name, "--parallel", "2", "--set", "DOWNLOAD_DELAY=0.5", "--set", "AUTOTHROTTLE_ENABLED=false")


def _wait_until_fetching(cluster: Cluster, run_id: int, pid: int, timeout: float = 60) -> set[str]:
    """Wait until worker ``pid`` holds a portal and has fetched pages of it; the portals it holds."""
    deadline = time.monotonic() + timeout
    key = f"{cluster.prefix}:run:{run_id}:workers"
    while time.monotonic() < deadline:
        for worker, raw in cluster.redis.hgetall(key).items():
            record = json.loads(raw)
            if worker.decode().endswith(f":{pid}") and any(n >= 3 for n in record["portals"].values()):
                return set(record["portals"])
        time.sleep(LEASE_TTL / 10)
    raise AssertionError(f"worker {pid} fetched nothing within {timeout} s")
