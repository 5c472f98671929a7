"""README's commands stay runnable: CI runs the "Test" lines verbatim, and the README walk
(scripts/readme_walk.py) has a rule for every other command."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _walker():  # scripts/ is not a package
    spec = importlib.util.spec_from_file_location("readme_walk", ROOT / "scripts/readme_walk.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_ci_runs_exactly_the_readme_test_lines() -> None:
    walk = _walker()
    readme = [c.text for c in walk.readme_commands((ROOT / "README.md").read_text())
              if c.section == "Test"]  # fmt: skip
    ci = (ROOT / ".ci/run").read_text()
    block = re.search(r"# BEGIN README TEST\n(.*?)# END README TEST", ci, re.S)
    assert block, ".ci/run lost its README TEST markers"
    assert block.group(1).splitlines() == readme
    assert 2 <= len(readme) <= 3


def test_every_readme_command_has_a_walk_rule(tmp_path: Path) -> None:
    walk = _walker()
    commands = walk.readme_commands((ROOT / "README.md").read_text())
    walker = walk.Walk(tmp_path, tmp_path / ".venv", docker=True)
    plans = [walker.rule(c)[0] for c in commands]  # raises on a command without a rule
    ran = [c.text for c, plan in zip(commands, plans, strict=True) if not plan.startswith("skip")]
    assert any(t.startswith("reward-server serve") for t in ran)
    assert any(t.startswith("curl") for t in ran)
    assert any(t.startswith("grpo-train --config") for t in ran)


def test_multi_line_commands_are_kept_whole() -> None:
    walk = _walker()
    text = "# S\n\n```bash\ncurl -d '{\n  \"a\": 1\n}'\necho one \\\n  two\n```\n"
    commands = walk.readme_commands(text)
    assert [c.text for c in commands] == ["curl -d '{\n  \"a\": 1\n}'", "echo one \\\n  two"]
    assert {c.section for c in commands} == {"S"}
