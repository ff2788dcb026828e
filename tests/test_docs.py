"""The documentation describes the code as it is, in the style of Datasette's
documentation tests: each test reads a document and the code it describes, and
fails when one changes without the other.

- Every access-policy action is in the "Who may do what" table of
  docs/SECURITY.md, with the rule the policy really uses, and every
  ``Action.X`` named in any document is a real action.
- Every domain package under ``qa/`` says in its docstring which module is
  its front door, and that module exists.
- Every document in the README's map exists, and the README's Quick start is
  two lines, the second being the test command ``.ci/run`` runs.
- Every module, file and function a document names (``qa/audits/workflow.py``,
  ``pages/_ui.plain``, ``db.audits.AnswerInput``) exists, so a renamed file
  cannot leave a stale path behind, and no document offers the old
  ``python -m db`` command line.

The settings table has its own test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from qa.access.policy import RULES, Action

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECURITY = ROOT / "docs" / "SECURITY.md"
CI_RUN = ROOT / ".ci" / "run"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]


def section(path: Path, heading: str) -> str:
    """The text under ``heading`` (a whole Markdown heading line), up to the next heading of its level or higher."""
    lines = path.read_text(encoding="utf-8").splitlines()
    level = len(heading) - len(heading.lstrip("#"))
    try:
        start = lines.index(heading)
    except ValueError:
        pytest.fail(f"{path.relative_to(ROOT)} has no heading {heading!r}")
    body = []
    for line in lines[start + 1 :]:
        match = re.match(r"(#+) ", line)
        if match and len(match.group(1)) <= level:
            break
        body.append(line)
    return "\n".join(body)


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the Markdown tables in ``text``, as lists of stripped cells."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or re.match(r"\|[\s|:-]+\|$", line):
            continue
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [row for row in rows if row]


# ------------------------------------------------------------ who may do what


def documented_actions() -> dict[str, str]:
    """``Action`` name -> the rule named in the "Who may do what" table."""
    documented = {}
    for row in table_rows(section(SECURITY, "## Who may do what")):
        match = re.fullmatch(r"`Action\.([A-Z_]+)`", row[0])
        if match is None:
            continue  # the header row
        rule = re.fullmatch(r"`(\w+)`", row[-1])
        documented[match.group(1)] = rule.group(1) if rule else row[-1]
    return documented


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.name)
def test_every_action_is_in_the_who_may_do_what_table(action):
    documented = documented_actions()
    assert action.name in documented, f"docs/SECURITY.md, 'Who may do what': add a row for `Action.{action.name}`"
    assert documented[action.name] == RULES[action].__name__, (
        f"`Action.{action.name}` is decided by `{RULES[action].__name__}` in qa/access/policy.py, "
        f"but docs/SECURITY.md says `{documented[action.name]}`"
    )


def test_every_action_a_document_names_is_a_real_action():
    real = {action.name for action in Action}
    unknown = []
    for path in DOCS:
        for name in re.findall(r"\bAction\.([A-Za-z_]+)", path.read_text(encoding="utf-8")):
            if name not in real:
                unknown.append(f"{path.relative_to(ROOT)}: Action.{name}")
    assert not unknown


def test_the_table_lists_each_action_once():
    rows = [row[0] for row in table_rows(section(SECURITY, "## Who may do what")) if row[0].startswith("`Action.")]
    assert len(rows) == len(set(rows))


# -------------------------------------------------------- domain front doors


DOMAIN_PACKAGES = sorted(path.parent for path in (ROOT / "qa").glob("*/__init__.py"))


@pytest.mark.parametrize("package", DOMAIN_PACKAGES, ids=lambda p: p.name)
def test_every_domain_package_names_its_front_door(package):
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring, f"qa/{package.name}/__init__.py needs a docstring saying what the domain is"
    match = re.search(r"Front door: ``(qa\.[\w.]+)``", docstring)
    assert match, f"qa/{package.name}/__init__.py: say 'Front door: ``qa.{package.name}.<module>``'"
    module = match.group(1)
    assert module.startswith(f"qa.{package.name}."), f"{module} is not in qa/{package.name}/"
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), f"{module} does not exist"


# ------------------------------------------------------------------ the README


def doc_map() -> list[str]:
    return re.findall(r"^- \[[^\]]+\]\(([^)#]+)\)", section(README, "## Documentation"), re.M)


def test_the_readme_maps_the_documents():
    mapped = doc_map()
    assert mapped, "README.md, 'Documentation': one '- [name](path): what it is for' line per document"
    missing = [path for path in mapped if not (ROOT / path).is_file()]
    assert not missing
    unmapped = [str(path.relative_to(ROOT)) for path in DOCS[1:] if str(path.relative_to(ROOT)) not in mapped]
    assert not unmapped, "every document is in the README's map"


def quick_start_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", section(README, "## Quick start"), re.S)
    assert len(blocks) == 1, "the Quick start has one sh block"
    return [line for line in blocks[0].splitlines() if line.strip()]


def test_the_quick_start_is_two_lines():
    lines = quick_start_lines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("pip install -e . && python -m portal demo --if-empty")
    assert lines[0].endswith("streamlit run portal_app.py")


def test_the_quick_start_tests_with_the_ci_command():
    ci = CI_RUN.read_text(encoding="utf-8").splitlines()
    marker = next(i for i, line in enumerate(ci) if "identical to the test command in README.md" in line)
    command = ci[marker + 1].split(" || status=")[0].strip()
    assert quick_start_lines()[1] == command


# ------------------------------------------------- names the documents mention

PREFIXES = "qa|db|pages|portal|bench|tests"
# `qa/audits/workflow.py`, `pages/_ui.plain`, `tests/test_pages.py::test_x`, `db/migrations/`
SLASHED = re.compile(rf"(?<![\w./@-])((?:{PREFIXES})/[\w/]*\w(?:\.\w+)*/?)")
# `db.audits.AnswerInput`, `qa.reflection.journal`, `bench.generate_region`
DOTTED = re.compile(rf"(?<![\w./@-])((?:{PREFIXES})(?:\.\w+)+)(?![\w@(/-])")


def defines(path: Path, name: str) -> bool:
    text = path.read_text(encoding="utf-8")
    pattern = (
        rf"^\s*(?:async\s+def|def|class)\s+{name}\b"
        rf"|^\s*{name}\s*[:=]"
        rf"|^\s*(?:from\s+\S+\s+)?import\b[^\n]*\b{name}\b"
        rf"|^\s+{name},?$"  # one name of a parenthesised import
    )
    return re.search(pattern, text, re.M) is not None


def module_file(parts: list[str]) -> Path | None:
    path = ROOT.joinpath(*parts)
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def resolves_dotted(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = module_file(parts[:cut])
        if module is not None:
            rest = parts[cut:]
            return all(defines(module, attr) for attr in rest)
    return False


def resolves_slashed(name: str) -> bool:
    name = name.split("::")[0]
    if name.endswith("/"):
        return (ROOT / name).is_dir()
    folder, _, last = name.rpartition("/")
    stem, _, rest = last.partition(".")
    if (ROOT / name).exists():
        return True
    if not rest:
        return False
    module = ROOT / folder / f"{stem}.py"
    if not module.is_file():
        module = ROOT / folder / stem / "__init__.py"
    return module.is_file() and all(defines(module, attr) for attr in rest.split("."))


def named_in(path: Path) -> list[str]:
    names = []
    for span in re.findall(r"`([^`\n]+)`", path.read_text(encoding="utf-8")):
        if span.startswith(("http", "python -m", "pip ", "pg_")) or "://" in span or "<" in span or "*" in span:
            continue  # commands, addresses and patterns such as `tests/test_<service>.py` or `pages/audits_*.py`
        names += [m.group(1) for m in SLASHED.finditer(span)]
        names += [m.group(1) for m in DOTTED.finditer(span) if "/" not in span]
    return names


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_a_document_names_exists(path):
    stale = []
    for name in named_in(path):
        ok = resolves_slashed(name) if "/" in name else resolves_dotted(name)
        if not ok:
            stale.append(name)
    assert not stale, f"{path.relative_to(ROOT)} names what does not exist: {sorted(set(stale))}"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_use_the_portal_command_line(path):
    assert not re.search(r"python -m db\b", path.read_text(encoding="utf-8")), "use `python -m portal …`"
