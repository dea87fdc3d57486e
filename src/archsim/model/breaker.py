"""Circuit breakers: closed, open, half-open (Nygard, *Release It!*, 2nd ed., ch. 5).

Closed: calls go through and their outcomes are counted over a sliding window of ``window``
seconds (ten buckets). When at least ``min_calls`` calls ended in the window and the share of
failures reaches ``failure_ratio``, the breaker trips: open. Open: calls fail fast and put no
load on the callee, for ``open_for`` seconds from the trip; calls refused meanwhile do not
extend it, so the breaker half-opens on schedule. Half-open: one probe call goes through
(others fail fast); its success closes the breaker with an empty window, its failure trips
it again.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import simpy

    from archsim.spec.failures import CircuitBreaker

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
REFUSED, NORMAL, PROBE = 0, 1, 2
"""What :meth:`Breaker.allow` returns: refuse the call, let it through, let it probe."""

BUCKETS = 10
MAX_TRANSITIONS = 200


class Breaker:
    """One breaker (a caller's view of one callee)."""

    def __init__(self, env: simpy.Environment, name: str, spec: CircuitBreaker) -> None:
        self.env = env
        self.name = name
        self.failure_ratio = spec.failure_ratio
        self.min_calls = spec.min_calls
        self.open_for = spec.open_for
        self.width = spec.window / BUCKETS
        self.buckets: deque[list[int]] = deque()  # [bucket index, calls, failures]
        self.calls = self.failures = 0
        self.state = CLOSED
        self.opened_at = 0.0
        self.probing = False
        self.window_start = 0.0
        self.open_s = 0.0
        self.refused = 0
        self.trips = 0
        self.transitions: list[tuple[float, str]] = []

    def allow(self) -> int:
        """REFUSED, NORMAL or PROBE for a call starting now."""
        state = self.state
        if state is CLOSED:
            return NORMAL
        if state is OPEN:
            due = self.opened_at + self.open_for
            if self.env._now < due:
                self.refused += 1
                return REFUSED
            self._change(HALF_OPEN, due)
        if self.probing:
            self.refused += 1
            return REFUSED
        self.probing = True
        return PROBE

    def record(self, ticket: int, ok: bool) -> None:
        """The outcome of a call let through with ``ticket``."""
        now = self.env._now
        if ticket == PROBE:
            self.probing = False
            if self.state is not HALF_OPEN:
                return
            if ok:
                self.buckets.clear()
                self.calls = self.failures = 0
                self._change(CLOSED, now)
            else:
                self._trip(now)
            return
        if self.state is not CLOSED:
            return  # a call let through before the trip, ending now
        index = int(now / self.width)
        buckets = self.buckets
        while buckets and buckets[0][0] <= index - BUCKETS:
            _, calls, failures = buckets.popleft()
            self.calls -= calls
            self.failures -= failures
        if not buckets or buckets[-1][0] != index:
            buckets.append([index, 0, 0])
        last = buckets[-1]
        last[1] += 1
        self.calls += 1
        if not ok:
            last[2] += 1
            self.failures += 1
            if self.calls >= self.min_calls and self.failures >= self.failure_ratio * self.calls:
                self._trip(now)

    def _trip(self, now: float) -> None:
        self.trips += 1
        self.opened_at = now
        self._change(OPEN, now)

    def _change(self, state: str, at: float) -> None:
        if self.state is OPEN:
            self.open_s += at - max(self.opened_at, self.window_start)
        self.state = state
        if len(self.transitions) < MAX_TRANSITIONS:
            self.transitions.append((at, state))

    def reset(self) -> None:
        """Start the measured window (the state carries over)."""
        self.window_start = self.env._now
        self.open_s = 0.0
        self.refused = self.trips = 0
        self.transitions = []

    def stats(self) -> dict[str, object]:
        """Figures of the measured window (picklable)."""
        now = self.env._now
        if self.state is OPEN and now >= self.opened_at + self.open_for:
            self._change(HALF_OPEN, self.opened_at + self.open_for)  # due on schedule
        open_s = self.open_s
        if self.state is OPEN:
            open_s += now - max(self.opened_at, self.window_start)
        return {"state_end": self.state, "trips": self.trips, "refused": self.refused,
                "open_s": open_s, "transitions": list(self.transitions)}
