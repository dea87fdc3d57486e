"""What every runtime component of one replication shares: clock, streams, bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from archsim.model.dists import make_sampler, stream_rng

if TYPE_CHECKING:
    import numpy as np
    import simpy

    from archsim.spec.dists import Dist
    from archsim.spec.schema import Network

Sampler = Callable[[], float]


class Context:
    """Shared state of one replication.

    Attributes
    ----------
    env:
        The SimPy environment.
    seed:
        The replication's seed; every random stream is derived from it and a stream name.
    max_in_flight:
        Bound on client requests in flight; past it the run stops (unstable model).
    in_flight:
        Client requests currently in flight.
    """

    def __init__(self, env: simpy.Environment, seed: int, max_in_flight: int) -> None:
        self.env = env
        self.seed = seed
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.components: dict[str, object] = {}
        self.network: Network | None = None  # set by the builder (zones)
        self.failures: Any = None  # a FailureState when failure handling is configured
        self.ticket: Any = None  # the deadline of the request running now (failure handling)

    def rng(self, stream: str) -> np.random.Generator:
        """The independent random stream called ``stream`` for this replication's seed."""
        return stream_rng(self.seed, stream)

    def sampler(self, dist: Dist | None, stream: str) -> Sampler | None:
        """A sampler for ``dist`` on its own stream; None for a constant zero (no event)."""
        if dist is None or (dist.dist == "constant" and not dist.mean):
            return None
        return make_sampler(dist, self.rng(stream))
