"""Request plumbing of the gateway server: bounded body reads, JSON validation, uniform errors."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


class HttpProblem(Exception):
    """An error answer: status, a clear message, a stable code. Never carries request content."""

    def __init__(self, status: int, error: str, code: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.code = code
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "code": self.code}, status_code=self.status, headers=self.headers
        )


def too_large(limit: int) -> HttpProblem:
    return HttpProblem(413, f"Request body exceeds {limit // 1024}KB limit", "PAYLOAD_TOO_LARGE")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) as soon as it is known to exceed ``limit``.

    Content-Length is checked before reading anything, and the bytes are counted while streaming so
    a chunked or lying client cannot make us buffer more than ``limit``.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise HttpProblem(400, "Content-Length is not a number", "BAD_REQUEST") from None
        if size > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise HttpProblem(400, "Request body must be a JSON object", "BAD_REQUEST")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise HttpProblem(400, "Request body is not UTF-8", "BAD_REQUEST") from None
    except (ValueError, RecursionError):
        raise HttpProblem(400, "Malformed JSON in request body", "BAD_REQUEST") from None
    if not isinstance(data, dict):
        raise HttpProblem(400, "Request body must be a JSON object", "BAD_REQUEST")
    return data


# field name → (accepted Python types, required)
FieldSpec = Mapping[str, tuple[tuple[type, ...], bool]]
_TYPE_NAMES = {str: "a string", dict: "an object", bool: "a boolean", int: "an integer", list: "an array"}


def check_fields(data: Mapping[str, Any], spec: FieldSpec, where: str = "") -> None:
    for name, (types, required) in spec.items():
        label = f"{where}{name}"
        if name not in data or data[name] is None:
            if required:
                raise HttpProblem(400, f"Missing required field '{label}'", "BAD_REQUEST")
            continue
        value = data[name]
        if not isinstance(value, types) or (bool in types) != isinstance(value, bool):
            wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
            raise HttpProblem(400, f"Field '{label}' must be {wanted}", "BAD_REQUEST")
        if required and isinstance(value, str) and not value.strip():
            raise HttpProblem(400, f"Field '{label}' must not be empty", "BAD_REQUEST")


def check_headers(value: Any, where: str = "headers") -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise HttpProblem(400, f"Field '{where}' must be an object of string values", "BAD_REQUEST")
    return value


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def redact_url(url: str) -> str:
    """scheme://host[:port]/path?name=*** — no userinfo, no query values, no fragment."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "[unparseable-url]"
    if ":" in host:
        host = f"[{host}]"
    query = "&".join(
        f"{urllib.parse.quote(name, safe='')}=***"
        for name, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    )
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, query, ""))
