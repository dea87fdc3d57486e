"""Databases at run time: a primary, read replicas, and the replication of writes.

A database without ``read_replicas`` is a plain service. With them, a write endpoint
(``write: true``) runs on the primary and ends with a :class:`ReplicationOp`; a read goes to
a replica chosen by ``policy`` among the ``read_from`` stations.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archsim.model.balancing import make_picker
from archsim.model.cache import extend_stats
from archsim.model.ops import Op
from archsim.model.service import CompiledEndpoint, ComponentStats, ServiceRuntime
from archsim.model.station import Station

if TYPE_CHECKING:
    from archsim.model.balancing import Picker
    from archsim.model.context import Context, Sampler
    from archsim.model.service import Counted, Steps
    from archsim.spec.components import DatabaseSpec


@dataclass(frozen=True, slots=True)
class DatabaseStats(ComponentStats):
    """:class:`ComponentStats` plus reads, stale reads, replication lags, busy time by station.

    ``station_busy`` is in worker-seconds, the primary first; ``lags_s`` holds one sample
    per write and read replica (seconds from the primary's commit to the replica's apply).
    """

    read_replicas: int = 0
    reads: int = 0
    stale_reads: int = 0
    writes: int = 0
    lags_s: bytes = b""
    station_busy: tuple[float, ...] = ()
    workers_per_station: int = 0


class ReplicationOp(Op):
    """The end of a write: ship it to every read replica, wait for the acks the mode asks.

    Replica r applies the write ``lag_r`` = hop out + ``replication.latency`` after the
    commit and acknowledges at ``lag_r`` + hop back. ``sync`` waits for the slowest ack,
    ``quorum`` for the ``acks``-th fastest (the order statistic of the simulated samples),
    ``async`` for none. From the moment the write returns until replica r applies it, a read
    of r may see stale data.
    """

    __slots__ = ("database", "env", "rank", "replicas")

    def __init__(self, database: DatabaseRuntime, rank: int,
                 replicas: list[tuple[Sampler | None, Sampler | None, Sampler | None]]) -> None:
        self.database = database
        self.env = database.env
        self.rank = rank  # 0: async, else wait for the rank-th fastest ack
        self.replicas = replicas  # (hop out, apply, hop back) samplers per read replica

    def run(self, station: Station) -> Iterable[Any]:
        commit = self.env._now
        lags = []
        acks = []
        for out, apply, back in self.replicas:
            lag = (out() if out else 0.0) + (apply() if apply else 0.0)
            lags.append(lag)
            acks.append(lag + (back() if back else 0.0))
        wait = sorted(acks)[self.rank - 1] if self.rank else 0.0
        self.database.replicated(commit, wait, lags)
        return (wait,) if wait > 0.0 else ()


class DatabaseRuntime(ServiceRuntime):
    """A database: a plain service, or a primary with read replicas."""

    spec: DatabaseSpec

    def __init__(self, name: str, spec: DatabaseSpec, ctx: Context) -> None:
        super().__init__(name, spec, ctx)
        count = spec.read_replicas
        self.readers = [Station(ctx.env, name, spec.workers, spec.queue) for _ in range(count)]
        self.primaries = list(self.replicas)
        if not count:
            return
        pool = {"replicas": self.readers, "primary": self.primaries,
                "any": self.primaries + self.readers}[spec.read_from]
        self.read_pick = make_picker(spec.policy, pool, ctx.rng(f"read-policy:{name}"))
        self.replicas = self.primaries + self.readers
        self.windows: dict[Station, list[tuple[float, float]]] = {s: [] for s in self.readers}
        self.lags: array = array("d")
        self.reads = self.stale_reads = self.writes = 0

    @property
    def zones(self) -> list[str | None]:
        """Zone of every station, the primary first."""
        spec = self.spec
        replica_zones = spec.replica_zones or (spec.zone,) * spec.read_replicas
        return [spec.zone, *replica_zones]

    def compile_extra(self, compile_step: Callable[[Any, str], Op]) -> None:
        """End every write endpoint with its replication (called by model.compile)."""
        if not self.readers:
            return
        from archsim.model.zones import replication_samplers

        replication = self.spec.replication_or_default
        rank = {"async": 0, "sync": len(self.readers)}.get(replication.mode, replication.acks)
        for name, compiled in list(self.endpoints.items()):
            if self.spec.endpoints[name].write:
                op = ReplicationOp(self, rank or 0, replication_samplers(self, replication))
                self.endpoints[name] = CompiledEndpoint(name, compiled.work, [*compiled.ops, op])

    def is_write(self, endpoint: str) -> bool:
        """Whether ``endpoint`` is a write (runs on the primary)."""
        return self.spec.endpoints[endpoint].write

    def entry(self, endpoint: str, via: Counted | None = None,
              pick: Picker | None = None) -> Callable[[], Steps]:
        """One request's steps: writes on the primary, reads on a read replica."""
        if not self.readers:
            return super().entry(endpoint, via, pick)
        compiled = self.endpoints[endpoint]
        if self.is_write(endpoint):
            primary = self.primaries[0]
            return lambda: self.serve(primary, compiled, via)
        return lambda: self.serve(self.choose_reader(), compiled, via)

    def choose_reader(self) -> Station:
        """The station of one read; counts it, and counts it stale when it may be."""
        station = self.read_pick()
        self.reads += 1
        windows = self.windows.get(station)
        if windows:
            now = self.env._now
            windows[:] = [w for w in windows if w[1] > now]
            if any(start <= now for start, _ in windows):
                self.stale_reads += 1
        return station

    def steps(self, endpoint: str) -> Steps:
        """Serve ``endpoint`` (Task protocol) on the station its kind asks for."""
        return self.entry(endpoint)()

    def replicated(self, commit: float, wait: float, lags: list[float]) -> None:
        """Record one write: its lags, and the stale windows it opens on lagging replicas."""
        self.writes += 1
        self.lags.extend(lags)
        returned = commit + wait
        for station, lag in zip(self.readers, lags, strict=True):
            if commit + lag > returned:
                self.windows[station].append((returned, commit + lag))

    def reset(self) -> None:
        """Start the measured window (end of warm-up)."""
        super().reset()
        if self.readers:
            self.lags = array("d")
            self.reads = self.stale_reads = self.writes = 0

    def stats(self) -> ComponentStats:
        """Statistics of the measured window; with read replicas, a :class:`DatabaseStats`."""
        base = super().stats()
        if not self.readers:
            return base
        return extend_stats(  # type: ignore[no-any-return]
            base, DatabaseStats, read_replicas=len(self.readers), reads=self.reads,
            stale_reads=self.stale_reads, writes=self.writes, lags_s=self.lags.tobytes(),
            station_busy=tuple(s.busy_area for s in self.replicas),
            workers_per_station=self.spec.workers)
