"""Monitoring: probes, metrics, alerts, reports."""
