"""Special judges: a checker program per problem, built once per job, run after each test
with testlib's protocol (``checker input output answer`` -> exit code)."""

from __future__ import annotations

import os
import re
import secrets
import sys
from typing import Any

from .compare import clip
from .files import write_file
from .process import Processes

Json = dict[str, Any]
PY = [sys.executable or "/usr/bin/python3", "-s"]
POINTS = re.compile(r"\s*(?:points\s+)?([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


class Checkers(Processes):
    def build_checker(self, spec: Json, lim: Json) -> tuple[Json | None, str]:
        """Compile a checker once per job; its program bytes stay in the runner's memory and
        are written afresh for every check, so nothing the program did can alter it."""
        if spec["language"] == "python":
            return {"spec": spec, "name": "checker.py", "blob": spec["source"].encode()}, ""
        cdir = self.fresh_dir("chkbuild-")
        try:
            for name, text in (spec.get("files") or {}).items():
                write_file(cdir, name, text.encode())
            write_file(cdir, "checker.cpp", spec["source"].encode())
            c_cpu = lim["compile_time_s"]
            r = self.run(["g++", "-O2", "-std=gnu++17", "-o", "checker", "checker.cpp"], cdir,
                         b"", c_cpu, c_cpu * 2 + 5, lim["compile_memory_mb"], "vm", lim,
                         lim["compile_processes"])
            bad, why = self.classify(r, c_cpu, 0)
            if bad:
                text = (r["stdout"].decode("utf-8", "replace") + r["stderr"]).strip()
                return None, clip(f"checker did not compile ({why}):\n{text}", 4000) or ""
            with open(os.path.join(cdir, "checker"), "rb") as f:
                return {"spec": spec, "name": "checker", "blob": f.read()}, ""
        finally:
            self.remove(cdir)

    def fresh_dir(self, prefix: str) -> str:
        path = os.path.join(self.root, prefix + secrets.token_hex(4))
        os.mkdir(path, 0o755)
        if self.drop_uid is not None:
            os.chown(path, self.drop_uid, self.drop_uid)
        return path

    def check(self, checker: Json, data: bytes, got: bytes, answer: str, lim: Json,
              ) -> tuple[str, float, str]:
        """Run ``checker input output answer`` (testlib's protocol) after the program and
        all its processes are gone. Exit 0 accepted, 1 wrong answer, 2 presentation error,
        7 partial (points in [0, 1] on its first output line: ``points 0.5`` or ``0.5``),
        anything else (3 = testlib's fail, a crash, a limit) a checker error.
        Returns (test status, score in [0, 1], the checker's message)."""
        spec, cdir = checker["spec"], None
        try:
            cdir = self.fresh_dir("chk-")
            write_file(cdir, "input.txt", data)
            write_file(cdir, "output.txt", got)
            write_file(cdir, "answer.txt", answer.encode())
            write_file(cdir, checker["name"], checker["blob"])
            os.chmod(os.path.join(cdir, checker["name"]), 0o755)
        except OSError as e:  # only the program's files take the work dir's room
            if cdir is not None:
                self.remove(cdir)
            return "runtime_error", 0.0, f"no room left to check the output ({e.strerror})"
        try:
            files = ["input.txt", "output.txt", "answer.txt"]
            argv = (PY + ["checker.py"] if spec["language"] == "python" else ["./checker"])
            cpu, mem = spec["time_s"], spec["memory_mb"]
            r = self.run(argv + files, cdir, b"", cpu, 3 * cpu + 2, mem,
                         "interp" if spec["language"] == "python" else "native", lim,
                         lim["processes"])
        finally:
            self.remove(cdir)
        said = (r["stdout"].decode("utf-8", "replace") + "\n" + r["stderr"]).strip()
        st = r["status"]
        if r["why"] or r["cpu"] > cpu or not os.WIFEXITED(st) or r["oom"]:
            bad, why = self.classify(r, cpu, mem)
            return "checker_error", 0.0, f"checker failed: {why or 'killed'}; {said}".strip()
        code = os.WEXITSTATUS(st)
        if code == 0:
            return "pass", 1.0, said
        if code in (1, 2):
            return "wrong_answer", 0.0, ("presentation error: " if code == 2 else "") + said
        if code == 7:
            m = POINTS.match(said)
            if m:
                return "partial", min(1.0, max(0.0, float(m.group(1)))), said
            return "checker_error", 0.0, f"checker exit 7 without points: {said}"
        return "checker_error", 0.0, f"checker exit code {code}: {said}"

