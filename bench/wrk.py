"""Run wrk (installing it with apt-get when missing) over random uids and read its figures."""

import asyncio
import json
import os
import shutil
import statistics
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from bench.cpus import pin_to

SCRIPT = Path(__file__).with_name("random_uids.lua")
CONNECTIONS, THREADS, SECONDS, WARM_SECONDS = 64, 2, 10, 2


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers plus socket errors
    cpu_us: float | None = None  # server CPU time per request, when its pid was given

    def __str__(self) -> str:
        cpu = f", server CPU {self.cpu_us:.0f} µs/request" if self.cpu_us is not None else ""
        return f"{self.rps:,.0f} rps, p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms{cpu}, {self.errors} errors"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (immune to what else the machine runs)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sched_seconds(pid: int) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for one) of all a process's threads so far
    (/proc/PID/task/*/schedstat; needs schedstats in the kernel, else zeros)."""
    on_cpu = waiting = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            ran, waited, _ = (task / "schedstat").read_text().split()
        except (OSError, ValueError):
            continue
        on_cpu, waiting = on_cpu + int(ran), waiting + int(waited)
    return on_cpu / 1e9, waiting / 1e9


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is not installed: run `sudo apt-get install -y wrk` and try again")
    print("installing wrk with apt-get ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or "wrk"


async def wrk(
    base_url: str,
    uids_file: Path,
    prefix: str = "/api/orders/",
    pid: int | None = None,
    seconds: int = SECONDS,
    warm_seconds: int = WARM_SECONDS,
    cpus: frozenset[int] | None = None,
) -> WrkResult:
    """A short unmeasured run (connections, caches), then the measured one; wrk on ``cpus`` if given."""
    if warm_seconds:
        await _run(base_url, uids_file, prefix, warm_seconds, cpus)
    before = cpu_seconds(pid) if pid else 0.0
    result = await _run(base_url, uids_file, prefix, seconds, cpus)
    if not pid:
        return result
    requests = result.rps * seconds
    return replace(result, cpu_us=(cpu_seconds(pid) - before) / max(requests, 1) * 1e6)


def best(results: list[WrkResult]) -> WrkResult:
    """Of runs taken in turns with the ceiling's: the most rps; the lowest p99 and CPU seen."""
    top = max(results, key=lambda r: r.rps)
    cpus = [r.cpu_us for r in results if r.cpu_us is not None]
    return replace(
        top,
        p99_ms=min(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
        cpu_us=min(cpus) if cpus else None,
    )


def median(results: list[WrkResult]) -> WrkResult:
    """Each figure's median over slices (rps, p50, p99, CPU), errors summed."""
    mid = statistics.median
    cpus = [r.cpu_us for r in results if r.cpu_us is not None]
    return WrkResult(
        rps=mid(r.rps for r in results),
        p50_ms=mid(r.p50_ms for r in results),
        p99_ms=mid(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
        cpu_us=mid(cpus) if cpus else None,
    )


async def _run(
    base_url: str, uids_file: Path, prefix: str, seconds: int, cpus: frozenset[int] | None = None
) -> WrkResult:
    cmd = [
        ensure_wrk(),
        "-t",
        str(THREADS),
        "-c",
        str(CONNECTIONS),
        "-d",
        f"{seconds}s",
        "--latency",
        "-s",
        str(SCRIPT),
        base_url,
        "--",
        str(uids_file),
        prefix,
    ]
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, preexec_fn=pin_to(cpus)
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    line = next((ln for ln in text.splitlines() if ln.startswith("WRK_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{text}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return WrkResult(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["status_errors"] + data["socket_errors"],
    )
