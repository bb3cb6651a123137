"""Problem and error texts reach the operator's terminal as written, brackets and all."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from crawler.cli.status import _print
from scheduler.health import PortalHealth


def test_status_shows_an_error_with_brackets_verbatim() -> None:
    """Rich would take "[/srv/portals]" for a closing tag and fail; "[limits]" for a style and drop it."""
    error = "exit code 2: no valid config in [/srv/portals]: [limits].max_pages must be >= 1"
    health = PortalHealth("xian_weiyang", runs=1, last_run=dt.datetime(2025, 6, 3, tzinfo=dt.UTC), last_status="failed",
                          last_failure=dt.datetime(2025, 6, 3, tzinfo=dt.UTC), last_error=error, failure_streak=1,
                          flags=["failing"])
    console = Console(record=True, width=400)
    _print(console, "sqlite:///[archive].db", [health], runs=1, flagged=1)
    shown = console.export_text()
    assert error in shown
    assert "sqlite:///[archive].db" in shown
