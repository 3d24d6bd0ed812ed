"""Checkout sessions and the hosted checkout page (the shape of Stripe Checkout)."""
