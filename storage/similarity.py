"""Near-duplicate detection with MinHash signatures and LSH bands kept in the database.

Two county portals often carry the same report with a changed heading or one edited
paragraph. Those are linked (``documents.near_duplicate_of``), never merged: an analyst must
still see both. Signatures are stored with each content and their bands in
``minhash_buckets``, so every crawl process finds candidates with one indexed query instead of
rebuilding an in-memory LSH index.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from datasketch import MinHash

from crawler.textnorm import hash_key

NUM_PERM = 128
BANDS = 16  # of 8 rows each: a pair at similarity 0.9 shares a band with probability 0.43 ...
ROWS = NUM_PERM // BANDS
# ... so it shares 7 of 16 buckets on average, and at least 2 with probability 0.998, while a
# pair at 0.6 (reports written from the same boilerplate) does so 3% of the time: requiring 2 keeps the
# candidates few without losing near-duplicates.
MIN_SHARED_BUCKETS = 2
SHINGLE = 3  # characters; three Chinese characters are already a fairly specific phrase
MIN_CHARS = 50  # below this a signature says little and every short notice would look alike
DEFAULT_THRESHOLD = 0.9


@functools.cache
def _template() -> MinHash:
    # Building the permutations is the slow part of MinHash(); share one set.
    return MinHash(num_perm=NUM_PERM, scheme="affine64")


def shingles(key: str) -> np.ndarray:
    """Distinct 3-character shingles of a :func:`hash_key`, each packed into one 63-bit integer.

    Code points fit in 21 bits, so packing is exact (no hash collisions) and vectorised:
    a report's few thousand shingles cost microseconds, not a SHA-1 each.
    """
    codes = np.frombuffer(key.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    if len(codes) < SHINGLE:
        return np.empty(0, dtype=np.uint64)
    return np.unique((codes[:-2] << np.uint64(42)) | (codes[1:-1] << np.uint64(21)) | codes[2:])


def signature(text: str) -> bytes | None:
    """The MinHash signature of ``text``'s character shingles, or ``None`` for a text too short to compare."""
    key = hash_key(text)
    if len(key) < MIN_CHARS:
        return None
    template = _template()
    minhash = MinHash(num_perm=NUM_PERM, hashfunc=int, permutations=template.permutations, scheme=template.scheme)
    minhash.update_batch(shingles(key).tolist())
    return minhash.hashvalues.astype("<u8").tobytes()


def buckets(sig: bytes) -> list[int]:
    """One LSH bucket per band (the band's number is hashed in): signatures sharing a bucket are candidates."""
    found = []
    for band in range(BANDS):
        chunk = sig[band * ROWS * 8 : (band + 1) * ROWS * 8]
        digest = hashlib.blake2b(band.to_bytes(2, "big") + chunk, digest_size=8).digest()
        found.append(int.from_bytes(digest, "big", signed=True))
    return found


def best_match(sig: bytes, candidates: list[tuple[str, bytes]], threshold: float) -> tuple[str, float] | None:
    """The candidate ``(key, signature)`` most similar to ``sig`` at or above ``threshold``, with its similarity.

    Similarity is the estimated Jaccard similarity of the shingle sets: the share of equal
    signature slots.
    """
    if not candidates:
        return None
    matrix = np.frombuffer(b"".join(other for _, other in candidates), dtype="<u8").reshape(len(candidates), NUM_PERM)
    scores = (matrix == np.frombuffer(sig, dtype="<u8")).mean(axis=1)
    best = int(np.argmax(scores))
    return (candidates[best][0], float(scores[best])) if scores[best] >= threshold else None
