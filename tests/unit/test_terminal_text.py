"""Control characters from elsewhere are printed as escapes, never raw."""

from app.entrypoints.terminal_text import printable


def test_control_characters_are_escaped_and_text_is_kept() -> None:
    assert printable("\x1b[2J\x07 bell\x00\x7f\x9b\u202eevil") == "\\x1b[2J\\x07 bell\\x00\\x7f\\x9b\\u202eevil"
    assert printable("a\tb\nc\rd") == "a\\tb\\nc\\rd", "a field stays on its line"
    assert printable("a\tb\nc\rd", lines=True) == "a\tb\nc\\rd", "a message's lines stay lines; CR is escaped"
    assert printable("é 東京 ✓ \\x1b") == "é 東京 ✓ \\x1b", "letters and backslashes as they are"
