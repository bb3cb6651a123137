"""Scale-out benchmark: pages/s of one `crawler worker` against two and three, in one run, and the
Redis memory a queued request costs.

    .venv/bin/python benchmarks/scaleout.py                  # 40 county portals (80 portals)
    .venv/bin/python benchmarks/scaleout.py --portals 20 --json
    .venv/bin/python benchmarks/scaleout.py --profile       # and where one worker's CPU goes

What is measured, each in the same run, on the same machine, against the same farm:

* **throughput** — first a single-process ``crawler crawl --all`` (no Redis) into a fresh
  PostgreSQL archive, the reference. Then one run is seeded (``crawler crawl --all --redis --seed-only``) into a fresh
  PostgreSQL archive, then N ``crawler worker`` processes start together; pages/s is the pages
  they fetched over the wall time until the last exits. N = 1, 2, 3; ratios against N = 1.
* **where the CPU goes** — CPU seconds of the workers and of the farm (``/proc/PID/stat``), and
  the cores they kept busy (CPU seconds / wall seconds): with the farm on the same cores, the
  gain of a further worker is bounded by the cores left.
* **Redis memory** — while the workers crawl, the queue keys of the portals being crawled
  (scrapy-redis's priority queue, a sorted set) are sampled: ``MEMORY USAGE`` over ``ZCARD``
  is the memory of one queued request; the same for a dupefilter fingerprint; and the run's own
  keys (portal configs, summaries) per portal after the run.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import redis
from psycopg import sql

from crawler.scaleout.runstate import KEEP_FINISHED
from crawler.sim.process import FarmProcess, start_farm_process

CRAWLER = str(Path(sys.executable).with_name("crawler"))
REDIS_URL = "redis://127.0.0.1:6379"
PG_ADMIN = "host=127.0.0.1 port=5432 dbname=test user={role}"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat (every process, ours or not)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def service_cpu(names: tuple[str, ...] = ("postgres", "redis-server")) -> dict[int, float]:
    """CPU seconds so far of each database server process (PostgreSQL backends, Redis), by pid."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if text[text.index("(") + 1:text.rindex(")")] in names:
            found[int(stat.parent.name)] = cpu_seconds(int(stat.parent.name))
    return found


