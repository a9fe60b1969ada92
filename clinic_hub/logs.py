"""Structured logs: one JSON object per line on stderr.

Log lines carry ids, codes, counts and timings only. Never a name, ID number, phone or record body:
callers pass structured ``extra={"fields": {...}}`` and nothing from a payload goes there.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_configured = False


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__  # the type only: messages may quote data
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("clinic_hub")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    _configured = True


class RequestLogMiddleware:
    """Logs method, path, status, duration and who called (set by auth on the scope state).

    Replaces uvicorn's access log, which prints query strings.
    """

    def __init__(self, app: ASGIApp):
        self.app = app
        self.log = logging.getLogger("clinic_hub.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        started_response = {"value": False}

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started_response["value"] = True
            await send_wrapper(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - last line of defence
            # Log the type only and answer a plain 500: tracebacks and driver messages can quote
            # patient data, and re-raising would let the server print them.
            self.log.error("unhandled error", extra={"fields": {"request_id": request_id, "error": type(exc).__name__}})
            if not started_response["value"]:
                body = json.dumps({"code": "internal_error", "message": "internal error"}).encode()
                await send_wrapper(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send_wrapper({"type": "http.response.body", "body": body})
        finally:
            principal = scope.get("state", {}).get("principal_label")
            self.log.info(
                "request",
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status["code"],
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "principal": principal,
                    }
                },
            )
