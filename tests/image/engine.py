"""The container engine that builds and runs the image: Docker when its daemon answers, else podman
with the options these machines need (README, "The image under test"): runc and the vfs driver
(no systemd, no overlay mounts), the host's network and explicit limits, and the docker image format,
without which podman drops the HEALTHCHECK."""

import subprocess
from dataclasses import dataclass
from pathlib import Path

HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")  # a TLS-inspecting proxy's CA, where there is one


@dataclass(frozen=True)
class Engine:
    command: list[str]
    run_options: list[str]  # for every `run`
    build_options: list[str]

    @property
    def is_podman(self) -> bool:
        return self.command[0] == "podman"

    @property
    def read_only(self) -> list[str]:
        """A read-only root with nothing writable added: podman's --read-only alone mounts tmpfs on /tmp,
        /var/tmp and /run; Docker's does not."""
        return ["--read-only", "--read-only-tmpfs=false"] if self.is_podman else ["--read-only"]

    def __call__(
        self, *args: str, timeout: float = 120, check: bool = True, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.command, *args],
            input=stdin.decode() if stdin is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args[:2])} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result

    def has_image(self, name: str) -> bool:
        return self("image", "inspect", name, check=False).returncode == 0

    def build(self, context: Path, tag: str, build_args: dict[str, str], iid_file: Path) -> str:
        """Builds ``context`` as ``tag``; the image's id (what the tests run, whatever ``tag`` names later).
        The image ``tag`` named before is removed, unless a container still uses it."""
        before = self("image", "inspect", "--format", "{{.Id}}", tag, check=False).stdout.strip()
        arguments = [arg for name, value in build_args.items() for arg in ("--build-arg", f"{name}={value}")]
        self("build", *self.build_options, *arguments, "--iidfile", str(iid_file), "-t", tag, str(context), timeout=900)
        built = iid_file.read_text().strip()
        if before and before not in built:  # docker writes "sha256:<id>", podman "<id>"
            self("rmi", before, check=False)
        return built


def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def detect() -> Engine:
    if docker_answers():
        return Engine(["docker"], ["--network", "host"], [])
    limits = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
    # podman build, unlike docker build, can mount: the host's CA bundle, for pip behind such a proxy
    ca = ["--volume", f"{HOST_CA}:{HOST_CA}:ro"] if HOST_CA.exists() else []
    return Engine(
        ["podman", "--runtime", "runc", "--storage-driver", "vfs"],
        ["--network", "host", *limits],
        ["--format", "docker", "--isolation", "chroot", *ca],
    )
