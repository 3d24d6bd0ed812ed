"""Where notifications go: the log, a generic JSON webhook (Slack-compatible) and
PagerDuty Events API v2. Routed by severity; a channel failure is logged, never raised."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
import structlog

from tender.config import Settings
from tender.monitoring.alerts.rules import Severity
from tender.monitoring.alerts.state import Notification
from tender.telemetry import metrics

log = structlog.get_logger("tender.alerts")
SOURCE = f"tender@{socket.gethostname()}"
ICONS = {
    Severity.critical: ":rotating_light:",
    Severity.warning: ":warning:",
    Severity.info: ":information_source:",
}


class Channel(Protocol):
    name: str
    severities: frozenset[Severity]

    async def send(self, notification: Notification) -> None: ...


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def alert_body(n: Notification) -> dict[str, Any]:
    """The alert as plain JSON (shared by every channel)."""
    return {
        **n.result.as_dict(),
        "status": n.status,
        "repeat": n.repeat,
        "started_at": _iso(n.started_at),
        "source": SOURCE,
    }


class LogChannel:
    name = "log"
    severities = frozenset(Severity)

    async def send(self, notification: Notification) -> None:
        body = alert_body(notification)
        level = "error" if notification.status == "firing" else "info"
        if notification.result.rule.severity is not Severity.critical and level == "error":
            level = "warning"
        await log.alog(_LEVELS[level], "alert", **body)


_LEVELS = {"error": 40, "warning": 30, "info": 20}


class WebhookChannel:
    """POSTs `{"text": ..., "alert": {...}}`: Slack shows `text`, other tools read `alert`."""

    name = "webhook"
    severities = frozenset(Severity)

    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.http = http

    async def send(self, notification: Notification) -> None:
        r = notification.result
        state = "RESOLVED" if notification.status == "resolved" else r.rule.severity.upper()
        icon = ":white_check_mark:" if notification.status == "resolved" else ICONS[r.rule.severity]
        text = f"{icon} [{state}] {r.name}: {r.summary} ({r.rule.action})"
        response = await self.http.post(
            self.url, json={"text": text, "alert": alert_body(notification)}, timeout=5.0
        )
        response.raise_for_status()


class PagerDutyChannel:
    """Events API v2: `trigger` while firing (same dedup_key), `resolve` when clear."""

    name = "pagerduty"
    severities = frozenset({Severity.critical})

    def __init__(self, routing_key: str, url: str, http: httpx.AsyncClient) -> None:
        self.routing_key = routing_key
        self.url = url
        self.http = http

    def payload(self, n: Notification) -> dict[str, Any]:
        event: dict[str, Any] = {
            "routing_key": self.routing_key,
            "event_action": "resolve" if n.status == "resolved" else "trigger",
            "dedup_key": f"tender:{n.result.name}",
        }
        if n.status == "firing":
            event["payload"] = {
                "summary": f"{n.result.name}: {n.result.summary}"[:1024],
                "source": SOURCE,
                "severity": n.result.rule.severity.value,
                "component": "payments",
                "group": "tender",
                "class": n.result.name,
                "timestamp": _iso(n.started_at),
                "custom_details": alert_body(n),
            }
        return event

    async def send(self, notification: Notification) -> None:
        response = await self.http.post(self.url, json=self.payload(notification), timeout=5.0)
        response.raise_for_status()


def channels_from_settings(settings: Settings, http: httpx.AsyncClient) -> list[Channel]:
    channels: list[Channel] = [LogChannel()]
    if settings.alert_webhook_url is not None:
        channels.append(WebhookChannel(settings.alert_webhook_url.get_secret_value(), http))
    if settings.pagerduty_routing_key is not None:
        key = settings.pagerduty_routing_key.get_secret_value()
        channels.append(PagerDutyChannel(key, settings.pagerduty_events_url, http))
    return channels


async def deliver(channels: list[Channel], notifications: list[Notification]) -> None:
    """Send each notification to every channel that takes its severity."""
    for n in notifications:
        for channel in channels:
            if n.result.rule.severity not in channel.severities:
                continue
            try:
                await channel.send(n)
                metrics.ALERT_NOTIFICATIONS.labels(channel.name, "sent").inc()
            except Exception as exc:
                metrics.ALERT_NOTIFICATIONS.labels(channel.name, "failed").inc()
                log.warning(
                    "alert_channel_failed",
                    channel=channel.name,
                    alert=n.result.name,
                    error=type(exc).__name__,
                )
