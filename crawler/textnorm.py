"""Text normalisation and the content hash: the one definition the farm and the extractor share.

The archive decides "new version or not" by comparing ``content_hash`` values, and the farm's
manifest promises ``text_sha256`` for each report. Both must come from this module, so that
the ground truth and the crawler agree by construction rather than by two copies of a rule.

Two levels of normalisation, on purpose:

* :func:`clean_paragraph` is what the *stored* text gets: only whitespace changes (no-break
  spaces, ideographic ``\\u3000`` indents, zero-width characters, runs of blanks), so readers
  see the report's own characters — full-width punctuation, 〔〕, —, 《》 stay as published.
* :func:`hash_key` is what the *hash* sees: NFKC (so full-width and half-width forms agree)
  and no whitespace at all, so a re-flowed paragraph or a changed indent is not a new version,
  while any change of a real character is.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

# Characters that render as nothing or as a blank but are not whitespace to ``str.split``.
# (``str.split()`` with no argument splits on exactly the characters ``\s`` matches in a
# ``str`` pattern, and is several times faster than ``re.sub`` on the extraction's hot path.)
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)
_HAS_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")


def _visible(text: str) -> str:
    """``text`` without invisible characters; ``str.translate`` is slow, so only when there are any."""
    return text.translate(_INVISIBLE) if _HAS_INVISIBLE.search(text) else text


def clean_paragraph(text: str) -> str:
    """Return ``text`` with whitespace normalised and nothing else changed.

    Every run of whitespace (ASCII, no-break space, ``\\u3000``, line breaks) becomes one
    ASCII space; leading and trailing blanks and invisible characters are dropped. A tab
    separates table cells (a table row is one tab-separated line), so tabs are kept and
    each cell is cleaned on its own.
    """
    cells = [" ".join(_visible(cell).split()) for cell in text.split("\t")]
    return "\t".join(cells) if any(cells) else ""


def clean_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """Clean each paragraph and drop the ones that are empty afterwards."""
    cleaned = (clean_paragraph(p) for p in paragraphs)
    return [p for p in cleaned if p]


def canonical_text(paragraphs: Iterable[str]) -> str:
    """The stored form of a report's text: cleaned paragraphs joined by ``"\\n"``."""
    return "\n".join(clean_paragraphs(paragraphs))


def _nfkc(line: str) -> str:
    return line if unicodedata.is_normalized("NFKC", line) else unicodedata.normalize("NFKC", line)


def hash_key(text: str) -> str:
    """The string the content hash is taken over: NFKC-normalised, with no whitespace.

    NFKC is applied line by line and only to lines that are not already normalised: most
    lines of a Chinese report are, and normalising costs about 100 ns a character. (A line
    break is a starter, so nothing composes across it: the result equals NFKC of the whole.)
    """
    return "".join("".join(map(_nfkc, _visible(text).split("\n"))).split())


def content_hash(text: str) -> str:
    """SHA-256 (hex) of :func:`hash_key` of ``text``: equal for equal reports, whatever the chrome."""
    return hashlib.sha256(hash_key(text).encode("utf-8")).hexdigest()
