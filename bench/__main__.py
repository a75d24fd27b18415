"""`make bench` / `python -m bench`: the service's figures against ceilings measured in the same run.

Prints the table, writes it with the machine's details to docs/benchmarks.md
and exits 1 when a target is missed. See bench/README.md.
"""

import argparse
import asyncio
import contextlib
import functools
import signal
import sys
import tempfile
import time
from pathlib import Path

import nats
import uvloop
from nats.js.errors import NotFoundError

from app.entrypoints.connections import server_list
from app.entrypoints.settings import Settings
from bench import growth_phase, lookup_phases, replay_phase, soak, storage_phases, worker_phases
from bench.infra import fresh_database, new_tag, servers, service_env
from bench.profile import Profiler
from bench.report import DOC, STEAL_WARNING, OtherLoad, Row, machine, table, write_doc
from bench.run import Run, required
from bench.wrk import ensure_wrk


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders to ingest and warm (100000)")
    parser.add_argument("--lookups", type=int, default=10_000, help="distinct uids wrk asks for (10000)")
    parser.add_argument(
        "--only",
        choices=("ingest", "storage", "workers", "soak", "growth", "replay"),
        help="stop after ingest (or ingest and warm-up), or run only the cached lookup with workers (after"
        " ingesting --orders), or only the soak, the growth or the replay: quicker runs while working on"
        " them; the doc is left alone",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="with --only workers: one round of 1-s wrk runs, to check the phase's code path (figures meaningless)",
    )
    parser.add_argument("--soak-seconds", type=float, default=600.0, help="how long the soak runs (600: 10 minutes)")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record py-spy profiles of each phase into DIR (does not rewrite the doc)",
    )
    args = parser.parse_args()
    if args.quick and args.only != "workers":
        parser.error("--quick goes with --only workers")
    return args


def _settings(nats_url: str, database_url: str) -> tuple[Settings, dict[str, str]]:
    """The env the service gets, with pool and batch sizes spelled out so the ceilings can match them."""
    defaults = Settings(_env_file=None)
    env = service_env(nats_url, database_url, new_tag())
    env |= {"DB_POOL_SIZE": str(defaults.db_pool_size), "INGEST_BATCH_SIZE": str(defaults.ingest_batch_size)}
    return Settings.model_validate({k.lower(): v for k, v in env.items()}), env


async def _drop_streams(settings: Settings) -> None:
    nc = await nats.connect(server_list(required(settings.nats_url)), name="bench-cleanup")
    try:
        js = nc.jetstream()
        for stream in (settings.orders_stream, settings.dlq_stream):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(stream)
    finally:
        await nc.close()


async def _bench(args: argparse.Namespace, work_dir: Path) -> int:
    # SIGTERM unwinds like Ctrl-C: the servers and processes the run started are stopped on the way out.
    this = asyncio.current_task()
    assert this is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, this.cancel)
    load = OtherLoad()
    with servers(work_dir) as found:
        async with fresh_database(found.postgres_url) as database_url:
            settings, env = _settings(found.nats_url, database_url)
            details = await machine(found.nats_url, database_url)
            run = Run(settings, env, work_dir, Profiler(args.profile), args.orders, args.lookups)
            if args.quick:
                run.wrk_seconds, run.warm_seconds, run.worker_rounds = 1, 0, 1
            rows = []
            try:
                phases = (
                    ("ingest", storage_phases.ingest),
                    ("warm-up", storage_phases.warm_up),
                    ("uncached lookup + memory", lookup_phases.uncached),
                    ("cached lookup + page", lookup_phases.cached),
                    ("cached lookup, workers = cores", worker_phases.workers),
                    ("growth: warm-up at 1M stored", growth_phase.growth),
                    ("dead-letter replay", replay_phase.replay),
                    ("soak", functools.partial(soak.soak, seconds=args.soak_seconds)),
                )
                chosen = {
                    None: phases,
                    "storage": phases[:2],
                    "ingest": phases[:1],
                    "workers": phases[4:5],
                    "growth": phases[5:6],
                    "replay": phases[6:7],
                    "soak": phases[7:],
                }
                for name, phase in chosen[args.only]:
                    print(f"== {name}", flush=True)
                    started = time.perf_counter()
                    result = await phase(run)
                    rows += [result] if isinstance(result, Row) else list(result)
                    print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
            finally:
                await _drop_streams(settings)
    run.note(load.describe())
    rows.sort(key=lambda row: row.figure)
    print("\n" + table(rows) + "\n")
    for key, value in details.items():
        print(f"{key}: {value}")
    if args.profile is None and args.only is None:
        write_doc(rows, details, run.notes)
        print(f"\nwritten to {DOC}")
    elif args.profile is not None:
        print(f"\nprofiles in {args.profile} (figures perturbed by sampling; {DOC.name} left as it was)")
    steal = load.steal_share()
    if steal > STEAL_WARNING:
        print(
            f"WARNING: the VM's host took {steal:.0%} of its CPU time during the run (steal);"
            " the figures are not reliable: run again when the host is quieter",
            file=sys.stderr,
        )
    failed = [row.figure for row in rows if row.ok is False]
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
    return 1 if failed else 0


def main() -> int:
    args = _arguments()
    if args.only not in ("soak", "growth", "replay"):  # these send no requests with wrk
        ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="orders-bench-") as tmp:
        try:
            return uvloop.run(_bench(args, Path(tmp)))
        except asyncio.CancelledError:
            print("stopped by SIGTERM", file=sys.stderr)
            return 128 + signal.SIGTERM


if __name__ == "__main__":
    sys.exit(main())
