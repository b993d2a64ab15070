"""Reproducible random streams keyed by what they are for.

Every random draw in :mod:`creme_lib` comes from a :class:`numpy.random.Generator` derived
from ``(seed, *keys)``, e.g. ``(seed, gene_id, "sufficiency", shuffle_index)``. The stream
for a key never depends on which other genes, tests or batches were run before it, so a
subset of genes, a shard or a resumed run gives the same numbers as a full run.
"""

from __future__ import annotations

import hashlib

import numpy as np

Key = str | int | tuple


def _words(key: Key) -> list[int]:
    if isinstance(key, tuple):
        return [w for k in key for w in _words(k)]
    if isinstance(key, (int, np.integer)):
        if key < 0:
            raise ValueError(f"seed keys must be non-negative integers or strings, got {key}")
        return [int(key) & 0xFFFFFFFF, int(key) >> 32]
    if isinstance(key, str):
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        return [int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:], "little")]
    raise TypeError(f"seed keys must be str, int or tuples of them, got {type(key).__name__}")


def seed_sequence(seed: int, *keys: Key) -> np.random.SeedSequence:
    """The :class:`numpy.random.SeedSequence` for ``seed`` and a key path.

    ``seed=0`` is a seed like any other (creme-nn treats ``0`` as "no seed").
    """
    if seed is None:
        raise ValueError("seed must be an integer; pass one explicitly for reproducible runs")
    return np.random.SeedSequence([*_words(int(seed)), *_words(tuple(keys))])


def derive_rng(seed: int, *keys: Key) -> np.random.Generator:
    """A :class:`numpy.random.Generator` for ``seed`` and a key path such as ``(gene, test, k)``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, *keys)))
