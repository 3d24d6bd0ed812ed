"""Refunds by a service-role caller: full or partial, idempotent, never more than captured."""
