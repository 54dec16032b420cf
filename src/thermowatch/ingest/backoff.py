"""Exponential backoff with full jitter for reconnecting to a field source."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays ``min(cap, base * 2**attempt)`` scaled by a random factor in ``[0.5, 1]`` [s].

    The defaults retry fast (the first attempt within 0.2 s, never more than 5 s apart): a
    restarted server is read again within a few seconds of being back, well within a
    monitoring period. The jitter spreads the reconnections of many monitors (or many hubs) after a shared
    outage, so that a restarted server is not hit by all of them in the same instant.
    """

    base_s: float = 0.2
    cap_s: float = 5.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """Delay before the next attempt [s]; grows until :meth:`reset`."""
        delay = min(self.cap_s, self.base_s * 2**self.attempt)
        self.attempt += 1
        return delay * (0.5 + 0.5 * self.rng.random())

    def reset(self) -> None:
        """Call after a successful connection."""
        self.attempt = 0
