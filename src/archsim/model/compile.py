"""Turn endpoint specs into compiled ops once every runtime component exists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsim.errors import ModelError
from archsim.model.failures import configure_call, needs_resilience, prefix_of
from archsim.model.ops import CallOp, Op, ParallelOp, WorkOp
from archsim.model.resilience import ResilientCallOp
from archsim.model.service import CompiledEndpoint, ServiceRuntime
from archsim.model.zones import ZonedReads, hop_dist, spans_zones
from archsim.spec.dists import ZERO
from archsim.spec.steps import CallStep, ParallelStep, PublishStep, WorkStep

if TYPE_CHECKING:
    from archsim.model.context import Context, Sampler
    from archsim.spec.dists import Dist


def compile_service(service: ServiceRuntime, ctx: Context, network: Dist) -> None:
    """Fill ``service.endpoints`` from its spec."""
    for name, endpoint in service.spec.endpoints.items():
        prefix = f"{service.name}/{name}"
        ops = [_compile(step, service, ctx, network, f"{prefix}/{index}")
               for index, step in enumerate(endpoint.calls)]
        work = ctx.sampler(endpoint.work, f"work:{prefix}")
        service.endpoints[name] = CompiledEndpoint(name, work, ops)
    extra = getattr(service, "compile_extra", None)  # caches' misses, databases' replication
    if extra is not None:
        extra(lambda step, stream: _compile(step, service, ctx, network, stream))


def hop_sampler(ctx: Context, override: Dist | None, network: Dist, stream: str) -> Sampler | None:
    """The one-way latency sampler of a hop (a call's own ``latency`` or the network's)."""
    return ctx.sampler(override if override is not None else network, f"latency:{stream}")


def _compile(step: Any, service: ServiceRuntime, ctx: Context, network: Dist,
             stream: str) -> Op:
    if isinstance(step, WorkStep):
        sample = ctx.sampler(step.work, f"work:{stream}")
        return WorkOp(ctx.env, sample or (lambda: 0.0), service.blocking)
    if isinstance(step, CallStep):
        callee = ctx.components[step.component]
        retries = step.retries
        hop = hop_dist(ctx, service.spec.zone, callee, network)
        if step.latency is None and spans_zones(callee):  # the hop depends on the replica
            callee, hop = ZonedReads(callee, service.spec.zone, stream), ZERO  # type: ignore[arg-type]
        resilient = needs_resilience(step, service, ctx.components[step.component])
        op = (ResilientCallOp if resilient else CallOp)(
            ctx, service.name, callee, step.endpoint, step.p,  # type: ignore[arg-type]
            hop_sampler(ctx, step.latency, hop, stream), f"route:{stream}",
            timeout_s=step.timeout,
            max_retries=retries.max if retries else 0,
            backoff_s=retries.backoff if retries else 0.0,
            multiplier=retries.multiplier if retries else 2.0,
            jitter=retries.jitter if retries else True,
        )
        if resilient:
            configure_call(op, step, service, prefix_of(stream), ctx)  # type: ignore[arg-type]
        return op
    if isinstance(step, ParallelStep):
        branches = [_compile(inner, service, ctx, network, f"{stream}/{index}")
                    for index, inner in enumerate(step.parallel)]
        return ParallelOp(ctx.env, branches, ctx)
    if isinstance(step, PublishStep):
        from archsim.model.publish import PublishOp

        return PublishOp(ctx, ctx.components[step.publish], step, stream)  # type: ignore[arg-type]
    raise ModelError(f"unknown step {step!r}")
