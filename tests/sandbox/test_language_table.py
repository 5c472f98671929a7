"""One language table (sandbox/runner/languages.py): the server, the runner and the image agree.

The table-only checks need no Docker; the image checks run the built sandbox image itself:
its runner names the languages it grades and proves each toolchain runs, and Debian says each
package the table asks for is installed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import docker
import pytest

from reward_server.compat.sandboxfusion import COMPILED
from reward_server.rewards.code_blocks import _READS_STDIN
from sandbox.jobs import ALIASES, Language, normalize_language
from sandbox.runner import languages
from sandbox.runner.languages import LANGUAGES
from tests.sandbox.test_languages import PROGRAMS

ROOT = Path(__file__).resolve().parents[2]


def test_server_lists_come_from_the_table() -> None:
    assert [m.value for m in Language] == list(LANGUAGES)
    assert {a: lang.value for a, lang in ALIASES.items()} == {
        a: lang.name for lang in LANGUAGES.values() for a in lang.aliases}
    assert {m.value for m in COMPILED} == {n for n, lang in LANGUAGES.items() if lang.compiled}
    assert {m.value for m in _READS_STDIN} == set(LANGUAGES)
    for name, lang in LANGUAGES.items():
        assert normalize_language(name.upper()) == Language(name)
        for alias in lang.aliases:
            assert normalize_language(alias) == Language(name)


def test_every_language_has_its_verdict_programs() -> None:
    """Adding a language means adding its row to test_languages.py: five verdicts each."""
    assert set(PROGRAMS) == set(LANGUAGES)
    for progs in PROGRAMS.values():
        assert set(progs) == {"pass", "wrong_answer", "runtime_error", "compile_error", "timeout"}


def test_table_is_well_formed() -> None:
    for name, lang in LANGUAGES.items():
        assert lang.name == name and lang.source and lang.run and lang.apt and lang.probe
        assert lang.memory in ("native", "interp", "vm")
        assert re.compile(lang.reads_stdin).pattern
    assert languages.apt_packages()[0] == "python3"
    assert len(set(languages.apt_packages())) == len(languages.apt_packages())


def test_dockerfile_installs_from_the_table() -> None:
    """No package list of its own: the image asks the table (python3 is the runner's)."""
    dockerfile = (ROOT / "sandbox" / "images" / "Dockerfile").read_text()
    assert "$(python3 /tmp/languages.py apt)" in dockerfile
    installs = " ".join(re.findall(r"apt-get install[^\n]*", dockerfile))
    for package in languages.apt_packages()[1:]:
        assert not re.search(rf"(?<![\w-]){re.escape(package)}(?![\w-])", installs), package


@pytest.mark.docker
def test_image_runner_and_server_agree(docker_client: docker.DockerClient,
                                       sandbox_image: str) -> None:
    out = docker_client.containers.run(sandbox_image, ["--languages"], remove=True,
                                       network_disabled=True)
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert list(report["languages"]) == [m.value for m in Language]
    missing = {name: v for name, v in report["languages"].items() if not v}
    assert not missing, f"toolchains missing from the image: {missing}"
    packages = languages.apt_packages()
    listed = docker_client.containers.run(
        sandbox_image, ["-W", "-f", "${Package} ${db:Status-Abbrev}\\n", *packages],
        entrypoint="dpkg-query", remove=True, network_disabled=True).decode()
    installed = {line.split()[0] for line in listed.splitlines() if line.split()[1:2] == ["ii"]}
    assert installed == set(packages)
