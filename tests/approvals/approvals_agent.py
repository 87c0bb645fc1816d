"""A guarded agent for the end-to-end approval tests: one POST through ``install()``, outcome as JSON.

python approvals_agent.py POLICY URL BODY AUTH [requests|httpx-async]
"""

from __future__ import annotations

import json
import sys

import safetynet

safetynet.install()

import interven_autoguard  # noqa: E402


def send_with_requests(url: str, body: bytes, headers: dict[str, str]) -> int:
    import requests

    return requests.post(url, data=body, headers=headers, timeout=30).status_code


def send_with_httpx_async(url: str, body: bytes, headers: dict[str, str]) -> int:
    import asyncio

    import httpx

    async def main() -> int:
        ticks = 0

        async def heartbeat() -> None:  # proves the loop keeps running while the call is held
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.05)

        beat = asyncio.create_task(heartbeat())
        async with httpx.AsyncClient() as client:
            response = await client.post(url, content=body, headers=headers, timeout=30)
        beat.cancel()
        print(json.dumps({"heartbeat_ticks": ticks}), flush=True)
        return response.status_code

    return asyncio.run(main())


if __name__ == "__main__":
    policy, url, body, auth, *rest = sys.argv[1:]
    library = rest[0] if rest else "requests"
    interven_autoguard.install(policy=policy)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {auth}"}
    send = send_with_requests if library == "requests" else send_with_httpx_async
    try:
        status = send(url, body.encode(), headers)
        result = {"outcome": "sent", "status": status}
    except interven_autoguard.RequestBlocked as exc:
        result = {
            "outcome": "blocked",
            "decision": str(exc.decision),
            "reason_codes": exc.reason_codes,
            "approval_id": exc.approval_id,
            "message": str(exc),
        }
    print(json.dumps(result), flush=True)
