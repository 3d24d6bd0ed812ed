"""StripeGateway: every Stripe call Tender makes, through the official async client.

Every write carries an idempotency key derived from Tender's ids; every answer comes back
as a plain dict. Every failure comes back as one of three kinds, so services never see the
SDK's types:

- `StripeFailure`: Stripe answered and refused (a decline, a bad request), mapped;
- `ProviderUnavailable`: Stripe did not take the request (connection refused, 429, the
  budget ran out before a try was sent): nothing happened, retry as is;
- `OutcomeUnknown`: a try was sent and no answer came back (timeout, connection lost,
  5xx, `idempotency_key_in_use`): Stripe may have done it.

Retries are Tender's own, not the SDK's: the same idempotency key, each try sized to what
is left of the operation's time budget (`tender.gateway.deadline`), so an operation answers
within its budget whatever Stripe does.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal, TypeVar

import aiohttp
import stripe

from tender.config import Settings
from tender.gateway.deadline import remaining
from tender.gateway.errors import (
    PROVIDER_UNAVAILABLE,
    OutcomeUnknown,
    ProviderUnavailable,
    StripeFailure,
    lookup,
)
from tender.telemetry.recorder import Recorder

# The API version every request pins (the one this SDK release is generated against).
STRIPE_API_VERSION: str = stripe.api_version
WEBHOOK_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_method.attached",
    "payment_method.detached",
)
T = TypeVar("T")
# Kept back from the budget for the database write after Stripe answers.
RESERVE_SECONDS = 0.3
MIN_TRY_SECONDS = 0.05
BACKOFF_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 1.0
Kind = Literal["answered", "not_sent", "unknown", "refused_key"]


def idempotency_key(kind: str, tender_id: object, step: str = "") -> str:
    """A Stripe idempotency key derived from Tender's own ids: `tender:payment:<id>:create`."""
    return f"tender:{kind}:{tender_id}" + (f":{step}" if step else "")


