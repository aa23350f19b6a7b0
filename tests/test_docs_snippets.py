"""Every shell and Python block of README.md and docs/*.md runs, so a stale snippet fails CI.

The convention (for whoever writes docs):

- Fenced blocks tagged ```bash, ```sh, ```shell, ```console (only its `$ ` lines) and ```python are run; blocks with
  any other tag (```text, ```toml, ```yaml, or none) are illustrations and are not.
- An HTML comment on the line before a block (blank lines between are allowed) marks it:
  `<!-- snippet: skip (reason) -->` for a block that cannot run in CI (a real board, a ROS 2 installation with
  `ros2 launch`, a Ray cluster across machines); the reason is required. `<!-- snippet: slow -->` for a long one:
  marked `slow` (`-m "not slow"` leaves it out). Keep skips few.
- Write commands as a user runs them, with real paths (`runs/my-ant`, `models/ant-robust/model.npz`), never
  placeholders. `hebbkit` commands are shortened by flags (`SHORTER`, `APPENDED` below: one episode, tiny training
  budgets, short episodes) so they run the same code path in seconds.
- Python blocks are complete programs: they import and define everything they use.

Each block runs in its own copy of the checkout's files (no .git, .venv, build or runs), with the venv's bin on PATH,
under `bash -euo pipefail`, so outputs land in a temporary folder and never in the checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV_BIN = Path(sys.executable).parent
RUN = {"bash", "sh", "shell", "console", "python"}
FENCE = re.compile(r"^(\s*)```\s*([\w-]*)\s*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$")
SKIP = re.compile(r"^skip\s*\((.+)\)$")
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "runs", "__pycache__", "*.egg-info", ".pytest_cache",
                                    ".ruff_cache", ".mypy_cache")

# Flags that make a documented command short without changing the code path it runs: (pattern, replacement).
SHORTER = [
    (re.compile(r"--episodes \d+"), "--episodes 1"),
    (re.compile(r"--env-steps-budget \d+"), "--env-steps-budget 100"),
    (re.compile(r"--seconds \d+"), "--seconds 8"),
]
# Flags appended to a `hebbkit SUBCOMMAND` line (argparse: the last value of a flag wins).
TRAIN = "--generations 1 --population 2 --max-steps 50 --workers 1 --snapshot-every 1 --no-progress"
APPENDED = {
    "train": TRAIN,
    "train --resume": "--generations 2 --workers 1 --no-progress",
    "eval": "--max-steps 60 --workers 1 --no-progress",
    "suite": "--max-steps 60 --workers 1 --no-progress",
    "validate": "--max-steps 60 --episodes 1 --workers 1 --no-progress",
    "record": "--max-steps 60",
    "demo": "--episodes 1 --max-steps 60",
    "bench": "--episodes 1 --max-steps 50",
}
SCRIPTS = {"benchmarks/onboard_step.py": "--steps 3"}


@dataclass(frozen=True)
class Snippet:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    directive: str  # "", "slow" or "skip (reason)"

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def snippets(path: Path) -> list[Snippet]:
    """The fenced blocks of `path` with a tag in RUN, with the directive of the comment before each."""
    found, lines = [], path.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, language = opening.group(1), opening.group(2)
        end = index + 1
        while end < len(lines) and not re.match(rf"^{re.escape(indent)}```\s*$", lines[end]):
            end += 1
        before = index - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        directive = DIRECTIVE.match(lines[before]) if before >= 0 else None
        if language in RUN:
            code = textwrap.dedent("\n".join(lines[index + 1:end]))
            found.append(Snippet(path, index + 1, language, code, directive.group(1) if directive else ""))
        index = end + 1
    return found


ALL = [snippet for path in DOCS for snippet in snippets(path)]


def shortened(code: str) -> str:
    """`code` with every `hebbkit` command shortened by flags (comments dropped, continuation lines joined)."""
    out = []
    for line in code.replace("\\\n", " ").splitlines():
        command = re.split(r"\s#\s", " " + line, maxsplit=1)[0].strip() if "#" in line else line.strip()
        words = command.split()
        if words and words[0] == "hebbkit" and len(words) > 1:
            for pattern, replacement in SHORTER:
                command = pattern.sub(replacement, command)
            key = "train --resume" if words[1] == "train" and "--resume" in words else words[1]
            command = f"{command} {APPENDED.get(key, '')}".rstrip()
        for script, flags in SCRIPTS.items():
            if script in words:
                command = f"{command} {flags}"
        out.append(command)
    return "\n".join(out) + "\n"


def console_commands(code: str) -> str:
    return "\n".join(line[2:] for line in code.splitlines() if line.startswith("$ "))


def parameters():
    for snippet in ALL:
        marks = []
        if snippet.directive == "slow":
            marks.append(pytest.mark.slow)
        elif reason := SKIP.match(snippet.directive):
            marks.append(pytest.mark.skip(reason=reason.group(1)))
        yield pytest.param(snippet, marks=marks, id=snippet.name)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the checkout's files (models, firmware, robot files, benchmarks), so that commands write there."""
    folder = tmp_path / "hebbkit"
    shutil.copytree(ROOT, folder, ignore=NOT_COPIED, symlinks=True)
    return folder


@pytest.mark.parametrize("snippet", list(parameters()))
def test_snippet_runs(snippet: Snippet, workspace: Path, tmp_path: Path):
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg")
    if snippet.language == "python":
        script = tmp_path / "snippet.py"
        script.write_text(snippet.code)
        command = [str(VENV_BIN / "python"), str(script)]
    else:
        code = console_commands(snippet.code) if snippet.language == "console" else snippet.code
        command = ["bash", "-euo", "pipefail", "-c", shortened(code)]
    result = subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True, timeout=900)
    ran = snippet.code if snippet.language == "python" else command[-1]
    assert result.returncode == 0, (
        f"{snippet.name} failed (exit {result.returncode}); it ran:\n{ran}"
        f"\n--- stdout (end)\n{result.stdout[-3000:]}\n--- stderr (end)\n{result.stderr[-3000:]}")


def test_directives_are_known_and_skips_say_why():
    for snippet in ALL:
        assert snippet.directive in ("", "slow") or SKIP.match(snippet.directive), (
            f"{snippet.name}: unknown directive {snippet.directive!r}; use 'skip (reason)' or 'slow'")


def test_the_docs_have_snippets_to_run():
    """The extraction works: the README's five tasks each have a block, and most blocks run."""
    readme = [snippet for snippet in ALL if snippet.path.name == "README.md"]
    assert len(readme) >= 6
    skipped = [snippet for snippet in ALL if snippet.directive.startswith("skip")]
    assert len(skipped) <= len(ALL) // 3, [snippet.name for snippet in skipped]


def test_ci_runs_the_readme_test_command():
    """.ci/run runs what the README's set-up tells a newcomer to run."""
    setup = next(snippet for snippet in ALL if snippet.path.name == "README.md")
    assert "make test" in setup.code and "make demo" in setup.code
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), flags=re.MULTILINE)


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_resolve(path: Path):
    text = path.read_text()
    for target in LINK.findall(text):
        if "://" in target:
            continue
        assert (path.parent / target).exists(), f"{path.relative_to(ROOT)} links to {target}, which does not exist"
