"""StripeGateway: every Stripe call Tender makes, through the official async client."""

from __future__ import annotations

import stripe

from tender.config import Settings

# The API version every request pins (the one this SDK release is generated against).
STRIPE_API_VERSION: str = stripe.api_version


def idempotency_key(kind: str, tender_id: object, step: str = "") -> str:
    """A Stripe idempotency key derived from Tender's own ids: `tender:payment:<id>:create`."""
    return f"tender:{kind}:{tender_id}" + (f":{step}" if step else "")


class StripeGateway:
    """Owns the StripeClient; the domain services call its methods, never the SDK directly."""

    def __init__(self, settings: Settings) -> None:
        key = settings.stripe_secret_key
        if key is None:
            raise ValueError("STRIPE_SECRET_KEY is not set")
        self.client = stripe.StripeClient(
            key.get_secret_value(),
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else {},
            http_client=stripe.HTTPXClient(timeout=settings.stripe_timeout_seconds),
            max_network_retries=settings.stripe_max_network_retries,
        )

    async def ping(self) -> None:
        """A cheap authenticated read: raises if Stripe is unreachable or the key is refused."""
        await self.client.v1.balance.retrieve_async()
