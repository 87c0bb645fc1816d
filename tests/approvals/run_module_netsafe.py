"""Run ``python -m MODULE ARGS`` behind the loopback-only safety net (for subprocess tests)."""

from __future__ import annotations

import runpy
import sys

import safetynet

safetynet.install()

if __name__ == "__main__":
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
