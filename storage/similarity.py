"""Near-duplicate detection with MinHash signatures and LSH bands kept in the database.

Two county portals often carry the same report with a changed heading or one edited
paragraph. Those are linked (``documents.near_duplicate_of``), never merged: an analyst must
still see both. Signatures are stored with each content and their bands in
``minhash_bands``, so every crawl process finds candidates with one indexed query instead of
rebuilding an in-memory LSH index.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from datasketch import MinHash

from crawler.textnorm import hash_key

NUM_PERM = 128
BANDS = 16  # 16 bands of 8 rows: a pair at similarity 0.9 shares a band with probability > 0.999
ROWS = NUM_PERM // BANDS
SHINGLE = 3  # characters; three Chinese characters are already a fairly specific phrase
MIN_CHARS = 50  # below this a signature says little and every short notice would look alike
DEFAULT_THRESHOLD = 0.9


@functools.cache
def _template() -> MinHash:
    # Building the permutations is the slow part of MinHash(); share one set.
    return MinHash(num_perm=NUM_PERM)


def signature(text: str) -> bytes | None:
    """The MinHash signature of ``text``'s character shingles, or ``None`` for a text too short to compare."""
    key = hash_key(text)
    if len(key) < MIN_CHARS:
        return None
    template = _template()
    minhash = MinHash(num_perm=NUM_PERM, permutations=template.permutations, scheme=template.scheme)
    minhash.update_batch([key[i : i + SHINGLE].encode("utf-8") for i in range(len(key) - SHINGLE + 1)])
    return minhash.hashvalues.astype("<u8").tobytes()


def bands(sig: bytes) -> list[tuple[int, int]]:
    """``(band, bucket)`` pairs: two signatures sharing any pair are candidates."""
    buckets = []
    for band in range(BANDS):
        chunk = sig[band * ROWS * 8 : (band + 1) * ROWS * 8]
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        buckets.append((band, int.from_bytes(digest, "big", signed=True)))
    return buckets


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return float(np.mean(np.frombuffer(a, dtype="<u8") == np.frombuffer(b, dtype="<u8")))
