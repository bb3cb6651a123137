"""Run the simulated farm for a test: a real ``crawler sim serve`` subprocess on loopback.

    from tests.farm import running_farm

    with running_farm(portals=6, seed=1, night=0) as farm:   # also faults=[...], families=[...], port=N
        farm.base_urls          # ["http://127.0.0.1:41234/", ...] counties first, then city portals
        farm.port               # the port chosen (--port 0)
        farm.manifest()         # ground truth, computed in-process from the same arguments
        farm.write_portals(dir) # the portal TOML files for `crawler crawl --portals-dir`

The subprocess is stopped (SIGTERM, then SIGKILL) when the block exits, even on failure.
Use the ``farm`` fixture of ``tests/conftest.py`` for the shared session farm.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.sim import Farm
from crawler.sim.farm import FAMILY_ORDER

READY_PREFIX = "farm ready: "
START_TIMEOUT = 60.0


@dataclass
class RunningFarm:
    """A farm subprocess that has printed its ready line."""

    portals: int
    seed: int
    night: int
    faults: tuple[str, ...]
    port: int
    base_urls: list[str]
    process: subprocess.Popen
    host: str = "127.0.0.1"
    families: tuple[str, ...] = FAMILY_ORDER
    _farm: Farm | None = field(default=None, repr=False)

    @property
    def farm(self) -> Farm:
        """The in-process twin of the served farm (same arguments, so the same content)."""
        if self._farm is None:
            self._farm = Farm(self.portals, self.seed, self.night, self.port, host=self.host, faults=self.faults,
                              families=self.families)
        return self._farm

    def manifest(self) -> dict:
        return self.farm.manifest()

    def write_portals(self, directory: Path) -> list[Path]:
        """Write the portal configs of this farm into ``directory``; return the files."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in self.farm.portal_configs().items():
            path = directory / name
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        return paths

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def parse_ready_line(line: str) -> tuple[int, list[str]]:
    """``farm ready: N portals, port P, URL ...`` -> (P, [URL, ...])."""
    if not line.startswith(READY_PREFIX):
        raise ValueError(f"not a farm ready line: {line[:200]!r}")
    head, _, urls = line[len(READY_PREFIX):].partition(", port ")
    port_text, _, urls = urls.partition(", ")
    return int(port_text), urls.split()


@dataclass(frozen=True)
class Fetched:
    """One HTTP answer, redirects not followed (header names lower-case)."""

    status: int
    headers: dict[str, str]
    body: bytes


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None,
          timeout: float = 30.0) -> Fetched:
    """A plain HTTP request with ``http.client`` (no redirects, no retries, no caching)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target or "/", body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Fetched(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


def start_farm(portals: int, seed: int = 1, night: int = 0, faults: Sequence[str] = (),
               host: str = "127.0.0.1", port: int = 0, families: Sequence[str] = FAMILY_ORDER) -> RunningFarm:
    """Start ``crawler sim serve`` (on a free port unless ``port`` is given) and wait for its ready line."""
    command = [str(Path(sys.executable).with_name("crawler")), "sim", "serve", "--portals", str(portals),
               "--seed", str(seed), "--night", str(night), "--port", str(port), "--host", host,
               "--families", ",".join(families)]
    if faults:
        command += ["--faults", ",".join(faults)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    if not lines or not lines[0].startswith(READY_PREFIX):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise RuntimeError(f"farm did not start: {' '.join(command)}\n{(lines or [''])[0]}{err[-2000:]}")
    threading.Thread(target=process.stderr.read, daemon=True).start()
    port, urls = parse_ready_line(lines[0].strip())
    return RunningFarm(portals, seed, night, tuple(faults), port, urls, process, host, tuple(families))


@contextlib.contextmanager
def running_farm(portals: int, seed: int = 1, night: int = 0, faults: Sequence[str] = (),
                 host: str = "127.0.0.1", port: int = 0, families: Sequence[str] = FAMILY_ORDER) -> Iterator[RunningFarm]:
    """A started farm for the duration of the block, stopped afterwards."""
    farm = start_farm(portals, seed, night, faults, host, port, families)
    try:
        yield farm
    finally:
        farm.stop()
