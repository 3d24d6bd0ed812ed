"""Register Tender's webhook endpoint with the offline test mode (used by `tender serve`)."""

from __future__ import annotations

from tender.config import Settings
from tender.gateway.stripe import WEBHOOK_EVENTS, StripeGateway


async def register_endpoint(settings: Settings, host: str, port: int) -> str:
    """Register `http://{host}:{port}/functions/v1/stripe-webhook` for the seed's five events,
    plus charge.refunded so refunds made in the dashboard reach Tender too."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{reachable}:{port}/functions/v1/stripe-webhook"
    events = (*WEBHOOK_EVENTS, "charge.refunded")
    gateway = StripeGateway(settings)
    try:
        known = await gateway.list_webhook_endpoints()  # the test mode keeps them across runs
        if not any(
            e.get("url") == url
            and e.get("status") == "enabled"
            and set(events) <= set(e.get("enabled_events") or ())
            for e in known
        ):
            await gateway.register_webhook_endpoint(url, events)
    finally:
        await gateway.close()
    return url
