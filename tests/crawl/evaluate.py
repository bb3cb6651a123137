"""Compare an archive after a crawl with the farm's manifest: the ground truth the crawl tests assert on."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from storage.models import Document, DocumentUrl, Version


@dataclass
class Score:
    """Recall and precision of the archived reports against the manifest, by URL and text hash."""

    expected: set[tuple[str, str]]
    found: set[tuple[str, str]]
    missing: set[tuple[str, str]] = field(init=False)
    extra: set[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.missing = self.expected - self.found
        self.extra = self.found - self.expected

    @property
    def recall(self) -> float:
        return len(self.expected & self.found) / len(self.expected) if self.expected else 1.0

    @property
    def precision(self) -> float:
        return len(self.expected & self.found) / len(self.found) if self.found else 1.0


def latest_texts(engine: Engine) -> dict[str, str]:
    """Canonical URL -> content hash of the latest version, of every present document."""
    statement = (
        select(Document.canonical_url, Version.content_hash)
        .join(Version, (Version.document_id == Document.id) & (Version.seq == Document.latest_seq))
        .where(Document.status == "present")
    )
    with engine.connect() as connection:
        return dict(connection.execute(statement).all())


def score(engine: Engine, manifest: dict) -> Score:
    """Live reports of county portals: (url, text hash) pairs expected vs archived.

    Mirrors (city portals re-publishing a county report) are not separate documents, so only
    canonical URLs of present documents count as found.
    """
    expected = {(r["url"], r["text_sha256"]) for r in manifest["reports"]}
    found = set(latest_texts(engine).items())
    return Score(expected, found)


def portal_score(engine: Engine, manifest: dict, portal: str) -> Score:
    """One county portal's live reports against the present documents at its address."""
    base = next(p["base_url"] for p in manifest["portals"] if p["name"] == portal)
    expected = {(r["url"], r["text_sha256"]) for r in manifest["reports"] if r["portal"] == portal}
    found = {(url, sha) for url, sha in latest_texts(engine).items() if url.startswith(base)}
    return Score(expected, found)


def archive_state(engine: Engine) -> dict:
    """Everything a re-run must reproduce: documents, their URLs, versions (by hash) and status."""
    with engine.connect() as connection:
        documents = {
            url: (status, kind, year)
            for url, status, kind, year in connection.execute(
                select(Document.canonical_url, Document.status, Document.kind, Document.report_year)
            )
        }
        urls = {
            url: canonical
            for url, canonical in connection.execute(
                select(DocumentUrl.url, Document.canonical_url).join(Document, Document.id == DocumentUrl.document_id)
            )
        }
        versions = sorted(
            connection.execute(
                select(Document.canonical_url, Version.seq, Version.content_hash).join(
                    Document, Document.id == Version.document_id
                )
            ).all()
        )
    return {"documents": documents, "urls": urls, "versions": [tuple(v) for v in versions]}
