"""MurmurHash3 (x86, 32-bit), the hash scikit-learn's ``HashingVectorizer`` uses.

Written from the public description of the algorithm (Austin Appleby, public domain).
Pure Python, applied once per distinct feature string and cached by the caller.
"""

from __future__ import annotations

__all__ = ["murmurhash3_32"]

_MASK = 0xFFFFFFFF
_C1 = 0xCC9E2D51
_C2 = 0x1B873593


def _rotl32(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _MASK


def _mix_block(k: int) -> int:
    k = (k * _C1) & _MASK
    k = _rotl32(k, 15)
    return (k * _C2) & _MASK


def murmurhash3_32(key: str | bytes, seed: int = 0, *, positive: bool = False) -> int:
    """MurmurHash3_x86_32 of a string (UTF-8 encoded) or bytes.

    Parameters
    ----------
    key : str or bytes
        The value to hash; strings are hashed as their UTF-8 bytes.
    seed : int
        The 32-bit seed.
    positive : bool
        Return the unsigned value in ``[0, 2**32)`` instead of the signed one.

    Returns
    -------
    int
        The hash, signed 32-bit unless ``positive``.

    Examples
    --------
    >>> murmurhash3_32("foo")
    -156908512
    """
    data = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    h = seed & _MASK
    n_blocks = len(data) // 4
    for i in range(n_blocks):
        k = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        h ^= _mix_block(k)
        h = _rotl32(h, 13)
        h = (h * 5 + 0xE6546B64) & _MASK
    tail = data[4 * n_blocks :]
    if tail:
        h ^= _mix_block(int.from_bytes(tail, "little"))
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    if positive or h < 0x80000000:
        return h
    return h - 0x100000000
