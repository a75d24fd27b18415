"""``orders produce``: connect to NATS and publish generated or given orders."""

import argparse
import sys

from app.adapters.jetstream_order_publisher import JetStreamOrderPublisher
from app.entrypoints.command_connections import connect_nats
from app.entrypoints.producer import produce
from app.entrypoints.producer_messages import file_messages, generated_messages
from app.entrypoints.settings import Settings


async def produce_command(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.nats_url:
        print("orders produce needs NATS_URL (`make run` prints it)", file=sys.stderr)
        return 2
    if args.files:
        messages = file_messages(args.files)
    else:
        messages = generated_messages(args.count, args.invalid_ratio, args.duplicate_ratio, args.seed)
    nc = await connect_nats(settings, "orders-producer")
    try:
        publisher = JetStreamOrderPublisher(nc, subject=settings.orders_subject)
        report = await produce(
            publisher,
            messages,
            rate=args.rate,
            concurrency=args.concurrency,
            progress=sys.stderr.isatty(),
            out=sys.stdout,
        )
    finally:
        await nc.drain()
    print(
        f"published {report.published}, duplicates {report.duplicates}, failed {report.failed}",
        file=sys.stderr,
    )
    return 1 if report.failed else 0
