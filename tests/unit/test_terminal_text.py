"""Control characters from elsewhere are printed as escapes, never raw."""

import orjson

from app.entrypoints.terminal_text import printable, printable_json


def test_control_characters_are_escaped_and_text_is_kept() -> None:
    assert printable("\x1b[2J\x07 bell\x00\x7f\x9b\u202eevil") == "\\x1b[2J\\x07 bell\\x00\\x7f\\x9b\\u202eevil"
    assert printable("a\tb\nc\rd") == "a\\tb\\nc\\rd", "a field stays on its line"
    assert printable("a\tb\nc\rd", lines=True) == "a\tb\nc\\rd", "a message's lines stay lines; CR is escaped"
    assert printable("é 東京 ✓ \\x1b") == "é 東京 ✓ \\x1b", "letters and backslashes as they are"


def test_a_json_line_keeps_its_meaning_with_every_control_character_escaped() -> None:
    line = orjson.dumps({"reason": "a\x1b\x9b\u202eb\x7f", "uid": "é"}).decode()
    safe = printable_json(line)
    assert safe == '{"reason":"a\\u001b\\u009b\\u202eb\\u007f","uid":"é"}'
    assert orjson.loads(safe) == orjson.loads(line)
