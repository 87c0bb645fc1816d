"""httpx and httpx2 (pydantic's fork, used by current openai/anthropic SDKs): the default transports'
``HTTPTransport.handle_request`` and ``AsyncHTTPTransport.handle_async_request`` — one call per hop
(the Client follows redirects above them).

A streamed request body is read to be scanned, then handed back equivalent: the caller's stream
object when it can replay itself (bytes, a seekable file, re-seeked), else a stream replaying the
same chunks that, like a generator, refuses a second pass with the library's ``StreamConsumed``.
"""

from __future__ import annotations

import functools
import inspect
from types import ModuleType
from typing import Any

from ..guard.bodies import Captured, _tell, acollect, collect_sync
from ..guard.core import Rewrite
from ..guard.install import active_guard
from ..guard.patching import Patcher


def patch(patcher: Patcher, module: ModuleType) -> None:
    library = module.__name__  # "httpx" or "httpx2"
    patcher.wrap(module.HTTPTransport, "handle_request", functools.partial(_handle, library, module))
    patcher.wrap(module.AsyncHTTPTransport, "handle_async_request",
                 _async_wrapper(library, module))


@functools.cache
def _replay_streams(lib: ModuleType) -> tuple[type, type]:
    """Stream classes of ``lib`` that replay captured chunks (httpx asserts the stream types)."""

    class ReplayStream(lib.SyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, chunks: list[bytes], rest: Any, once: bool) -> None:
            self._chunks, self._rest, self._once, self._used = chunks, rest, once, False

        def __iter__(self) -> Any:
            if self._once and self._used:
                raise lib.StreamConsumed()
            self._used = True
            yield from self._chunks
            if self._rest is not None:
                yield from self._rest

    class AsyncReplayStream(lib.AsyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, chunks: list[bytes], rest: Any, once: bool) -> None:
            self._chunks, self._rest, self._once, self._used = chunks, rest, once, False

        async def __aiter__(self) -> Any:
            if self._once and self._used:
                raise lib.StreamConsumed()
            self._used = True
            for chunk in self._chunks:
                yield chunk
            if self._rest is not None:
                async for chunk in self._rest:
                    yield chunk

    return ReplayStream, AsyncReplayStream


def _known_content(request: Any, lib: ModuleType) -> bytes | None:
    """The body when httpx already holds it in memory (content=bytes/str/json/data)."""
    stream = request.stream
    if type(stream) is lib.ByteStream or isinstance(stream, lib.ByteStream):  # exact type: no ABC check
        content = getattr(request, "_content", None)
        if isinstance(content, bytes):
            return content
        return b"".join(stream)  # ByteStream replays itself
    return None


def _capture_sync(request: Any, lib: ModuleType, limit: int, known: bytes | None) -> tuple[Captured, Any]:
    """(what to scan, the stream to hand the library). ``known``: ``_known_content(request)``."""
    stream = request.stream
    if known is not None:
        return Captured(known, stream), stream
    if not isinstance(stream, lib.SyncByteStream):
        return Captured(None, stream), stream  # the transport raises its own error on it
    source = getattr(stream, "_stream", None)
    position = _tell(source) if source is not None and hasattr(source, "read") else None
    chunks, data, complete, rest = collect_sync(stream, limit=limit)
    if position is not None:
        source.seek(position)  # the caller's file stream reads itself again from there
        return Captured(data, stream, complete), stream
    once = _is_one_shot(stream) or rest is not None
    replay = _replay_streams(lib)[0](chunks, rest, once)
    return Captured(data, replay, complete), replay


async def _capture_async(request: Any, lib: ModuleType, limit: int,
                         known: bytes | None) -> tuple[Captured, Any]:
    stream = request.stream
    if known is not None:
        return Captured(known, stream), stream
    if not isinstance(stream, lib.AsyncByteStream):
        return Captured(None, stream), stream
    chunks, data, complete, rest = await acollect(stream, limit=limit)
    once = _is_one_shot(stream) or rest is not None
    replay = _replay_streams(lib)[1](chunks, rest, once)
    return Captured(data, replay, complete), replay


def _is_one_shot(stream: Any) -> bool:
    """A stream over a (async) generator cannot be iterated twice; httpx raises StreamConsumed."""
    source = getattr(stream, "_stream", None)
    return bool(getattr(stream, "_is_generator", False)) or inspect.isgenerator(source) or \
        inspect.isasyncgen(source)


