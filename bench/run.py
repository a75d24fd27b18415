"""What the phases of one bench run share: settings, servers' env, files, notes."""

from dataclasses import dataclass, field
from pathlib import Path

from app.entrypoints.settings import Settings
from bench.profile import Profiler
from bench.service_proc import ServiceProcess
from bench.wrk import SECONDS, WARM_SECONDS

ROUNDS = 3  # service and ceiling measured in turns, each round a new process: see bench/README.md
INGEST_ROUNDS = 5  # a round's ratio moved by ±0.06 on an AMD VM: the median of five moves less than of three
CACHED_ROUNDS = 5  # the cached lookup's (4 slice pairs each): a start's luck moves it most (see bench/README.md)


@dataclass
class Run:
    settings: Settings
    env: dict[str, str]
    work_dir: Path
    profiler: Profiler
    orders: int = 100_000
    lookups: int = 10_000
    wrk_seconds: int = SECONDS  # of the workers phase's wrk runs (--quick shortens them)
    warm_seconds: int = WARM_SECONDS
    worker_rounds: int = ROUNDS
    notes: list[str] = field(default_factory=list)
    uids_file: Path | None = None
    bodies_file: Path | None = None
    bodies: dict[str, bytes] = field(default_factory=dict)
    rss_full: int = 0
    warmed: int = 0

    @property
    def nats_url(self) -> str:
        return required(self.settings.nats_url)

    @property
    def database_url(self) -> str:
        return required(self.settings.database_url)

    @property
    def lookup_files(self) -> tuple[Path, Path]:
        """The uids and their bodies, once the storage phases have written them."""
        if self.uids_file is None or self.bodies_file is None:
            raise RuntimeError("the lookup set is made by the storage phases")
        return self.uids_file, self.bodies_file

    def service(self, name: str, **settings: object) -> ServiceProcess:
        return ServiceProcess(self.env, self.work_dir / f"{name}.log", **settings)

    def note(self, text: str) -> None:
        print("   ", text, flush=True)
        self.notes.append(text)


def required(url: str | None) -> str:
    """A server URL the bench always sets (it starts the servers or takes them from the env)."""
    if not url:
        raise RuntimeError("the bench runs with NATS_URL and DATABASE_URL set")
    return url
