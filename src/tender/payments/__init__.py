"""Payments: card PaymentIntents and offline payments, under the state machine."""
