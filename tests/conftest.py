"""Fixtures shared by every test area.

``farm`` is one small simulated farm for the whole session (8 county portals, seed 1,
night 0, no faults: every family, every list variant and every encoding profile appears);
``farm_portals`` is a directory holding its portal configs, ready for
``crawler crawl --portals-dir``. Tests that need another night, faults or a private farm use
``tests.farm.running_farm`` directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.farm import RunningFarm, running_farm

SESSION_PORTALS = 8
SESSION_SEED = 1


@pytest.fixture(scope="session")
def farm() -> Iterator[RunningFarm]:
    """A farm subprocess shared by the session: ``.base_urls``, ``.port``, ``.manifest()``."""
    with running_farm(portals=SESSION_PORTALS, seed=SESSION_SEED, night=0) as running:
        yield running


@pytest.fixture(scope="session")
def farm_portals(farm: RunningFarm, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with one portal TOML per portal of the session ``farm`` (county and city portals)."""
    directory = tmp_path_factory.mktemp("farm-portals")
    farm.write_portals(directory)
    return directory
