"""A stand-in for ``python:3.11-slim-bookworm`` where no registry can be reached: Debian bookworm
with its own Python 3.11, made by debootstrap and imported into the engine (scripts/
ensure-container-engine.sh installs debootstrap). Its root file system is kept under .cache/image-base,
named after what it holds, so it is made once (about a minute) and imported again only when the
engine has lost the image."""

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.image.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
SUITE = "bookworm"
PACKAGES = "python3,python3-venv,python-is-python3,ca-certificates"
MIRROR = "http://deb.debian.org/debian"
KEY = hashlib.sha256(f"{SUITE} minbase {PACKAGES} {MIRROR}".encode()).hexdigest()[:12]
NAME = f"localhost/order-service-base:{SUITE}-{KEY}"
TARBALL = ROOT / ".cache" / "image-base" / f"{SUITE}-{KEY}.tar"


def debootstrap(into: Path) -> None:
    rootfs = into / "rootfs"
    tool = shutil.which("debootstrap") or "/usr/sbin/debootstrap"  # sbin: not on every user's PATH
    command = [tool, "--variant=minbase", f"--include={PACKAGES}", SUITE, str(rootfs), MIRROR]
    made = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert made.returncode == 0, f"debootstrap failed:\n{made.stdout[-3000:]}{made.stderr[-3000:]}"
    TARBALL.parent.mkdir(parents=True, exist_ok=True)
    partial = TARBALL.with_suffix(".partial")
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True, timeout=300)
    partial.rename(TARBALL)


def stand_in_base(engine: Engine) -> str:
    """The stand-in's name, made or imported as needed."""
    if engine.has_image(NAME):
        return NAME
    if not TARBALL.exists():
        work = Path(tempfile.mkdtemp(prefix="orders-image-base-"))
        try:
            debootstrap(work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    engine("import", str(TARBALL), NAME, timeout=600)
    return NAME
