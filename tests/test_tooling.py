"""The project's habits, checked: packaging, lock, declared imports, one model fixture, no poppler,
and CI that cannot pass by skipping (issue 11's review findings, each pinned here)."""
from __future__ import annotations

import ast
import importlib.metadata as md
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

import conftest
from conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = (ROOT / "requirements.lock").read_text(encoding="utf-8")
TESTS = sorted((ROOT / "tests").rglob("*.py"))


def _name(requirement: str) -> str:
    """'python-calamine>=0.2' -> 'python-calamine' (PEP 503 normalised)."""
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]).lower()


def _third_party_imports(paths: list[Path]) -> dict[str, str]:
    """Top-level modules imported by these files that are not the project's or the standard library's."""
    ours = {"geo", "ui", "pages", "app", "conftest", "__future__"}
    found: dict[str, str] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            for name in names:
                top = name.split(".")[0]
                if top not in ours and top not in sys.stdlib_module_names:
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_runtime_import_is_a_declared_dependency() -> None:
    """altair was imported by the pages and not declared; every such import must be in pyproject."""
    code = [ROOT / "app.py", *(ROOT / "geo").rglob("*.py"), *(ROOT / "ui").rglob("*.py"),
            *(ROOT / "pages").glob("*.py")]
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    owners = md.packages_distributions()
    missing = {}
    for module, where in _third_party_imports(code).items():
        dists = {_name(d) for d in owners.get(module, [module])}
        if not dists & declared:
            missing[module] = where
    assert not missing, f"imported but not in [project].dependencies: {missing}"


def test_every_declared_dependency_is_pinned_with_hashes_in_the_lock() -> None:
    pins = {_name(m.group(1)): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", LOCK, re.M)}
    wanted = [*PYPROJECT["project"]["dependencies"], *PYPROJECT["project"]["optional-dependencies"]["test"],
              *PYPROJECT["project"]["optional-dependencies"]["dev"]]
    assert not [r for r in wanted if _name(r) not in pins], "run `make lock`"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.split("\n", 2)[2])
    assert all("--hash=sha256:" in b for b in blocks if re.match(r"[A-Za-z0-9]", b))
    assert not (ROOT / "requirements.txt").exists()


def test_lower_bounds_are_stated_for_every_dependency() -> None:
    for requirement in PYPROJECT["project"]["dependencies"]:
        assert ">=" in requirement, f"{requirement}: give the oldest version the code works with"


def test_geo_imports_from_anywhere_without_a_path_patch(tmp_path) -> None:
    """The package is installed (editable), so nothing needs sys.path patched to import it."""
    done = subprocess.run([sys.executable, "-c", "import geo, ui, geo.model; print(geo.__file__)"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).resolve().is_relative_to(ROOT)
    assert "sys.path" not in (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8").split('"""', 2)[2]


def test_one_model_fixture_for_the_whole_session() -> None:
    """Three modules had their own `model` fixture (and one built the model cold again)."""
    defined = []
    for path in TESTS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "model" and any(
                    "fixture" in ast.unparse(d) for d in node.decorator_list):
                defined.append(str(path.relative_to(ROOT)))
    assert defined == ["tests/conftest.py"]


def test_no_test_needs_poppler() -> None:
    """pdfinfo/pdftoppm/pdftotext are not on a fresh machine; tests read PDFs with pypdfium2."""
    calls = [str(p.relative_to(ROOT)) for p in TESTS
             if re.search(r"""["'](pdfinfo|pdftoppm|pdftotext)["']""", p.read_text(encoding="utf-8"))]
    assert calls == []


def test_missing_data_skips_outside_ci_and_fails_in_ci(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(conftest, "SHARED", tmp_path / "nowhere")
    monkeypatch.setattr(conftest, "REQUIRE_DATA", False)
    with pytest.raises(pytest.skip.Exception, match="official data files not found"):
        conftest.require_shared()
    monkeypatch.setattr(conftest, "REQUIRE_DATA", True)
    with pytest.raises(pytest.fail.Exception, match="required here"):
        conftest.require_shared()


@pytest.mark.parametrize("in_ci, passed, before, after", [
    (True, [], 0, pytest.ExitCode.TESTS_FAILED),   # all skipped in CI: a failure
    (True, ["a test"], 0, 0),
    (False, [], 0, 0),                             # outside CI a run of skips is allowed
    (True, [], 5, 5),                              # no tests collected stays a failure (exit 5)
])
def test_a_ci_run_in_which_nothing_passed_fails(monkeypatch, in_ci, passed, before, after) -> None:
    monkeypatch.setattr(conftest, "IN_CI", in_ci)
    reporter = SimpleNamespace(stats={"passed": passed} if passed else {"skipped": ["s"]})
    session = SimpleNamespace(exitstatus=before, config=SimpleNamespace(
        pluginmanager=SimpleNamespace(get_plugin=lambda name: reporter)))
    conftest.pytest_sessionfinish(session, before)  # type: ignore[arg-type]
    assert session.exitstatus == after


def test_ci_script_lints_types_and_runs_the_readme_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]
    order = [next(i for i, s in enumerate(steps) if key in s) for key in ("make install", "ruff check",
                                                                          "mypy", "make test")]
    assert order == sorted(order) and "set -euo pipefail" in script and "CI=true" in script
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme and "make run" in readme


def test_readme_stays_a_newcomers_page() -> None:
    """Detail lives in docs/; the README stays short enough to read at one sitting."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 300
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).exists(), link


def test_only_conftest_decides_about_missing_data() -> None:
    """A module-level skipif on ../shared/data would skip silently in CI too; use conftest.needs_shared."""
    own = [str(p.relative_to(ROOT)) for p in TESTS if p.name not in {"conftest.py", "test_tooling.py"}
           and re.search(r"skip(if)?\([^)]*(SHARED|shared data|shared/data)", p.read_text(encoding="utf-8"))]
    assert own == []
