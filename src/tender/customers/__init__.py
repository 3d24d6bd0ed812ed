"""Stripe customers: one per user, created lazily and remembered."""
