"""A replica's worker pool and waiting room, with time-average statistics.

The station is a lean replacement for ``simpy.Resource``: taking a free worker is an integer
increment with no event at all, and a releasing worker is handed straight to the head of the
waiting room by triggering that request's event (no Request/Release event pair). Busy workers,
waiting requests and requests present are integrated over time (area under the curve), so the
time averages of the measured window come out exact, clipped to the window by construction.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from archsim.model.errors import Rejected

if TYPE_CHECKING:
    import simpy

    from archsim.model.task import Task


class Station:
    """``workers`` servers and a FIFO waiting room of ``queue`` places (None = unbounded).

    Statistics (since the last :meth:`reset`): ``busy_area`` (worker-seconds),
    ``wait_area`` and ``present_area`` (request-seconds), ``queue_max``, ``rejected``.
    """

    __slots__ = (
        "_env",
        "_last",
        "busy",
        "busy_area",
        "capacity",
        "name",
        "present",
        "present_area",
        "queue_limit",
        "queue_max",
        "rejected",
        "wait_area",
        "waiting",
        "workers",
    )

    def __init__(self, env: simpy.Environment, name: str, workers: int,
                 queue: int | None) -> None:
        self._env = env
        self.name = name
        self.workers = workers
        self.queue_limit = queue if queue is not None else -1
        self.waiting: deque[Task | simpy.Event] = deque()
        self.busy = 0
        self.present = 0
        self._last = 0.0
        self.busy_area = 0.0
        self.wait_area = 0.0
        self.present_area = 0.0
        self.queue_max = 0
        self.rejected = 0
        self.capacity = workers

    def advance(self) -> None:
        """Integrate the counters up to the current time."""
        now = self._env._now
        dt = now - self._last
        if dt:
            self.busy_area += self.busy * dt
            self.wait_area += len(self.waiting) * dt
            self.present_area += self.present * dt
            self._last = now

    def reset(self) -> None:
        """Start a new measurement window now (end of warm-up)."""
        self.advance()
        self.busy_area = self.wait_area = self.present_area = 0.0
        self.queue_max = len(self.waiting)
        self.rejected = 0

    def enter(self) -> None:
        """A request arrives at this replica (counts toward ``present``)."""
        self.advance()
        self.present += 1

    def leave(self) -> None:
        """A request leaves this replica."""
        self.advance()
        self.present -= 1

    def acquire(self) -> simpy.Event | None:
        """Take a worker: None when one was free (taken at once), else an event to wait on.

        For plain SimPy processes; tasks use :meth:`request` or :meth:`admit`.

        Raises
        ------
        Rejected
            When every worker is busy and the waiting room is full.
        """
        waiting = self.request()
        if waiting is None:
            return None
        event = self._env.event()
        waiting.append(event)
        return event

    def request(self) -> deque[Task | simpy.Event] | None:
        """Take a worker for a :class:`~archsim.model.task.Task`: None when one was free (taken
        at once), else the waiting room, which the task joins by yielding it.

        Raises
        ------
        Rejected
            When every worker is busy and the waiting room is full.
        """
        now = self._env._now
        dt = now - self._last
        if dt:  # advance(), inlined on the hot path
            self.busy_area += self.busy * dt
            self.wait_area += len(self.waiting) * dt
            self.present_area += self.present * dt
            self._last = now
        if self.busy < self.workers:
            self.busy += 1
            return None
        return self._join()

    def admit(self) -> deque[Task | simpy.Event] | None:
        """:meth:`enter` and :meth:`request` at once (blocking io holds the worker throughout).

        A rejected request is not counted as present (it would be for zero seconds).
        """
        now = self._env._now
        dt = now - self._last
        if dt:
            self.busy_area += self.busy * dt
            self.wait_area += len(self.waiting) * dt
            self.present_area += self.present * dt
            self._last = now
        if self.busy < self.workers:
            self.busy += 1
            self.present += 1
            return None
        waiting = self._join()
        self.present += 1
        return waiting

    def _join(self) -> deque[Task | simpy.Event]:
        waiting = self.waiting
        if len(waiting) == self.queue_limit:
            self.rejected += 1
            raise Rejected(self.name)
        if len(waiting) >= self.queue_max:
            self.queue_max = len(waiting) + 1
        return waiting

    def release(self) -> None:
        """Free a worker, handing it straight to the first waiting request if any."""
        now = self._env._now
        dt = now - self._last
        if dt:
            self.busy_area += self.busy * dt
            self.wait_area += len(self.waiting) * dt
            self.present_area += self.present * dt
            self._last = now
        if self.waiting:
            self.waiting.popleft().succeed()
        else:
            self.busy -= 1

    def finish(self) -> None:
        """:meth:`release` and :meth:`leave` at once."""
        now = self._env._now
        dt = now - self._last
        if dt:
            self.busy_area += self.busy * dt
            self.wait_area += len(self.waiting) * dt
            self.present_area += self.present * dt
            self._last = now
        self.present -= 1
        if self.waiting:
            self.waiting.popleft().succeed()
        else:
            self.busy -= 1

    @property
    def load(self) -> float:
        """Requests present per worker (the least-connections balancing key)."""
        return self.present / self.workers
