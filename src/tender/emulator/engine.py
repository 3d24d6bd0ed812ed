"""The emulator's state and the event bus every resource module writes through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tender.emulator import objects
from tender.emulator.cards import TestCard
from tender.emulator.config import EmulatorConfig, WebhookKnobs
from tender.emulator.faults import FaultInjector
from tender.emulator.idempotency import IdempotencyStore
from tender.emulator.store import Bounded, Obj, Store
from tender.emulator.webhooks import WebhookDispatcher


@dataclass(slots=True)
class RequestContext:
    request_id: str
    api_key: str
    publishable: bool = False
    idempotency_key: str | None = None
    webhook_knobs: WebhookKnobs | None = None


@dataclass(slots=True)
class IntentState:
    """Per-PaymentIntent data Stripe keeps but does not expose."""

    authenticated: bool = False
    off_session: bool = False
    return_url: str | None = None
    charges: list[str] = field(default_factory=list)


class Emulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = Store(config.max_objects)
        self.idempotency = IdempotencyStore(
            config.max_idempotency_entries, config.idempotency_ttl_seconds
        )
        self.webhooks = WebhookDispatcher(config, self.store)
        self.faults = FaultInjector(config)
        self.cards: Bounded[TestCard] = Bounded(config.max_objects)
        self.intents: Bounded[IntentState] = Bounded(config.max_objects)
        self.setup_for_off_session: Bounded[bool] = Bounded(config.max_objects)

    def reset(self) -> None:
        self.store.clear()
        self.idempotency.clear()
        self.webhooks.reset()
        self.faults.reset()
        self.cards.clear()
        self.intents.clear()
        self.setup_for_off_session.clear()

    def intent_state(self, pi_id: str) -> IntentState:
        state = self.intents.get(pi_id)
        if state is None:
            state = IntentState()
            self.intents.put(pi_id, state)
        return state

    def emit(
        self,
        ctx: RequestContext,
        type_: str,
        obj: Obj,
        previous: dict[str, Any] | None = None,
    ) -> Obj:
        endpoints = self.webhooks.matching_endpoints(type_)
        event = objects.event(
            type_,
            objects.clone(obj),
            previous,
            self.config.api_version,
            ctx.request_id,
            ctx.idempotency_key,
            len(endpoints),
        )
        self.store.add(event)
        if endpoints:
            self.webhooks.enqueue(event, endpoints, ctx.webhook_knobs)
        return event

    def stats(self) -> dict[str, Any]:
        return {
            "objects": self.store.counts(),
            "evicted": {k: m.evicted for k, m in self.store.maps.items()},
            "idempotency_entries": len(self.idempotency),
            "webhooks": {
                "pending": self.webhooks.pending,
                "held": self.webhooks.held,
                "deliveries": len(self.webhooks.deliveries),
            },
            "max_objects": self.config.max_objects,
        }
