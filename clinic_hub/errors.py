"""One error shape for every failure: ``{"code", "message", "errors"?}`` (see wire.ErrorResponse).

Validation errors never echo the submitted values back: they may be patient data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from clinic_hub.messages import message, negotiate

log = logging.getLogger("clinic_hub.errors")

_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    422: "invalid_request",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ):
        super().__init__(code)
        self.status, self.code, self.errors, self.headers, self.params = status, code, errors, headers, params


def language_of(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def error_response(request: Request, status: int, code: str, errors=None, headers=None, **params) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message(code, language_of(request), **params)}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


def safe_validation_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Where and what kind, without the offending values."""
    return [
        {"loc": [str(part) for part in e.get("loc", ())], "type": e.get("type"), "msg": e.get("msg")} for e in errors
    ]


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(request, exc.status, exc.code, exc.errors, exc.headers, **exc.params)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return error_response(request, 422, "invalid_request", safe_validation_errors(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "invalid_request")
        return error_response(request, exc.status_code, code, headers=getattr(exc, "headers", None))

    # Unexpected exceptions are answered by logs.RequestLogMiddleware (type logged, never the text).
