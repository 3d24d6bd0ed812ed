"""StripeGateway: every Stripe call Tender makes, through the official async client.

Every write carries an idempotency key derived from Tender's ids; every answer comes back
as a plain dict; every failure comes back as a mapped `StripeFailure` or
`ProviderUnavailable`, so services never see the SDK's types.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import stripe

from tender.config import Settings
from tender.gateway.errors import PROVIDER_UNAVAILABLE, ProviderUnavailable, StripeFailure, lookup
from tender.monitoring.recorder import Recorder

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


def idempotency_key(kind: str, tender_id: object, step: str = "") -> str:
    """A Stripe idempotency key derived from Tender's own ids: `tender:payment:<id>:create`."""
    return f"tender:{kind}:{tender_id}" + (f":{step}" if step else "")


def as_dict(obj: Any) -> dict[str, Any]:
    """A Stripe object (or dict) as a plain, recursive dict."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj)


def _failure(exc: stripe.StripeError) -> Exception:
    status = exc.http_status or 0
    if isinstance(exc, stripe.APIConnectionError | stripe.AuthenticationError) or status >= 500:
        return ProviderUnavailable(PROVIDER_UNAVAILABLE.message)
    err = exc.error
    code = getattr(err, "code", None) or exc.code
    decline = getattr(err, "decline_code", None)
    if isinstance(exc, stripe.RateLimitError):
        code = "rate_limit"
    if isinstance(exc, stripe.IdempotencyError) or status == 409:
        code = code or "idempotency_error"
    intent = getattr(err, "payment_intent", None)
    return StripeFailure(
        lookup(code, decline),
        stripe_code=code,
        decline_code=decline,
        stripe_message=getattr(err, "message", None) or str(exc.user_message or ""),
        request_id=exc.request_id,
        intent=as_dict(intent) if intent is not None else None,
        is_card_error=isinstance(exc, stripe.CardError),
    )


class StripeGateway:
    """Owns the StripeClient; the domain services call its methods, never the SDK directly."""

    def __init__(self, settings: Settings, recorder: Recorder | None = None) -> None:
        key = settings.stripe_secret_key
        if key is None:
            raise ValueError("STRIPE_SECRET_KEY is not set")
        self.recorder = recorder or Recorder()
        self._http = stripe.AIOHTTPClient(timeout=settings.stripe_timeout_seconds)
        self.client = stripe.StripeClient(
            key.get_secret_value(),
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else {},
            # aiohttp: the SDK's async client that costs half the CPU per call of HTTPXClient
            http_client=self._http,
            max_network_retries=settings.stripe_max_network_retries,
        )

    async def _call(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        try:
            result = await call()
        except stripe.StripeError as exc:
            failure = _failure(exc)
            outcome = "unavailable" if isinstance(failure, ProviderUnavailable) else "error"
            self.recorder.stripe_call(operation, outcome, time.perf_counter() - started)
            raise failure from exc
        self.recorder.stripe_call(operation, "ok", time.perf_counter() - started)
        return result

    async def ping(self) -> None:
        """A cheap authenticated read: raises if Stripe is unreachable or the key is refused."""
        await self.client.v1.balance.retrieve_async()

    async def list_webhook_endpoints(self) -> list[dict[str, Any]]:
        """The webhook endpoints registered with Stripe (for the go-live doctor)."""
        listed = await self._call(
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
        obj = await self._call(
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
        obj = await self._call(
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
        obj = await self._call(
            "payment_intents.confirm",
            lambda: self.client.v1.payment_intents.confirm_async(intent_id, params, options),
        )
        return as_dict(obj)

    async def retrieve_payment_intent(self, intent_id: str) -> dict[str, Any]:
        """The PaymentIntent as Stripe has it now."""
        obj = await self._call(
            "payment_intents.retrieve",
            lambda: self.client.v1.payment_intents.retrieve_async(intent_id),
        )
        return as_dict(obj)

    async def cancel_payment_intent(self, intent_id: str, *, key: str) -> dict[str, Any]:
        """Cancel a PaymentIntent that has not succeeded."""
        params: Any = {"cancellation_reason": "abandoned"}
        options: Any = {"idempotency_key": key}
        obj = await self._call(
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
            result = await self._call(
                "payment_intents.list",
                lambda p=params: self.client.v1.payment_intents.list_async(p),  # type: ignore[misc]
            )
            items = [as_dict(o) for o in result.data]
            for item in items:
                yield item
            if not result.has_more or not items:
                return
            after = items[-1]["id"]

    # PaymentMethods and SetupIntents
    async def retrieve_payment_method(self, pm_id: str) -> dict[str, Any]:
        """The PaymentMethod (card brand/last4/expiry and its customer)."""
        obj = await self._call(
            "payment_methods.retrieve",
            lambda: self.client.v1.payment_methods.retrieve_async(pm_id),
        )
        return as_dict(obj)

    async def attach_payment_method(self, pm_id: str, customer: str) -> dict[str, Any]:
        """Attach a PaymentMethod to the user's customer (idempotent per pm and customer)."""
        params: Any = {"customer": customer}
        options: Any = {"idempotency_key": idempotency_key("pm", pm_id, f"attach:{customer}")}
        obj = await self._call(
            "payment_methods.attach",
            lambda: self.client.v1.payment_methods.attach_async(pm_id, params, options),
        )
        return as_dict(obj)

    async def detach_payment_method(self, pm_id: str) -> dict[str, Any]:
        """Detach a PaymentMethod from its customer."""
        obj = await self._call(
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
        obj = await self._call(
            "setup_intents.create",
            lambda: self.client.v1.setup_intents.create_async(params, options),
        )
        return as_dict(obj)

    async def retrieve_setup_intent(self, setup_intent_id: str) -> dict[str, Any]:
        """The SetupIntent as Stripe has it now."""
        obj = await self._call(
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
        obj = await self._call(
            "webhook_endpoints.create",
            lambda: self.client.v1.webhook_endpoints.create_async(params),
        )
        return as_dict(obj)


def verify_webhook(payload: bytes, header: str | None, secrets: list[str], tolerance: int) -> bool:
    """True if `header` signs `payload` with any of `secrets` within `tolerance` seconds."""
    if not header:
        return False
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance)
        except stripe.SignatureVerificationError:
            continue
        return True
    return False
