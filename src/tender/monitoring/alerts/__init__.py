"""The seed's alert rules: evaluation over sliding windows, state, channels and schedule."""

from tender.monitoring.alerts.rules import RULES, AlertResult, Rule, Severity
from tender.monitoring.alerts.service import AlertService
from tender.monitoring.alerts.state import AlertTracker, Notification

__all__ = [
    "RULES",
    "AlertResult",
    "AlertService",
    "AlertTracker",
    "Notification",
    "Rule",
    "Severity",
]
