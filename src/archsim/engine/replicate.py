"""Replications with seeds seed..seed+n-1, in parallel processes, combined in seed order."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from archsim.engine.run import ReplicationResult, RunSettings, run_replication

if TYPE_CHECKING:
    from archsim.spec.schema import Topology

Progress = Callable[[float], None]


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_replications(topology: Topology, seed: int, replications: int, settings: RunSettings,
                     jobs: int | None = None,
                     progress: Progress | None = None) -> list[ReplicationResult]:
    """Run ``replications`` independent replications and return them in seed order.

    Parameters
    ----------
    topology:
        A validated topology.
    seed:
        Seed of the first replication; replication i uses ``seed + i``.
    replications:
        How many (>= 1).
    settings:
        Duration, warm-up, rate scale, in-flight bound.
    jobs:
        Worker processes (default: all cores, at most one per replication). With 1, runs in
        this process. The result is identical whatever ``jobs`` is.
    progress:
        Called with the overall fraction done (0..1).

    Raises
    ------
    ModelError
        From any replication (unstable model past the in-flight bound).
    """
    seeds = [seed + index for index in range(replications)]
    jobs = min(jobs or default_jobs(), replications)
    if jobs <= 1:
        results = []
        for index, replication_seed in enumerate(seeds):
            def step(fraction: float, index: int = index) -> None:
                if progress is not None:
                    progress((index + fraction) / replications)
            results.append(run_replication(topology, replication_seed, settings, step))
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(run_replication, topology, s, settings): s for s in seeds}
        done: dict[int, ReplicationResult] = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if progress is not None:
                progress(len(done) / replications)
    return [done[s] for s in seeds]
