"""Parameter validation shared by the resource modules (Stripe's messages and codes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tender_testmode.errors import (
    StripeError,
    invalid_request,
    invalid_value,
    missing_parameter,
    unknown_parameter,
)

Params = dict[str, Any]

ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
CURRENCIES = frozenset(
    [
        "usd",
        "aed",
        "afn",
        "all",
        "amd",
        "ang",
        "aoa",
        "ars",
        "aud",
        "awg",
        "azn",
        "bam",
        "bbd",
        "bdt",
        "bgn",
        "bhd",
        "bif",
        "bmd",
        "bnd",
        "bob",
        "brl",
        "bsd",
        "bwp",
        "byn",
        "bzd",
        "cad",
        "cdf",
        "chf",
        "clp",
        "cny",
        "cop",
        "crc",
        "cve",
        "czk",
        "djf",
        "dkk",
        "dop",
        "dzd",
        "egp",
        "etb",
        "eur",
        "fjd",
        "fkp",
        "gbp",
        "gel",
        "gip",
        "gmd",
        "gnf",
        "gtq",
        "gyd",
        "hkd",
        "hnl",
        "htg",
        "huf",
        "idr",
        "ils",
        "inr",
        "isk",
        "jmd",
        "jod",
        "jpy",
        "kes",
        "kgs",
        "khr",
        "kmf",
        "krw",
        "kwd",
        "kyd",
        "kzt",
        "lak",
        "lbp",
        "lkr",
        "lrd",
        "lsl",
        "mad",
        "mdl",
        "mga",
        "mkd",
        "mmk",
        "mnt",
        "mop",
        "mur",
        "mvr",
        "mwk",
        "mxn",
        "myr",
        "mzn",
        "nad",
        "ngn",
        "nio",
        "nok",
        "npr",
        "nzd",
        "omr",
        "pab",
        "pen",
        "pgk",
        "php",
        "pkr",
        "pln",
        "pyg",
        "qar",
        "ron",
        "rsd",
        "rub",
        "rwf",
        "sar",
        "sbd",
        "scr",
        "sek",
        "sgd",
        "shp",
        "sle",
        "sos",
        "srd",
        "std",
        "szl",
        "thb",
        "tjs",
        "tnd",
        "top",
        "try",
        "ttd",
        "twd",
        "tzs",
        "uah",
        "ugx",
        "uyu",
        "uzs",
        "vnd",
        "vuv",
        "wst",
        "xaf",
        "xcd",
        "xof",
        "xpf",
        "yer",
        "zar",
        "zmw",
    ]
)
MINIMUM_AMOUNT = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50,
    "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50,
    "jpy": 50, "krw": 700, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200,
    "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}  # fmt: skip
MAXIMUM_AMOUNT = 99_999_999


def check_allowed(params: Params, allowed: Iterable[str], prefix: str = "") -> None:
    allowed_set = allowed if isinstance(allowed, (set, frozenset)) else set(allowed)
    for key in params:
        if key not in allowed_set:
            raise unknown_parameter(f"{prefix}[{key}]" if prefix else key)


def require(params: Params, key: str) -> Any:
    value = params.get(key)
    if value is None or value == "":
        raise missing_parameter(key)
    return value


def as_str(params: Params, key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_value(key, f"Invalid string: {key}")
    return value or None


def as_int(value: Any, param: str, minimum: int | None = None) -> int:
    if not isinstance(value, str) or not value.lstrip("-").isdigit():
        raise invalid_value(param, f"Invalid integer: {value}", "parameter_invalid_integer")
    number = int(value)
    if minimum is not None and number < minimum:
        raise invalid_value(
            param,
            f"This value must be greater than or equal to {minimum}.",
            "parameter_invalid_integer",
        )
    return number


def as_bool(value: Any, param: str) -> bool:
    if value in ("true", "True", "1", True):
        return True
    if value in ("false", "False", "0", False, ""):
        return False
    raise invalid_value(param, f"Invalid boolean: {value}", "parameter_invalid_boolean")


def as_list(value: Any, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value] if value else []
    raise invalid_value(param, f"Invalid array: {param}", "parameter_invalid_array")


def expand_fields(params: Params) -> list[str]:
    value = params.get("expand")
    return [] if value is None else [str(v) for v in as_list(value, "expand")]


def currency(value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in CURRENCIES:
        raise invalid_request(
            f"Invalid currency: {value}. Stripe currently supports these currencies: "
            + ", ".join(sorted(CURRENCIES)),
            param="currency",
            code="parameter_invalid_string",
            save_idempotent=False,
        )
    return value.lower()


def amount(value: Any, cur: str, param: str = "amount") -> int:
    number = as_int(value, param, minimum=1)
    minimum = MINIMUM_AMOUNT.get(cur, 50)
    if number < minimum:
        shown = f"{minimum}" if cur in ZERO_DECIMAL else f"{minimum / 100:.2f}"
        raise StripeError(
            400,
            "invalid_request_error",
            f"Amount must be at least {shown} {cur}",
            code="amount_too_small",
            param=param,
        )
    if number > MAXIMUM_AMOUNT:
        shown = f"{MAXIMUM_AMOUNT}" if cur in ZERO_DECIMAL else f"{MAXIMUM_AMOUNT / 100:,.2f}"
        raise StripeError(
            400,
            "invalid_request_error",
            f"Amount must be no more than {shown} {cur}",
            code="amount_too_large",
            param=param,
        )
    return number


def metadata(value: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``value`` into ``current`` like Stripe: empty string unsets a key or all keys."""
    result = dict(current or {})
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid_value("metadata", "Invalid object", "parameter_invalid_object")
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid_value(f"metadata[{key}]", "Invalid string", "parameter_invalid_string")
        if item == "":
            result.pop(key, None)
        else:
            result[key] = item
    if len(result) > 50:
        raise invalid_value("metadata", "Metadata can have at most 50 keys.")
    return result
