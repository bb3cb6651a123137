"""Politeness holds across workers, and ``crawler status --redis`` shows a live run's workers.

The farm answers every request after a fixed latency, so a crawler's concurrent requests to a
portal overlap on the server, and it counts, per portal address, the most requests it ever had
in flight at once. Three processes (a seeder and two workers) crawl the farm; no portal may see
more than its configured ``[politeness] concurrency``.
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.sim.process import start_farm_process
from crawler.sim.server import PEAK_CONCURRENCY_PATH
from tests.farm import RunningFarm, fetch
from tests.scaleout.conftest import REDIS_URL, Cluster, finish

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CONCURRENCY = 2
LATENCY = 0.15


def test_no_portal_sees_more_than_its_concurrency_and_status_shows_workers(cluster: Cluster) -> None:
    portals, seed = 3, 5
    process = start_farm_process(["--portals", str(portals), "--seed", str(seed), "--night", "0", "--port", "0",
                                  "--latency", str(LATENCY)])
    farm = RunningFarm(portals, seed, 0, (), process.port, process.base_urls, process)
    try:
        for path in farm.write_portals(cluster.workspace.portals_dir):
            path.write_text(path.read_text(encoding="utf-8") + f"\n[politeness]\nconcurrency = {CONCURRENCY}\n",
                            encoding="utf-8")
        seeder = cluster.seed(0, "--parallel", "3")
        cluster.wait_for_run()
        workers = [cluster.worker(f"w{i}", "--parallel", "3") for i in (1, 2)]
        live, readable = _status_while_crawling(cluster)
        finish(seeder)
        for worker in workers:
            finish(worker)
        peaks = json.loads(fetch(farm.base_urls[0].rstrip("/") + PEAK_CONCURRENCY_PATH).body)
        after = _status(cluster)
    finally:
        farm.stop()
    assert len(peaks) == 2 * portals  # every portal address was crawled
    assert max(peaks.values()) == CONCURRENCY, peaks  # the count sees a crawler's concurrency ...
    assert all(peak <= CONCURRENCY for peak in peaks.values()), peaks  # ... and no portal got more
    # While the run was live, status named its workers (host:pid) and the portals they were crawling.
    crawling = {name for record in live["workers"].values() for name in record["portals"]}
    assert len(live["workers"]) >= 2 and crawling
    assert all(":" in worker and "heartbeat" in record for worker, record in live["workers"].items())
    assert set(live["crawling"]) >= crawling - {""}
    # The readable status says the same for people: the run, and a table of its workers.
    assert f"distributed run {live['run_id']}" in readable and "worker(s)" in readable, readable
    assert f"of {live['seeded']} portals done" in readable, readable
    assert any(worker in readable for worker in live["workers"]), readable
    assert after["distributed"] is None  # the run is finished: nothing current


def _status(cluster: Cluster, as_json: bool = True) -> dict | str:
    """``crawler status --redis``: its JSON, or (``as_json`` false) its readable text."""
    result = CliRunner().invoke(main, ["status", "--db", cluster.db_url, "--redis", REDIS_URL, "--redis-prefix",
                                       cluster.prefix, "--portals-dir", str(cluster.workspace.portals_dir),
                                       *(["--json"] if as_json else [])], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if as_json else result.output


def _status_while_crawling(cluster: Cluster, timeout: float = 60) -> tuple[dict, str]:
    """``crawler status``'s distributed run (``--json``) once two workers are crawling portals,
    and the readable status taken right after, while the run is still on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = _status(cluster)["distributed"]
        busy = [w for w in (run or {}).get("workers", {}).values() if w["portals"]]
        if run and len(run["workers"]) >= 2 and busy:
            readable = _status(cluster, as_json=False)
            if "distributed run" in readable:
                return run, readable
        time.sleep(0.1)
    raise AssertionError("crawler status never showed two workers of a live run")
