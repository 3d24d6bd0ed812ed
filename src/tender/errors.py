"""TenderError and its family: one stable code, a user-safe message and an HTTP status."""

from __future__ import annotations

from typing import Any


class TenderError(Exception):
    """An expected failure the API reports as `{"error": {"code", "message", ...}}`."""

    status_code = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.extra = extra or {}
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


class ConfigurationError(TenderError):
    status_code = 500
    code = "configuration_error"
    message = "Tender is not configured correctly."


class ValidationFailed(TenderError):
    status_code = 400
    code = "validation_failed"
    message = "The request is not valid."


class AuthenticationFailed(TenderError):
    status_code = 401
    code = "token_invalid"
    message = "The bearer token is not valid."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(TenderError):
    status_code = 403
    code = "forbidden"
    message = "This action is not allowed for your role."


class NotFound(TenderError):
    status_code = 404
    code = "not_found"
    message = "No such resource."


class Conflict(TenderError):
    status_code = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class ServiceUnavailable(TenderError):
    status_code = 503
    code = "service_unavailable"
    message = "The service is temporarily unavailable."


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached (refused, lost, pool exhausted): 503, retry shortly."""

    code = "database_unavailable"
    message = "The service is temporarily unavailable. Please retry shortly."

    def __init__(self, message: str | None = None, *, retry_after: int = 2) -> None:
        super().__init__(
            message, extra={"retryable": True}, headers={"Retry-After": str(retry_after)}
        )
