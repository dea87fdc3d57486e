"""Network latency by zone: which one-way latency each hop takes.

A hop between two components in different zones takes the zones' link latency, each way; a
hop inside one zone, or with a component that has no zone, takes ``network.latency``. The
client's hop to its entry component takes the entry zone's ``client`` latency. A call to a
database whose read replicas sit in other zones takes the latency to the replica that serves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from archsim.model.errors import RequestError

if TYPE_CHECKING:
    from archsim.model.context import Context, Sampler
    from archsim.model.database import DatabaseRuntime
    from archsim.model.service import Steps
    from archsim.model.station import Station
    from archsim.spec.datatier import Replication
    from archsim.spec.dists import Dist
    from archsim.spec.schema import Network


def zone_of(ctx: Context, component: Any) -> str | None:
    """A runtime component's zone (a load balancer's is its target's)."""
    spec = getattr(component, "spec", None)
    zone = getattr(spec, "zone", None)
    if zone is None and getattr(spec, "type", None) == "load_balancer":
        return zone_of(ctx, ctx.components.get(spec.target))  # type: ignore[union-attr]
    return zone


def network_of(ctx: Context) -> Network | None:
    """The topology's network section, when it declares zones."""
    network = getattr(ctx, "network", None)
    return network if network is not None and network.zones else None


def hop_dist(ctx: Context, caller: str | None, callee: Any, default: Dist) -> Dist:
    """One-way latency from zone ``caller`` to the component ``callee``."""
    network = network_of(ctx)
    if network is None:
        return default
    return network.between(caller, zone_of(ctx, callee))


def client_dist(ctx: Context, entry: Any, default: Dist) -> Dist:
    """One-way latency between the clients and the entry component."""
    network = network_of(ctx)
    if network is None:
        return default
    return network.to_client(zone_of(ctx, entry))


def replication_samplers(database: DatabaseRuntime, replication: Replication
                         ) -> list[tuple[Sampler | None, Sampler | None, Sampler | None]]:
    """(hop out, apply, hop back) samplers of every read replica of ``database``."""
    ctx = database.ctx
    network = getattr(ctx, "network", None)
    zones = database.zones
    out = []
    for index, zone in enumerate(zones[1:]):
        stream = f"replication:{database.name}:{index}"
        hop: Dist | None = network.between(zones[0], zone) if network is not None else None
        out.append((ctx.sampler(hop, f"{stream}:out"),
                    ctx.sampler(replication.latency, f"{stream}:apply"),
                    ctx.sampler(hop, f"{stream}:back")))
    return out


class ZonedReads:
    """A database seen from one caller zone: each request hops to the station serving it.

    Used as the callee of a call (no hop of its own) when the database's stations sit in
    several zones, so a read from a far replica pays that zone's latency each way.
    """

    def __init__(self, database: DatabaseRuntime, caller: str | None, stream: str) -> None:
        self.name = database.name
        self.database = database
        network = network_of(database.ctx)
        assert network is not None
        self.hops: dict[Station, Sampler | None] = {
            station: database.ctx.sampler(network.between(caller, zone), f"latency:{stream}:{i}")
            for i, (station, zone) in enumerate(zip(database.replicas, database.zones,
                                                    strict=True))}

    def entry(self, endpoint: str) -> Callable[[], Iterable[Any]]:
        """One request's steps, hops included."""
        database = self.database
        compiled = database.endpoints[endpoint]
        hops = self.hops
        if database.is_write(endpoint):
            primary = database.primaries[0]
            return lambda: _hopped(hops[primary], database.serve(primary, compiled))
        return lambda: _hopped_read(database, hops, compiled)

    def steps(self, endpoint: str) -> Iterable[Any]:
        """Task-protocol steps of one request."""
        return self.entry(endpoint)()

    handle = steps


def _hopped_read(database: DatabaseRuntime, hops: dict[Station, Sampler | None],
                 compiled: Any) -> Iterable[Any]:
    station = database.choose_reader()
    return _hopped(hops[station], database.serve(station, compiled))


def _hopped(hop: Sampler | None, steps: Iterable[Any]) -> Steps:
    if hop is not None:
        yield hop()
    try:
        yield from steps
    except RequestError:
        if hop is not None:
            yield hop()
        raise
    if hop is not None:
        yield hop()


def spans_zones(callee: Any) -> bool:
    """Whether ``callee`` is a database whose stations sit in more than one zone."""
    zones = getattr(callee, "zones", None) if getattr(callee, "readers", None) else None
    return zones is not None and len(set(zones)) > 1
