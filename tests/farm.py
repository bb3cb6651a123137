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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.sim import Farm
from crawler.sim.farm import FAMILY_ORDER
from crawler.sim.process import FarmProcess, parse_ready_line, start_farm_process

__all__ = ["Fetched", "RunningFarm", "fetch", "parse_ready_line", "running_farm", "start_farm"]



@dataclass
class RunningFarm:
    """A farm subprocess that has printed its ready line."""

    portals: int
    seed: int
    night: int
    faults: tuple[str, ...]
    port: int
    base_urls: list[str]
    process: FarmProcess
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
        self.process.stop()


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
    args = ["--portals", str(portals), "--seed", str(seed), "--night", str(night), "--port", str(port),
            "--host", host, "--families", ",".join(families)]
    if faults:
        args += ["--faults", ",".join(faults)]
    child = start_farm_process(args)
    return RunningFarm(portals, seed, night, tuple(faults), child.port, child.base_urls, child, host, tuple(families))


@contextlib.contextmanager
def running_farm(portals: int, seed: int = 1, night: int = 0, faults: Sequence[str] = (),
                 host: str = "127.0.0.1", port: int = 0, families: Sequence[str] = FAMILY_ORDER) -> Iterator[RunningFarm]:
    """A started farm for the duration of the block, stopped afterwards."""
    farm = start_farm(portals, seed, night, faults, host, port, families)
    try:
        yield farm
    finally:
        farm.stop()
