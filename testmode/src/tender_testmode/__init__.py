"""Offline, stateful Stripe test mode that the official ``stripe`` SDK talks to over HTTP.

A development tool of its own: Tender never imports it, it reaches it over HTTP like Stripe.
Start it with :func:`tender_testmode.server.running_emulator` (tests) or
``python -m tender_testmode --port N --state-dir DIR`` (what ``tender serve`` runs).
"""
