"""Socket-level safety net: refuse ``connect()`` to anything but loopback.

Installed for every test by ``conftest.py`` and imported first by every script a test runs in a
subprocess, so that even a broken guard can never reach a metadata IP or an exfiltration host.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_ORIGINAL: dict[str, Any] = {}


class NonLoopbackConnect(OSError):
    """A test tried to connect somewhere other than 127.0.0.0/8 or ::1."""


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else address
    try:
        ip = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        raise NonLoopbackConnect(f"safety net: refusing connect() to unresolved host {host!r}") from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_loopback:
        raise NonLoopbackConnect(f"safety net: refusing connect() to non-loopback {ip}")


def install() -> None:
    if _ORIGINAL:
        return
    _ORIGINAL["connect"] = socket.socket.connect
    _ORIGINAL["connect_ex"] = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        _check(self, address)
        return _ORIGINAL["connect"](self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(self, address)
        return _ORIGINAL["connect_ex"](self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]


def uninstall() -> None:
    if not _ORIGINAL:
        return
    socket.socket.connect = _ORIGINAL.pop("connect")  # type: ignore[method-assign]
    socket.socket.connect_ex = _ORIGINAL.pop("connect_ex")  # type: ignore[method-assign]
