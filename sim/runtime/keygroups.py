"""Key groups: how keyed records and keyed state are assigned to the subtasks of an operator.

Flink hashes a key into one of ``max_parallelism`` key groups --
``murmurHash(key.hashCode()) % max_parallelism`` -- and gives subtask ``i`` of ``n`` the contiguous
range of key groups ``kg`` with ``kg * n // max_parallelism == i``
(KeyGroupRangeAssignment.assignToKeyGroup / computeOperatorIndexForKeyGroup, MathUtils.murmurHash).
Records are routed and state is redistributed on rescaling by the same rule, so a key's state is
always where its records go. String keys hash as Java's ``String.hashCode`` (UTF-16 code units), so
a word lands in the key group a real job would put it in; other keys hash their text.
"""
from __future__ import annotations

__all__ = ["key_group", "operator_index", "java_string_hash", "murmur_hash", "DEFAULT_MAX_PARALLELISM"]

DEFAULT_MAX_PARALLELISM = 128
_M32 = 0xFFFFFFFF


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode()``: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, as an int."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & _M32
    return h - (1 << 32) if h & 0x80000000 else h


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def murmur_hash(code: int) -> int:
    """Flink's ``MathUtils.murmurHash(int)``: one murmur3 round and finaliser, made non-negative."""
    h = code & _M32
    h = (h * 0xCC9E2D51) & _M32
    h = _rotl(h, 15)
    h = (h * 0x1B873593) & _M32
    h = _rotl(h, 13)
    h = (h * 5 + 0xE6546B64) & _M32
    h ^= 4
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    signed = h - (1 << 32) if h & 0x80000000 else h
    if signed >= 0:
        return signed
    return -signed if signed != -(1 << 31) else 0


def key_group(key, max_parallelism: int) -> int:
    """The key group of ``key`` (a pair's first field is the key)."""
    if type(key) is tuple:
        key = key[0]
    return murmur_hash(java_string_hash(key if isinstance(key, str) else str(key))) % max_parallelism


def operator_index(key, max_parallelism: int, parallelism: int) -> int:
    """The subtask of ``parallelism`` that owns ``key``'s key group."""
    return key_group(key, max_parallelism) * parallelism // max_parallelism
