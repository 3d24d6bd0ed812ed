"""Tender: a payment service over Stripe PaymentIntents and PostgreSQL RLS."""
