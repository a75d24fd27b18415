"""``GET /dead-letters``: the dead letters, read-only, with a count per kind of reason.

Counts are over the newest ``SCAN`` letters (the page says so when there are
more); the ``LATEST`` most recent are listed with their reason. Replaying and
purging are for ``orders dlq``, which the page names.
"""

import asyncio

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from app.domain.rejections import REASON_KINDS
from app.entrypoints.web.pages import starting_page
from app.entrypoints.web.routing import Guard, Routes
from app.ports.dead_letter_archive import ArchiveUnavailable
from app.service_layer.dead_letter_tools import DeadLetterTools, Overview

LATEST = 100
SCAN = 10_000
TIMEOUT = 5.0


def handler(tools: DeadLetterTools) -> Handler:
    async def dead_letters(request: web.Request) -> web.Response:
        overview: Overview | None = None
        try:
            async with asyncio.timeout(TIMEOUT):
                overview = await tools.overview(latest=LATEST, scan=SCAN)
        except (ArchiveUnavailable, TimeoutError):
            pass  # the page says the stream cannot be read
        context = {"overview": overview, "kinds": REASON_KINDS, "latest_limit": LATEST}
        return aiohttp_jinja2.render_template(
            "dead_letters.html", request, context, status=503 if overview is None else 200
        )

    return dead_letters


def add_routes(routes: Routes, tools: DeadLetterTools, guard: Guard | None = None) -> None:
    """``guard``: the read API's token check, when reads need a token (the page shows order uids)."""
    routes.add("GET", "/dead-letters", handler(tools), name="dead-letters", gated=starting_page, guard=guard)
