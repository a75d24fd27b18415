"""The pages' own files (CSS, script, icon), read from the package once and served from memory.

Pages link them with a version in the query (``/static/style.css?v=…``, the
start of the file's digest), so a changed file is fetched anew.
"""

import hashlib
from dataclasses import dataclass
from importlib import resources

from aiohttp import web
from aiohttp.typedefs import Handler

from app.entrypoints.web.problems import problem

PREFIX = "/static"
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
CACHE_CONTROL = "public, max-age=86400"


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    media_type: str

    @property
    def version(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:12]


def load(names: tuple[str, ...]) -> dict[str, StaticFile]:
    folder = resources.files(__package__) / "static"
    return {name: StaticFile((folder / name).read_bytes(), MEDIA_TYPES[name[name.rindex(".") :]]) for name in names}


def urls(files: dict[str, StaticFile]) -> dict[str, str]:
    """What templates link: each file's URL with its version."""
    return {name: f"{PREFIX}/{name}?v={file.version}" for name, file in files.items()}


def handler(files: dict[str, StaticFile]) -> Handler:
    async def static_file(request: web.Request) -> web.Response:
        name = request.match_info["filename"]
        file = files.get(name)
        if file is None:
            return problem(404, "Not Found", f"no file {name!r} under {PREFIX}/", filename=name)
        return web.Response(body=file.body, content_type=file.media_type, headers={"Cache-Control": CACHE_CONTROL})

    return static_file
