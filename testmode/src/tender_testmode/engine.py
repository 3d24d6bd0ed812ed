"""The emulator's state and the event bus every resource module writes through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tender_testmode import objects
from tender_testmode.cards import TestCard
from tender_testmode.config import EmulatorConfig, WebhookKnobs
from tender_testmode.faults import FaultInjector
from tender_testmode.idempotency import IdempotencyStore
from tender_testmode.journal import Journal
from tender_testmode.store import Bounded, Obj, Store
from tender_testmode.webhooks import WebhookDispatcher


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
        self.journal: Journal | None = None
        if config.state_dir is not None:
            self.journal = Journal(config.state_dir)
            self.journal.claim()
            if config.reset:
                self.journal.compact(self)
            else:
                self.journal.load(self)
            self.idempotency.on_finish = self.journal.record_idempotency

    def begin_change(self) -> None:
        """Note every object touched from now on (a request that may change state)."""
        self.store.touched.ids = {}

    def end_change(self) -> None:
        """Save what the request touched (the journal), then stop noting."""
        touched, self.store.touched.ids = self.store.touched.ids, None
        if touched and self.journal is not None:
            self.journal.record(self, touched)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close(self)

    def reset(self) -> None:
        self.store.clear()
        self.idempotency.clear()
        self.webhooks.reset()
        self.faults.reset()
        self.cards.clear()
        self.intents.clear()
        self.setup_for_off_session.clear()
        if self.journal is not None:
            self.journal.reset(self)

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
