"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

:func:`open_executor` gives a :class:`concurrent.futures.Executor` (or ``None`` for this
process) and :func:`run_calls` runs a list of picklable calls on it, returning the results in
the order of the calls, whatever order they finish in. A replication is a pure function of
(topology, seed, settings), so where it runs never changes its result: a sweep on a cluster
gives the same bytes as one on a laptop.

A Dask cluster is reached through ``distributed.Client(address).get_executor()`` (the optional
extra ``archsim[dask]``); every worker must have the same archsim installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from archsim.errors import ArchsimError

Progress = Callable[[float], None]
CONNECT_TIMEOUT_S = 10.0
MISSING_DISTRIBUTED = ("--cluster needs dask.distributed, which is not installed; install it "
                       "with: pip install 'archsim[dask]'")


@dataclass(frozen=True, slots=True)
class Call:
    """One unit of work: ``function(*arguments)``; ``fractional`` when it takes a progress."""

    function: Callable[..., Any]
    arguments: tuple[Any, ...]
    fractional: bool = False
    weight: float = field(default=1.0, compare=False)


def default_jobs() -> int:
    """All cores this process may use."""
    from archsim.engine.replicate import default_jobs as cores

    return cores()


@contextmanager
def open_executor(jobs: int | None = None, cluster: Any = None,
                  tasks: int | None = None) -> Iterator[Any]:
    """An executor for the duration of the block, or ``None`` to run in this process.

    Parameters
    ----------
    jobs:
        Local worker processes (default all cores, at most ``tasks``); 1 runs in this process.
        Ignored with a cluster, whose workers decide.
    cluster:
        A Dask scheduler address (``tcp://HOST:PORT``), a ``distributed.Client``, or an object
        with a ``scheduler_address`` (such as a ``LocalCluster``). A client passed in stays
        open; one made here is closed at the end.
    tasks:
        How many calls will run at most at once (bounds the local pool).

    Raises
    ------
    ArchsimError
        When dask.distributed is missing, the scheduler cannot be reached, or its workers do
        not run the same archsim version.
    """
    if cluster is not None:
        with _dask_executor(cluster) as executor:
            yield executor
        return
    count = jobs or default_jobs()
    if tasks is not None:
        count = min(count, tasks)
    if count <= 1:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        yield pool


def run_calls(executor: Any, calls: Sequence[Call],
              progress: Progress | None = None) -> list[Any]:
    """Run every call and return its result, or the :class:`ArchsimError` it raised, in order.

    Other exceptions propagate (a bug is not a result). ``progress`` gets the fraction of the
    calls' total weight done (0..1).
    """
    total = sum(call.weight for call in calls) or 1.0
    outcomes: list[Any] = [None] * len(calls)
    if executor is None:
        done = 0.0
        for index, call in enumerate(calls):
            def step(fraction: float, weight: float = call.weight, base: float = done) -> None:
                if progress is not None:
                    progress((base + fraction * weight) / total)
            arguments = (*call.arguments, step) if call.fractional else call.arguments
            outcomes[index] = _outcome(call.function, arguments)
            done += call.weight
            step(0.0, 0.0, done)
        return outcomes
    from concurrent.futures import as_completed

    futures = {executor.submit(_outcome, call.function, call.arguments): index
               for index, call in enumerate(calls)}
    done = 0.0
    for future in as_completed(futures):
        index = futures[future]
        outcomes[index] = future.result()
        done += calls[index].weight
        if progress is not None:
            progress(done / total)
    return outcomes


def _outcome(function: Callable[..., Any], arguments: tuple[Any, ...]) -> Any:
    """The call's result, or the ArchsimError it raised (so one failure spoils no other)."""
    try:
        return function(*arguments)
    except ArchsimError as exc:
        return exc


@contextmanager
def _dask_executor(cluster: Any) -> Iterator[Any]:
    try:
        from distributed import Client
    except ImportError:
        raise ArchsimError(MISSING_DISTRIBUTED) from None
    owned = not isinstance(cluster, Client)
    client = _connect(Client, cluster) if owned else cluster
    try:
        _check_workers(client)
        executor = client.get_executor(pure=False)
        yield executor
    finally:
        if owned:
            client.close()


def _connect(client_class: Any, cluster: Any) -> Any:
    address = getattr(cluster, "scheduler_address", cluster)
    if not isinstance(address, str):
        raise ArchsimError(f"a cluster is a scheduler address such as tcp://HOST:8786, a "
                           f"distributed.Client or a LocalCluster, got {type(cluster).__name__}")
    try:
        return client_class(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ArchsimError(f"cannot reach the Dask scheduler at {address}: {exc}. Start one "
                           "with 'dask scheduler' and workers with 'dask worker "
                           f"{address}'") from None


def _check_workers(client: Any) -> None:
    """Refuse a cluster without workers or whose workers run another archsim."""
    from archsim import __version__

    try:
        versions = client.run(_archsim_version)
    except Exception as exc:  # a worker that cannot import archsim fails here
        raise ArchsimError(f"the Dask workers cannot run archsim ({exc}); install archsim "
                           f"{__version__} on every worker") from None
    if not versions:
        raise ArchsimError("the Dask cluster has no workers; start some with 'dask worker "
                           f"{client.scheduler.address}'")
    wrong = {worker: v for worker, v in versions.items() if v != __version__}
    if wrong:
        listed = ", ".join(f"{worker} has {v}" for worker, v in sorted(wrong.items()))
        raise ArchsimError(f"Dask workers run another archsim than this one ({__version__}): "
                           f"{listed}; results would not match a local run")


def _archsim_version() -> str:
    from archsim import __version__

    return __version__
