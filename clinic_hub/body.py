"""Reading request bodies safely: size limits, gzip (with a bound on the inflated size), JSON.

Every failure is a clear 4xx: a client on a slow link must know whether to shrink its batch (413),
fix its encoder (400) or its content (422).
"""

from __future__ import annotations

import zlib
from typing import Any

from fastapi import Request
from pydantic_core import from_json

from clinic_hub.errors import ApiError


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "body_too_large", limit=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "body_too_large", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def inflate(body: bytes, limit: int) -> bytes:
    """Gunzip ``body``: exactly one gzip member and nothing after it (a second member or trailing
    bytes are refused ``bad_gzip``, not ignored), refusing anything that inflates past ``limit``
    (a gzip bomb)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
        if len(out) > limit or inflater.unconsumed_tail:
            raise ApiError(413, "body_too_large", limit=limit)
        out += inflater.flush()
        if not inflater.eof or inflater.unused_data:
            raise ApiError(400, "bad_gzip")
    except zlib.error:
        raise ApiError(400, "bad_gzip") from None
    if len(out) > limit:
        raise ApiError(413, "body_too_large", limit=limit)
    return out


def inflated(body: bytes, content_encoding: str | None, max_inflated: int) -> bytes:
    """The body as the client meant it: gunzipped when it says gzip."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "gzip":
        return inflate(body, max_inflated)
    if encoding != "identity":
        raise ApiError(415, "unsupported_encoding", encoding=encoding[:40])
    return body


def parse_json(body: bytes) -> Any:
    try:
        return from_json(body)  # pydantic-core's parser: about 2.5 times as fast as the json module
    except ValueError:  # not UTF-8, not JSON, or nested too deep
        raise ApiError(400, "bad_json") from None
