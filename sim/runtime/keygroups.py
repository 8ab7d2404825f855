"""Key groups: how keyed records and keyed state are assigned to the subtasks of an operator.

Flink hashes a key into one of ``max_parallelism`` key groups and gives subtask ``i`` of ``n`` the
contiguous range of key groups ``kg`` with ``kg * n // max_parallelism == i``
(KeyGroupRangeAssignment.computeOperatorIndexForKeyGroup). Records are routed and state is
redistributed on rescaling by the same rule, so a key's state is always where its records go.
NOTE: the key's hash is CRC-32 of its text, not Java's hashCode + murmur: the assignment of a
given word differs from a real job's, the rule does not.
"""
from __future__ import annotations

from zlib import crc32

__all__ = ["key_group", "operator_index", "DEFAULT_MAX_PARALLELISM"]

DEFAULT_MAX_PARALLELISM = 128


def key_group(key, max_parallelism: int) -> int:
    """The key group of ``key`` (a pair's first field is the key)."""
    if type(key) is tuple:
        key = key[0]
    return crc32(str(key).encode()) % max_parallelism


def operator_index(key, max_parallelism: int, parallelism: int) -> int:
    """The subtask of ``parallelism`` that owns ``key``'s key group."""
    return key_group(key, max_parallelism) * parallelism // max_parallelism
