"""The catalogue of problem codes (pipeline/problems.py) is complete and coherent: every code the pipeline
raises is in it and no code is spelt as a literal; every code is raised somewhere, produced by some test or
corpus file, and listed in the README's table of problem codes; each programme check's code defaults to the
severity the packaged programme file gives it."""

from __future__ import annotations

import ast
import os
import pickle
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from pipeline import problems
from pipeline.paths import packaged_config
from pipeline.problems import CATALOGUE, Code, Severity
from pipeline.programme import Check, load_programmes

ROOT = Path(__file__).parent.parent
LOOKS_LIKE_A_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, value) of every string literal of a module, but those listing its names (`__all__`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    listed = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        for n in ast.walk(node.value)
    }
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in listed
    ]


def _pipeline_modules() -> list[Path]:
    return sorted(p for p in (ROOT / "pipeline").rglob("*.py") if p != ROOT / "pipeline" / "problems.py")


def test_no_problem_code_is_spelt_as_a_literal() -> None:
    """A code is referenced as its catalogue member (imported by name: a typo fails at import), never as a
    string; any other literal that looks like a code is one the catalogue lacks (environment variables and
    `os` flags aside)."""
    wrong = []
    for path in _pipeline_modules():
        for line, value in _string_literals(path):
            if not LOOKS_LIKE_A_CODE.match(value):
                continue
            if value in CATALOGUE:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {value!r}: import it from pipeline.problems")
            elif not (value.startswith(("PREFECT_", "KHUYENCONG_")) or hasattr(os, value)):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {value!r} is not in pipeline/problems.py")
    assert wrong == []


def test_every_code_is_raised_somewhere() -> None:
    imported = {
        alias.name
        for path in _pipeline_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module == "pipeline.problems"
        for alias in node.names
    }
    assert set(CATALOGUE) - imported == set()  # ruff (F401) keeps every import used


def test_every_code_is_produced_by_a_test_or_a_corpus_file() -> None:
    """Each code appears as a string in some test (other than this one) or as a problem the corpus expects."""
    in_tests = {
        value
        for path in (ROOT / "tests").rglob("*.py")
        if path.name != "test_problems.py"
        for _, value in _string_literals(path)
    }
    corpus = yaml.safe_load((ROOT / "tests" / "data" / "corpus" / "expected.yaml").read_text(encoding="utf-8"))
    in_corpus = {p[0] for entry in corpus["files"] for p in entry["problems"]}
    assert set(CATALOGUE) - in_tests - in_corpus == set()


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"^(#+) {re.escape(title)}\n(.*?)(?=^#{{1,}} |\Z)", text, re.MULTILINE | re.DOTALL)
    assert found, f"README.md has no section «{title}»"
    return found.group(2)


def test_readme_lists_every_code_as_the_catalogue_says() -> None:
    section = _readme_section("Problem codes")
    missing = [line for line in problems.markdown().splitlines() if line not in section.splitlines()]
    assert missing == [], "regenerate the table with: python -m pipeline.problems --markdown"


def test_the_markdown_table_comes_from_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.problems", "--markdown"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout == problems.markdown()
    assert len(done.stdout.splitlines()) == 2 + len(CATALOGUE)
    assert all(f"| `{code}` |" in done.stdout for code in CATALOGUE)


def test_each_code_is_declared_once_under_its_own_name() -> None:
    assert len(CATALOGUE) == len({c.lower() for c in CATALOGUE})
    for name, code in CATALOGUE.items():
        assert getattr(problems, name) is code and str(code) == name
        assert pickle.loads(pickle.dumps(code)) is code  # worker processes send problems back by pickle
    with pytest.raises(ValueError, match="declared twice"):
        Code("ZIP_BOMB", Severity.ERROR, "guards", meaning="", title="", action="", template="")


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_each_entry_is_complete_vietnamese_nfc(name: str) -> None:
    code = CATALOGUE[name]
    assert code.meaning and code.title and code.action and code.template
    assert code.stage and set(code.stage.split(", ")) <= {"intake", "guards", "reading", "validation", "cross-check"}
    for text in (code.title, code.action, code.template, *code.variants.values()):
        assert unicodedata.is_normalized("NFC", text) and text == text.strip()
    for text in (code.action, code.template, *code.variants.values()):
        assert text.endswith((".", "»", ")")), text  # a sentence (a few end on a quoted name)


def test_each_programme_check_has_one_code_with_the_packaged_severity() -> None:
    rules = Check.model_fields["rule"].annotation.__args__
    by_rule = {code.rule: code for code in CATALOGUE.values() if code.rule}
    assert sorted(by_rule) == sorted(rules)
    assert len(by_rule) == sum(1 for code in CATALOGUE.values() if code.rule)
    for programme in load_programmes(packaged_config()):
        for check in programme.checks:
            assert by_rule[check.rule].severity.value == check.severity, check.rule
