"""The guard's cost counted in instructions, not seconds: ``python benchmarks/bench_instructions.py``.

Wall-clock ratios on a shared 2-core VM move by ±0.05 from one run to the next (``bench_guard.py``
prints each run's spread). Instructions retired do not: valgrind's callgrind counts them the same
whatever else the machine is doing, so a change of 2 % in what the guard executes shows here, run
after run. For requests and httpx, a fresh interpreter sends the same 1 KB JSON POST as
``bench_guard.py`` to the same keep-alive loopback server (its own process, not counted), first
unguarded, then guarded by the embedded engine. Each is run twice under callgrind, with N and 3N
requests after a warm-up and with the garbage collector off (a full collection landing in one run
and not the other would be counted as the requests' work); the difference of the two totals over
2N is the cost of one request, start-up and warm-up cancelled out.

What instructions cannot see is the caches: inside a real request the guard's code and data were
pushed out by the HTTP stack and the kernel since its last call, so its share of the time is larger
than its share of the instructions. ``--cache`` runs the same requests under cachegrind, which
simulates a cache hierarchy (32 KB L1s, a 512 KB last level: the share a busy shared host leaves a
process) and counts the misses in the last level, each a trip to memory; just as repeatable, and
the difference guarded − unguarded is what to compare across changes (see docs/performance.md).
Needs valgrind (Debian's package); without it, says so and exits.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N = 100  # requests in the short run; the long one sends 3N

CHILD = textwrap.dedent("""
    import gc, sys
    sys.path[:0] = [{root!r}, {root!r} + "/tests", {root!r} + "/benchmarks"]
    import safetynet; safetynet.install()
    import bench_guard as b

    library, guarded, count = sys.argv[1], sys.argv[2] == "guarded", int(sys.argv[3])
    server, port = b.start_server()
    url = f"http://127.0.0.1:{{port}}/v1/chat/completions"
    body, headers = b.body_1k(), {{"Content-Type": "application/json"}}
    if library == "httpx":
        import httpx
        client = httpx.Client()
        send = lambda: client.post(url, content=body, headers=headers)
    else:
        import requests
        session = requests.Session()
        send = lambda: session.post(url, data=body, headers=headers)
    if guarded:
        import interven_autoguard
        interven_autoguard.install()
    for _ in range(50):
        send()
    gc.collect()
    gc.disable()
    for _ in range(count):
        send()
    server.terminate()
""")


# What each tool counts: valgrind's options and the totals it prints (name: pattern).
CALLGRIND = (["--tool=callgrind", "--callgrind-out-file=/dev/null"],
             {"instructions": r"Collected\s*:\s*([\d,]+)"})
CACHEGRIND = (["--tool=cachegrind", "--cache-sim=yes", "--I1=32768,8,64", "--D1=32768,8,64",
               "--LL=524288,8,64", "--cachegrind-out-file=/dev/null"],
              {"instructions": r"I\s+refs:\s*([\d,]+)", "LL misses": r"LL misses:\s*([\d,]+)"})


def counted(tool: tuple[list[str], dict[str, str]], library: str, mode: str, count: int) -> dict[str, int]:
    """The totals valgrind counted for one child run."""
    options, totals = tool
    command = ["valgrind", *options, sys.executable, "-c", CHILD.format(root=str(ROOT)), library, mode,
               str(count)]
    # One string-hash seed for every run: dict and set probes then repeat exactly.
    out = subprocess.run(command, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    counts = {}
    for name, pattern in totals.items():
        found = re.search(pattern, out.stderr)
        if found is None:
            raise RuntimeError(f"valgrind printed no {name}:\n{out.stderr[-2000:]}")
        counts[name] = int(found.group(1).replace(",", ""))
    return counts


def per_request(tool: tuple[list[str], dict[str, str]], library: str, mode: str) -> dict[str, float]:
    with ThreadPoolExecutor(max_workers=2) as pool:  # the two runs of one pair side by side
        short, long = pool.map(lambda count: counted(tool, library, mode, count), (N, 3 * N))
    return {name: (long[name] - short[name]) / (2 * N) for name in short}


def main() -> None:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind): nothing counted")
        return
    cache = "--cache" in sys.argv[1:]
    tool = CACHEGRIND if cache else CALLGRIND
    counter = "cachegrind, 512 KB last level" if cache else "callgrind"
    print(f"1 KB JSON POST to loopback, per request ({counter}; runs of {N} and {3 * N})")
    for library in ("requests", "httpx"):
        plain, guarded = per_request(tool, library, "plain"), per_request(tool, library, "guarded")
        for name in tool[1]:
            p, g = plain[name], guarded[name]
            print(f"  {library:<9} {name:<13} unguarded {p / 1e3:8.1f} k   guarded {g / 1e3:8.1f} k   "
                  f"guard adds {(g - p) / 1e3:6.1f} k   ratio {g / p:5.3f}")


if __name__ == "__main__":
    main()
