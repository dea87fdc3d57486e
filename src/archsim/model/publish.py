"""The publish step: choose a partition (random, round robin or by key) and wait for the ack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archsim.model.broker import Broker, zipf_partitions
from archsim.model.ops import Op

if TYPE_CHECKING:
    from archsim.model.context import Context
    from archsim.model.ops import Steps
    from archsim.model.station import Station
    from archsim.spec.steps import PublishStep


class PublishOp(Op):
    """Publish to a topic or queue, taken with probability ``p``.

    The caller's step ends when the broker acknowledges (its ``latency``); a full queue
    rejects the publish, which fails the caller's request (counted, never dropped).
    """

    def __init__(self, ctx: Context, broker: Broker, step: PublishStep, stream: str) -> None:
        from archsim.model.ops import _uniform_stream

        self.broker = broker
        self.p = step.p
        rng = ctx.rng(f"route:{stream}")
        self.route = _uniform_stream(rng)
        self.cursor = 0
        partitions = getattr(broker, "partitions", 1)
        self.partitions = partitions
        self.key_partition = None
        if step.key is not None:
            self.key_partition = zipf_partitions(ctx.rng(f"key:{stream}"), step.key.distinct,
                                                 step.key.skew, partitions)
        self.round_robin = step.partition == "round_robin" and step.key is None

    def run(self, station: Station) -> Steps:
        if self.p < 1.0 and self.route() >= self.p:
            return
        hint: int | None = None
        if self.key_partition is not None:
            hint = self.key_partition()
        elif self.round_robin:
            hint = self.cursor
            self.cursor = (self.cursor + 1) % self.partitions
        yield from self.broker.publish(hint, self.key_partition is not None)
