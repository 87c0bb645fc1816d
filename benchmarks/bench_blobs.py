"""Engine cost on non-prose text (base64 images, hex dumps, minified code, JWTs). Run on demand:
``python benchmarks/bench_blobs.py [--quick]``.

No network at all: ``scan()`` is called in-process and the socket safety net is installed first.

For every case it prints the median time of a full ``scan()`` of the body and of the secrets
prefilter alone (``may_match`` + ``detect`` on the raw text), and the ratio per byte against English
prose measured in the same run (machines are shared and noisy; absolute numbers drift, ratios less).
Goal: every case within ~5-10x of prose per byte; a 400 KB image JSON well under 100 ms.

Then binary uploads (``application/octet-stream``, none, a multipart file part; read as Latin-1),
in CPU seconds per MB. Goal: at most 0.3 s/MB.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import random
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = 6  # distinct bodies per case
T = TypeVar("T")
PROSE_WORDS = (
    "the agent asked for the quarterly report and summarised the customer feedback about shipping "
    "delays in the northern region while the team reviewed pricing tiers for enterprise plans and "
    "noted that several accounts would renew early if support response times kept improving"
).split()


def prose(size: int, rng: random.Random) -> str:
    out: list[str] = []
    n = 0
    while n < size:
        sentence = " ".join(rng.choice(PROSE_WORDS) for _ in range(rng.randint(6, 18))).capitalize() + ". "
        out.append(sentence)
        n += len(sentence)
    return "".join(out)[:size]


def b64_image_json(raw_bytes: int, rng: random.Random) -> str:
    b64 = base64.b64encode(rng.randbytes(raw_bytes)).decode()
    return json.dumps(
        {
            "model": "gpt-x",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is in this picture?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + b64}},
                    ],
                }
            ],
        }
    )


def random_chars(size: int, alphabet: str, rng: random.Random) -> str:
    return "".join(rng.choices(alphabet, k=size))


def random_words(size: int, rng: random.Random) -> str:
    out: list[str] = []
    n = 0
    while n < size:
        w = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 10)))
        out.append(w)
        n += len(w) + 1
    return " ".join(out)[:size]


def hex_dump(size: int, rng: random.Random) -> str:
    lines: list[str] = []
    n = off = 0
    while n < size:
        chunk = rng.randbytes(16)
        line = f"{off:08x}  " + " ".join(f"{b:02x}" for b in chunk) + "  |" + "".join(
            chr(b) if 32 <= b < 127 else "." for b in chunk
        ) + "|\n"
        lines.append(line)
        n += len(line)
        off += 16
    return "".join(lines)[:size]


def minified_js(size: int, rng: random.Random) -> str:
    idents = ["a", "b", "c", "e", "t", "n", "r", "o", "i", "s", "u", "l", "f", "d", "p", "h"]
    pieces = [
        "function({a}{b}){{return {a}.{c}({b},{n})}}",
        "var {a}={b}||{{}};",
        "{a}.prototype.{c}=function({b}){{this.{a}{b}={b};return this}};",
        'if({a}==="{s}"){{{b}[{n}]={c}}}',
        "for(var {a}=0;{a}<{b}.length;{a}++){c}+={b}[{a}];",
        '{a}.token={b}.get("{s}");',
        "{a}={a}?{b}:{c},",
    ]
    out: list[str] = []
    n = 0
    while n < size:
        piece = rng.choice(pieces).format(
            a=rng.choice(idents) + rng.choice(idents),
            b=rng.choice(idents),
            c="".join(rng.choices(string.ascii_letters, k=rng.randint(3, 12))),
            n=rng.randint(0, 9999),
            s="".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(4, 24))),
        )
        out.append(piece)
        n += len(piece)
    return "".join(out)[:size]


def jwt_heavy(size: int, rng: random.Random) -> str:
    """Many JWT-shaped strings (unsigned test tokens made up here) in a JSON array of sessions."""

    def seg(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    sessions: list[dict[str, str]] = []
    n = 0
    while n < size:
        tok = ".".join(
            (
                seg({"alg": "HS256", "typ": "JWT"}),
                seg({"sub": str(rng.randint(1, 10**9)), "iat": rng.randint(1, 2**31), "scope": "read"}),
                base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode(),
            )
        )
        sessions.append({"id": str(len(sessions)), "session": tok})
        n += len(tok) + 30
    return json.dumps({"sessions": sessions})


def as_json(text: str) -> str:
    return json.dumps({"model": "gpt-x", "messages": [{"role": "user", "content": text}]})


def median_seconds(fn: Callable[[], object], budget_s: float, max_runs: int) -> float:
    fn()  # warm
    samples: list[float] = []
    spent = 0.0
    while len(samples) < max_runs and (len(samples) < 3 or spent < budget_s):
        t = time.perf_counter()
        fn()
        d = time.perf_counter() - t
        samples.append(d)
        spent += d
    return statistics.median(samples)


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import safetynet

    safetynet.install()
    sys.path.insert(0, str(ROOT))
    import interven_autoguard
    from interven_autoguard.engine import secrets

    quick = "--quick" in sys.argv
    budget = 0.3 if quick else 1.5
    rng = random.Random(20261126)
    alnum_space = string.ascii_lowercase + string.digits + " "
    makers: dict[str, Callable[[], str]] = {
        "base64 image JSON 400 KB": lambda: b64_image_json(300 * 1024, rng),
        "base64 image JSON 53 KB": lambda: b64_image_json(40 * 1024, rng),
        "plain base64 100 KB": lambda: as_json(base64.b64encode(rng.randbytes(75 * 1024)).decode()),
        "random a-z0-9+space 100 KB": lambda: as_json(random_chars(100 * 1024, alnum_space, rng)),
        "random words 100 KB": lambda: as_json(random_words(100 * 1024, rng)),
        "hex dump 100 KB": lambda: as_json(hex_dump(100 * 1024, rng)),
        "minified JS 100 KB": lambda: as_json(minified_js(100 * 1024, rng)),
        "JWT-heavy JSON 100 KB": lambda: jwt_heavy(100 * 1024, rng),
    }
    url = "https://api.openai.com/v1/chat/completions"
    headers = {"Content-Type": "application/json"}

    # Several different bodies per case, taken in turn: RE2 caches DFA states between calls, and
    # the same body again would only measure that cache (an agent sends a new image every time).
    def in_turn(items: list[T], fn: Callable[[T], object]) -> Callable[[], object]:
        turn = itertools.cycle(items)
        return lambda: fn(next(turn))

    def scan_cost(bodies: list[str]) -> float:
        def scan(body: bytes) -> object:
            return interven_autoguard.scan(method="POST", url=url, headers=headers, body=body)

        return median_seconds(in_turn([b.encode() for b in bodies], scan), budget, 50)

    def prefilter_cost(bodies: list[str]) -> float:
        def prefilter(text: str) -> object:
            return secrets.may_match(text), secrets.detect(text)

        return median_seconds(in_turn(bodies, prefilter), budget, 50)

    prose_cache: dict[int, tuple[float, float]] = {}

    def prose_per_byte(size: int) -> tuple[float, float]:
        if size not in prose_cache:
            bodies = [as_json(prose(size, random.Random(size + k))) for k in range(VARIANTS)]
            n = len(bodies[0])
            prose_cache[size] = (scan_cost(bodies) / n, prefilter_cost(bodies) / n)
        return prose_cache[size]

    print(f"{'case':28} {'bytes':>8} {'scan ms':>9} {'x prose':>8} {'secrets ms':>11} {'x prose':>8}")
    for name, make in makers.items():
        bodies = [make() for _ in range(VARIANTS)]
        size = len(bodies[0])
        p_scan, p_sec = prose_per_byte(size)
        s = scan_cost(bodies)
        k = prefilter_cost(bodies)
        print(
            f"{name:28} {size:>8} {s * 1e3:>9.2f} {s / size / p_scan:>7.1f}x "
            f"{k * 1e3:>11.2f} {k / size / p_sec:>7.1f}x   (prose: {p_scan * size * 1e3:.2f} ms)"
        )
    print("goal: every case within ~5-10x of prose per byte; 400 KB image JSON well under 100 ms")
    binary_uploads(interven_autoguard, 2 if quick else 5)


def multipart_file(boundary: str, name: str, data: bytes) -> bytes:
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\":action\"\r\n\r\nfile_upload\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode()


def binary_uploads(ag: object, runs: int) -> None:
    """Opaque binary bodies (a Docker layer PUT, a wheel as octet-stream or in a PyPI multipart
    upload): the bytes are not UTF-8, so the engine reads them as Latin-1. CPU seconds per MB, best
    of ``runs`` (CPU time, not wall-clock: the machine is shared). Goal: at most 0.3 s/MB."""
    scan = ag.scan  # type: ignore[attr-defined]
    rng = random.Random(20261127)
    blob = rng.randbytes(1024 * 1024)
    docker = "https://registry-1.docker.io/v2/acme/app/blobs/uploads/u?digest=sha256:" + "ab" * 32
    octet = {"Content-Type": "application/octet-stream"}
    boundary = "d3b07384d113edec49eaa6238ad5ff00"
    multipart = {"Content-Type": "multipart/form-data; boundary=" + boundary}
    # Latin-1 text full of what NFKC changes (NBSP, ½, ², µ, ...) and the soft hyphen it drops.
    line = "Preis:\xa0½ kg, 2² m², µs, Fa\xadhrrad, café ¸ ´ ¨ ¯ ¼ ¾ º ª ³ ¹ "
    latin1_text = (line * (1024 * 1024 // len(line) + 1))[: 1024 * 1024]
    cases: list[tuple[str, str, str, dict[str, str], bytes]] = [
        ("octet-stream random 1 MB", "PUT", docker, octet, blob),
        ("octet-stream random 200 KB", "PUT", docker, octet, blob[: 200 * 1024]),
        ("octet-stream gzip 1 MB", "PUT", docker, octet, gzip.compress(blob, compresslevel=1)),
        ("no Content-Type random 1 MB", "PUT", docker, {}, blob),
        ("multipart wheel 1 MB", "POST", "https://upload.pypi.org/legacy/", multipart,
         multipart_file(boundary, "acme-1.0-py3-none-any.whl", blob)),
        ("multipart wheel 20 KB", "POST", "https://upload.pypi.org/legacy/", multipart,
         multipart_file(boundary, "acme-1.0-py3-none-any.whl", blob[:20_000])),
        ("Latin-1 text 1 MB (NBSP, ½, soft hyphen)", "POST", "https://api.example.com/x",
         {"Content-Type": "text/plain; charset=iso-8859-1"}, latin1_text.encode("latin-1")),
    ]
    print(f"\n{'binary upload (CPU, best of ' + str(runs) + ')':44} {'bytes':>8} {'CPU ms':>9} {'s/MB':>7}")
    for name, method, url, headers, body in cases:
        best = float("inf")
        scan(method=method, url=url, headers=headers, body=body)  # warm
        for _ in range(runs):
            t = time.process_time()
            scan(method=method, url=url, headers=headers, body=body)
            best = min(best, time.process_time() - t)
        print(f"{name:44} {len(body):>8} {best * 1e3:>9.1f} {best / len(body) * 1024 * 1024:>7.3f}")
    print("goal: at most 0.3 s/MB for random binary")


if __name__ == "__main__":
    main()
