"""The HTTP cache never hides a failing server behind its copy of a list."""

from __future__ import annotations

from tests.crawl.conftest import Workspace
from tests.farm import running_farm


def test_a_5xx_on_revalidating_a_cached_list_is_retried_and_counted(workspace: Workspace) -> None:
    """Scrapy's RFC 2616 policy would serve the cached list for a 503: no retry, no server_errors, "unchanged"."""
    with running_farm(portals=1, seed=1, night=0) as farm:
        port = farm.port
        farm.write_portals(workspace.portals_dir)
        portal = farm.manifest()["portals"][0]["name"]
        first = workspace.crawl(portal)
    assert first["per_portal"][portal]["status"] == "ok"
    with running_farm(portals=1, seed=1, night=0, port=port, faults=["http_503_burst"]) as farm:
        fault = next(f for f in farm.manifest()["faults"] if f["kind"] == "http_503_burst")
        assert fault["portal"] == portal
        second = workspace.crawl(portal)
    problems = second["per_portal"][portal]["problems"]
    assert "server_errors: 2 HTTP 5xx answer(s)" in problems, problems
    assert second["per_portal"][portal]["status"] == "degraded"
    # The retry revalidates through the cache: its 304 brings the cached list back, nothing fails.
    assert second["errors"] == 0 and second["new_documents"] == 0
