"""Grading one job: build the program, run its tests, compare, and answer one verdict."""

from __future__ import annotations

import ast
import base64
import marshal
import os
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from .checker import PY, Checkers
from .compare import clip, outputs_match, show, values_match
from .files import read_inside, write_file
from .languages import LANGUAGES
from .workdir import Snapshot

Json = dict[str, Any]
# The harness programs run as ``python3 -c <text>``: read once, kept in the runner's memory.
HARNESSES = {kind: (Path(__file__).parent / f"harness_{kind}.py").read_text()
             for kind in ("assert", "call")}


class Runner(Checkers):
    """Grades jobs (see ``sandbox.jobs.CodeJob`` for their shape), one at a time."""

    warm_job = False
    warm_script: str | None = None

    def grade(self, job: Json) -> Json:
        lang, tests, lim, code = job["language"], job["tests"], job["limits"], job["code"]
        if lang not in LANGUAGES:
            return {"verdict": "sandbox_error", "message": f"unsupported language {lang!r}"}
        spec = LANGUAGES[lang]
        src, mem_kind = spec.source, spec.memory
        compiles = [list(c) for c in spec.compile]
        run_cmd = [PY[0] if a == "python3" else a for a in spec.run]
        if lang == "java":
            name = java_main_class(code)
            src, run_cmd = name + ".java", run_cmd[:-1] + [name]
            compiles = [c[:-1] + [src] for c in compiles]
        work = os.path.join(self.root, "job-" + secrets.token_hex(4))
        os.mkdir(work, 0o755)
        if self.drop_uid is not None:
            os.chown(work, self.drop_uid, self.drop_uid)
        for name, blob in (tests.get("files") or {}).items():
            write_file(work, name, base64.b64decode(blob))
        write_file(work, src, code.encode())
        t0 = time.monotonic()
        out = {"compile_output": "", "timings": {}, "passed": 0, "total": self.count(tests)}
        failed = None
        if lang == "python":  # a syntax error is this language's compile error
            try:
                compile(code, "main.py", "exec", dont_inherit=True)
            except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as e:
                out["compile_output"], failed = f"{type(e).__name__}: {e}", "syntax error"
        for cmd in compiles if failed is None else []:
            c_cpu = lim["compile_time_s"]
            r = self.run(cmd, work, b"", c_cpu, c_cpu * 2 + 5, lim["compile_memory_mb"], "vm",
                         lim, lim["compile_processes"])
            out["compile_output"] = clip((r["stdout"].decode("utf-8", "replace") + r["stderr"])
                                         .strip(), 4000)
            bad, why = self.classify(r, c_cpu, 0)
            if bad:
                failed = f"compilation failed: {why}"
                break
        out["timings"]["compile_s"] = round(time.monotonic() - t0, 4)
        if failed:
            return dict(out, verdict="compile_error", message=failed)
        mem = lim["memory_mb"]
        argv = [a.replace("{mem}", str(mem)) for a in run_cmd]
        self.env["GOMEMLIMIT"] = f"{mem}MiB"
        checker = None
        if tests.get("checker"):  # built before the program ever runs, kept in our memory
            checker, why = self.build_checker(tests["checker"], lim)
            if checker is None:
                return dict(out, verdict="invalid_checker", message=why)
        # Python forks from the warm zygote when it is already up, or when enough tests
        # repay starting it; each test still gets its own fresh process.
        self.warm_script, self.warm_forks = None, 0
        self.warm_job = lang == "python" and (self.zygote.pid is not None or out["total"] >= 3)
        if self.warm_job:
            script = os.path.join(work, src)
            self.warm_job = self.zygote.begin_job(
                script if tests["type"] in ("stdin_stdout", "run") else None)
            self.warm_script = script
        if tests["type"] == "run":
            out.update(self.run_once(tests, argv, work, mem_kind, lim))
        else:
            out.update(self.run_tests(job, tests, argv, work, mem_kind, lim, checker))
        out["timings"]["run_s"] = round(time.monotonic() - t0 - out["timings"]["compile_s"], 4)
        out["timings"]["warm_forks"] = self.warm_forks  # processes forked from the zygote
        return out

    def warm(self, kind: str) -> tuple[str, str | None] | None:
        """``run``'s ``warm`` argument for this job's Python processes of ``kind``."""
        return (kind, self.warm_script) if self.warm_job else None

    def warm_up(self) -> None:
        """Between jobs: have the zygote start (imports) while no job waits for it."""
        self.zygote.start()

    @staticmethod
    def count(tests: Json) -> int:
        if tests["type"] in ("assert", "run"):
            return len(tests.get("asserts") or []) or 1
        return len(tests["cases"])

    def run_once(self, tests: Json, argv: list[str], work: str, mem_kind: str, lim: Json) -> Json:
        """Run with stdin and report raw output (SandboxFusion's run_code)."""
        cpu, mem = lim["time_s"], lim["memory_mb"]
        r = self.run(argv, work, tests["stdin"].encode(), cpu, lim["wall_time_s"], mem,
                     mem_kind, lim, lim["processes"], warm=self.warm("script"))
        bad, why = self.classify(r, cpu, mem)
        files = {}
        for name in tests.get("fetch_files") or []:
            data = read_inside(work, name, lim["output_bytes"])
            if data is not None:
                files[name] = base64.b64encode(data).decode()
        code = os.WEXITSTATUS(r["status"]) if os.WIFEXITED(r["status"]) else -os.WTERMSIG(
            r["status"])
        return {"verdict": bad or "pass", "passed": int(bad is None), "message": why,
                "run": {"status": bad or "pass", "return_code": code, "time_s": round(r["wall"], 4),
                        "stdout": r["stdout"].decode("utf-8", "replace"), "stderr": r["stderr"],
                        "files": files}}

    def payload(self, job: Json, tests: Json, case: Json, nonce: str, stop: bool) -> bytes:
        p = {"code": job["code"], "nonce": nonce}
        if tests["type"] == "call":
            if tests.get("prelude"):  # the imports the dataset's own grader puts first
                p["code"] = tests["prelude"] + "\n" + job["code"]
            p.update(fn_name=tests["fn_name"], args=case["args"], kwargs=case.get("kwargs") or {})
        else:
            p.update(test_code=tests.get("code") or "", asserts=tests.get("asserts") or [],
                     entry_point=tests.get("entry_point"), stop=stop)
        return marshal.dumps(p)

    def run_tests(self, job: Json, tests: Json, argv: list[str], work: str, mem_kind: str,
                  lim: Json, checker: Json | None = None) -> Json:
        kind, stop, total = tests["type"], job.get("stop_on_failure", True), self.count(tests)
        statuses, first, deadline = [], None, time.monotonic() + lim["total_time_s"]
        scores: list[float] = []  # per test run: 1 pass, 0 fail, a checker's partial points
        cpu, wall, mem = lim["time_s"], lim["wall_time_s"], lim["memory_mb"]
        scale = total if kind == "assert" else 1  # one process runs every assert
        cases, subtasks = tests.get("cases") or [None], tests.get("subtasks") or []
        # IOI subtasks: each runs its tests in order and stops at its first zero; a test shared
        # by several subtasks runs once. Without subtasks: every test in order.
        plan = [(k, i) for k, st in enumerate(subtasks) for i in st["tests"]] or [
            (None, i) for i in range(len(cases))]
        ran: dict[int, tuple[str, float]] = {}  # case index -> (status, score)
        dead: set[int] = set()  # subtasks with a test that scored 0
        # Every test starts from the files the first one found (see workdir.py).
        try:
            start = Snapshot(self.writable_places()) if len(plan) > 1 else None
        except OSError:
            start = None
        times: list[float] = []  # per test run: seconds since the previous one ended
        mark = time.monotonic()
        for sub, idx in plan:
            if sub in dead:
                continue
            if idx in ran:
                if ran[idx][1] <= 0:
                    dead.add(sub)
                continue
            case = cases[idx]
            if start is not None and ran:
                start.restore()
                if self.mode == "container":  # SysV IPC too: nothing carries to the next test
                    self.clear_ipc()
            if time.monotonic() > deadline:
                statuses.append("timeout")
                scores.append(0.0)
                times.append(round(time.monotonic() - mark, 4))
                mark = time.monotonic()
                ran[idx] = ("timeout", 0.0)
                first = first or {"input": None, "expected": None, "got": "job time limit exceeded"}
                if sub is not None:
                    dead.add(sub)
                elif stop:
                    break
                continue
            nonce, score, judged = secrets.token_hex(16), 1.0, None
            if kind == "stdin_stdout":
                argv_t, data = argv, case["input"].encode()
            else:
                harness = HARNESSES[kind]
                # -P: the tests' process never imports from the work dir the program writes
                isolate = ["-P"] if kind == "assert" and sys.version_info >= (3, 11) else []
                argv_t = PY + isolate + ["-c", harness]
                data = self.payload(job, tests, case, nonce, stop)
            r = self.run(argv_t, work, data, cpu * scale, wall * scale, mem, mem_kind, lim,
                         lim["processes"], kind != "stdin_stdout",
                         warm=self.warm("script" if kind == "stdin_stdout" else kind))
            bad, why = self.classify(r, cpu * scale, mem)
            got = r["stdout"].decode("utf-8", "replace")
            events = self.events(r["result"], nonce)
            fails = [e for e in events if e.get("k") in ("fail", "error")]
            done = any(e.get("k") == "done" for e in events)
            if kind == "assert":
                n_pass = min(total, sum(e.get("k") == "pass" for e in events))
                if not tests.get("asserts"):
                    n_pass = int(done and not fails and bad is None)
                if bad in (None, "runtime_error") and fails:
                    bad, why = self.harness_failure(fails)
                elif bad is None and not done:
                    bad, why = "runtime_error", "exited before the tests completed"
                statuses += ["pass"] * n_pass + [bad or "wrong_answer"] * (total - n_pass)
                if bad or fails:
                    f = fails[0] if fails else {}
                    first = {"input": f.get("where"), "expected": None,
                             "got": f.get("error") or self.explain(why, r)}
                break
            if kind == "call":
                res = [e for e in events if e.get("k") == "result"]
                if bad in (None, "runtime_error") and fails:
                    bad, why = self.harness_failure(fails)
                elif bad is None and not res:
                    bad, why = "runtime_error", "exited before the tests completed"
                elif bad is None and not values_match(res[-1].get("value"), case["expected"], dict(
                        tests["compare"], unwrap_singleton=tests.get("unwrap_singleton"))):
                    bad, got = "wrong_answer", show(res[-1].get("value"))
            elif bad is None and checker is not None:
                status, score, said = self.check(checker, data, r["stdout"], case["output"], lim)
                if status != "pass":
                    bad, why = status, said
                    judged = said
            elif bad is None and not outputs_match(got, case["output"], tests["compare"]):
                bad = "wrong_answer"
            scores.append(score if bad in (None, "partial") else 0.0)
            statuses.append(bad or "pass")
            times.append(round(time.monotonic() - mark, 4))
            mark = time.monotonic()
            ran[idx] = (bad or "pass", scores[-1])
            if bad and first is None:
                shown, exp = (case.get("args"), case.get("expected")) if kind == "call" else (
                    case["input"], case["output"])
                if kind == "call":
                    shown, exp = show(shown), show(exp)
                first = {"input": shown, "expected": exp,
                         "got": got if bad in ("wrong_answer", "partial", "checker_error")
                         else self.explain(why, r)}
                if judged is not None:
                    first["checker"] = judged
            if sub is not None:
                if scores[-1] <= 0:
                    dead.add(sub)
            elif bad and stop:
                break
        passed = statuses.count("pass")
        bad = next((s for s in statuses if s != "pass"), None)
        if first:
            first = {k: clip(v, job.get("truncate", 1000)) for k, v in first.items()}
        out = {"verdict": bad or ("pass" if passed == total else "wrong_answer"),
               "passed": passed, "total": total, "first_failure": first, "tests": statuses,
               "test_times": times}
        if checker is not None:
            out["scores"] = [round(x, 6) for x in scores]
        if subtasks:  # per case in order ("skipped": its subtasks had already failed)
            out["tests"] = [ran[i][0] if i in ran else "skipped" for i in range(len(cases))]
            out["subtasks"] = [0.0 if k in dead else min(ran[i][1] for i in st["tests"])
                               for k, st in enumerate(subtasks)]
            if checker is not None:
                out["scores"] = [round(ran[i][1], 6) if i in ran else 0.0
                                 for i in range(len(cases))]
        return out

    @staticmethod
    def explain(why: str, r: Json) -> str:
        return (why + ("\n" + r["stderr"] if r["stderr"] else "")).strip()

    @staticmethod
    def events(raw: bytes, nonce: str) -> list[Json]:
        """Parse the harness's reports; lines without this run's nonce are ignored."""
        out = []
        for line in raw.decode("utf-8", "replace").splitlines():
            try:
                n, e = ast.literal_eval(line)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            if n == nonce and isinstance(e, dict):
                out.append(e)
        return out

    @staticmethod
    def harness_failure(fails: list[Json]) -> tuple[str, str]:
        """Verdict from the harness's own report: failed assert, exception, memory."""
        e = fails[0]
        msg = str(e.get("error") or "")
        if "MemoryError" in msg:
            return "memory_limit", msg
        if e.get("k") == "fail" and msg.startswith("AssertionError"):
            return "wrong_answer", msg
        return "runtime_error", msg


    def handle(self, job: Json) -> Json:
        t0 = time.monotonic()
        try:
            res = self.grade(job)
        except Exception as e:  # noqa: BLE001 - the host gets a sandbox_error, never silence
            res = {"verdict": "sandbox_error", "message": f"runner failure: {e!r}"}
        res["anomaly"] = self.cleanup()
        res.setdefault("timings", {})["total_s"] = round(time.monotonic() - t0, 4)
        res["id"] = job.get("id")
        return res


def java_main_class(code: str) -> str:
    """javac wants the file named after the public class; java wants the class with main."""
    found = re.search(r"public\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)", code)
    if found:
        return found.group(1)
    main = code.find("static void main")
    names = re.findall(r"\bclass\s+([A-Za-z_$][\w$]*)", code[:main] if main >= 0 else code)
    return names[-1] if names else "Main"


