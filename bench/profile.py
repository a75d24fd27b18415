"""`python -m bench --profile DIR`: py-spy records the service during each measured phase.

Each phase leaves DIR/PHASE.txt (py-spy's collapsed stacks, for flamegraph.pl or
speedscope) and DIR/PHASE-top.txt: the functions with the most samples, on
their own (self) and with what they call (total). Sampling perturbs the
figures a little, so a profiled run does not rewrite docs/benchmarks.md.
"""

import contextlib
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

RATE = 250  # samples per second


class Profiler:
    def __init__(self, out_dir: Path | None) -> None:
        self.out_dir = out_dir
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def phase(self, name: str, pid: int):
        if self.out_dir is None:
            yield
            return
        raw = self.out_dir / f"{name}.txt"
        proc = _attach(pid, raw)
        try:
            yield
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            if raw.exists():
                (self.out_dir / f"{name}-top.txt").write_text(summarize(raw))


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is missing: pip install -e '.[bench]'")
    return found


def _attach(pid: int, raw: Path) -> subprocess.Popen:
    """Start `py-spy record`; retry while the target's interpreter is still starting up."""
    cmd = [
        _py_spy(),
        "record",
        "--pid",
        str(pid),
        "--rate",
        str(RATE),
        "--format",
        "raw",
        "--function",
        "--nonblocking",
        "--output",
        str(raw),
    ]
    for _ in range(100):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.05)
        if proc.poll() is None:
            return proc
        time.sleep(0.05)
    error = proc.stderr.read().decode() if proc.stderr else ""
    raise RuntimeError(f"py-spy could not attach to {pid}: {error}")


def summarize(raw: Path, top: int = 30) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith("process ") and not f.startswith("thread ")]
        samples += n
        if frames:
            own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    lines = [f"{samples} samples"]
    for title, counter in (("self", own), ("total", total)):
        lines += ["", f"top {top} by {title}:"]
        lines += [f"{100 * n / samples:6.1f}%  {frame}" for frame, n in counter.most_common(top)]
    return "\n".join(lines) + "\n"
