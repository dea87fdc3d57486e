"""Queues: one shared FIFO line, competing consumers, visibility timeout, redelivery."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from archsim.errors import ModelError
from archsim.model.broker import Broker, Line, Message, Subscriber, SubscriberStats
from archsim.model.errors import Rejected

if TYPE_CHECKING:
    import simpy

    from archsim.model.context import Context, Sampler
    from archsim.model.faults import FaultState
    from archsim.model.ops import Callee
    from archsim.spec.components import QueueSpec


class QueueRuntime(Broker):
    """Competing consumers over one line; ``capacity`` bounds the messages waiting."""

    kind = "queue"

    def __init__(self, name: str, spec: QueueSpec, ctx: Context) -> None:
        super().__init__(name, spec, ctx)
        self.line = Line(ctx.env, 1)
        self.capacity = spec.capacity
        self.visibility_s = spec.visibility_timeout
        self.idle: deque[simpy.Event] = deque()
        self.handling: dict[tuple[int, int], Message] = {}

    def link(self, handlers: dict[str, Callee], hop: Callable[[str], Sampler | None]) -> None:
        keys: set[str] = set()
        for index, sub in enumerate(self.spec.subscribers):  # type: ignore[union-attr]
            component, endpoint = sub.to.split("/")
            key = f"{self.name}/{sub.group or component}"
            if key in keys:  # the report is keyed by subscriber: one would hide the other
                raise ModelError(f"queue {self.name!r}: two subscribers are both reported as "
                                 f"{key!r}; give subscribers[{index}] its own 'group'")
            keys.add(key)
            subscriber = Subscriber(key, self.ctx, handlers[component], endpoint, sub.consumers,
                                    hop(key), self)
            self.subscribers.append(subscriber)
            for consumer in range(sub.consumers):
                self.env.process(self.consume(subscriber, (index, consumer)))

    def accept(self, message: Message) -> None:
        if self.capacity is not None and self.line.length >= self.capacity:
            self.rejected += 1
            raise Rejected(self.name)
        self.accepted_total += 1
        self.accepted += 1
        self.push(Message(message.created, 0))

    def push(self, message: Message) -> None:
        """Make ``message`` visible at the back of the line (once: it may be visible already)."""
        if message.queued:
            return
        message.queued = True
        self.line.push(0, message)
        if self.idle:
            self.idle.popleft().succeed()

    def consume(self, subscriber: Subscriber,
                slot: tuple[int, int]) -> Generator[Any, Any, None]:
        env = self.env
        line = self.line
        while True:
            if not line.length or self.paused():
                event = env.event()
                self.idle.append(event)
                yield event
                continue
            message = line.pop(0)
            message.queued = False
            if not message.deliveries:
                subscriber.received_total += 1
            self.handling[slot] = message
            if self.visibility_s is not None:
                self.watch(message)
            ok = yield from subscriber.handle(message)
            del self.handling[slot]
            if not subscriber.settle(message, ok):
                self.push(message)  # redelivery: back of the line
            elif message.queued:  # settled while visible again: that copy is no message now
                message.queued = False
                line.drop(0)

    def paused(self) -> bool:
        """Whether the broker is down (a ``replicas_down`` fault): consumers take nothing."""
        return self.fault is not None and self.fault.down

    def resume(self) -> None:
        """The broker is back: wake the idle consumers."""
        for _ in range(min(len(self.idle), self.line.length)):
            self.idle.popleft().succeed()

    def attach_fault(self, fault: FaultState) -> None:
        """Pause the consumers while ``fault`` has the broker down."""
        super().attach_fault(fault)
        fault.on_recover.append(self.resume)

    def watch(self, message: Message) -> None:
        """Make the message visible again if this delivery outlasts the visibility timeout."""
        delivery = message.deliveries + 1

        def expire(_: Any) -> None:
            if not message.done and message.deliveries == delivery:
                self.push(message)  # a second delivery while the first is still running

        self.env.timeout(self.visibility_s).callbacks.append(expire)  # type: ignore[arg-type]

    def reset(self) -> None:
        super().reset()
        self.line.reset()

    def sample_backlog(self) -> None:
        for subscriber in self.subscribers:
            subscriber.samples.append(self.line.length)

    def in_handling(self, index: int | None = None) -> int:
        """Messages in handling (by subscriber ``index``, or any), unsettled and not visible."""
        return len({id(m) for slot, m in self.handling.items()
                    if not m.done and not m.queued and (index is None or slot[0] == index)})

    def open_messages(self) -> int:
        """Messages accepted and not yet settled (waiting or in handling), found by looking."""
        waiting = {id(m) for m in self.line.lines[0] if not m.done}
        return len(waiting) + self.in_handling()

    def subscriber_stats(self) -> list[SubscriberStats]:
        self.line.advance()
        out = []
        for index, sub in enumerate(self.subscribers):
            sub.advance()
            out.append(SubscriberStats(
                key=sub.key, consumers=sub.consumers, active_consumers=sub.consumers,
                completed=sub.completed, latencies_s=sub.latencies,
                backlog_area=self.line.area, backlog_max=self.line.maximum,
                backlog_final=self.line.length, partition_backlog_area=(self.line.area,),
                busy_area=sub.busy_area, deliveries=sub.deliveries,
                redeliveries=sub.redeliveries, duplicates=sub.duplicates,
                dead_lettered=sub.dead_lettered, handler_failed=sub.handler_failed,
                received_total=sub.received_total, settled_total=sub.settled_total,
                in_flight_end=self.in_handling(index), backlog_samples=tuple(sub.samples)))
        return out

    def conservation_problems(self) -> list[str]:
        """Accepted = settled (over subscribers) + open (waiting or in handling)."""
        if not self.subscribers:
            return []
        problems = []
        waiting = sum(1 for m in self.line.lines[0] if not m.done)
        if waiting != self.line.length:
            problems.append(f"{self.name}: {waiting} messages waiting, counted "
                            f"{self.line.length}")
        settled = sum(s.settled_total for s in self.subscribers)
        open_count = self.open_messages()
        if self.accepted_total != settled + open_count:
            problems.append(f"{self.name}: {self.accepted_total} accepted, {settled} settled, "
                            f"{open_count} open")
        return problems
