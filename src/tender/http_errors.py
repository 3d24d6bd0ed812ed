"""One JSON error shape for the whole service: {"error": {"code", "message", ...}}."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tender import validation_messages
from tender.db.engine import is_unreachable
from tender.errors import DatabaseUnavailable, TenderError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "token_missing",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, **extra}}
    return JSONResponse(body, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _tender_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TenderError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers or None)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e["type"] == "json_invalid" for e in errors):
        return error_response(
            400,
            "invalid_json",
            "The request body is not valid JSON: send one JSON object "
            "with Content-Type: application/json.",
        )
    # Field names, rules and allowed values only: never echo the input (it may hold a PAN).
    fields = []
    for e in errors:
        name = _field(tuple(e["loc"]))
        message = validation_messages.explain(request, e, name)
        fields.append({"field": name, "rule": e["type"], "message": message})
    first = fields[0] if fields else {"message": "The request is not valid."}
    return error_response(400, "validation_failed", first["message"], fields=fields)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _driver_error(request: Request, exc: Exception) -> JSONResponse:
    """A database error that escaped `Database.transaction`: 503 if unreachable, else 500."""
    if is_unreachable(exc):
        return await _tender_error(request, DatabaseUnavailable())
    return await _unexpected(request, exc)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TenderError, _tender_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _driver_error)
    app.add_exception_handler(OSError, _driver_error)
    app.add_exception_handler(TimeoutError, _driver_error)
    app.add_exception_handler(Exception, _unexpected)
