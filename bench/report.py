"""The results table, the machine it ran on, and docs/benchmarks.md."""

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import asyncpg
import nats

from app.entrypoints.connections import server_list

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = Path(__file__).with_name("README.md")


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    ceiling: str = "—"
    ratio: str = "—"
    target: str = "—"
    ok: bool | None = None  # None: no target (information only)

    @property
    def verdict(self) -> str:
        return "n/a" if self.ok is None else ("PASS" if self.ok else "FAIL")


def table(rows: list[Row]) -> str:
    head = ("Figure", "Service", "Ceiling (same run)", "Ratio", "Target", "Result")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += [f"| {r.figure} | {r.value} | {r.ceiling} | {r.ratio} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
        return out.split()[1] if out else "unknown"
    except (OSError, IndexError):
        return "unknown"


async def machine(nats_url: str, database_url: str) -> dict[str, str]:
    nc = await nats.connect(server_list(nats_url), name="bench-info")
    try:
        nats_version = str(nc.connected_server_version)
    finally:
        await nc.close()
    conn = await asyncpg.connect(database_url)
    try:
        pg_version = await conn.fetchval("SHOW server_version")
        pg_durability = await conn.fetchval(
            "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings"
            " WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers')"
        )
    finally:
        await conn.close()
    libs = ", ".join(
        f"{name} {version(name)}" for name in ("aiohttp", "uvloop", "asyncpg", "nats-py", "orjson", "pydantic")
    )
    return {
        "CPU": f"{os.cpu_count()} cores, {_cpu_model()}",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "Libraries": libs,
        "nats-server": nats_version,
        "PostgreSQL": f"{pg_version} ({pg_durability})",
        "wrk": _wrk_version(),
    }


STEAL_WARNING = 0.05  # of the machine's CPU time taken by a VM's host: the figures then vary run to run


def _proc_stat() -> tuple[float, float, float]:
    """(busy, steal, wall) seconds so far from /proc/stat: the machine's CPU time spent working, the CPU
    time a VM's host took from it (steal: a CPU was ready to run, the host ran something else), wall time."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    tick = os.sysconf("SC_CLK_TCK")
    busy = user + nice + system + irq + softirq
    return busy / tick, steal / tick, (busy + idle + iowait + steal) / tick / (os.cpu_count() or 1)


def busy_seconds() -> tuple[float, float]:
    """(machine CPU seconds busy so far, wall seconds); time taken by a VM's host is not busy."""
    busy, _, wall = _proc_stat()
    return busy, wall


class OtherLoad:
    """How much CPU the rest of the machine used while the bench ran (our children counted once reaped),
    and how much a VM's host took from it."""

    def __init__(self) -> None:
        self._busy, self._steal, self._wall = _proc_stat()
        self._ours = sum(os.times()[:4])

    def steal_share(self) -> float:
        """The share of the machine's CPU time a VM's host has taken since the start."""
        _, steal, wall = _proc_stat()
        offered = (wall - self._wall) * (os.cpu_count() or 1)
        return (steal - self._steal) / offered if offered else 0.0

    def describe(self) -> str:
        busy, steal, wall = _proc_stat()
        other = max(busy - self._busy - (sum(os.times()[:4]) - self._ours), 0.0)
        steal, wall = steal - self._steal, wall - self._wall
        offered = wall * (os.cpu_count() or 1)
        share = self.steal_share()
        text = (
            f"other processes used {other:.0f} CPU-s of the machine's {offered:.0f}"
            f" ({other / offered if offered else 0:.0%}) and the VM's host took {steal:.0f}"
            f" ({share:.0%}, steal) during the {wall:.0f} s run; figures are taken in turns with"
            " their ceilings (bench/README.md), but a busy machine still widens the spread"
        )
        if share > STEAL_WARNING:
            text += "; with this much steal they say more about the host than about the code: run again later"
        return text


def write_doc(rows: list[Row], details: dict[str, str], notes: list[str], path: Path = DOC) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [HEADER.read_text().rstrip(), "", f"## Latest run ({when})", "", table(rows), "", "Machine:", ""]
    parts += [f"- **{k}**: {v}" for k, v in details.items()]
    if notes:
        parts += ["", "Details:", ""] + [f"- {n}" for n in notes]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n")
