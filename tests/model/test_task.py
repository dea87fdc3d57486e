"""Light tasks keep SimPy's event order, and their steps still run in plain SimPy processes."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from archsim.model.errors import Rejected
from archsim.model.station import Station
from archsim.model.task import Task, simpy_steps, start


def _ticker(log: list[tuple[str, float]], env: simpy.Environment, name: str,
            delays: list[float], as_events: bool) -> Generator[Any, Any, None]:
    for delay in delays:
        log.append((name, env.now))
        yield env.timeout(delay) if as_events else delay
    log.append((name, env.now))


def test_ties_resolve_as_with_processes() -> None:
    """Equal wake-up times (delays of 0, and equal sums) come in the order SimPy gives."""
    delays = {"a": [1.0, 0.0, 2.0], "b": [0.0, 1.0, 2.0], "c": [3.0, 0.0]}
    runs = []
    for as_task in (False, True):
        env = simpy.Environment()
        log: list[tuple[str, float]] = []
        for name, steps in delays.items():
            if as_task:
                Task(env, _ticker(log, env, name, steps, as_events=False), at_once=False)
            else:
                env.process(_ticker(log, env, name, steps, as_events=True))
        env.run()
        runs.append(log)
    assert runs[0] == runs[1]


def test_waiting_room_hands_workers_over_in_fifo_order() -> None:
    env = simpy.Environment()
    station = Station(env, "s", workers=1, queue=None)
    served: list[tuple[str, float]] = []

    def request(name: str) -> Generator[Any, Any, None]:
        wait = station.request()
        if wait is not None:
            yield wait
        served.append((name, env.now))
        yield 1.0
        station.release()

    for name in "xyz":
        Task(env, request(name))
    env.run()
    assert served == [("x", 0.0), ("y", 1.0), ("z", 2.0)]
    assert station.busy_area == pytest.approx(3.0)
    assert station.wait_area == pytest.approx(1.0 + 2.0)
    assert station.queue_max == 2


def test_full_waiting_room_rejects() -> None:
    env = simpy.Environment()
    station = Station(env, "s", workers=1, queue=0)
    assert station.admit() is None
    with pytest.raises(Rejected):
        station.admit()
    assert (station.rejected, station.present, station.busy) == (1, 1, 1)


def test_done_event_carries_the_return_value() -> None:
    env = simpy.Environment()

    def child() -> Generator[Any, Any, str]:
        yield 2.0
        return "ok"

    seen: list[Any] = []

    def parent() -> Generator[Any, Any, None]:
        done = start(env, child())
        yield done | env.timeout(5.0)
        seen.append((env.now, done.value))

    Task(env, parent())
    env.run()
    assert seen == [(2.0, "ok")]


def test_failed_event_is_thrown_into_the_task() -> None:
    env = simpy.Environment()
    caught: list[str] = []

    def steps() -> Generator[Any, Any, None]:
        event = env.event()
        event.fail(ValueError("boom"))
        try:
            yield event
        except ValueError as error:
            caught.append(str(error))

    Task(env, steps())
    env.run()
    assert caught == ["boom"]


def test_simpy_steps_runs_task_steps_in_a_process() -> None:
    """Code running plain SimPy processes can delegate to Task-protocol steps."""
    env = simpy.Environment()
    station = Station(env, "s", workers=1, queue=None)
    finished: list[float] = []

    def steps() -> Generator[Any, Any, None]:
        wait = station.request()
        if wait is not None:
            yield wait
        try:
            yield 1.5
        finally:
            station.release()

    def process() -> Generator[Any, Any, None]:
        yield from simpy_steps(env, steps())
        finished.append(env.now)

    env.process(process())
    env.process(process())
    env.run()
    assert finished == [1.5, 3.0]
    assert station.busy == 0
