"""The book's structure: notebooks listed in the table of contents, committed without outputs,
each opening with the Colab set-up cell (tests/colab/setup_cell.py: the canonical install block,
with the repository URL of _config.yml, and the metadata that starts a GPU runtime) and a
parameters cell."""

import re

import pytest

from colab import setup_cell
from notebooks import NOTEBOOKS, ROOT, code_cells, config, load, source, toc_files


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


def test_toc_and_notebooks_agree():
    files = toc_files()
    listed = {f for f in files if f.startswith("notebooks/")}
    present = {f"notebooks/{p.stem}" for p in NOTEBOOKS}
    assert present - listed == set(), f"notebooks missing from _toc.yml: {sorted(present - listed)}"
    assert listed - present == set(), f"_toc.yml lists notebooks that do not exist: {sorted(listed - present)}"
    for f in files:
        assert (ROOT / f"{f}.md").exists() or (ROOT / f"{f}.ipynb").exists(), f"_toc.yml: {f} does not exist"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    nb = load(path)
    for cell in code_cells(nb):
        assert cell["outputs"] == [], f"{path.name}: a cell has outputs; clear them before committing"
        assert cell["execution_count"] is None, f"{path.name}: clear the execution counts"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert re.fullmatch(r"\d\d_[a-z0-9_]+", path.stem), "name notebooks NN_topic.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_setup_cell(path):
    setup = source(code_cells(load(path))[0])
    url = config()["repository"]["url"]
    match = re.search(r'^REPO_URL = "([^"]+)"', setup, re.M)
    assert match, f"{path.name}: the first code cell must set REPO_URL (the Colab install)"
    assert match.group(1) == url, (f"{path.name}: REPO_URL is {match.group(1)!r} but _config.yml's "
                                   f"repository.url is {url!r}; run {setup_cell.FIX}")
    found = setup_cell.problems(path)
    assert not found, f"{path.name}: " + "\n".join(found) + f"\nFix every notebook: {setup_cell.FIX}"
    assert "DEVICE = device()" in setup and "seed(" in setup


def test_setup_block_fixer_rewrites_an_old_copy(tmp_path):
    """A chapter made from an old copy of the cell (as chapters 8-10 are) is fixed in place:
    the block and the metadata become canonical, the chapter's imports stay as they were."""
    nb = load(NOTEBOOKS[0])
    cell = code_cells(nb)[0]
    imports = setup_cell.split(source(cell))[1]
    cell["source"] = ('REPO_URL = "https://github.com/someone/old"\nimport subprocess, sys\n'
                      'if "google.colab" in sys.modules:\n    subprocess.run(["pip"])\n' + imports)
    del nb["metadata"]["accelerator"]
    old = tmp_path / NOTEBOOKS[0].name
    setup_cell.write(old, nb)
    assert len(setup_cell.problems(old)) == 2  # the block and the accelerator
    assert setup_cell.fix(old) and not setup_cell.problems(old)
    fixed = code_cells(load(old))
    assert setup_cell.split(source(fixed[0]))[1] == imports
    assert [c["source"] for c in fixed[1:]] == [c["source"] for c in code_cells(nb)[1:]]
    assert not setup_cell.fix(old)  # a second run changes nothing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_second_code_cell_is_the_parameters_cell(path):
    cell = code_cells(load(path))[1]
    assert "parameters" in cell["metadata"].get("tags", []), f"{path.name}: tag the 2nd code cell 'parameters'"
    assert "DEVICE" in source(cell), f"{path.name}: the parameters cell should scale on DEVICE"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_checks_its_claims(path):
    asserts = sum(source(c).count("assert ") for c in code_cells(load(path)))
    assert asserts >= 5, f"{path.name}: only {asserts} assert statements; prose claims need checks"


def test_every_citation_is_in_the_bibliography():
    bib = (ROOT / "book" / "references.bib").read_text()
    keys = set(re.findall(r"@\w+\{([^,\s]+),", bib))
    texts = [p.read_text() for p in (ROOT / "book").glob("*.md")] + [p.read_text() for p in NOTEBOOKS]
    cited = set()
    for text in texts:
        for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text):
            cited.update(k.strip() for k in group.split(","))
    assert cited, "no citations found"
    assert cited - keys == set(), f"cited but not in book/references.bib: {sorted(cited - keys)}"


def test_readme_and_ci_use_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(path):
    """The book shows about 80 characters of code before it scrolls sideways."""
    for cell in code_cells(load(path)):
        for line in source(cell).splitlines():
            assert len(line) <= 80, f"{path.name}: wrap this line of {len(line)} characters: {line}"


def test_book_pages_use_the_configured_repository_url():
    url = config()["repository"]["url"]
    for page in [ROOT / "README.md", *(ROOT / "book").glob("*.md")]:
        for found in re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", page.read_text()):
            assert found.removesuffix(".git") == url, f"{page.name} links {found}; the repository is {url}"
