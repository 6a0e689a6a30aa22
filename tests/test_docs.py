"""The contract in docs/: input.md generated from data/schema.py, cli.md lists every command and
option, and every relative link in README and docs resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fastholdelse_eval.cli import docs as cli_docs
from fastholdelse_eval.cli.main import COMMANDS, build_parser
from fastholdelse_eval.data import input_docs, schema

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_docs_input_md_is_generated_from_the_schema() -> None:
    path = ROOT / "docs" / "input.md"
    assert path.read_text(encoding="utf-8") == input_docs.markdown(), (
        "docs/input.md is stale: python -m fastholdelse_eval.data.input_docs > docs/input.md")


def test_every_accepted_spelling_is_documented() -> None:
    text = (ROOT / "docs" / "input.md").read_text(encoding="utf-8")
    for table in (schema.COLUMN_ALIASES, schema.END_REASON_VALUES, schema.GROUP_VALUES):
        for aliases in table.values():
            for alias in aliases:
                assert f"`{alias}`" in text, alias


def test_docs_cli_md_is_generated_from_the_parser() -> None:
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_docs.markdown(), (
        "docs/cli.md is stale: python -m fastholdelse_eval.cli.docs > docs/cli.md")


def test_docs_cli_md_names_every_command_and_option() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in COMMANDS:
        assert f"## `{name}`" in text, name
        for action in sub.choices[name]._actions:
            for option in action.option_strings:
                if option.startswith("--"):
                    assert option in text, f"docs/cli.md: {name} {option} is not documented"


def test_readme_report_row_names_every_report_option() -> None:
    """README's command table shows `report` with every option (the business-case flags as
    "[business-case flags]"; --help and --debug are every command's)."""
    row = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| `report "))
    assert "[business-case flags]" in row
    sub = next(a for a in build_parser()._actions
               if a.__class__.__name__ == "_SubParsersAction")
    parser = sub.choices["report"]
    business = {o for g in parser._action_groups if g.title == "business case"
                for a in g._group_actions for o in a.option_strings}
    for action in parser._actions:
        for option in action.option_strings:
            if option.startswith("--") and option not in business | {"--help", "--debug"}:
                assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", row), \
                    f"README: report row lacks {option}"


@pytest.mark.parametrize("doc", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_relative_link_resolves(doc: Path) -> None:
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # web links and anchors within the page
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{doc.name}: link to {target} does not resolve"


def test_no_docstring_sends_users_to_a_missing_design_file() -> None:
    for path in (ROOT / "src").rglob("*.py"):
        assert "DESIGN.md" not in path.read_text(encoding="utf-8"), path
