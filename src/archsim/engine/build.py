"""Build the runtime model of one replication from a validated topology."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archsim.errors import ModelError
from archsim.model.autoscale import Autoscaler, attach_autoscalers
from archsim.model.balancer import BalancerRuntime
from archsim.model.broker import Broker
from archsim.model.client import Client
from archsim.model.compile import compile_service, hop_sampler
from archsim.model.context import Context
from archsim.model.failures import install_failures
from archsim.model.registry import runtime_class
from archsim.model.service import ServiceRuntime
from archsim.model.zones import client_dist, hop_dist, zone_of

if TYPE_CHECKING:
    import simpy

    from archsim.spec.schema import Topology


@dataclass
class Model:
    """The runtime objects of one replication."""

    ctx: Context
    components: dict[str, Any]
    clients: list[Client]
    autoscalers: list[Autoscaler] = field(default_factory=list)


def build_model(topology: Topology, env: simpy.Environment, seed: int, rate_scale: float = 1.0,
                max_in_flight: int = 200_000) -> Model:
    """Create every runtime component, link calls, and create the clients.

    Raises
    ------
    ModelError
        When the topology uses something the engine cannot simulate.
    """
    ctx = Context(env, seed, max_in_flight)
    ctx.network = topology.network
    network = topology.network.latency
    for name, spec in topology.components.items():
        ctx.components[name] = runtime_class(spec.type)(name, spec, ctx)
    autoscalers = attach_autoscalers(ctx)  # before anything takes a picker over replicas
    for name, runtime in ctx.components.items():
        if isinstance(runtime, ServiceRuntime):
            compile_service(runtime, ctx, network)
        elif isinstance(runtime, BalancerRuntime):
            target = ctx.components.get(runtime.spec.target)
            if not isinstance(target, ServiceRuntime):
                raise ModelError(f"load balancer {name!r}: target {runtime.spec.target!r} is "
                                 "not a service")
            forward = hop_dist(ctx, zone_of(ctx, target), target, network)
            runtime.link(target, hop_sampler(ctx, None, forward, f"{name}->replica"))
        elif isinstance(runtime, Broker):
            runtime.link(ctx.components,  # type: ignore[arg-type]
                         lambda key: hop_sampler(ctx, None, network, f"consumer:{key}"))
            if runtime.spec.dead_letter is not None:
                runtime.dead_letter = ctx.components[runtime.spec.dead_letter]  # type: ignore[assignment]
    clients = []
    for workload in topology.workload:
        entry = ctx.components[workload.component]
        hop = hop_sampler(ctx, None, client_dist(ctx, entry, network), f"client:{workload.name}")
        clients.append(Client(workload, ctx, entry, hop, rate_scale))
    install_failures(topology, ctx, clients)
    return Model(ctx, dict(ctx.components), clients, autoscalers)
