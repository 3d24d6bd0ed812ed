"""Telemetry every layer records into: Prometheus metrics, the validation monitor's sliding
windows and the `Recorder` that feeds both. It sits below the gateway and the cache (which
record their calls) and imports nothing above `tender.config`; `tender.monitoring` reads it.
"""
