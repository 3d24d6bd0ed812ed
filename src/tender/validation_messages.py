"""Readable validation messages that name the allowed values, never the input.

`explain` turns one pydantic error of a request into `Field 'x' must be one of: a, b.`,
`... must be between 1 and 100.`, `... is required.` or, for an unknown field, the list
of fields the operation accepts. It reads the rules from the route's own declarations
(body model, query parameters), so the message cannot drift from the validation.
"""

from __future__ import annotations

import re
from typing import Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.fields import FieldInfo

_ONE_OF = re.compile(r"^\^\(([\w|]+)\)\$$")
_PREFIX = re.compile(r"^\^([a-z]+_)\[")
_ID_KIND = {"pm_": "a Stripe PaymentMethod id", "pi_": "a PaymentIntent id"}


def _route(request: Request) -> APIRoute | None:
    route = request.scope.get("route")
    return route if isinstance(route, APIRoute) else None


def _body_model(request: Request) -> type[BaseModel] | None:
    route = _route(request)
    if route is None or route.body_field is None:
        return None
    model = route.body_field.field_info.annotation
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def accepted_fields(request: Request) -> list[str]:
    """The body fields this operation accepts (aliases included)."""
    model = _body_model(request)
    if model is None:
        return []
    names: list[str] = []
    for name, info in model.model_fields.items():
        names.append(name)
        choices = getattr(info.validation_alias, "choices", None) or ()
        names.extend(c for c in choices if isinstance(c, str) and c not in names)
    return names


def _field_info(request: Request, loc: tuple[Any, ...]) -> FieldInfo | None:
    if len(loc) < 2:
        return None
    where, name = loc[0], loc[1]
    if where == "body":
        model = _body_model(request)
        return model.model_fields.get(str(name)) if model is not None else None
    route = _route(request)
    return _param(route.dependant, str(where), name) if route is not None else None


def _param(dependant: Dependant, where: str, name: Any) -> FieldInfo | None:
    params = {"query": dependant.query_params, "path": dependant.path_params}
    for param in params.get(where, []):
        if name in (param.alias, param.name):
            info: FieldInfo = param.field_info
            return info
    for sub in dependant.dependencies:
        found = _param(sub, where, name)
        if found is not None:
            return found
    return None


def _bounds(info: FieldInfo | None, kind: tuple[type, ...]) -> list[Any]:
    if info is None:
        return []
    return [m for m in info.metadata if isinstance(m, kind)]


def _range(info: FieldInfo | None) -> str | None:
    low = _bounds(info, (Ge, Gt))
    high = _bounds(info, (Le, Lt))
    if not low or not high:
        return None
    lo = low[0].ge if isinstance(low[0], Ge) else f"more than {low[0].gt}"
    hi = high[0].le if isinstance(high[0], Le) else f"less than {high[0].lt}"
    return f"between {lo} and {hi}"


def _currencies(request: Request) -> str | None:
    runtime = getattr(request.app.state, "runtime", None)
    supported = getattr(getattr(runtime, "settings", None), "supported_currencies", None)
    return ", ".join(sorted(c.lower() for c in supported)) if supported else None


def _pattern(pattern: str) -> str:
    one_of = _ONE_OF.match(pattern)
    if one_of:
        return "must be one of: " + ", ".join(one_of.group(1).split("|"))
    prefix = _PREFIX.match(pattern)
    if prefix:
        kind = _ID_KIND.get(prefix.group(1), "an id")
        return f"must be {kind} starting with {prefix.group(1)}"
    return f"must match {pattern}"


def explain(request: Request, error: Any, name: str) -> str:
    """One sentence for one pydantic error of this request's field `name`."""
    rule, ctx = error["type"], error.get("ctx") or {}
    loc = tuple(error["loc"])
    info = _field_info(request, loc)
    if rule == "missing":
        return f"Field '{name}' is required."
    if rule == "extra_forbidden":
        accepted = accepted_fields(request)
        known = f"; accepted fields: {', '.join(accepted)}" if accepted else ""
        return f"Field '{name}' is not accepted here{known}."
    if name.split(".")[-1] == "currency" and rule.startswith("string_"):
        currencies = _currencies(request)
        if currencies:
            return f"Field '{name}' must be one of: {currencies}."
    if rule == "string_pattern_mismatch":
        return f"Field '{name}' {_pattern(str(ctx.get('pattern', '')))}."
    if rule in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        between = _range(info)
        if between:
            return f"Field '{name}' must be {between}."
    if rule in ("string_too_short", "string_too_long"):
        low, high = _bounds(info, (MinLen,)), _bounds(info, (MaxLen,))
        if low and high and low[0].min_length == high[0].max_length:
            return f"Field '{name}' must have exactly {low[0].min_length} characters."
    if rule.startswith("uuid"):
        return f"Field '{name}' must be a UUID."
    if rule in ("int_type", "int_parsing", "int_from_float"):
        return f"Field '{name}' must be an integer."
    return f"Field '{name}': {str(error.get('msg', 'is not valid')).rstrip('.')}."
