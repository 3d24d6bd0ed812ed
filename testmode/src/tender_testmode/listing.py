"""List pagination (limit / starting_after / ending_before / created) and ``expand[]``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tender_testmode.errors import invalid_request, resource_missing, unknown_parameter
from tender_testmode.params import Params, as_int, expand_fields
from tender_testmode.store import Obj, Store

LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before", "created", "expand"})

# kind -> {field: kind of the object the field's id points to}
EXPANDABLE: dict[str, dict[str, str]] = {
    "payment_intent": {
        "latest_charge": "charge",
        "payment_method": "payment_method",
        "customer": "customer",
    },
    "setup_intent": {"payment_method": "payment_method", "customer": "customer"},
    "charge": {"payment_intent": "payment_intent", "customer": "customer"},
    "refund": {"charge": "charge", "payment_intent": "payment_intent"},
    "payment_method": {"customer": "customer"},
}


def expand(store: Store, obj: Obj, fields: list[str]) -> Obj:
    """A shallow copy of ``obj`` with each expandable id field replaced by its object."""
    if not fields:
        return obj
    allowed = EXPANDABLE.get(obj["object"], {})
    out = dict(obj)
    for path in fields:
        head, _, rest = path.partition(".")
        if head not in allowed:
            raise invalid_request(
                f"This property cannot be expanded ({head}).",
                param="expand",
                save_idempotent=False,
            )
        value = out.get(head)
        if isinstance(value, str):
            target = store[allowed[head]].get(value)
            if target is not None:
                out[head] = expand(store, target, [rest]) if rest else target
        elif isinstance(value, dict) and rest:
            out[head] = expand(store, value, [rest])
    return out


def _created_filter(value: Any) -> Callable[[int], bool]:
    if isinstance(value, str):
        exact = as_int(value, "created")
        return lambda c: c == exact
    if not isinstance(value, dict):
        raise invalid_request("Invalid created filter", param="created", save_idempotent=False)
    bounds: list[tuple[str, int]] = []
    for op, raw in value.items():
        if op not in ("gt", "gte", "lt", "lte"):
            raise unknown_parameter(f"created[{op}]")
        bounds.append((op, as_int(raw, f"created[{op}]")))

    def check(c: int) -> bool:
        for op, n in bounds:
            if (
                (op == "gt" and c <= n)
                or (op == "gte" and c < n)
                or (op == "lt" and c >= n)
                or (op == "lte" and c > n)
            ):
                return False
        return True

    return check


def paginate(
    store: Store,
    kind: str,
    params: Params,
    url: str,
    where: Callable[[Obj], bool] | None = None,
    source: Iterable[Obj] | None = None,
) -> Obj:
    limit = as_int(params.get("limit", "10"), "limit", minimum=1)
    if limit > 100:
        raise invalid_request(
            "This value must be less than or equal to 100.",
            param="limit",
            code="parameter_invalid_integer",
            save_idempotent=False,
        )
    starting_after = params.get("starting_after")
    ending_before = params.get("ending_before")
    created = _created_filter(params["created"]) if "created" in params else None
    fields = [f.removeprefix("data.") for f in expand_fields(params)]
    for cursor, name in ((starting_after, "starting_after"), (ending_before, "ending_before")):
        if cursor is not None and cursor not in store[kind]:
            raise resource_missing(kind, str(cursor), name)

    def keep(obj: Obj) -> bool:
        if created is not None and not created(obj["created"]):
            return False
        return where is None or where(obj)

    items = source if source is not None else store[kind].newest_first()
    page: list[Obj] = []
    has_more = False
    if ending_before is not None:
        before: list[Obj] = []
        for obj in items:
            if obj["id"] == ending_before:
                break
            if keep(obj):
                before.append(obj)
        has_more = len(before) > limit
        page = before[-limit:]
    else:
        seen_cursor = starting_after is None
        for obj in items:
            if not seen_cursor:
                seen_cursor = obj["id"] == starting_after
                continue
            if keep(obj):
                if len(page) == limit:
                    has_more = True
                    break
                page.append(obj)
    data = [expand(store, o, fields) for o in page] if fields else page
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