class Database:
    """A scratch PostgreSQL database for one measurement."""

    def __init__(self) -> None:
        self.role = next(r for r in ("root", "postgres") if _can_connect(r))
        self.name = f"fz_bench_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN.format(role=self.role), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.url = f"postgresql+psycopg://{self.role}@127.0.0.1:5432/{self.name}"

    def size(self) -> int:
        """Bytes on disk (``pg_database_size``), after a VACUUM so dead rows do not count."""
        with psycopg.connect(PG_ADMIN.format(role=self.role).replace("dbname=test", f"dbname={self.name}"),
                             autocommit=True) as connection:
            connection.execute("VACUUM")
            return connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]

    def drop(self) -> None:
        with psycopg.connect(PG_ADMIN.format(role=self.role), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def _can_connect(role: str) -> bool:
    try:
        with psycopg.connect(PG_ADMIN.format(role=role), connect_timeout=5):
            return True
    except psycopg.OperationalError:
        return False


class QueueSampler(threading.Thread):
    """Samples the run's scrapy-redis keys while workers crawl: bytes per queued request and per fingerprint."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        super().__init__(daemon=True)
        self.client, self.prefix = client, prefix
        self.stop = threading.Event()
        self.queue: list[tuple[int, int]] = []  # (bytes, requests) of one queue key
        self.seen: list[tuple[int, int]] = []  # (bytes, fingerprints) of one dupefilter key

    def run(self) -> None:
        while not self.stop.is_set():
            for key in self.client.scan_iter(f"{self.prefix}:run:*:requests"):
                self._sample(key, self.client.zcard, self.queue)
            for key in self.client.scan_iter(f"{self.prefix}:run:*:dupefilter"):
                self._sample(key, self.client.scard, self.seen)
            time.sleep(0.1)

    def _sample(self, key: bytes, count, into: list[tuple[int, int]]) -> None:
        try:
            items, size = count(key), self.client.memory_usage(key, samples=0)
        except redis.ResponseError:
            return  # the key changed type or vanished between the scan and the look
        if items and size:
            into.append((size, items))

    @staticmethod
    def per_item(samples: list[tuple[int, int]], at_least: int = 8) -> float | None:
        """Bytes per item over the samples holding at least ``at_least`` items (fixed overheads amortised)."""
        big = [(b, n) for b, n in samples if n >= at_least] or samples
        return sum(b for b, _ in big) / sum(n for _, n in big) if big else None


def run_and_sample(commands: list[list[str]]) -> tuple[list[dict], float, dict[int, float]]:
    """Start ``commands`` together; their ``--json`` summaries, the wall time until the last exits, CPU per pid."""
    started = time.monotonic()
    busy, total = machine_busy()
    services = service_cpu()
    baseline = sum(services.values())
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    cpu = {p.pid: 0.0 for p in processes}
    ticks = 0
    while any(p.poll() is None for p in processes):
        for p in processes:
            cpu[p.pid] = max(cpu[p.pid], cpu_seconds(p.pid))
        if ticks % 5 == 0:  # a crawl's PostgreSQL backends end with it: sample them while they live
            for pid, seconds in service_cpu().items():
                services[pid] = max(services.get(pid, 0.0), seconds)
        ticks += 1
        time.sleep(0.1)
    wall = time.monotonic() - started
    cpu["services"] = sum(services.values()) - baseline
    busy_after, total_after = machine_busy()
    cpu["machine"] = (busy_after - busy) / (total_after - total) * os.cpu_count()  # cores busy, all processes
    summaries = []
    for p in processes:
        out, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"{p.args[1]} failed: {err[-2000:]}")
        summaries.append(json.loads(out))
    return summaries, wall, cpu


def figures(label: str, summaries: list[dict], wall: float, cpu: dict, farm_cpu: float) -> dict:
    pages = sum(s["pages_fetched"] for s in summaries)
    machine, services = cpu.pop("machine"), cpu.pop("services")
    return {
        "workers": label,
        "portals": sum(s["portals"] for s in summaries),
        "pages": pages,
        "bytes": sum(s["bytes"] for s in summaries),
        "seconds": round(wall, 2),
        "pages_per_s": round(pages / wall, 1),
        "worker_cpu_s": round(sum(cpu.values()), 2),
        "farm_cpu_s": round(farm_cpu, 2),
        "db_cpu_s": round(services, 2),
        "cores_busy": round((sum(cpu.values()) + farm_cpu + services) / wall, 2),
        "machine_cores_busy": round(machine, 2),
    }


def measure_local(workdir: Path, portals_dir: Path, farm: FarmProcess) -> dict:
    """The reference: one ``crawler crawl --all`` process, no Redis, into a fresh PostgreSQL archive.

    Then the same farm again a day later (nothing changed: an unchanged night), for the archive's
    growth per portal and night: what a year of nights costs the database.
    """
    database = Database()
    try:
        def crawl(day: int) -> tuple[list[dict], float, dict]:
            return run_and_sample([[
                CRAWLER, "crawl", "--all", "--db", database.url, "--portals-dir", str(portals_dir), "--json",
                "--as-of", f"2025-06-0{day}T02:00:00+08:00", "--cache-dir", str(workdir / "cache-local"),
                "--log-level", "WARNING"]])

        subprocess.run([CRAWLER, "db", "upgrade", "--db", database.url], capture_output=True, check=True)
        empty = database.size()  # the schema alone
        farm_cpu = cpu_seconds(farm.process.pid)
        summaries, wall, cpu = crawl(1)
        result = figures("local", summaries, wall, cpu, cpu_seconds(farm.process.pid) - farm_cpu)
        first = database.size()
        crawl(2)
        portals = max(result["portals"], 1)
        return {**result, "db_bytes_per_portal_first_night": round((first - empty) / portals),
                "db_bytes_per_portal_unchanged_night": round((database.size() - first) / portals)}
    finally:
        database.drop()


def measure(workers: int, workdir: Path, portals_dir: Path, client: redis.Redis, farm: FarmProcess,
            profile: Path | None = None) -> dict:
    """Seed one run of the farm, crawl it with ``workers`` worker processes; pages/s, CPU and Redis figures."""
    database = Database()
    prefix = f"fzbench-{secrets.token_hex(4)}"
    common = ["--db", database.url, "--redis", REDIS_URL, "--redis-prefix", prefix, "--portals-dir", str(portals_dir),
              "--json"]
    try:
        seeded = subprocess.run([CRAWLER, "crawl", "--all", *common, "--seed-only", "--as-of", "2025-06-01T02:00:00+08:00",
                                 "--cache-dir", str(workdir / "cache-seed")], capture_output=True, text=True, check=True)
        run_id = json.loads(seeded.stdout)["run_id"]
        sampler = QueueSampler(client, prefix)
        sampler.start()
        farm_cpu = cpu_seconds(farm.process.pid)
        profiler = [sys.executable, "-m", "cProfile", "-o", str(profile)] if profile else []
        summaries, wall, cpu = run_and_sample([
            [*profiler, CRAWLER, "worker", *common, "--cache-dir", str(workdir / f"cache-{workers}-{i}"),
             "--log-level", "WARNING"]
            for i in range(workers)])
        farm_cpu = cpu_seconds(farm.process.pid) - farm_cpu
        sampler.stop.set()
        sampler.join()
        result = figures(str(workers), summaries, wall, cpu, farm_cpu)
        run_bytes = sum(client.memory_usage(k, samples=0) or 0 for k in client.scan_iter(f"{prefix}:run:{run_id}:*"))
        return {
            **result,
            "redis_bytes_per_queued_request": _round(QueueSampler.per_item(sampler.queue)),
            "redis_bytes_per_fingerprint": _round(QueueSampler.per_item(sampler.seen)),
            "queue_samples": len(sampler.queue),
            "redis_run_bytes_per_portal_after": round(run_bytes / max(result["portals"], 1)),
        }
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        database.drop()


# Where a function's own time is counted: its package (by file path), or for C functions (file
# "~") the extension module named in the function's description.
_C_MODULES = ("lxml", "psycopg", "pickle", "epoll", "select", "socket", "zlib", "hashlib", "sqlite3", "re.", "_sre")


def where_cpu_goes(profile: Path, top: int = 12) -> list[tuple[str, float]]:
    """Share of a worker's own CPU time by package (site-packages name, or this project's top directory)."""
    import pstats

    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in pstats.Stats(str(profile)).stats.items():
        if filename == "~":
            group = next((f"C: {m.strip('._')}" for m in _C_MODULES if m in name), "C: other built-ins")
        elif "site-packages/" in filename:
            group = filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
        elif "/work/main/" in filename or "/crawler/" in filename or "/storage/" in filename or "/spiders/" in filename:
            group = "project: " + filename.split("/main/", 1)[-1].split("/", 1)[0]
        else:
            group = "python stdlib"
        totals[group] = totals.get(group, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    return [(group, round(100 * seconds / whole, 1)) for group, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:top]]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portals", type=int, default=40, help="County portals of the farm (plus as many city portals).")
    parser.add_argument("--workers", default="1,2,3", help="Worker counts to measure, in order.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--profile", action="store_true",
                        help="Also crawl once with one worker under cProfile and print where its CPU goes.")
    args = parser.parse_args()
    client = redis.Redis.from_url(REDIS_URL)
    results = []
    with tempfile.TemporaryDirectory(prefix="fz-scaleout-") as tmp:
        workdir = Path(tmp)
        portals_dir = workdir / "portals"
        farm = start_farm_process(["--portals", str(args.portals), "--seed", "1", "--night", "0", "--port", "0",
                                   "--write-portals", str(portals_dir)], timeout=300)
        try:
            load_before = os.getloadavg()
            results.append(measure_local(workdir, portals_dir, farm))
            for count in (int(n) for n in args.workers.split(",")):
                results.append(measure(count, workdir, portals_dir, client, farm))
            load_after = os.getloadavg()
            by_package = None
            if args.profile:
                measure(1, workdir, portals_dir, client, farm, workdir / "worker.prof")
                by_package = where_cpu_goes(workdir / "worker.prof")
        finally:
            farm.stop()
    base = results[1]["pages_per_s"]  # one worker
    for result in results:
        result["ratio_to_one_worker"] = round(result["pages_per_s"] / base, 2)
    report = {"cpus": os.cpu_count(), "load_before": [round(x, 2) for x in load_before],
              "load_after": [round(x, 2) for x in load_after], "runs": results,
              "worker_cpu_by_package_percent": by_package}
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"{os.cpu_count()} CPUs; load average before {report['load_before']}, after {report['load_after']}")
    print(f"{'workers':>7} {'portals':>7} {'pages':>6} {'s':>6} {'pages/s':>8} {'ratio':>6} {'wrk cpu':>8} "
          f"{'farm cpu':>8} {'db cpu':>6} {'ours':>5} {'all':>5} {'B/queued req':>12} {'B/fingerprint':>13}")
    for r in results:
        print(f"{r['workers']:>7} {r['portals']:>7} {r['pages']:>6} {r['seconds']:>6} {r['pages_per_s']:>8} "
              f"{r['ratio_to_one_worker']:>6} {r['worker_cpu_s']:>8} {r['farm_cpu_s']:>8} {r['db_cpu_s']:>6} {r['cores_busy']:>5} {r['machine_cores_busy']:>5} "
              f"{r.get('redis_bytes_per_queued_request', '-')!s:>12} {r.get('redis_bytes_per_fingerprint', '-')!s:>13}")
    print(f"Redis keys left by a finished run: {results[-1]['redis_run_bytes_per_portal_after']} bytes per portal "
          f"(summaries, kept {KEEP_FINISHED // 86400} days)")
    local = results[0]
    print(f"PostgreSQL growth per portal: {local['db_bytes_per_portal_first_night']} bytes the first night, "
          f"{local['db_bytes_per_portal_unchanged_night']} bytes an unchanged night; "
          f"{local['bytes'] / max(local['portals'], 1):.0f} bytes downloaded per portal the first night")
    if by_package:
        print("one worker's own CPU time by package (cProfile): "
              + ", ".join(f"{group} {share}%" for group, share in by_package))


if __name__ == "__main__":
    main()
