"""Saved payment methods: card tokens and the offline fallbacks."""
