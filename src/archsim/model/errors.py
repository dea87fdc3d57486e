"""Request failures raised inside the simulation and caught by callers and clients."""

from __future__ import annotations


class RequestError(Exception):
    """A request failed at ``component`` for ``reason`` (counted, never dropped)."""

    reason = "error"

    def __init__(self, component: str) -> None:
        super().__init__(component)
        self.component = component


class Rejected(RequestError):
    """A full waiting room refused the request."""

    reason = "rejected"


class TimedOut(RequestError):
    """The caller (or the client) stopped waiting after its timeout."""

    reason = "timeout"


class Saturated(Exception):
    """More requests in flight than the configured bound: the model is unstable."""


class ReplicaDown(RequestError):
    """The replica had failed (a ``replicas_down`` fault): refused, or its response lost."""

    reason = "down"


class Crash(ReplicaDown):
    """Thrown into a request waiting at a replica when that replica fails."""


class FaultError(RequestError):
    """An ``error_rate`` fault failed the request after its work."""

    reason = "fault"


class RateLimited(RequestError):
    """A token bucket had no token for the request."""

    reason = "rate_limited"


class CircuitOpen(RequestError):
    """An open circuit breaker failed the call fast (``component`` is the callee)."""

    reason = "circuit_open"


class Dropped(RequestError):
    """``deadline: propagate``: the caller had given up before a worker took the request."""

    reason = "dropped"


class DiscoveryFailed(RequestError):
    """The caller had no valid cached address and the registry lookup failed."""

    reason = "discovery"
