"""The graded languages: one table that every language list is derived from.

Stdlib only: the runner imports it inside the sandbox image, the server imports it as
``sandbox.runner.languages`` (the ``Language`` enum, fence-tag aliases, SandboxFusion's
compiled set, the stdin-reading patterns), and the image build runs it as a script to get the
Debian packages to install (``python3 languages.py apt``).

Adding a language is one entry here (plus its row in ``tests/sandbox/test_languages.py``):
the image installs its ``apt`` packages, the runner compiles and runs it, the server accepts
its name and aliases.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

PYTHON = ("python3", "-s")
_JAVA = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto")
_JAVA_RUN = _JAVA + ("-XX:ReservedCodeCacheSize=64m", "-XX:CompressedClassSpaceSize=64m",
                     "-Xss32m")


@dataclass(frozen=True)
class Lang:
    """How one language is built and run inside the sandbox.

    ``compile``: commands run once per job in the work dir (a syntax check counts).
    ``run``: the command per test; ``{mem}`` becomes the memory limit in MiB.
    ``memory``: how the memory limit is enforced. ``native``/``interp``: an address-space
    limit; ``vm``: a data-segment limit plus the runtime's own heap flag, for runtimes that
    reserve huge virtual ranges (JVM, V8, Go).
    ``compiled``: builds a binary (SandboxFusion reports a ``compile_result`` for it).
    ``apt``: Debian packages the image installs; ``probe``: a command that proves the
    toolchain is there (exit 0).
    ``reads_stdin``: a regex that says a program of this language reads standard input.
    """

    name: str
    source: str
    compile: tuple[tuple[str, ...], ...]
    run: tuple[str, ...]
    memory: str
    compiled: bool
    apt: tuple[str, ...]
    probe: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    reads_stdin: str = ""


LANGUAGES: dict[str, Lang] = {lang.name: lang for lang in (
    Lang("python", "main.py", (), PYTHON + ("main.py",), "interp", False,
         ("python3",), ("python3", "--version"), ("py", "python3", "py3"),
         r"\binput\s*\(|sys\.stdin|open\s*\(\s*0\b|fileinput|/dev/stdin"),
    Lang("c", "main.c", (("gcc", "-O2", "-std=gnu11", "-o", "main", "main.c", "-lm"),),
         ("./main",), "native", True, ("gcc", "libc6-dev"), ("gcc", "--version"), (),
         r"\bscanf\s*\(|\bgetchar\s*\(|\bfgets\s*\(|\bgetline\s*\(|\bread\s*\(\s*0"),
    Lang("cpp", "main.cpp", (("g++", "-O2", "-std=gnu++17", "-o", "main", "main.cpp"),),
         ("./main",), "native", True, ("g++",), ("g++", "--version"),
         ("c++", "cc", "cxx", "cpp17"),
         r"\bcin\b|\bscanf\s*\(|\bgetchar\s*\(|\bgetline\s*\(|\bfgets\s*\("),
    Lang("java", "Main.java",
         (("javac", "-encoding", "UTF-8", "-J-Xmx512m") + tuple("-J" + f for f in _JAVA)
          + ("Main.java",),),
         ("java", "-Xmx{mem}m") + _JAVA_RUN + ("-cp", ".", "Main"), "vm", True,
         ("default-jdk-headless",), ("javac", "-version"), (), r"System\.in\b"),
    Lang("javascript", "main.js", (("node", "--check", "main.js"),),
         ("node", "--max-old-space-size={mem}", "main.js"), "vm", False,
         ("nodejs",), ("node", "--version"), ("js", "node", "nodejs"),
         r"process\.stdin|readline|readFileSync\s*\(\s*(?:0|['\"]/dev/stdin)"),
    # Go 1.19 (bookworm) still ships the precompiled standard library: `go tool compile` and
    # `go tool link` need no writable build cache between jobs.
    Lang("go", "main.go", (("go", "tool", "compile", "-o", "main.o", "-p", "main", "main.go"),
                           ("go", "tool", "link", "-o", "main", "main.o")),
         ("./main",), "vm", True, ("golang-go",), ("go", "version"), ("golang",),
         r"os\.Stdin|fmt\.Scan"),
    Lang("rust", "main.rs", (("rustc", "-O", "--edition", "2021", "-o", "main", "main.rs"),),
         ("./main",), "native", True, ("rustc",), ("rustc", "--version"), ("rs",),
         r"\bstdin\s*\("),
    Lang("bash", "main.sh", (("bash", "-n", "main.sh"),), ("bash", "main.sh"), "interp", False,
         ("bash",), ("bash", "--version"), ("sh", "shell"),
         r"(?:^|[\s;|&(])(?:read|cat|mapfile|readarray)\b"),
)}


def apt_packages() -> list[str]:
    """Every Debian package the image needs, python3 (the runner's own) first, no repeats."""
    out = ["python3"]
    for lang in LANGUAGES.values():
        out += [p for p in lang.apt if p not in out]
    return out


if __name__ == "__main__":  # python3 languages.py apt|names
    what = sys.argv[1] if len(sys.argv) > 1 else "names"
    print(" ".join(apt_packages() if what == "apt" else LANGUAGES))
