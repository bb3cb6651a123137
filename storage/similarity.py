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
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``affine64`` permutations ``(a, b)`` for seed 1, built once (building them is slow).

    datasketch is imported here, not at the top: it pulls in scipy (~0.4 s), and only a crawl
    that meets a new text needs a signature; an unchanged night never does.
    """
    from datasketch import MinHash

    a, b = MinHash(num_perm=NUM_PERM, scheme="affine64").permutations
    return a, b


# The MurmurHash3 64-bit finalizer: datasketch's pre-mix of every input hash under ``affine64``.
_FMIX_SHIFT = np.uint64(33)
_FMIX_M1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_M2 = np.uint64(0xC4CEB9FE1A85EC53)


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
    return minhash(shingles(key)).astype("<u8").tobytes()


def minhash(values: np.ndarray) -> np.ndarray:
    """The 128 MinHash values of a set of 64-bit integers, as ``datasketch.MinHash(scheme="affine64", hashfunc=int)`` computes them.

    The same arithmetic (fmix64 pre-mix, then ``a * h + b`` wrapping mod 2^64, minimum per
    permutation) done on the whole array at once: datasketch's ``update_batch`` first calls
    the hash function once per value in Python, which cost more than the rest of the record
    path's hashing. Signatures are bit-identical to datasketch's (a test checks), so stored
    signatures and LSH buckets stay valid.
    """
    a, b = _permutations()
    mixed = values ^ (values >> _FMIX_SHIFT)
    mixed *= _FMIX_M1
    mixed ^= mixed >> _FMIX_SHIFT
    mixed *= _FMIX_M2
    mixed ^= mixed >> _FMIX_SHIFT
    permuted = np.multiply.outer(mixed, a)  # one row per value, one column per permutation
    permuted += b  # in place: the matrix is the only large allocation
    return permuted.min(axis=0)


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
