"""Offline, stateful Stripe test mode that the official ``stripe`` SDK talks to over HTTP.

Start it with :func:`tender.emulator.server.running_emulator` (tests) or
:func:`tender.emulator.server.serve` (CLI ``tender emulator``).
"""