def as_dict(obj: Any) -> dict[str, Any]:
    """A Stripe object (or dict) as a plain, recursive dict."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj)


def classify(exc: stripe.StripeError) -> Kind:
    """What a failed try means: Stripe answered, never got it, or may have done it."""
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return "refused_key"
    if isinstance(exc, stripe.APIConnectionError):
        # Refused or unresolvable before a byte was sent; anything later may have arrived.
        return "not_sent" if isinstance(exc.__cause__, aiohttp.ClientConnectorError) else "unknown"
    status = exc.http_status or 0
    if isinstance(exc, stripe.RateLimitError) or status == 429:
        return "not_sent"  # Stripe refuses rate-limited requests before running them
    if status >= 500 or status == 409 or _code(exc) == "idempotency_key_in_use":
        # 409: the same key is still running at Stripe (the SDK leaves `code` unset for it)
        return "unknown"
    return "answered"


def _code(exc: stripe.StripeError) -> str | None:
    return getattr(exc.error, "code", None) or exc.code


def _failure(exc: stripe.StripeError) -> StripeFailure:
    err = exc.error
    code = _code(exc)
    decline = getattr(err, "decline_code", None)
    if isinstance(exc, stripe.IdempotencyError) or exc.http_status == 409:
        code = code or "idempotency_error"
    intent = getattr(err, "payment_intent", None)
    return StripeFailure(
        lookup(code, decline),
        stripe_code=code,
        decline_code=decline,
        stripe_message=getattr(err, "message", None) or str(exc.user_message or ""),
        # A replayed answer names the request that made it: one error row per real attempt.
        request_id=(exc.headers or {}).get("original-request") or exc.request_id,
        intent=as_dict(intent) if intent is not None else None,
        is_card_error=isinstance(exc, stripe.CardError),
    )


def _backoff(tries: int) -> float:
    base = min(BACKOFF_SECONDS * 2.0 ** (tries - 1), MAX_BACKOFF_SECONDS)
    return float(base * (0.5 + random.random() / 2))  # jitter


class StripeGateway:
    """Owns the StripeClient; the domain services call its methods, never the SDK directly."""

    def __init__(self, settings: Settings, recorder: Recorder | None = None) -> None:
        key = settings.stripe_secret_key
        if key is None:
            raise ValueError("STRIPE_SECRET_KEY is not set")
        self.recorder = recorder or Recorder()
        self.per_try_seconds = settings.stripe_timeout_seconds
        self.retries = max(0, settings.stripe_max_network_retries)
        self.default_budget = settings.payment_time_budget_seconds
        self._http = stripe.AIOHTTPClient(timeout=settings.stripe_timeout_seconds)
        self.client = stripe.StripeClient(
            key.get_secret_value(),
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else {},
            # aiohttp: the SDK's async client that costs half the CPU per call of HTTPXClient
            http_client=self._http,
            max_network_retries=0,  # Tender retries itself, within the time budget
        )

    async def call(
        self, operation: str, call: Callable[[], Awaitable[T]], *, idempotent: bool = True
    ) -> T:
        """Run `call` with retries (same idempotency key) inside what is left of the budget."""
        started = time.perf_counter()
        deadline = time.monotonic() + remaining(self.default_budget) - RESERVE_SECONDS
        tries, maybe_sent = 0, False
        while True:
            left = deadline - time.monotonic()
            if left < MIN_TRY_SECONDS:
                break
            tries += 1
            try:
                async with asyncio.timeout(min(self.per_try_seconds, left)):
                    result = await call()
            except TimeoutError:
                kind: Kind = "unknown"
            except stripe.StripeError as exc:
                kind = classify(exc)
                if kind == "answered":
                    self.recorder.stripe_call(operation, "error", time.perf_counter() - started)
                    raise _failure(exc) from exc
                if kind == "refused_key":
                    break
            else:
                self.recorder.stripe_call(operation, "ok", time.perf_counter() - started)
                return result
            maybe_sent = maybe_sent or kind == "unknown"
            if tries > self.retries or (maybe_sent and not idempotent):
                break
            await asyncio.sleep(max(0.0, min(_backoff(tries), deadline - time.monotonic())))
        self.recorder.stripe_call(operation, "unavailable", time.perf_counter() - started)
        raise OutcomeUnknown() if maybe_sent else ProviderUnavailable(PROVIDER_UNAVAILABLE.message)

    async def ping(self) -> None:
        """A cheap authenticated read: raises if Stripe is unreachable or the key is refused."""
        await self.client.v1.balance.retrieve_async()

    async def list_webhook_endpoints(self) -> list[dict[str, Any]]:
        """The webhook endpoints registered with Stripe (for the go-live doctor)."""
        listed = await self.call(
            "webhook_endpoints.list",
            lambda: self.client.v1.webhook_endpoints.list_async({"limit": 100}),
        )
        return [as_dict(e) for e in listed.data]

    async def close(self) -> None:
        """Close the HTTP session (its connection pool) to Stripe."""
        await self._http.close_async()  # type: ignore[no-untyped-call]

    # Customers
    async def create_customer(self, user_id: object, *, step: str = "create") -> dict[str, Any]:
        """Create the Stripe customer for a Tender user (one per user, by idempotency key;
        `step` names a replacement, e.g. `replace:cus_lost`, so it is not the old one replayed)."""
        params: Any = {"metadata": {"tender_user_id": str(user_id)}}
        options: Any = {"idempotency_key": idempotency_key("customer", user_id, step)}
        obj = await self.call(
            "customers.create", lambda: self.client.v1.customers.create_async(params, options)
        )
        return as_dict(obj)

    # PaymentIntents
    async def create_payment_intent(
        self,
        payment_id: object,
        *,
        amount: int,
        currency: str,
        customer: str,
        metadata: dict[str, str],
        step: str = "create",
    ) -> dict[str, Any]:
        """Create the PaymentIntent for a Tender payment (key `tender:payment:<id>:create`;
        another `step` when retried for a replaced customer)."""
        params: Any = {
            "amount": amount,
            "currency": currency,
            "customer": customer,
            "payment_method_types": ["card"],
            "metadata": metadata,
        }
        options: Any = {"idempotency_key": idempotency_key("payment", payment_id, step)}
        obj = await self.call(
            "payment_intents.create",
            lambda: self.client.v1.payment_intents.create_async(params, options),
        )
        return as_dict(obj)

    async def confirm_payment_intent(
        self,
        intent_id: str,
        *,
        key: str,
        payment_method: str | None = None,
        return_url: str | None = None,
    ) -> dict[str, Any]:
        """Confirm a PaymentIntent; a decline raises StripeFailure carrying the intent."""
        params: Any = {}
        if payment_method:
            params["payment_method"] = payment_method
        if return_url:
            params["return_url"] = return_url
        options: Any = {"idempotency_key": key}
        obj = await self.call(
            "payment_intents.confirm",
            lambda: self.client.v1.payment_intents.confirm_async(intent_id, params, options),
        )
        return as_dict(obj)

    async def retrieve_payment_intent(self, intent_id: str) -> dict[str, Any]:
        """The PaymentIntent as Stripe has it now."""
        obj = await self.call(
            "payment_intents.retrieve",
            lambda: self.client.v1.payment_intents.retrieve_async(intent_id),
        )
        return as_dict(obj)

    async def retrieve_charge(self, charge_id: str) -> dict[str, Any]:
        """The Charge as Stripe has it now (amount_refunded, refunded, payment_intent): the
        webhook inbox re-reads it, since an event's own copy may be stale or replayed."""
        obj = await self.call(
            "charges.retrieve", lambda: self.client.v1.charges.retrieve_async(charge_id)
        )
        return as_dict(obj)

    async def cancel_payment_intent(self, intent_id: str, *, key: str) -> dict[str, Any]:
        """Cancel a PaymentIntent that has not succeeded."""
        params: Any = {"cancellation_reason": "abandoned"}
        options: Any = {"idempotency_key": key}
        obj = await self.call(
            "payment_intents.cancel",
            lambda: self.client.v1.payment_intents.cancel_async(intent_id, params, options),
        )
        return as_dict(obj)

    async def list_payment_intents(
        self, *, created_gte: int | None = None, created_lt: int | None = None, page: int = 100
    ) -> AsyncIterator[dict[str, Any]]:
        """Every PaymentIntent created in [created_gte, created_lt), newest first, paging."""
        created: dict[str, int] = {}
        if created_gte is not None:
            created["gte"] = created_gte
        if created_lt is not None:
            created["lt"] = created_lt
        after: str | None = None
        while True:
            params: Any = {"limit": page}
            if created:
                params["created"] = created
            if after:
                params["starting_after"] = after
            result = await self.call(
                "payment_intents.list",
                lambda p=params: self.client.v1.payment_intents.list_async(p),  # type: ignore[misc]
            )
            items = [as_dict(o) for o in result.data]
            for item in items:
                yield item
            if not result.has_more or not items:
                return
            after = items[-1]["id"]

    async def find_payment_intent(
        self, payment_id: object, *, created_gte: int
    ) -> dict[str, Any] | None:
        """The PaymentIntent whose metadata names Tender payment `payment_id`, if Stripe has one."""
        async for intent in self.list_payment_intents(created_gte=created_gte):
            if (intent.get("metadata") or {}).get("tender_payment_id") == str(payment_id):
                return intent
        return None

    # PaymentMethods and SetupIntents
    async def retrieve_payment_method(self, pm_id: str) -> dict[str, Any]:
        """The PaymentMethod (card brand/last4/expiry and its customer)."""
        obj = await self.call(
            "payment_methods.retrieve",
            lambda: self.client.v1.payment_methods.retrieve_async(pm_id),
        )
        return as_dict(obj)

    async def attach_payment_method(self, pm_id: str, customer: str) -> dict[str, Any]:
        """Attach a PaymentMethod to the user's customer (idempotent per pm and customer)."""
        params: Any = {"customer": customer}
        options: Any = {"idempotency_key": idempotency_key("pm", pm_id, f"attach:{customer}")}
        obj = await self.call(
            "payment_methods.attach",
            lambda: self.client.v1.payment_methods.attach_async(pm_id, params, options),
        )
        return as_dict(obj)

    async def detach_payment_method(self, pm_id: str) -> dict[str, Any]:
        """Detach a PaymentMethod from its customer."""
        obj = await self.call(
            "payment_methods.detach",
            lambda: self.client.v1.payment_methods.detach_async(pm_id),
        )
        return as_dict(obj)

    async def create_setup_intent(self, customer: str, *, key: str) -> dict[str, Any]:
        """A SetupIntent the client confirms with Stripe.js to save a card."""
        params: Any = {
            "customer": customer,
            "payment_method_types": ["card"],
            "usage": "off_session",
        }
        options: Any = {"idempotency_key": key}
        obj = await self.call(
            "setup_intents.create",
            lambda: self.client.v1.setup_intents.create_async(params, options),
        )
        return as_dict(obj)

    async def retrieve_setup_intent(self, setup_intent_id: str) -> dict[str, Any]:
        """The SetupIntent as Stripe has it now."""
        obj = await self.call(
            "setup_intents.retrieve",
            lambda: self.client.v1.setup_intents.retrieve_async(setup_intent_id),
        )
        return as_dict(obj)

    # Webhook endpoints
    async def register_webhook_endpoint(
        self, url: str, events: tuple[str, ...] = WEBHOOK_EVENTS
    ) -> dict[str, Any]:
        """Register `url` for `events` (the seed's five by default); returns it with its secret."""
        params: Any = {"url": url, "enabled_events": list(events)}
        obj = await self.call(
            "webhook_endpoints.create",
            lambda: self.client.v1.webhook_endpoints.create_async(params),
            idempotent=False,
        )
        return as_dict(obj)
