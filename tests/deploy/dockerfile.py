"""The Dockerfile read as its instructions, stage by stage (line continuations joined)."""

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, arguments)

    def all(self, instruction: str) -> list[str]:
        return [arguments for name, arguments in self.instructions if name == instruction]

    def last(self, instruction: str) -> str | None:
        found = self.all(instruction)
        return found[-1] if found else None


def instructions(text: str) -> list[tuple[str, str]]:
    joined, logical = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        joined.append(logical + stripped)
        logical = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in joined]


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    found: list[Stage] = []
    for name, arguments in instructions(path.read_text()):
        if name == "FROM":
            words = arguments.split()
            found.append(Stage(words[0], words[2] if len(words) > 2 and words[1].upper() == "AS" else None))
        elif found:
            found[-1].instructions.append((name, arguments))
    return found


def exec_form(arguments: str) -> list[str]:
    """``["a", "b"]`` as a list; the shell form as its words."""
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def copied_sources(stage: Stage) -> list[str]:
    """What the stage COPYs from the build context (not ``--from`` another stage)."""
    sources = []
    for arguments in stage.all("COPY"):
        words = [word for word in shlex.split(arguments) if not word.startswith("--")]
        if "--from=" not in arguments:
            sources += [word.rstrip("/") for word in words[:-1]]
    return sources