def _apply(request: Any, lib: ModuleType, rewrite: Rewrite, stream: Any) -> None:
    request.url = lib.URL(rewrite.url)
    # httpx sends header bytes as given but encodes str as ASCII; the guard read every header as
    # latin-1 (one character per byte), so latin-1 gives the caller's exact bytes back ("José"
    # sent as UTF-8 bytes stays so) instead of a UnicodeEncodeError that would block the request.
    request.headers = lib.Headers([(name.encode("latin-1"), value.encode("latin-1"))
                                   for name, value in rewrite.headers])
    if rewrite.body is None:
        request.stream = stream
    else:
        request.stream = lib.ByteStream(rewrite.body)
        request._content = rewrite.body


def _to_decide(guard: Any, request: Any, lib: ModuleType) -> tuple[str, str, Any, bytes | None] | None:
    """(method, URL, raw headers, in-memory body) of a request the guard must decide on; None when
    it goes out as is (not the guard's to scan, or quietly allowed)."""
    raw_url = request.url
    try:  # _url_text's remembered text, looked up here: this runs on every request
        url = _URL_TEXTS.get(raw_url._uri_reference) if type(raw_url) is lib.URL and _text_is_of_parts(lib) \
            else None
    except TypeError:  # parts set by hand to something unhashable
        url = None
    if url is None:
        url = _url_text(raw_url, lib)
    method = request.method
    stream = request.stream  # _known_content(request, lib), spelled out: this runs on every request
    content = getattr(request, "_content", None) if type(stream) is lib.ByteStream else None
    known = content if content.__class__ is bytes else _known_content(request, lib)
    headers = request.headers.raw
    if known is not None:
        if guard.lets_through(method, url, headers, known):
            return None  # not the guard's to scan, or allowed outright with nothing to record
    elif not guard.should_scan(method, url):
        return None
    return method, url, headers, known


def _url_text(url: Any, lib: ModuleType) -> str:
    """``str(url)``, remembered by httpx's parsed form of it (a tuple of the URL's parts): an
    httpx URL joins its parts again on every ``str()``, the costliest step of a quiet request."""
    if type(url) is not lib.URL or not _text_is_of_parts(lib):
        return str(url)  # a subclass may say more, another release may hold more
    parts = url._uri_reference
    try:
        text = _URL_TEXTS.get(parts)
    except TypeError:  # parts set by hand to something unhashable
        return str(url)
    if text is None:
        text = str(url)
        if len(_URL_TEXTS) >= _URL_TEXTS_KEPT:
            _URL_TEXTS.clear()
        _URL_TEXTS[parts] = text
    return text


@functools.cache
def _text_is_of_parts(lib: ModuleType) -> bool:
    """Whether this release's ``URL`` holds nothing but ``_uri_reference`` and prints as it does."""
    try:
        sample = lib.URL("https://user@example.com:8443/a%20b?q=1#f")
        return vars(sample).keys() == {"_uri_reference"} and str(sample) == str(sample._uri_reference)
    except Exception:
        return False


_URL_TEXTS: dict[Any, str] = {}
_URL_TEXTS_KEPT = 1024


def _edit(request: Any, lib: ModuleType, hop: Any, stream: Any) -> None:
    """Put the hop's rewrite (or the replayed stream) into the request before it is sent."""
    if hop.rewrite is not None:
        try:
            _apply(request, lib, hop.rewrite, stream)
        except Exception as exc:
            raise hop.rewrite_failed(exc) from None
    elif stream is not request.stream:
        request.stream = stream


def _handle(library: str, lib: ModuleType, wrapped: Any, instance: Any,
            args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    guard = active_guard()
    if guard is None:
        return wrapped(*args, **kwargs)
    request = args[0] if args else kwargs["request"]
    decide = _to_decide(guard, request, lib)
    if decide is None:
        return wrapped(*args, **kwargs)
    method, url, headers, known = decide
    captured, stream = _capture_sync(request, lib, guard.body_limit, known)
    with guard.hop(library=library, layer=library, method=method, url=url,
                   headers=headers, body=captured, quiet_asked=known is not None) as hop:
        _edit(request, lib, hop, stream)
        response = wrapped(*args, **kwargs)
        hop.response(response.status_code)
        return response


def _async_wrapper(library: str, lib: ModuleType) -> Any:
    async def handle_async(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        guard = active_guard()
        if guard is None:
            return await wrapped(*args, **kwargs)
        request = args[0] if args else kwargs["request"]
        decide = _to_decide(guard, request, lib)
        if decide is None:
            return await wrapped(*args, **kwargs)
        method, url, headers, known = decide
        captured, stream = await _capture_async(request, lib, guard.body_limit, known)
        async with guard.ahop(library=library, layer=library, method=method,
                              url=url, headers=headers, body=captured, quiet_asked=known is not None) as hop:
            _edit(request, lib, hop, stream)
            response = await wrapped(*args, **kwargs)
            hop.response(response.status_code)
            return response

    return handle_async
