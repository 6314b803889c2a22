"""One rule for every seed the package derives from a user's seed.

A fit of a group collection, a backtest batch, a stacked comparison and a predictive draw all need
seeds derived from the seed the user gave. They all come from :func:`child_seed`, which hashes the
parent seed and the keys that identify the child with :class:`numpy.random.SeedSequence`, so
children are reproducible, well separated, and independent of the order in which they run. No
global RNG state is read or written.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["checked_seed", "child_seed", "seed_or", "text_key", "rng"]

#: Seeds are unsigned 64-bit integers (NumPy's and the samplers' seeds alike).
MAX_SEED = 2**64 - 1


def checked_seed(seed: object, what: str = "fits") -> int:
    """The user's seed as an int, or a clear error: there is no default and no global state.

    Parameters
    ----------
    seed : int
        A non-negative integer of at most 64 bits (Python or NumPy int; not a bool).
    what : str
        What must be reproducible, for the message (``"fits"``, ``"SBC"``...).

    Raises
    ------
    TypeError
        ``None``, a bool, a float or anything else that is not an integer.
    ValueError
        A negative integer or one beyond 64 bits.
    """
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int ({what} must be reproducible), got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"seed must be a non-negative integer below 2**64, got {seed!r}")
    return int(seed)


def seed_or(seed: object, default: int, what: str) -> int:
    """``default`` (a seed derived from a fit's) when ``seed`` is None, else :func:`checked_seed`.

    For the post-fit draws that may take their own seed (plans, predictive checks, per-problem
    posteriors): 1.5 was read as 1 and -1 failed inside NumPy.
    """
    return int(default) if seed is None else checked_seed(seed, what)


def text_key(text: str) -> int:
    """A stable integer key for a string (CRC-32), for seeds keyed by a name."""
    return zlib.crc32(text.encode())


def child_seed(*keys: int) -> int:
    """A reproducible 32-bit seed derived from integer keys (parent seed first).

    Parameters
    ----------
    *keys : int
        The parent seed followed by whatever identifies the child (a group index, a batch
        position, ...). Use :func:`text_key` for names.

    Returns
    -------
    int
        ``SeedSequence(keys).generate_state(1)[0]``.

    Examples
    --------
    >>> child_seed(1, 0) == child_seed(1, 0) != child_seed(1, 1)
    True
    """
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0])


def rng(*keys: int) -> np.random.Generator:
    """A NumPy generator seeded from integer keys (``default_rng([keys...])``)."""
    return np.random.default_rng([int(k) for k in keys])
