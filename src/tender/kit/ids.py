"""Identifiers Tender makes: bank-transfer references people can type."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: a reference is read over the phone and typed into banking apps.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def bank_reference() -> str:
    """A random reference like `TND-7K3M-Q9XH` (about 40 bits: unique with a DB constraint)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"TND-{chars[:4]}-{chars[4:]}"
