"""Run one harvest as a child process with a time limit, and say how it ended.

Twisted's reactor cannot be restarted inside a process, and one hung portal can hang a
crawl, so every harvest is its own process in its own process group. The group (the crawl
and anything it started) is what a time limit or a daemon stop terminates: SIGTERM first, so
Scrapy closes its spiders and records their runs, then SIGKILL after a grace period.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_KILL_GRACE = 30.0  # seconds between SIGTERM and SIGKILL: Scrapy needs a moment to close spiders
STDERR_TAIL_CHARS = 2000  # how much of a failed child's stderr the run history keeps

# Exit codes of `crawler crawl` that mean "the crawl decided to fail" (fatal error, usage error);
# any other non-zero code, or death by a signal, is a crash.
CRAWL_FAILURE_CODES = frozenset({1, 2})


class Status(enum.StrEnum):
    """How a harvest ended; the value is what the runs table's ``status`` column holds."""

    OK = "ok"  # exit 0 with a JSON summary on stdout
    FAILED = "failed"  # the crawl exited with an error of its own (archive unreachable, bad config)
    CRASHED = "crashed"  # died of a signal or an unexpected exit code
    TIMEOUT = "timeout"  # ran past the time limit and was killed
    INTERRUPTED = "interrupted"  # stopped because the daemon stopped, or by a signal from elsewhere


@dataclass(frozen=True, slots=True)
class ChildResult:
    """The end of one child: status, exit code, the parsed ``--json`` summary and the error text."""

    status: Status
    exit_code: int | None
    summary: dict[str, Any] | None
    error: str | None
    duration: float


class Children:
    """The daemon's live harvest children, so that a stop can terminate every one of them.

    :meth:`run` is called from the scheduler's worker threads; :meth:`stop_all` from the
    thread that shuts the daemon down. After :meth:`stop_all` no new child is started.
    """

    def __init__(self, kill_grace: float = DEFAULT_KILL_GRACE) -> None:
        self.kill_grace = kill_grace
        self.stopping = threading.Event()
        self._live: dict[int, subprocess.Popen[bytes]] = {}
        self._stopped_by_us: set[int] = set()
        self._changed = threading.Condition()

    @property
    def running(self) -> int:
        """How many children are alive now."""
        with self._changed:
            return len(self._live)

    def run(self, argv: Sequence[str], time_limit: float, env: Mapping[str, str] | None = None) -> ChildResult:
        """Run ``argv`` to its end or to ``time_limit`` seconds, whichever comes first."""
        started = time.monotonic()
        with self._changed:
            if self.stopping.is_set():
                return ChildResult(Status.INTERRUPTED, None, None, "the daemon was stopping: not started", 0.0)
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(env) if env is not None else None,
                start_new_session=True,  # its own process group: killing the group reaches grandchildren
            )
            self._live[process.pid] = process
        logger.info("child %d started: %s", process.pid, " ".join(argv))
        timed_out = False
        try:
            try:
                stdout, stderr = process.communicate(timeout=time_limit)
            except subprocess.TimeoutExpired:
                timed_out = True
                logger.warning("child %d ran past its time limit of %g s: terminating its process group", process.pid, time_limit)
                stdout, stderr = self._terminate(process)
        finally:
            with self._changed:
                self._live.pop(process.pid, None)
                interrupted = process.pid in self._stopped_by_us
                self._stopped_by_us.discard(process.pid)
                self._changed.notify_all()
        result = classify(
            process.returncode, stdout, stderr, duration=time.monotonic() - started,
            timed_out=timed_out, time_limit=time_limit, interrupted=interrupted,
        )
        logger.info("child %d ended: %s (exit code %s) after %.1f s", process.pid, result.status, result.exit_code, result.duration)
        return result

    def stop_all(self) -> None:
        """Start no more children; SIGTERM every live one, SIGKILL those still alive after the grace period."""
        with self._changed:
            self.stopping.set()
            live = list(self._live)
            self._stopped_by_us.update(live)
        if not live:
            return
        logger.info("stopping %d child(ren): SIGTERM, SIGKILL after %g s", len(live), self.kill_grace)
        for pid in live:
            _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.kill_grace
        with self._changed:
            self._changed.wait_for(lambda: not self._live, timeout=max(0.0, deadline - time.monotonic()))
            remaining = list(self._live)
        for pid in remaining:
            logger.warning("child %d ignored SIGTERM for %g s: SIGKILL", pid, self.kill_grace)
            _signal_group(pid, signal.SIGKILL)
        with self._changed:
            self._changed.wait_for(lambda: not self._live, timeout=self.kill_grace)

    def _terminate(self, process: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
        """SIGTERM the child's group, SIGKILL it after the grace period; return what it wrote."""
        _signal_group(process.pid, signal.SIGTERM)
        try:
            return process.communicate(timeout=self.kill_grace)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            return process.communicate()


def _signal_group(pid: int, signum: signal.Signals) -> None:
    # The group id is the child's pid (start_new_session); a group already gone is fine.
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        logger.debug("process group %d already gone", pid)


def classify(
    returncode: int | None,
    stdout: bytes,
    stderr: bytes,
    *,
    duration: float,
    timed_out: bool = False,
    time_limit: float | None = None,
    interrupted: bool = False,
) -> ChildResult:
    """Turn a finished child's exit code and output into a :class:`ChildResult`.

    A time limit or a daemon stop decides the status even when the child then managed to
    exit cleanly, because its summary then covers only part of the harvest.
    """
    summary = parse_summary(stdout)
    tail = stderr_tail(stderr)
    if timed_out:
        status, error = Status.TIMEOUT, f"killed after the time limit of {time_limit:g} s"
    elif interrupted:
        status, error = Status.INTERRUPTED, "stopped with the daemon"
    elif returncode == 0 and summary is not None and summary.get("stopped"):
        # SIGTERM/SIGINT from outside the daemon: the crawl stopped gracefully, part of it not done.
        status, error = Status.INTERRUPTED, "the crawl was stopped (SIGTERM or SIGINT) before every portal was crawled"
    elif returncode == 0 and summary is not None:
        status, error = Status.OK, None
    elif returncode == 0:
        status, error = Status.FAILED, "exit code 0 but no JSON summary on stdout"
    elif returncode in CRAWL_FAILURE_CODES:
        status, error = Status.FAILED, f"exit code {returncode}"
    elif returncode is not None and returncode < 0:
        status, error = Status.CRASHED, f"killed by {_signal_name(-returncode)}"
    else:
        status, error = Status.CRASHED, f"exit code {returncode}"
    if error is not None and tail:
        error = f"{error}: {tail}"
    return ChildResult(status, returncode, summary, error, duration)


def parse_summary(stdout: bytes) -> dict[str, Any] | None:
    """The crawl's ``--json`` summary (one JSON object on stdout), or None when there is none."""
    try:
        summary = json.loads(stdout.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    return summary if isinstance(summary, dict) else None


def stderr_tail(stderr: bytes, limit: int = STDERR_TAIL_CHARS) -> str:
    """The last non-blank lines of stderr, at most ``limit`` characters: where a traceback ends."""
    lines = [line.rstrip() for line in stderr.decode("utf-8", errors="replace").splitlines() if line.strip()]
    tail: list[str] = []
    size = 0
    for line in reversed(lines):
        if size + len(line) > limit:
            break
        tail.append(line)
        size += len(line) + 1
    return "\n".join(reversed(tail))


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
