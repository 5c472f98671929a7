"""The runner's protocol: JSON lines in on stdin, one JSON verdict line out per job.

``--serve`` answers for as long as stdin is open (``{"op": "ping"}`` gets a ``pong`` with
the protocol version); without it, one job line in, one verdict line out. ``--languages``
prints the language table's names with their toolchains' versions (None: missing).
"""

from __future__ import annotations

import json
import os
import signal
import sys

from .grade import Runner
from .languages import LANGUAGES
from .limits import RESET_SIGNALS

PROTOCOL = 1


def setup_self(mode: str) -> None:
    """Make the runner hard to tamper with: not ptrace-able, deaf to stray signals."""
    for s in RESET_SIGNALS:
        if s not in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(s, signal.SIG_IGN)
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE=0: /proc/<runner>/mem, environ, fd closed
        if mode == "process":
            libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans stay our children
    except (ImportError, OSError, AttributeError):
        pass


def toolchains() -> dict[str, str | None]:
    """Each language of the table -> its toolchain's first line of ``probe`` output, or None
    when the probe cannot run or fails (the image lacks that language)."""
    import subprocess

    found: dict[str, str | None] = {}
    for name, lang in LANGUAGES.items():
        try:
            p = subprocess.run(lang.probe, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            found[name] = None
            continue
        text = (p.stdout or p.stderr).strip().splitlines()
        found[name] = (text[0] if text else "") if p.returncode == 0 else None
    return found


def main(argv: list[str]) -> None:
    if "--languages" in argv:  # what this runner grades and whether each toolchain is here
        print(json.dumps({"protocol": PROTOCOL, "languages": toolchains()}))
        return
    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    mode = opts.get("mode") or ("container" if os.getpid() == 1 else "process")
    root, drop = opts.get("root", "/work"), opts.get("drop-uid")
    setup_self(mode)
    os.makedirs(root, exist_ok=True)
    runner = Runner(mode, root, int(drop) if drop else None)
    runner.zygote.enabled = opts.get("zygote", "on") != "off"
    out = sys.stdout.buffer
    if "--serve" not in argv:  # one job (one JSON line) on stdin, one verdict on stdout
        job = json.loads(sys.stdin.buffer.readline())
        out.write(json.dumps(runner.handle(job)).encode() + b"\n")
        out.flush()
        return
    runner.warm_up()
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError as e:
            reply = {"verdict": "sandbox_error", "message": f"bad job: {e}", "id": None}
        else:
            if msg.get("op") == "ping":
                reply = {"op": "pong", "protocol": PROTOCOL, "id": msg.get("id"),
                         "anomaly": runner.cleanup()}
            else:
                reply = runner.handle(msg)
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()
        runner.warm_up()

