"""What the crawl made of unchanged bytes, kept on disk beside the HTTP cache.

Night after night the crawl gets the same bytes back: list pages and report pages the server
calls unchanged (revalidated through the HTTP cache), attachments of cover-page reports. What
was made of them — a list page's reading (:mod:`spiders.readings`), an extraction, an
attachment's text (:mod:`crawler.pipelines`) — is a pure function of those bytes and of the
code that read them, so it is kept under a key of both (:func:`source_fingerprint`) and used
again instead of being worked out again. A changed page, a changed portal config or changed
code makes a new key: nothing stale is ever used.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from scrapy.utils.project import data_path


def cache_subdir(settings: Any, name: str) -> Path | None:
    """A directory beside the HTTP cache (whose life it shares), or ``None`` when caching is off."""
    if not settings.getbool("HTTPCACHE_ENABLED"):
        return None
    return Path(data_path(settings["HTTPCACHE_DIR"], createdir=True)) / name


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write ``path`` whole or not at all, even with several crawl processes sharing the cache.

    The data (text is written as UTF-8) goes to a temporary file of its own (unique per writer)
    in the same directory, then replaces ``path`` in one rename: a reader never sees half a
    file, and two processes writing the same key never write into each other's temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def source_fingerprint(*modules: ModuleType) -> str:
    """A hash of the Python source of ``modules`` (a package counts with its ``.py`` files)."""
    digest = hashlib.sha256()
    for module in modules:
        path = Path(module.__file__ or "")
        sources = sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
        for source in sources:
            digest.update(f"{module.__name__}/{source.name}\0".encode() + source.read_bytes())
    return digest.hexdigest()

