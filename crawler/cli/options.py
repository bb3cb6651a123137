"""Options shared by many subcommands, declared once so their names and defaults never drift."""

from __future__ import annotations

from pathlib import Path

import click

from crawler import settings

# The portal configs shipped with the project (``PORTALS_DIR`` of the Scrapy settings);
# operators point --portals-dir elsewhere.
DEFAULT_PORTALS_DIR = Path(settings.PORTALS_DIR)

db_option = click.option(
    "--db",
    "db_url",
    envvar="CRAWLER_DB_URL",
    default=None,
    metavar="URL",
    help="Archive database URL (sqlite:///path or postgresql+psycopg://...). "
    "Default: $CRAWLER_DB_URL, else sqlite under ./data/archive.db.",
)

portals_dir_option = click.option(
    "--portals-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="CRAWLER_PORTALS_DIR",
    default=DEFAULT_PORTALS_DIR,
    show_default=True,
    help="Directory of portal TOML files.",
)

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")

redis_option = click.option(
    "--redis",
    "redis_url",
    envvar="CRAWLER_REDIS_URL",
    default=None,
    metavar="URL",
    help="Redis of a distributed run (redis://host:6379/0), shared by every worker; see docs/scale-out.md. "
    "Default: $CRAWLER_REDIS_URL.",
)

redis_prefix_option = click.option(
    "--redis-prefix",
    envvar="CRAWLER_REDIS_PREFIX",
    default="crawler",
    show_default=True,
    metavar="PREFIX",
    help="Prefix of the run's Redis keys: deployments (or tests) sharing one Redis use different ones.",
)

lease_ttl_option = click.option(
    "--lease-ttl",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="With --redis: how long a portal stays this worker's without a heartbeat; "
    "a dead worker's portals go to another after this.",
)
