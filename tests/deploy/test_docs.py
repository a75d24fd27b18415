"""docs/deployment.md lists every setting with its default, as Settings has it."""

import re
from pathlib import Path

from app.entrypoints.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
ROW = re.compile(r"^\| `([A-Z_]+)` \| ([^|]+) \|", re.MULTILINE)


def documented() -> dict[str, str]:
    return {name: default.strip() for name, default in ROW.findall(DOC.read_text())}


def test_every_setting_is_documented_with_its_default() -> None:
    rows = documented()
    assert set(rows) == {name.upper() for name in Settings.model_fields}
    for name, field in Settings.model_fields.items():
        shown = rows[name.upper()]
        if field.default is None:
            assert shown.startswith("—"), name
            continue
        value = shown.split()[0].strip("`")
        if isinstance(field.default, bool):
            assert value == str(field.default).lower(), name
        elif isinstance(field.default, str):
            assert value == field.default, name
        else:
            assert float(value) == field.default, name
