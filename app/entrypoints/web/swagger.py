"""``GET /api/docs``: Swagger UI for ``/api/openapi.json``, served from this process only.

The assets come from the ``swagger_ui_bundle`` package (no CDN). The page has
no inline script or style, so it works under ``Content-Security-Policy:
default-src 'self'``: the UI is started by ``swagger-init.js``, served from here.
"""

import functools

from aiohttp import web
from swagger_ui_bundle import swagger_ui_path

from app.entrypoints.web.problems import problem
from app.entrypoints.web.routing import Routes

STATIC = "/api/docs/static"
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
BUNDLE_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png")
INIT_JS = b"""\
"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
"""
INDEX_HTML = f"""\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Order service API</title>
  <link rel="stylesheet" href="{STATIC}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{STATIC}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="{STATIC}/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{STATIC}/swagger-ui-bundle.js"></script>
  <script src="{STATIC}/swagger-init.js"></script>
</body>
</html>
""".encode()
FILES = sorted((*BUNDLE_FILES, "swagger-init.js"))
_CACHE = {"Cache-Control": "public, max-age=3600"}


@functools.cache
def _asset(name: str) -> bytes:
    """A file of the docs, read once (about 2 MB in all): no Range or conditional requests to answer."""
    return INIT_JS if name == "swagger-init.js" else (swagger_ui_path / name).read_bytes()


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(body=INDEX_HTML, content_type="text/html", charset="utf-8")


async def docs_static(request: web.Request) -> web.Response:
    name = request.match_info["filename"]
    if name not in FILES:
        return problem(404, "Not Found", f"no file {name!r} under {STATIC}/", filename=name)
    media_type = MEDIA_TYPES[name[name.rindex(".") :]]
    return web.Response(body=_asset(name), content_type=media_type, headers=_CACHE)


def add_routes(routes: Routes) -> None:
    routes.add("GET", "/api/docs", docs_page, name="api-docs")
    routes.add("GET", STATIC + "/{filename}", docs_static, name="api-docs-static")
