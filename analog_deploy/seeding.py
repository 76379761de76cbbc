"""Deriving independent, reproducible seeds for the many generators of a model."""

from __future__ import annotations

import zlib

import numpy as np
import torch


def derive_seed(*keys: int | str) -> int:
    """A 63-bit seed determined by ``keys`` (ints, or strings such as layer names), with the
    statistical independence of numpy's ``SeedSequence`` between different keys."""
    entropy = [zlib.crc32(key.encode()) if isinstance(key, str) else int(key) for key in keys]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> np.uint64(1))


def fresh_seed() -> int:
    """A seed drawn from torch's global generator, so ``torch.manual_seed`` before building
    a model makes its analog noise reproducible too."""
    return int(torch.randint(0, 2**62, (1,)).item())
