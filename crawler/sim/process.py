"""The farm in a child process: how ``crawler demo``, the tests and the benchmarks all start it.

The farm serves from its own process so that it gets a core of its own and never shares a
reactor with the crawl it is crawled by; whoever starts it waits for its one ready line
(``farm ready: N portals, port P, URL URL ...``), which names the port it chose.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.cli import crawler_command
from crawler.sim.server import READY_PREFIX

START_TIMEOUT = 60.0


class FarmStartError(RuntimeError):
    """The farm process exited or stayed silent instead of printing its ready line."""


def parse_ready_line(line: str) -> tuple[int, list[str]]:
    """``farm ready: N portals, port P, URL ...`` -> (P, [URL, ...])."""
    if not line.startswith(READY_PREFIX):
        raise ValueError(f"not a farm ready line: {line[:200]!r}")
    _, _, rest = line[len(READY_PREFIX):].partition(", port ")
    port_text, _, urls = rest.partition(", ")
    return int(port_text), urls.split()


@dataclass
class FarmProcess:
    """A ``crawler sim serve`` child that has printed its ready line."""

    process: subprocess.Popen
    ready_line: str
    port: int
    base_urls: list[str]

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if the farm has not exited within ten seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_farm_process(serve_args: Sequence[str], *, timeout: float = START_TIMEOUT) -> FarmProcess:
    """Run ``crawler sim serve SERVE_ARGS`` and wait for its ready line.

    Raises :class:`FarmStartError` naming the command and the end of its stderr (a busy port,
    a bad option) when no ready line comes within ``timeout`` seconds.
    """
    command = [*crawler_command(), "sim", "serve", *serve_args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not lines or not lines[0].startswith(READY_PREFIX):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise FarmStartError(f"the farm did not start ({shlex.join(command)}): {err.strip()[-1000:]}")
    # Drain stderr so a chatty farm never blocks on a full pipe.
    threading.Thread(target=process.stderr.read, daemon=True).start()
    ready = lines[0].strip()
    port, urls = parse_ready_line(ready)
    return FarmProcess(process, ready, port, urls)
