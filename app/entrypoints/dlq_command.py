"""``orders dlq list|show|replay|purge``: look after the dead letters (needs NATS_URL).

``list`` prints one line per dead letter (sequence, time, kind of reason, uid,
reason) and a count per kind; ``show SEQ`` its headers and bytes; ``replay``
sends the selected letters back to ingest once their cause is fixed; ``purge``
deletes them after a confirmation. Selectors: sequences, ``--reason KIND``,
``--since``/``--until`` (RFC 3339, or a span ago such as ``90m``, ``2h``, ``7d``),
or ``--all``.
"""

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TextIO

import orjson

from app.domain.rejections import REASON_KINDS
from app.entrypoints.settings import Settings
from app.entrypoints.terminal_text import printable, printable_json
from app.ports.dead_letter_archive import ArchiveUnavailable, DeadLetter
from app.service_layer.dead_letter_tools import DeadLetterTools, Selection, Settled

_SPAN = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def moment(text: str) -> datetime:
    """``--since``/``--until``: an RFC 3339 time (UTC if it has no offset) or a span ago."""
    span = _SPAN.fullmatch(text.strip())
    if span:
        return datetime.now(UTC) - timedelta(**{_UNITS[span[2]]: int(span[1])})
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time or a span ago (90m, 2h, 7d): {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    dlq = commands.add_parser("dlq", help="list, show, replay or purge dead letters (needs NATS_URL)")
    actions = dlq.add_subparsers(dest="dlq_action", required=True)
    listing = actions.add_parser("list", help="the dead letters and a count per kind of reason")
    _filters(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per line, then the counts")
    show = actions.add_parser("show", help="one dead letter's headers and bytes")
    show.add_argument("sequence", type=int)
    for name, what in (("replay", "send them back to ingest"), ("purge", "delete them")):
        action = actions.add_parser(name, help=f"the selected dead letters: {what}")
        action.add_argument("sequences", type=int, nargs="*", metavar="SEQ", help="these dead letters")
        _filters(action)
        action.add_argument("--all", action="store_true", help="every dead letter")
    actions.choices["purge"].add_argument("--yes", action="store_true", help="do not ask for a confirmation")


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", choices=REASON_KINDS, help="only this kind of reason")
    parser.add_argument("--since", type=moment, help="dead-lettered at or after (RFC 3339, or 90m, 2h, 7d ago)")
    parser.add_argument("--until", type=moment, help="dead-lettered at or before")


async def dlq_command(settings: Settings, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    if not settings.nats_url:
        print("orders dlq needs NATS_URL", file=sys.stderr)
        return 2
    # here, so that `orders --help` and the other commands do not load NATS
    from app.adapters.jetstream_dead_letter_archive import JetStreamDeadLetterArchive
    from app.entrypoints.command_connections import connect_nats

    selection = _selection(args)
    if selection is None:
        what = "name dead letters (SEQ…, --reason, --since, --until) or --all"
        print(f"orders dlq {args.dlq_action}: {what}", file=sys.stderr)
        return 2
    nc = await connect_nats(settings, "orders-dlq")
    try:
        archive = JetStreamDeadLetterArchive(nc.jetstream(), settings.dlq_stream, settings.orders_subject, nc=nc)
        return await _run(DeadLetterTools(archive), args, selection, out)
    except ArchiveUnavailable as error:
        print(
            f"the dead-letter stream {settings.dlq_stream!r} cannot be read: {printable(str(error))}", file=sys.stderr
        )
        return 1
    finally:
        await nc.drain()


def _selection(args: argparse.Namespace) -> Selection | None:
    """What the arguments select; None when replay or purge were given no selector at all."""
    sequences = tuple(getattr(args, "sequences", ()) or ())
    given = {name: getattr(args, name, None) for name in ("reason", "since", "until")}
    chosen = Selection(sequences, given["reason"], given["since"], given["until"])
    if args.dlq_action in ("replay", "purge") and not (sequences or chosen != Selection() or args.all):
        return None
    return chosen


async def _run(tools: DeadLetterTools, args: argparse.Namespace, selection: Selection, out: TextIO) -> int:
    if args.dlq_action == "list":
        listing = await tools.listing(selection)
        for letter in listing.letters:
            print(_json_line(letter) if args.json else _line(letter), file=out)
        counts = dict(listing.counts.most_common())
        if args.json:
            print(orjson.dumps({"counts": counts, "total": len(listing.letters)}).decode(), file=out)
        else:
            by_kind = "".join(f"; {kind or '?'}: {n}" for kind, n in counts.items())
            print(f"{len(listing.letters)} dead letters{by_kind}", file=out)
        return 0
    if args.dlq_action == "show":
        found = await tools.show(args.sequence)
        if found is None:
            print(f"no dead letter at sequence {args.sequence}", file=sys.stderr)
            return 1
        _show(found, out)
        return 0
    if args.dlq_action == "replay":
        from app.entrypoints.replay_progress import ReplayProgress  # tqdm: loaded when replaying only

        with ReplayProgress() as progress:
            settled = await tools.replay(selection, progress)
        return _report("replayed", settled, out)
    count = len((await tools.listing(selection)).letters)
    if not args.yes and not _confirmed(f"purge {count} dead letters? [y/N] "):
        print("nothing purged", file=out)
        return 1
    return _report("purged", await tools.purge(selection), out)


def _line(letter: DeadLetter) -> str:
    when = letter.time.strftime("%Y-%m-%d %H:%M:%S")
    kind, uid, reason = (printable(text) for text in (letter.kind or "?", letter.order_uid or "-", letter.reason))
    return f"{letter.sequence:>8}  {when}  {kind:<10}  {uid:<24}  {reason}"


def _json_line(letter: DeadLetter) -> str:
    fields = {
        "sequence": letter.sequence,
        "time": letter.time.isoformat().replace("+00:00", "Z"),
        "kind": letter.kind,
        "reason": letter.reason,
        "order_uid": letter.order_uid,
        "deliveries": letter.deliveries,
    }
    return printable_json(orjson.dumps(fields).decode())


def _show(letter: DeadLetter, out: TextIO) -> None:
    print(f"sequence: {letter.sequence}", file=out)
    print(f"time: {letter.time.isoformat().replace('+00:00', 'Z')}", file=out)
    for name, value in letter.headers.items():
        print(f"{printable(name)}: {printable(value)}", file=out)
    print(file=out)
    print(printable((letter.data or b"").decode("utf-8", "backslashreplace"), lines=True), file=out)


def _report(verb: str, settled: Settled, out: TextIO) -> int:
    for sequence in settled.done:
        replay_id = settled.replay_ids.get(sequence)
        print(f"{verb} {sequence}" + (f" as {replay_id}" if replay_id else ""), file=out)
    for sequence in settled.missing:
        print(f"no dead letter at sequence {sequence}", file=out)
    for sequence, why in settled.failed.items():
        print(f"left {sequence}: {printable(why)}", file=out)
    print(f"{verb} {len(settled.done)}, missing {len(settled.missing)}, left {len(settled.failed)}", file=out)
    return 1 if settled.failed or settled.missing else 0


def _confirmed(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:  # no one to ask
        return False
