"""How many requests per second the simulated farm serves on loopback, against a bare Twisted server.

    .venv/bin/python benchmarks/farm.py [--portals 3000] [--requests 20000] [--connections 32]

The farm runs as ``crawler sim serve`` in its own process; the load comes from this process
(asyncio, keep-alive HTTP/1.1 connections, a bounded number of requests). URLs are drawn
from the farm's plan: list pages, article pages, home pages and robots.txt of many portals,
plus a share of conditional requests (If-None-Match) that a re-crawl sends. The baseline is
a Twisted server answering a fixed 10 KB page from the same kind of process: the ceiling
any Twisted-based farm could reach here, so the ratio shows what the farm's own work costs.
Crawler benchmarks must stay well below the farm's rate (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.sim import Farm  # noqa: E402
from crawler.sim.process import parse_ready_line  # noqa: E402

BASELINE = r"""
import sys
from twisted.internet import reactor
from twisted.web import resource, server
class Fixed(resource.Resource):
    isLeaf = True
    body = b"<html><body>" + b"x" * 10000 + b"</body></html>"
    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/html")
        return self.body
port = reactor.listenTCP(0, server.Site(Fixed()), interface="127.0.0.1")
print(f"farm ready: 1 portals, port {port.getHost().port}, http://127.0.0.1:{port.getHost().port}/", flush=True)
reactor.run()
"""


async def _worker(host: str, port: int, jobs: list[tuple[str, bool]], stats: dict, etags: dict) -> None:
    """One keep-alive connection to one portal address, sending its jobs in order."""
    reader, writer = await asyncio.open_connection(host, port)
    for path, conditional in jobs:
        known = etags.get((host, path))
        extra = f"If-None-Match: {known}\r\n" if conditional and known else ""
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode("latin-1"))
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"etag":
                etags[(host, path)] = value.strip().decode("latin-1")
        if length:
            await reader.readexactly(length)
        stats[status] = stats.get(status, 0) + 1
        stats["bytes"] = stats.get("bytes", 0) + len(head) + length
    writer.close()


async def _load(groups: list[tuple[str, list[tuple[str, bool]]]], port: int, connections: int, etags: dict) -> dict:
    """Run every host's jobs, at most ``connections`` connections open at once."""
    stats: dict = {}
    gate = asyncio.Semaphore(connections)

    async def run(host: str, jobs: list[tuple[str, bool]]) -> None:
        async with gate:
            await _worker(host, port, jobs, stats, etags)

    await asyncio.gather(*(run(host, jobs) for host, jobs in groups))
    return stats


def _start(command: list[str]) -> tuple[subprocess.Popen, int, float]:
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    port, _ = parse_ready_line(process.stdout.readline().strip())
    return process, port, time.perf_counter() - began


def _measure(label: str, groups, port: int, connections: int, etags: dict) -> float:
    """Send every group's jobs (one keep-alive connection per group) and print the rate."""
    total = sum(len(jobs) for _, jobs in groups)
    began = time.perf_counter()
    stats = asyncio.run(_load(groups, port, connections, etags))
    elapsed = time.perf_counter() - began
    rate = total / elapsed
    codes = {k: v for k, v in stats.items() if k != "bytes"}
    print(f"{label}: {total} requests in {elapsed:.2f} s = {rate:,.0f} req/s, "
          f"{stats.get('bytes', 0) / elapsed / 1e6:.1f} MB/s, statuses {dict(sorted(codes.items()))}")
    return rate


def _farm_jobs(farm: Farm, requests: int, portals_hit: int, rng: random.Random) -> list[tuple[str, list]]:
    """Requests spread over ``portals_hit`` portals: home, robots.txt, first list pages and every article page."""
    chosen = rng.sample(range(farm.count), min(portals_hit, farm.count))
    by_portal: dict[str, list[str]] = {}
    for index in chosen:
        plan = farm.plan(index)
        paths = ["/", "/robots.txt", *(plan.family.list_path(c, 0) for c in plan.columns)]
        paths += [path for entry in plan.visible(farm.today) for path in entry.page_paths]
        by_portal[plan.spec.address] = paths
    jobs: dict[str, list] = {host: [] for host in by_portal}
    hosts = list(by_portal)
    for n in range(requests):
        host = hosts[n % len(hosts)]
        path = rng.choice(by_portal[host])
        jobs[host].append((path, rng.random() < 0.2))  # a fifth are conditional re-fetches
    return list(jobs.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=3000)
    parser.add_argument("--portals-hit", type=int, default=200, help="distinct portals the load is spread over")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    crawler = str(Path(sys.executable).with_name("crawler"))
    rng = random.Random(args.seed)

    baseline, base_port, _ = _start([sys.executable, "-c", BASELINE])
    try:
        per_connection = args.requests // args.connections
        fixed = [("127.0.0.1", [("/", False)] * per_connection) for _ in range(args.connections)]
        base_rate = _measure("baseline (bare Twisted, fixed 10 KB page)", fixed, base_port, args.connections, {})
    finally:
        baseline.terminate()
        baseline.wait()

    process, port, startup = _start([crawler, "sim", "serve", "--portals", str(args.portals), "--seed",
                                      str(args.seed), "--port", "0"])
    try:
        print(f"farm of {args.portals} county portals ready in {startup:.2f} s (port {port})")
        farm = Farm(args.portals, args.seed, 0, port)
        jobs = _farm_jobs(farm, args.requests, args.portals_hit, rng)
        etags: dict = {}
        cold = _measure(f"farm, first pass over {len(jobs)} portals (pages rendered on first request)", jobs, port,
                        args.connections, etags)
        warm = _measure("farm, second pass (pages cached, chrome filled per request)", jobs, port, args.connections,
                        etags)
        rss = Path(f"/proc/{process.pid}/status").read_text().split("VmRSS:")[1].split("\n")[0].strip()
        print(f"farm memory after the run: {rss}")
        print(f"ratio farm/baseline: cold {cold / base_rate:.2f}, warm {warm / base_rate:.2f}")
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
