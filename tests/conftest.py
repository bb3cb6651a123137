"""Fixtures shared by every test area.

``farm`` is one small simulated farm for the whole session (8 county portals, seed 1,
night 0, no faults: every family and every encoding profile appears); tests that need
another night, other faults or a private farm use ``tests.farm.running_farm`` directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.farm import RunningFarm, running_farm

SESSION_PORTALS = 8
SESSION_SEED = 1


@pytest.fixture(scope="session")
def farm() -> Iterator[RunningFarm]:
    """A farm subprocess shared by the session: ``.base_urls``, ``.port``, ``.manifest()``."""
    with running_farm(portals=SESSION_PORTALS, seed=SESSION_SEED, night=0) as running:
        yield running
