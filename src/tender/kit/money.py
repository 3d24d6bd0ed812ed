"""Money: integer amounts in the currency's minor unit, lowercase ISO-4217 codes."""

from __future__ import annotations

from tender.config import Settings
from tender.errors import ValidationFailed

# Currencies Stripe charges without a fractional unit: the amount is not multiplied by 100.
ZERO_DECIMAL = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
        "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip
# Three-decimal currencies must be a multiple of ten in Stripe's minor unit.
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


def normalize_currency(currency: str, settings: Settings) -> str:
    """The lowercase code, or 400 `unsupported_currency` if Tender does not accept it."""
    code = currency.strip().lower()
    supported = {c.lower() for c in settings.supported_currencies}
    if len(code) != 3 or not code.isalpha() or code not in supported:
        raise ValidationFailed(
            f"Currency must be one of: {', '.join(sorted(supported))}.",
            code="unsupported_currency",
            extra={"field": "currency"},
        )
    return code


def check_amount(amount: int, currency: str, settings: Settings) -> int:
    """The amount if it is within the configured range and fits the currency, else 400."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed("Amount must be an integer in minor units.", code="invalid_amount")
    if not settings.min_amount <= amount <= settings.max_amount:
        raise ValidationFailed(
            f"Amount must be between {settings.min_amount} and {settings.max_amount} "
            "(minor units).",
            code="amount_out_of_range",
            extra={"field": "amount", "min": settings.min_amount, "max": settings.max_amount},
        )
    if currency in THREE_DECIMAL and amount % 10:
        raise ValidationFailed(
            "Amounts in this currency must be a multiple of 10.",
            code="invalid_amount",
            extra={"field": "amount"},
        )
    return amount


def to_major(amount: int, currency: str) -> str:
    """A display string: 2500 usd -> '25.00', 500 jpy -> '500'."""
    if currency in ZERO_DECIMAL:
        return str(amount)
    digits = 3 if currency in THREE_DECIMAL else 2
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"
