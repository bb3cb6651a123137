"""Run ``crawler schedule run`` as a real subprocess for a test, and read what it recorded.

    with running_daemon(db_url, portals_dir, tmp_path, "--trigger-every", "1") as daemon:
        wait_until(lambda: len(job_runs(db_url)) >= 2, daemon)
        assert daemon.stop() == 0      # SIGTERM, then its exit code

The daemon's child command is ``tests/scheduler/fake_crawl.py`` (which becomes the real
``crawler crawl`` unless a portal's name asks it to crash or hang), its working directory
is the test's tmp_path (the crawl's HTTP cache goes there) and its log goes to a file.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scheduler.history import JobRun, recent_job_runs
from storage.archive import Archive
from storage.db import make_engine

CRAWLER = str(Path(sys.executable).with_name("crawler"))
FAKE_CRAWL = Path(__file__).with_name("fake_crawl.py")
CHILD_COMMAND = shlex.join([sys.executable, str(FAKE_CRAWL)])


@dataclass
class Daemon:
    """A started ``crawler schedule run`` and its log file."""

    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = 60.0) -> None:
        wait_until(lambda: text in self.log_text(), self, timeout, what=f"log line {text!r}")

    def stop(self, signum: signal.Signals = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Send ``signum`` and return the exit code (the test fails if it does not exit in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"the daemon did not exit {timeout} s after {signum.name}:\n{self.log_text()[-3000:]}") from None


def start_daemon(db_url: str, portals_dir: Path, workdir: Path, *args: str, env: dict[str, str] | None = None,
                 name: str = "daemon") -> Daemon:
    log = workdir / f"{name}.log"
    command = [CRAWLER, "schedule", "run", "--db", db_url, "--portals-dir", str(portals_dir), "--poll", "0.5", *args]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=workdir,
        env={**os.environ, "CRAWLER_SCHEDULE_CHILD": CHILD_COMMAND, **(env or {})},
    )
    return Daemon(process, log)


@contextlib.contextmanager
def running_daemon(db_url: str, portals_dir: Path, workdir: Path, *args: str, env: dict[str, str] | None = None,
                   name: str = "daemon") -> Iterator[Daemon]:
    """A daemon for the block; one the test left running gets SIGTERM (it stops its children), then SIGKILL."""
    daemon = start_daemon(db_url, portals_dir, workdir, *args, env=env, name=name)
    try:
        yield daemon
    finally:
        if daemon.process.poll() is None:
            daemon.process.terminate()
            try:
                daemon.process.wait(30)
            except subprocess.TimeoutExpired:
                daemon.process.kill()
                daemon.process.wait(10)


def wait_until(predicate: Callable[[], bool], daemon: Daemon | None = None, timeout: float = 60.0, what: str = "condition") -> None:
    """Poll ``predicate``; fail with the daemon's log if it stays false or the daemon exits."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if daemon is not None and daemon.process.poll() is not None:
            raise AssertionError(f"the daemon exited ({daemon.process.returncode}) while waiting for {what}:\n{daemon.log_text()[-3000:]}")
        if time.monotonic() > deadline:
            log = daemon.log_text()[-3000:] if daemon else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{log}")
        time.sleep(0.2)


def job_runs(db_url: str, limit: int = 200) -> list[JobRun]:
    """The job runs recorded so far in a migrated archive, oldest first."""
    engine = make_engine(db_url)
    try:
        return recent_job_runs(Archive(engine), limit)
    finally:
        engine.dispose()


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting for a parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def copy_portal(like: Path, name: str, *, schedule: str | None = None) -> Path:
    """A portal config ``name`` beside ``like``, copied from it, with a ``schedule`` of its own if given."""
    lines = [line for line in like.read_text(encoding="utf-8").splitlines() if not line.startswith(("name =", "schedule ="))]
    top = [f'name = "{name}"', *([f'schedule = "{schedule}"'] if schedule else [])]
    path = like.with_name(f"{name}.toml")
    path.write_text("\n".join(top + lines) + "\n", encoding="utf-8")
    return path
