"""The ``orders`` command: serve, migrate, produce, dlq, dev."""

import argparse
import sys

from pydantic import ValidationError

from app.entrypoints import dlq_command, logging_setup
from app.entrypoints.command_connections import Unreachable, migrate_database
from app.entrypoints.event_loop import run_async
from app.entrypoints.log_redaction import url_passwords
from app.entrypoints.settings import Settings
from app.entrypoints.terminal_text import printable


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orders", description="Order service: ingest, store, cache, serve.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the consumer and the web app (needs NATS_URL, DATABASE_URL)")
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        default=None,
        help="processes serving the one port, each a full instance (default: HTTP_WORKERS, 1)",
    )
    commands.add_parser("dev", help="run everything, starting embedded NATS/PostgreSQL when not configured")
    migrate = commands.add_parser("migrate", help="apply the database migrations (needs DATABASE_URL)")
    migrate.add_argument(
        "--rollback",
        type=int,
        metavar="N",
        nargs="?",
        const=1,
        help="roll back the N most recent migrations instead (default 1)",
    )
    produce = commands.add_parser("produce", help="publish orders to JetStream (needs NATS_URL)")
    produce.add_argument("files", nargs="*", help="JSON files of orders ('-' for stdin); none: generate")
    produce.add_argument("--count", type=int, default=100, help="orders to generate (default 100)")
    produce.add_argument("--rate", type=float, default=None, help="messages per second (default: unlimited)")
    produce.add_argument("--invalid-ratio", type=float, default=0.0, help="share of invalid messages, 0..1")
    produce.add_argument("--duplicate-ratio", type=float, default=0.0, help="share of re-sent orders, 0..1")
    produce.add_argument("--concurrency", type=int, default=256, help="publishes in flight (default 256)")
    produce.add_argument("--seed", type=int, default=None, help="seed for reproducible orders")
    dlq_command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as invalid:  # a setting to fix: one line each, not a traceback
        for error in invalid.errors(include_input=False):
            name = "_".join(str(part) for part in error["loc"]).upper()
            print(f"orders {args.command}: {name}: {error['msg']}", file=sys.stderr)
        return 2
    logging_setup.configure(settings.log_level, settings.log_format, _secrets(settings))
    try:
        return _run(args, settings)
    except Unreachable as unreachable:  # expected trouble: one line, no traceback
        print(f"orders {args.command}: {printable(str(unreachable))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C
        return 130


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        return _serve(settings, args.workers)
    elif args.command == "dev":
        try:
            from app.entrypoints.dev import run_dev
        except ModuleNotFoundError as missing:
            print(f"orders dev needs the embedded servers ({missing}): install order-service[dev]", file=sys.stderr)
            return 2
        run_dev(settings)
    elif args.command == "migrate":
        return _migrate(settings, args.rollback)
    elif args.command == "dlq":
        return run_async(dlq_command.dlq_command(settings, args))
    elif args.command == "produce":
        from app.entrypoints.produce_command import produce_command

        return run_async(produce_command(settings, args))
    return 0


def _secrets(settings: Settings) -> list[str]:
    """What no log line may show: the API tokens, the passwords in the servers' URLs."""
    from app.entrypoints.web.api_access import read_tokens

    try:
        tokens = read_tokens(settings.api_tokens, settings.api_tokens_file)
    except SystemExit:  # an unreadable API_TOKENS_FILE: `orders serve` says so as it starts
        tokens = read_tokens(settings.api_tokens, None)
    return tokens + url_passwords(settings.nats_url, settings.database_url)


def _serve(settings: Settings, workers: int | None) -> int:
    workers = settings.http_workers if workers is None else workers
    if workers < 1:
        print("orders serve --workers needs at least 1", file=sys.stderr)
        return 2
    if workers == 1:
        from app.entrypoints.runner import run_service

        run_async(run_service(settings))
    else:
        from app.entrypoints.workers import serve_with_workers

        serve_with_workers(settings, workers)
    return 0


def _migrate(settings: Settings, rollback: int | None) -> int:
    if not settings.database_url:
        print("orders migrate needs DATABASE_URL", file=sys.stderr)
        return 2
    done = migrate_database(settings, rollback)
    verb = "rolled back" if rollback else "applied"
    print(f"{verb}: {', '.join(done) if done else 'nothing to do'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
