"""The wheel, built as the image builds it, installed (not editable) into a new venv.

It is built from exactly the files the Dockerfile's first stage copies (those
git tracks), with pip as that stage runs it. It must carry the templates, the
static files and the migrations: ``orders migrate`` from it applies every
migration, and ``orders serve`` from it answers the pages. The new venv sees
the test venv's third-party packages through a ``.pth`` line (so nothing is
downloaded), but not this checkout: ``app`` is imported from the wheel's copy,
which the test checks.
"""

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import nats
import pytest

from app.embedded.free_port import free_tcp_port
from tests.deploy.dockerfile import copied_sources, stages
from tests.servers import isolated_settings

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(
    p.stem
    for p in (ROOT / "migrations").iterdir()
    if p.suffix in (".sql", ".py") and not p.name.endswith(".rollback.sql")
)


def image_context(into: Path) -> Path:
    """A copy of what the image's build stage copies (links kept as links), so the build leaves
    the checkout alone."""
    copied = copied_sources(stages()[0])
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, names.decode().split("\0")):
        if not any(name == path or name.startswith(path + "/") for path in copied):
            continue
        source, target = ROOT / name, into / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet committed
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    return into


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The new venv's bin directory, with the wheel installed."""
    base = tmp_path_factory.mktemp("wheel")
    tree = image_context(base / "context")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(base / "dist"), str(tree)], check=True, timeout=300)
    (wheel,) = (base / "dist").glob("order_service-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", str(wheel)], check=True, timeout=120)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "test-venv-packages.pth").write_text(sysconfig.get_path("purelib") + "\n")
    yield venv / "bin"


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


async def test_the_installed_wheel_migrates_and_serves_the_pages(
    installed: Path, empty_database_url: str, nats_url: str, tmp_path: Path, sample_bytes: bytes, sample: dict
) -> None:
    settings = isolated_settings(nats_url, empty_database_url)
    port = free_tcp_port()
    env = {
        "PATH": f"{installed}:{os.environ.get('PATH', '')}",
        **{name.upper(): str(value) for name, value in settings.model_dump().items() if value is not None},
        "HTTP_PORT": str(port),
    }
    where = run([str(installed / "python"), "-c", "import app; print(app.__file__)"], env, tmp_path)
    assert where.stdout.startswith(str(installed.parent)), f"app must come from the wheel: {where.stdout}"

    migrated = run([str(installed / "orders"), "migrate"], env, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.strip() == f"applied: {', '.join(MIGRATIONS)}"

    with (tmp_path / "serve.log").open("wb") as log:
        serving = subprocess.Popen([str(installed / "orders"), "serve"], env=env, cwd=tmp_path, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            await until_ready(http, base, serving, tmp_path / "serve.log")
            nc = await nats.connect(nats_url)
            try:
                await nc.jetstream().publish(settings.orders_subject, sample_bytes)
            finally:
                await nc.close()
            uid = sample["order_uid"]
            page = await until_page(http, f"{base}/orders/{uid}")
            assert uid in page and "Mascaras" in page
            async with http.get(base + "/") as home:
                assert home.status == 200 and uid in await home.text()
            style = page[page.index("/static/style.css?v=") :].split('"', 1)[0]
            async with http.get(base + style) as response:
                assert response.status == 200 and response.content_type == "text/css"
    finally:
        serving.terminate()
        assert serving.wait(timeout=45) == 0


async def until_ready(http: aiohttp.ClientSession, base: str, process: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            async with http.get(base + "/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"not ready:\n{log.read_text()[-3000:]}")


async def until_page(http: aiohttp.ClientSession, url: str) -> str:
    for _ in range(200):
        async with http.get(url) as response:
            if response.status == 200 and response.content_type == "text/html":
                return await response.text()
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered 200")
