"""The scheduler in mode "distributed": its nightly job seeds a run in Redis, a worker crawls it."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import create_engine, select

from scheduler.health import portal_outcomes
from scheduler.history import JobRun
from storage.archive import Archive
from storage.models import Run
from tests.crawl.evaluate import score
from tests.farm import running_farm
from tests.scaleout.conftest import REDIS_URL, Cluster, finish
from tests.scheduler.daemon import job_runs, running_daemon, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_nightly_job_seeds_a_run_that_a_worker_completes(cluster: Cluster) -> None:
    workspace = cluster.workspace
    config = workspace.root / "schedule.toml"
    config.write_text(f'[schedule]\nmode = "distributed"\nredis = "{REDIS_URL}"\nredis_prefix = "{cluster.prefix}"\n',
                      encoding="utf-8")
    engine = create_engine(cluster.db_url)
    Archive(engine).upgrade()
    try:
        with running_farm(portals=1, seed=3, night=0) as farm:
            farm.write_portals(workspace.portals_dir)
            with running_daemon(cluster.db_url, workspace.portals_dir, workspace.root, "--trigger-every", "1",
                                "--config", str(config)) as daemon:
                wait_until(lambda: any(r.job == "nightly" for r in job_runs(cluster.db_url)), daemon)
                assert daemon.stop() == 0
            first = next(r for r in job_runs(cluster.db_url) if r.job == "nightly")
            # The job only seeded the run: its history says how many portals, and no portal was crawled yet.
            assert first.status == "ok" and first.summary["seeded"] == 2, first
            run_id = cluster.wait_for_run()
            with engine.connect() as connection:
                assert not connection.scalars(select(Run.id).where(Run.portal.is_not(None))).all()
            # Until the workers crawl them, the seeded portals count neither as harvested nor as failed.
            assert portal_outcomes(_job_run(cluster.db_url, first.id)) == {}
            # A second seeding while the run is in progress is refused (it would crawl every portal twice).
            second = cluster.seed(0, "--seed-only")
            _, err = second.communicate(timeout=120)
            assert second.returncode == 1 and "still in progress" in err, err[-2000:]
            assert cluster.wait_for_run() == run_id
            # A long-running worker (as under systemd) crawls the run, then waits for the next one
            # until it is stopped with SIGTERM.
            worker = cluster.worker("w1", "--forever")
            wait_until(lambda: cluster.redis.get(f"{cluster.prefix}:current") is None, timeout=120,
                       what="the worker to finish the run")
            worker.send_signal(signal.SIGTERM)
            done = finish(worker)
            assert done["run_id"] == run_id and done["portals"] == 2 and done["closed_run"]
            result = score(engine, farm.manifest())
        assert result.recall >= 0.99 and result.precision >= 0.99, (result.missing, result.extra)
        with engine.connect() as connection:
            assert connection.scalar(select(Run.status).where(Run.id == run_id)) == "finished"
        # The worker's portal runs belong to the job run, so portal health reads the night from them.
        outcomes = portal_outcomes(_job_run(cluster.db_url, first.id))
        assert set(outcomes) == set(first.portals) and all(o.ok for o in outcomes.values()), outcomes
        found = {r["portal"]: 0 for r in farm.manifest()["reports"]}
        for report in farm.manifest()["reports"]:
            found[report["portal"]] += 1
        assert found and all(outcomes[name].found >= count for name, count in found.items()), (outcomes, found)
    finally:
        engine.dispose()


def _job_run(db_url: str, run_id: int) -> JobRun:
    """Job run ``run_id`` as the history reads it now."""
    return next(r for r in job_runs(db_url) if r.id == run_id)
