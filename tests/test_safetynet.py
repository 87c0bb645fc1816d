import socket

import pytest
import safetynet


def test_non_loopback_connect_is_refused():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(safetynet.NonLoopbackConnect):
            s.connect(("169.254.169.254", 80))
        with pytest.raises(safetynet.NonLoopbackConnect):
            s.connect_ex(("10.0.0.1", 80))
    finally:
        s.close()


def test_loopback_connect_is_allowed():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    c = socket.socket()
    try:
        c.connect(srv.getsockname())
    finally:
        c.close()
        srv.close()
