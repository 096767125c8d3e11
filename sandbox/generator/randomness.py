"""Seeded random streams: one per purpose and day, so any day can be replayed on its own.

Streams are keyed by (seed, purpose, day...) through numpy's SeedSequence, which is stable
across runs and platforms; Python's `hash` is salted per process and must not be used here.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

__all__ = ["random_strings", "rng_for"]


def rng_for(seed: int, purpose: str, *keys: int) -> np.random.Generator:
    """An independent generator for `purpose` (and e.g. a day index) under `seed`."""
    entropy = [seed, zlib.crc32(purpose.encode("utf-8")), *(k + 1_000_000 for k in keys)]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def random_strings(
    rng: np.random.Generator, n: int, length: int, alphabet: str
) -> npt.NDArray[np.str_]:
    """`n` random strings of `length` characters drawn from `alphabet`, vectorised."""
    chars = np.frombuffer(alphabet.encode("ascii"), dtype="S1")
    picks = chars[rng.integers(0, len(alphabet), size=(n, length))]
    joined: npt.NDArray[np.str_] = (
        np.ascontiguousarray(picks).view(f"S{length}").ravel().astype(str)
    )
    return joined
