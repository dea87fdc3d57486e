"""Light processes for requests: a generator driven straight from SimPy's event queue.

A :class:`simpy.Process` costs two events per request besides its real work (``Initialize`` at
the start, its own trigger at the end) and a :class:`simpy.Timeout` object per delay. A
:class:`Task` runs its generator at once and understands three kinds of yielded values:

- a ``float``: wait that many seconds. The task puts *itself* on the event queue, with exactly
  the key a ``Timeout`` would get (``now + delay``, ``NORMAL``, next event id);
- a :class:`~collections.deque` (a station's waiting room): join it; the station hands the worker
  over with :meth:`Task.succeed`, which schedules the task ``now`` like ``Event.succeed``;
- any SimPy event (a condition, another task's ``done`` event): resume when it is processed,
  with its exception thrown into the generator if it failed.

The relative order of everything scheduled is the one SimPy would give, so ties at one instant
resolve as with processes: a task starts where ``Initialize`` would have run it (callers create
and schedule, in the order SimPy would, what comes before that), and its ``done`` event, when
one is asked for, triggers where the process would have. Exceptions other than those a caller
catches leave through :meth:`simpy.Environment.step`, as a crashing process's would.

:func:`simpy_steps` translates such steps for code that runs them in a plain SimPy process.

Scheduling writes SimPy 4's queue directly: ``env._queue`` holds ``(time, priority, event id,
event)`` heap entries, ids come from ``next(env._eid)``, and ``env.step`` reads ``callbacks``,
``_ok`` and ``_value`` from each event. That is what :meth:`simpy.Environment.schedule` does,
without a Python call per delay; ``tests/model/test_task.py`` checks the resulting order
against real processes, so a SimPy release that changes these internals fails there first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable
from heapq import heappush
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import simpy

NORMAL = 1
"""SimPy's priority of ordinary events (``simpy.events.NORMAL``)."""

URGENT = 0
"""SimPy's priority of process starts (``simpy.events.URGENT``)."""

Steps = Generator[Any, Any, Any]


class Task:
    """Run ``steps`` in ``env`` now; trigger ``done`` (if given) with its return value.

    The task doubles as its own wake-up event on SimPy's queue: ``callbacks``, ``_ok`` and
    ``_value`` are what :meth:`simpy.Environment.step` reads from an event.
    """

    __slots__ = ("_env", "_steps", "callbacks", "done")

    _ok = True
    _value = None

    def __init__(self, env: simpy.Environment, steps: Steps, done: simpy.Event | None = None,
                 at_once: bool = True) -> None:
        self._env = env
        self._steps = steps
        self.done = done
        if at_once:
            self.callbacks: Any = None
            self.wake()
        else:  # where env.process would start it: after the current event, before others
            self.callbacks = _WAKE
            heappush(env._queue, (env._now, URGENT, next(env._eid), self))  # type: ignore[attr-defined]

    def wake(self, event: Any = None) -> None:
        """Resume the generator until it waits again or ends.

        ``event`` is the SimPy event it waited for (None after a delay or a hand-over, when
        SimPy's ``step`` calls ``Task.wake(task)`` from the task's own ``callbacks``).
        """
        while True:
            try:
                if event is None or event._ok:
                    target = self._steps.send(None)
                else:
                    event._defused = True
                    target = self._steps.throw(event._value)
            except StopIteration as stop:
                if self.done is not None:
                    self.done.succeed(stop.value)
                return
            if target.__class__ is float or (target.__class__ is not deque
                                             and isinstance(target, (int, float))):
                self.callbacks = _WAKE
                env = self._env
                heappush(env._queue, (env._now + target, NORMAL, next(env._eid), self))  # type: ignore[attr-defined]
                return
            if target.__class__ is deque:
                target.append(self)
                return
            if target.callbacks is not None:
                target.callbacks.append(self.wake)
                return
            event = target  # already processed: go on at once, as SimPy does

    def succeed(self) -> None:
        """Wake the task ``now``, after the events already due now (a worker handed over)."""
        self.callbacks = _WAKE
        env = self._env
        heappush(env._queue, (env._now, NORMAL, next(env._eid), self))  # type: ignore[attr-defined]


_WAKE = (Task.wake,)


def start(env: simpy.Environment, steps: Steps) -> simpy.Event:
    """Run ``steps`` as a task now; return the event triggered with its return value."""
    done = env.event()
    Task(env, steps, done)
    return done


def simpy_steps(env: simpy.Environment, steps: Iterable[Any]) -> Steps:
    """``steps`` (Task protocol) as a generator that a :class:`simpy.Process` can run.

    Delays become ``env.timeout``; a waiting room is joined with an ``env.event()`` that the
    station succeeds on hand-over. Exceptions thrown in by SimPy (and ``close``) are passed
    on, so ``finally`` blocks inside ``steps`` still release their workers.
    """
    iterator = iter(steps)
    send = getattr(iterator, "send", None)
    throw = getattr(iterator, "throw", None)
    if send is None or throw is None:  # a plain iterable of delays or events
        for target in iterator:
            yield _as_event(env, target)
        return None
    method: Any = send
    argument: Any = None
    while True:
        try:
            target = method(argument)
        except StopIteration as stop:
            return stop.value
        try:
            argument = yield _as_event(env, target)
            method = send
        except BaseException as error:  # handed to the inner steps, which decide
            method, argument = throw, error


def _as_event(env: simpy.Environment, target: Any) -> Any:
    if isinstance(target, (int, float)):
        return env.timeout(target)
    if target.__class__ is deque:
        event = env.event()
        target.append(event)
        return event
    return target
