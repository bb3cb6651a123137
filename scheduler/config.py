"""The scheduler's config file (``crawler schedule run --config FILE``), its ``[schedule]`` table.

    [schedule]
    mode = "distributed"               # "local" (default): the nightly job crawls in its child process
    redis = "redis://queue:6379/0"     # distributed: the Redis the workers share (or $CRAWLER_REDIS_URL)
    redis_prefix = "crawler"           # optional

In mode ``distributed`` the nightly job only seeds a run in Redis (``crawler crawl --all
--redis URL --seed-only``) and returns; long-running ``crawler worker --forever`` processes on
other machines crawl it. Portal jobs of their own (``portal:NAME``) still crawl locally: they
are small, and a second run beside the night's would be refused.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

class ScheduleConfigError(ValueError):
    """The config file cannot be read or is invalid; the message names the file and the key."""


class ScheduleConfig(BaseModel):
    """The ``[schedule]`` table."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["local", "distributed"] = Field(default="local", description="Who crawls the nightly job's portals.")
    redis: str | None = Field(default=None, description="Redis URL of distributed runs (default $CRAWLER_REDIS_URL).")
    redis_prefix: str = Field(default="crawler", min_length=1, description="Prefix of the runs' Redis keys.")

    @model_validator(mode="after")
    def _redis_for_distributed(self) -> ScheduleConfig:
        if self.mode == "distributed" and not self.redis:
            self.redis = os.environ.get("CRAWLER_REDIS_URL")
            if not self.redis:
                raise ValueError("mode 'distributed' needs redis = \"redis://...\" (or CRAWLER_REDIS_URL)")
        return self


def load_schedule_config(path: Path | None) -> ScheduleConfig:
    """The config in ``path`` (its ``[schedule]`` table), or the defaults when there is no file."""
    if path is None:
        return ScheduleConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleConfigError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return ScheduleConfig.model_validate(data.get("schedule", {}))
    except ValidationError as exc:
        details = "; ".join(f"schedule.{'.'.join(map(str, e['loc'])) or '(table)'}: {e['msg']}" for e in exc.errors())
        raise ScheduleConfigError(f"{path}: {details}") from exc
