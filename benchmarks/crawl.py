"""Crawl benchmark: a full farm harvest against `scrapy bench`, an unchanged night against the first,
and peak memory at two farm sizes.

    .venv/bin/python benchmarks/crawl.py                      # 100 and 1,000 portals
    .venv/bin/python benchmarks/crawl.py --large 300 --json    # quicker

What is measured, each in the same run and on the same machine:

* **throughput** — pages/s of ``crawler crawl --all`` over a farm of ``--small`` county portals
  (plus their city portals), extraction and archive (SQLite) included, against the pages/s of
  ``scrapy bench`` (Scrapy's own crawl of a local link farm, no processing). Target ≥ 50 %.
* **unchanged night** — bytes and seconds of night 1 (nothing changed) against night 0 on the
  same archive. Targets ≤ 10 % of the bytes and ≤ 20 % of the time. Night 1 runs with the
  default settings: every report is recent, so the re-check policy asks for all of them, and
  the portals whose sweep night it is (``LIST_SWEEP_DAYS``) read their lists to the end. The
  crawl's CPU time (user + system, from ``getrusage``) is printed beside the wall time: on a
  shared machine it shows how much of a night's time was the crawl's own work.
* **memory** — peak RSS of the crawl process at ``--small`` and ``--large`` portals (``getrusage``
  of the child), and the increase per extra portal. Target: flat (portals are crawled
  ``--parallel`` at a time, so memory should not grow with their number).

The farm runs in its own process on the same two cores, so its serving cost is part of every
crawl figure (and none of `scrapy bench`'s).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crawler.sim.process import FarmProcess, start_farm_process

BIN = Path(sys.executable).parent
CRAWLER = str(BIN / "crawler")
SCRAPY = str(BIN / "scrapy")


def start_farm(portals: int, night: int, port: int, portals_dir: Path) -> FarmProcess:
    """``crawler sim serve`` in a child process, its portal configs written to ``portals_dir``."""
    return start_farm_process(["--portals", str(portals), "--seed", "1", "--night", str(night), "--port", str(port),
                               "--write-portals", str(portals_dir)], timeout=300)


def crawl(workdir: Path, *, night: int, parallel: int) -> dict:
    """One ``crawler crawl --all`` in a child process: its summary, wall time and peak RSS (MiB)."""
    command = [CRAWLER, "crawl", "--all", "--portals-dir", str(workdir / "portals"),
               "--db", f"sqlite:///{workdir / 'archive.db'}", "--cache-dir", str(workdir / "cache"),
               "--parallel", str(parallel), "--json", "--as-of", f"2025-06-0{1 + night}T02:00:00+08:00"]
    # A wrapper process, so that RUSAGE_CHILDREN's peak is the crawl's alone.
    wrapper = ("import resource, subprocess, sys, json, time; t = time.monotonic(); "
               "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(json.dumps({'rc': r.returncode, 'seconds': time.monotonic() - t, "
               "'maxrss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
               "'cpu': resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime "
               "+ resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime, "
               "'stdout': r.stdout, 'stderr': r.stderr[-3000:]}))")
    result = json.loads(subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True,
                                       text=True, check=True).stdout)
    if result["rc"] != 0:
        raise RuntimeError(f"crawl failed: {result['stderr']}")
    summary = json.loads(result["stdout"])
    return {"seconds": result["seconds"], "cpu_seconds": result["cpu"], "peak_rss_mib": result["maxrss_kib"] / 1024,
            "summary": summary}


def scrapy_bench(seconds: int) -> float:
    """Pages/s of `scrapy bench` run outside the project (Scrapy's defaults, its own local server)."""
    with tempfile.TemporaryDirectory() as empty:
        result = subprocess.run([SCRAPY, "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}", "-s", "LOG_LEVEL=INFO"],
                                cwd=empty, capture_output=True, text=True, env={**os.environ, "SCRAPY_SETTINGS_MODULE": ""})
    stats = result.stderr
    pages = int(re.search(r"'response_received_count': (\d+)", stats).group(1))
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", stats).group(1))
    return pages / elapsed


def harvest(portals: int, parallel: int, nights: tuple[int, ...]) -> dict[int, dict]:
    """Crawl the given nights of a farm of ``portals`` county portals into one fresh archive."""
    results: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp:
        workdir = Path(tmp)
        port = 0
        for night in nights:
            farm = start_farm(portals, night, port, workdir / "portals")
            port = farm.port
            try:
                results[night] = crawl(workdir, night=night, parallel=parallel)
            finally:
                farm.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100, help="county portals of the throughput farm")
    parser.add_argument("--large", type=int, default=1000, help="county portals of the memory farm")
    parser.add_argument("--parallel", type=int, default=16, help="portals crawled at once")
    parser.add_argument("--bench-seconds", type=int, default=20, help="duration of `scrapy bench`")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    baseline = scrapy_bench(args.bench_seconds)
    small = harvest(args.small, args.parallel, (0, 1))
    first, unchanged = small[0], small[1]
    large = harvest(args.large, args.parallel, (0,))[0]

    pages_per_s = first["summary"]["pages_fetched"] / first["seconds"]
    portals_small, portals_large = first["summary"]["portals"], large["summary"]["portals"]
    figures = {
        "scrapy_bench_pages_per_s": round(baseline, 1),
        "harvest": {"portals": portals_small, "pages": first["summary"]["pages_fetched"],
                    "documents": first["summary"]["new_documents"], "seconds": round(first["seconds"], 1),
                    "pages_per_s": round(pages_per_s, 1), "ratio_to_scrapy_bench": round(pages_per_s / baseline, 3)},
        "unchanged_night": {"bytes": unchanged["summary"]["bytes"], "first_bytes": first["summary"]["bytes"],
                            "bytes_ratio": round(unchanged["summary"]["bytes"] / first["summary"]["bytes"], 4),
                            "pages": unchanged["summary"]["pages_fetched"],
                            "first_pages": first["summary"]["pages_fetched"],
                            "seconds": round(unchanged["seconds"], 1),
                            "time_ratio": round(unchanged["seconds"] / first["seconds"], 3),
                            "cpu_seconds": round(unchanged["cpu_seconds"], 1),
                            "first_cpu_seconds": round(first["cpu_seconds"], 1),
                            "cpu_ratio": round(unchanged["cpu_seconds"] / first["cpu_seconds"], 3),
                            "not_modified": unchanged["summary"]["not_modified"],
                            "report_fetches": unchanged["summary"]["report_fetches"]},
        "memory": {"portals_small": portals_small, "peak_rss_mib_small": round(first["peak_rss_mib"], 1),
                   "portals_large": portals_large, "peak_rss_mib_large": round(large["peak_rss_mib"], 1),
                   "mib_per_extra_portal": round((large["peak_rss_mib"] - first["peak_rss_mib"])
                                                 / max(portals_large - portals_small, 1), 4),
                   "large_seconds": round(large["seconds"], 1),
                   "large_pages_per_s": round(large["summary"]["pages_fetched"] / large["seconds"], 1)},
        "command": " ".join(sys.argv),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    h, u, m = figures["harvest"], figures["unchanged_night"], figures["memory"]
    print(f"scrapy bench: {baseline:.0f} pages/s")
    print(f"harvest of {h['portals']} portals: {h['pages']} pages, {h['documents']} documents in {h['seconds']} s "
          f"= {h['pages_per_s']} pages/s ({h['ratio_to_scrapy_bench']:.0%} of scrapy bench; target >= 50%)")
    print(f"unchanged night: {u['bytes']} of {u['first_bytes']} bytes ({u['bytes_ratio']:.1%}; target <= 10%), "
          f"{u['seconds']} s ({u['time_ratio']:.0%} of the first night; target <= 20%), "
          f"{u['not_modified']}/{u['report_fetches']} report fetches answered 304")
    print(f"unchanged night, requests and CPU: {u['pages']} of {u['first_pages']} requests, {u['cpu_seconds']} of "
          f"{u['first_cpu_seconds']} CPU seconds ({u['cpu_ratio']:.0%})")
    print(f"peak RSS: {m['peak_rss_mib_small']} MiB at {m['portals_small']} portals, {m['peak_rss_mib_large']} MiB "
          f"at {m['portals_large']} portals ({m['mib_per_extra_portal']} MiB per extra portal)")


if __name__ == "__main__":
    main()
