"""The engine's digests without hashlib: identical to hashlib's, and OpenSSL stays unloaded."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from interven_autoguard import digests

ROOT = Path(__file__).resolve().parents[2]


@given(st.binary(max_size=4096), st.binary(max_size=64))
def test_digests_equal_hashlibs(data: bytes, key: bytes) -> None:
    assert digests.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    incremental = digests.sha256()
    incremental.update(data[:7])
    incremental.update(data[7:])
    assert incremental.hexdigest() == hashlib.sha256(data).hexdigest()
    assert digests.blake2b(data, key=key, digest_size=16).digest() == \
        hashlib.blake2b(data, key=key, digest_size=16).digest()


def test_scanning_does_not_load_openssl() -> None:
    """hashlib's import maps libcrypto (~3.5 MB resident); the engine needs none of it."""
    code = (
        "import sys, interven_autoguard as a\n"
        "r = a.scan(method='POST', url='https://api.example.com/x', body=b'{\"ssn\": \"478-23-9156\"}')\n"
        "assert r.findings\n"
        "print(sorted(m for m in ('hashlib', '_hashlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert out.stdout.strip() == "[]"
