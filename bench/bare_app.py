"""Ceiling for the cached lookup: the least an aiohttp app can do to answer it.

Same server as ``app.entrypoints.runner.run_service`` (AppRunner with its
``SERVER_OPTIONS``: access_log=None; TCPSite backlog=2048; uvloop; its own
process), serving the same JSON bytes from a plain dict by uid: no middleware,
no cache bookkeeping, no timing. Its responses are the service's byte for byte
but for the Date: the headers the bench read from the service's own answer
(Content-Type, the security and caching headers, in its order) come in as a
JSON list, with ``{order_uid}`` where the ETag names the uid; each uid gets its
own prebuilt multidict, made before the first request, and each response copies
its uid's, the least a per-uid ETag can cost. (Written out rather than imported:
importing the service's modules would make this process the service's size.)

    python -m bench.bare_app PORT BODIES_PICKLE HEADERS_JSON
"""

import asyncio
import json
import os
import pickle
import signal
import sys

import uvloop
from aiohttp import web
from multidict import CIMultiDict

NOT_FOUND = web.HTTPNotFound


def make_app(bodies: dict[str, bytes], headers: list[tuple[str, str]]) -> web.Application:
    answers = {
        uid: (body, CIMultiDict((name, value.replace("{order_uid}", uid)) for name, value in headers))
        for uid, body in bodies.items()
    }

    async def get_order(request: web.Request) -> web.Response:
        answer = answers.get(request.match_info["order_uid"])
        if answer is None:
            raise NOT_FOUND()
        return web.Response(body=answer[0], headers=answer[1])

    async def readyz(request: web.Request) -> web.Response:
        return web.Response(text=str(os.getpid()))  # which of several processes answered

    app = web.Application()
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/api/orders/{order_uid}", get_order)
    return app


async def serve(port: int, bodies: dict[str, bytes], headers: list[tuple[str, str]]) -> None:
    runner = web.AppRunner(make_app(bodies, headers), access_log=None, handle_signals=False)
    await runner.setup()
    # reuse_port: several of these may serve one port, each on its own socket (the workers' ceiling)
    await web.TCPSite(runner, "127.0.0.1", port, backlog=2048, reuse_port=True).start()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stopping.set)
    try:
        await stopping.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    port, bodies_path, headers_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(bodies_path, "rb") as file:
        bodies = pickle.load(file)
    with open(headers_path, encoding="utf-8") as file:
        headers = [(name, value) for name, value in json.load(file)]
    uvloop.run(serve(port, bodies, headers))


if __name__ == "__main__":
    main()
