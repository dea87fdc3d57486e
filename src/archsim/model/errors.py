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
