"""A malformed header or URL must not carry the credential it holds into the gateway client's errors."""

from __future__ import annotations

import traceback

import pytest
from gw_support import UpstreamRecorder, github_token

from interven_autoguard.gateway import _http
from interven_autoguard.gateway.errors import GatewayError


def _failure(url: str, headers: dict[str, str]) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        _http.request("GET", url, headers=headers, timeout=5.0)
    return info.value


def _everything_said(exc: GatewayError) -> str:
    return str(exc) + repr(exc) + "".join(traceback.format_exception(exc))


def test_invalid_header_value_does_not_quote_the_token(upstream: UpstreamRecorder) -> None:
    token = github_token()
    exc = _failure(upstream.url + "/x", {"Authorization": f"Bearer {token}\n"})
    assert token not in _everything_said(exc)
    assert "ValueError" in str(exc)
    assert upstream.requests == []  # refused before a byte was sent


def test_invalid_url_does_not_quote_a_key_in_the_query(upstream: UpstreamRecorder) -> None:
    token = github_token()
    exc = _failure(f"{upstream.url}/x?key={token} tail", {})
    assert token not in _everything_said(exc)
    assert "InvalidURL" in str(exc)
    assert upstream.requests == []


def test_refused_connection_still_says_why() -> None:
    with UpstreamRecorder() as closed:  # bound then closed: nothing listens on that port any more
        url = closed.url
    exc = _failure(url + "/x", {})
    assert "ConnectionRefusedError" in str(exc)
    assert isinstance(exc.__cause__, ConnectionRefusedError)
