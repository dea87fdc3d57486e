"""Caches at run time: a service whose read endpoints hit or miss, a miss running ``miss``.

Each read endpoint is compiled twice, as a hit (its own steps) and as a miss (its own steps,
then the cache's ``miss`` steps), and every request picks one; the serving code is the
service's. A cache without ``hit_ratio`` or ``keys`` is a plain service (every request hits).

The draw is made when a request arrives, but it is counted as a hit or a miss by the first
step of its steps, once the endpoint's ``work`` is done: a request the cache refuses (a failed
replica, a rate limit, a deadline passed, a full waiting room) or fails while it waits is
neither, so misses are the calls the ``miss`` steps make and hits the requests served without.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from archsim.model.ops import NOTHING, Op
from archsim.model.service import CompiledEndpoint, ComponentStats, ServiceRuntime

if TYPE_CHECKING:
    from archsim.model.balancing import Picker
    from archsim.model.context import Context
    from archsim.model.service import Counted, Steps
    from archsim.spec.components import CacheSpec
    from archsim.spec.datatier import CacheKeys

BATCH = 4096
WARM_DRAWS = 5_000_000


@dataclass(frozen=True, slots=True)
class CacheStats(ComponentStats):
    """:class:`ComponentStats` plus hits and misses of read requests in the window."""

    hits: int = 0
    misses: int = 0
    miss_targets: tuple[tuple[str, float], ...] = ()


def extend_stats(base: ComponentStats, cls: type[Any], **extra: Any) -> Any:
    """``base`` as an instance of the subclass ``cls`` with ``extra`` fields."""
    values = {f.name: getattr(base, f.name) for f in fields(ComponentStats)}
    return cls(**values, **extra)


def hit_ratio_lookup(hit_ratio: float, rng: np.random.Generator) -> Callable[[], bool]:
    """A Bernoulli(``hit_ratio``) draw per request: True for a hit."""
    buffer: list[float] = []

    def lookup() -> bool:
        if not buffer:
            buffer.extend(rng.random(BATCH).tolist())
        return buffer.pop() < hit_ratio

    return lookup


def zipf_keys(count: int, skew: float, rng: np.random.Generator) -> Callable[[], int]:
    """Key draws 0..count-1, key k with probability proportional to 1 / (k+1)^skew."""
    cdf = np.cumsum(np.arange(1, count + 1, dtype=float) ** -skew)
    cdf /= cdf[-1]
    buffer: list[int] = []

    def draw() -> int:
        if not buffer:
            keys = np.searchsorted(cdf, rng.random(BATCH), side="right")
            buffer.extend(np.minimum(keys, count - 1).tolist())
        return buffer.pop()

    return draw


def lru_lookup(keys: CacheKeys, rng: np.random.Generator) -> Callable[[], bool]:
    """An LRU of ``keys.capacity`` entries over Zipf keys: True for a hit.

    A miss inserts the key at once and evicts the least recently used one. The LRU starts
    filled by drawing keys until it holds ``capacity`` of them: under independent requests
    its content is then the last ``capacity`` distinct keys of an i.i.d. sequence, which is
    its stationary state, so no warm-up is needed for the hit ratio (at most
    ``WARM_DRAWS`` draws; a very skewed, very large population may stop short of full).
    """
    draw = zipf_keys(keys.count, keys.skew, rng)
    capacity = keys.capacity
    lru: OrderedDict[int, None] = OrderedDict()
    for _ in range(WARM_DRAWS):
        if len(lru) >= capacity:
            break
        key = draw()
        lru[key] = None
        lru.move_to_end(key)

    def lookup() -> bool:
        key = draw()
        if key in lru:
            lru.move_to_end(key)
            return True
        lru[key] = None
        if len(lru) > capacity:
            lru.popitem(last=False)
        return False

    return lookup


class Tally(Op):
    """A step that counts the request it runs for, as a hit or a miss of ``cache``."""

    __slots__ = ("cache", "hit")

    def __init__(self, cache: CacheRuntime, hit: bool) -> None:
        self.cache = cache
        self.hit = hit

    def run(self, station: Any) -> tuple[()]:
        if self.hit:
            self.cache.hits += 1
        else:
            self.cache.misses += 1
        return NOTHING


class CacheRuntime(ServiceRuntime):
    """A cache: read endpoints hit or miss; misses run the ``miss`` steps."""

    spec: CacheSpec

    def __init__(self, name: str, spec: CacheSpec, ctx: Context) -> None:
        super().__init__(name, spec, ctx)
        self.missed: dict[str, CompiledEndpoint] = {}
        self.hits = self.misses = 0
        self.lookup: Callable[[], bool] | None = None
        rng = ctx.rng(f"cache:{name}")
        if spec.keys is not None:
            self.lookup = lru_lookup(spec.keys, rng)
        elif spec.hit_ratio is not None:
            self.lookup = hit_ratio_lookup(spec.hit_ratio, rng)

    def compile_extra(self, compile_step: Callable[[Any, str], Op]) -> None:
        """Compile the miss version of every read endpoint (called by model.compile)."""
        if self.lookup is None:
            return
        for name, compiled in self.endpoints.items():
            if self.spec.endpoints[name].write:
                continue
            miss = [compile_step(step, f"{self.name}/{name}/miss/{index}")
                    for index, step in enumerate(self.spec.miss)]
            self.missed[name] = CompiledEndpoint(name, compiled.work,
                                                 [Tally(self, False), *compiled.ops, *miss])
            compiled.ops = [Tally(self, True), *compiled.ops]

    def entry(self, endpoint: str, via: Counted | None = None,
              pick: Picker | None = None) -> Callable[[], Steps]:
        """One request's steps: a hit or a miss, decided per request."""
        missed = self.missed.get(endpoint)
        if missed is None:
            return super().entry(endpoint, via, pick)
        hit = self.endpoints[endpoint]
        choose = pick if pick is not None else self.pick
        lookup = self.lookup
        assert lookup is not None

        def one() -> Steps:
            compiled = hit if lookup() else missed
            return self.serve(choose(), compiled, via)

        return one

    def steps(self, endpoint: str) -> Steps:
        """Serve ``endpoint`` (Task protocol), hit or miss."""
        return self.entry(endpoint)()

    def reset(self) -> None:
        """Start the measured window (end of warm-up)."""
        super().reset()
        self.hits = self.misses = 0

    def stats(self) -> CacheStats:
        """Statistics of the measured window, with hits and misses."""
        from archsim.analysis.visits import miss_call_targets

        targets = tuple(miss_call_targets(self.spec)) if self.lookup is not None else ()
        return extend_stats(super().stats(), CacheStats, hits=self.hits,  # type: ignore[no-any-return]
                            misses=self.misses, miss_targets=targets)
