"""A harvest child that ends, crashes, fails or hangs is classified right, and a hang is killed whole."""

from __future__ import annotations

import sys
import textwrap
import threading
import time
from pathlib import Path

from scheduler.child import Children, Status, classify
from tests.scheduler.daemon import alive

PY = sys.executable


def script(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def test_a_clean_exit_with_a_json_summary_is_ok() -> None:
    result = Children().run(script('print(\'{"portals": 1, "per_portal": {}}\')'), time_limit=30)
    assert result.status == Status.OK
    assert result.exit_code == 0
    assert result.summary == {"portals": 1, "per_portal": {}}
    assert result.error is None


def test_exit_codes_and_signals_are_told_apart() -> None:
    children = Children()
    failed = children.run(script("import sys; sys.stderr.write('archive error: locked\\n'); sys.exit(1)"), time_limit=30)
    assert failed.status == Status.FAILED
    assert failed.error == "exit code 1: archive error: locked"
    crashed = children.run(script("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"), time_limit=30)
    assert crashed.status == Status.CRASHED
    assert crashed.exit_code == -9
    assert crashed.error.startswith("killed by SIGKILL")
    silent = children.run(script("print('not json')"), time_limit=30)
    assert silent.status == Status.FAILED
    assert "no JSON summary" in silent.error


def test_a_hung_child_is_killed_with_its_grandchildren_at_the_time_limit(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    hang = script(f"""
        import subprocess, time
        grandchild = subprocess.Popen(["sleep", "600"])
        open({str(pids)!r}, "w").write(str(grandchild.pid))
        time.sleep(600)
    """)
    result = Children(kill_grace=2).run(hang, time_limit=1.5)
    assert result.status == Status.TIMEOUT
    assert "time limit of 1.5 s" in result.error
    assert result.duration < 60
    grandchild = int(pids.read_text())
    deadline = time.monotonic() + 10
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(grandchild)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period() -> None:
    stubborn = script("""
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        time.sleep(600)
    """)
    result = Children(kill_grace=1).run(stubborn, time_limit=1)
    assert result.status == Status.TIMEOUT
    assert result.exit_code == -9


def test_stop_all_interrupts_running_children_and_refuses_new_ones() -> None:
    children = Children(kill_grace=5)
    results = []
    worker = threading.Thread(target=lambda: results.append(children.run(script("import time; time.sleep(600)"), time_limit=600)))
    worker.start()
    deadline = time.monotonic() + 10
    while not children.running and time.monotonic() < deadline:
        time.sleep(0.05)
    children.stop_all()
    worker.join(15)
    assert [r.status for r in results] == [Status.INTERRUPTED]
    assert children.run(script("print('{}')"), time_limit=30).status == Status.INTERRUPTED


def test_classify_keeps_the_end_of_stderr_where_the_traceback_is() -> None:
    stderr = ("noise\n" * 2000 + "Traceback (most recent call last):\nValueError: bad portal\n").encode()
    result = classify(3, b"", stderr, duration=1.0)
    assert result.status == Status.CRASHED
    assert result.error.startswith("exit code 3: ")
    assert result.error.endswith("ValueError: bad portal")
    assert len(result.error) < 2100
