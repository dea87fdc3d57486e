"""Token buckets: ``rate`` tokens per second, at most ``burst`` stored, full at the start."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import simpy


class TokenBucket:
    """A request takes one token or is refused; over T seconds at most rate * T + burst pass.

    Tokens are refilled lazily, from the time since the last request (no events).
    """

    __slots__ = ("_env", "_last", "admitted", "burst", "rate_per_s", "rejected", "tokens")

    def __init__(self, env: simpy.Environment, rate_per_s: float, burst: int) -> None:
        self._env = env
        self.rate_per_s = rate_per_s
        self.burst = float(burst)
        self.tokens = float(burst)
        self._last = 0.0
        self.admitted = 0
        self.rejected = 0

    def take(self, _station: object = None) -> bool:
        """Take a token now if there is one (``_station``: see :class:`ReplicaBuckets`)."""
        now = self._env._now
        tokens = self.tokens + (now - self._last) * self.rate_per_s
        self._last = now
        if tokens > self.burst:
            tokens = self.burst
        if tokens >= 1.0 - 1e-9:
            self.tokens = tokens - 1.0
            self.admitted += 1
            return True
        self.tokens = tokens
        self.rejected += 1
        return False

    def reset(self) -> None:
        """Start the measured window (the bucket keeps its tokens)."""
        self.admitted = self.rejected = 0


class ReplicaBuckets:
    """One :class:`TokenBucket` per replica, each full when its replica is first asked.

    Same interface as a bucket, with the replica given to :meth:`take`; ``admitted`` and
    ``rejected`` add up over replicas.
    """

    def __init__(self, env: simpy.Environment, rate_per_s: float, burst: int) -> None:
        self._env = env
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.buckets: dict[int, TokenBucket] = {}

    def take(self, station: object = None) -> bool:
        """Take a token from ``station``'s bucket."""
        bucket = self.buckets.get(id(station))
        if bucket is None:
            bucket = self.buckets[id(station)] = TokenBucket(self._env, self.rate_per_s,
                                                             self.burst)
        return bucket.take()

    @property
    def admitted(self) -> int:
        return sum(b.admitted for b in self.buckets.values())

    @property
    def rejected(self) -> int:
        return sum(b.rejected for b in self.buckets.values())

    def reset(self) -> None:
        """Start the measured window (the buckets keep their tokens)."""
        for bucket in self.buckets.values():
            bucket.reset()
