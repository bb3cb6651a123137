"""Fault profiles: the hostile behaviour of real portals, switched on by name.

Faults are off by default, so a plain farm is a well-behaved (if messy) set of portals.
Each kind switched on is attached, by the farm's seed, to specific portals and URLs, and
listed in the manifest's ``faults`` so a test knows exactly where to look.
"""

from __future__ import annotations

from collections.abc import Iterable

# Transient faults on an existing page: the first BURST requests of the URL fail, later ones succeed.
BURST = 2
# Seconds a ``slow`` URL waits before answering.
SLOW_SECONDS = 2.0
# Size of the ``huge_page`` body.
HUGE_BYTES = 20 * 1024 * 1024

FAULT_KINDS: tuple[str, ...] = (
    "http_500_burst",  # a report page answers 500 twice, then normally
    "http_503_burst",  # a list page answers 503 (Retry-After: 1) twice, then normally
    "slow",  # a report page answers after SLOW_SECONDS
    "connection_reset",  # a report page resets the connection twice, then answers
    "truncated_body",  # a report page sends half its body under the full Content-Length, twice
    "redirect_loop",  # an extra listed link: /redirect/a.html -> b.html -> a.html -> ...
    "calendar_trap",  # an extra side-bar link to an endless month-by-month calendar
    "huge_page",  # an extra listed link to a 20 MB page
    "binary_as_html",  # an extra listed link serving random bytes as text/html
    "offsite_redirect",  # an extra listed link redirecting to another portal's host
    "soft_404",  # an extra listed link answering 200 with 页面不存在
    "antibot_412",  # a whole portal answers 412 with an inline $_ts challenge script
)

# Kinds attached to an existing page of a portal, rather than to an extra link.
PAGE_FAULTS = frozenset({"http_500_burst", "http_503_burst", "slow", "connection_reset", "truncated_body"})


def parse_faults(spec: str | Iterable[str]) -> tuple[str, ...]:
    """Fault kinds from ``"all"``, a comma list or an iterable; unknown names are an error."""
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else [str(n).strip() for n in spec]
    names = [n for n in names if n]
    if names == ["all"]:
        return FAULT_KINDS
    unknown = sorted(set(names) - set(FAULT_KINDS))
    if unknown:
        raise ValueError(f"unknown fault kind(s) {', '.join(unknown)}; known: all, {', '.join(FAULT_KINDS)}")
    return tuple(k for k in FAULT_KINDS if k in names)
