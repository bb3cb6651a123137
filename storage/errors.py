"""The one exception the archive raises for conditions an operator must fix.

The CLI turns an :class:`ArchiveError` into a one-line message and a non-zero exit; the
message always names the database (URL with the password hidden, or the SQLite file), so
the operator knows *which* archive is malformed, locked, read-only or too new.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """A database problem that the operator, not the code, has to resolve."""
