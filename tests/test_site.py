"""The website's own machinery, without building it: the Sphinx extension (book/_ext), the page
weight report (.ci/site/sizes.py), and the files that make the book complete (licence,
citation, issue form). The built site itself is checked in a browser by .ci/site/run."""

import importlib.util
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ext():
    return _load("isolearn_book", ROOT / "book" / "_ext" / "isolearn_book.py")


@pytest.fixture(scope="module")
def sizes():
    return _load("isolearn_sizes", ROOT / ".ci" / "site" / "sizes.py")


def test_citations_that_share_author_and_year_get_letters(ext):
    from pybtex.database import parse_file

    entries = parse_file(str(ROOT / "book" / "references.bib")).entries
    ext._register_citation_styles()  # what the extension's setup() does in a build
    style = ext.AuthorYearStyle()
    labels = {e.key: e.label for e in style.format_entries(entries.values())}
    assert len(set(labels.values())) == len(labels), "two entries share a label"
    bird = sorted(v for k, v in labels.items() if k.startswith("bird2025"))
    assert bird == ["Bird, 2025a", "Bird, 2025b", "Bird, 2025c", "Bird, 2025d"]
    assert labels["trockman2023convmixer"] == "Trockman and Kolter, 2023"
    assert labels["dosovitskiy2021vit"] == "Dosovitskiy et al., 2021"
    assert all(re.fullmatch(r".+, (\d{4}|n\.d\.)[a-z]?", v) for v in labels.values()), labels


def test_exercises_and_proofs_are_numbered_per_chapter(ext):
    env = SimpleNamespace(toc_fignumbers={
        "book/intro": {"figure": {"fig-course-map": (1,)}},
        "notebooks/03_vision_transformer": {"exercise": {"ex-b": (9,), "ex-a": (7,)},
                                            "proof": {"def-attention": (2,)}},
        "notebooks/07_isotropic_activations": {"exercise": {"ex-19": (19,), "ex-20": (20,)}},
    })
    assert ext._number_per_chapter(None, env) == []
    numbers = env.toc_fignumbers
    assert numbers["book/intro"] == {"figure": {"fig-course-map": (1,)}}  # not a chapter
    assert numbers["notebooks/03_vision_transformer"] == {
        "exercise": {"ex-a": (3, 1), "ex-b": (3, 2)}, "proof": {"def-attention": (3, 1)}}
    assert numbers["notebooks/07_isotropic_activations"]["exercise"] == {"ex-19": (7, 1), "ex-20": (7, 2)}


def test_one_copy_of_each_script(ext):
    from sphinx.builders.html._assets import _JavaScript

    thebe = 'const THEBE_JS_URL = "x"'
    # sphinx-thebe adds its inline script twice, once with filename None and once with ""
    scripts = [_JavaScript("a.js"), _JavaScript(None, body=thebe), _JavaScript("b.js"),
               _JavaScript("", body=thebe), _JavaScript("a.js"), _JavaScript("", body="other")]
    context = {"script_files": scripts}
    ext._one_copy_of_each_script(None, "p", "page.html", context, None)
    assert [(s.filename, s.attributes.get("body")) for s in context["script_files"]] == [
        ("a.js", None), (None, thebe), ("b.js", None), ("", "other")]


def test_issue_button_opens_the_site_form_with_the_page(ext):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    template = config["sphinx"]["config"]["isolearn_issue_template"]
    assert config["html"]["use_issues_button"] is True
    assert (ROOT / ".github" / "ISSUE_TEMPLATE" / template).exists()
    app = SimpleNamespace(config=SimpleNamespace(isolearn_issue_template=template,
                                                 html_baseurl="https://example.org/book/"))
    button = {"label": "source-issues-button", "icon": "fas fa-lightbulb",
              "url": "https://github.com/o/r/issues/new?title=Issue&body=Your%20issue"}
    group = {"type": "group", "icon": "fab fa-github", "buttons": [button]}
    context = {"header_buttons": [group]}
    ext._header_buttons(app, "notebooks/03_vision_transformer", "page.html", context, None)
    assert button["url"].startswith(f"https://github.com/o/r/issues/new?template={template}&")
    assert "page=https%3A//example.org/book/notebooks/03_vision_transformer.html" in button["url"]
    assert group["icon"] == "fa-solid fa-code-branch"  # no brands font for one logo


def test_issue_form_asks_for_the_page_the_versions_and_the_device():
    form = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "site.yml").read_text())
    ids = {field.get("id"): field for field in form["body"] if field.get("id")}
    for needed in ("page", "versions", "device"):
        assert needed in ids and ids[needed]["validations"]["required"], needed


def test_licence_readme_and_citation_agree():
    import isolearn

    licence = (ROOT / "LICENSE").read_text()
    assert "MIT License" in licence and "CC BY 4.0" in licence
    readme, intro = (ROOT / "README.md").read_text(), (ROOT / "book" / "intro.md").read_text()
    assert "## License" in readme and "## How to cite" in readme and "## How to cite" in intro
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert "CC BY 4.0" in footer and "MIT" in footer
    # the citation's version is the package's, wherever it is written
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["version"] == isolearn.__version__
    for text in (readme, intro):
        assert f"Version {isolearn.__version__}" in text and f"version {isolearn.__version__}" in text


def _site(tmp_path: Path, page_bytes: int) -> Path:
    html = tmp_path / "html"
    (html / "_static" / "mathjax" / "fonts").mkdir(parents=True)
    (html / "_static" / "fonts").mkdir()
    (html / "_static" / "style.css").write_text(
        '@font-face{src:url("fonts/a.woff2") format("woff2"),url("fonts/a.ttf")}'
        '@font-face{src:url("fonts/fa-brands-400.woff2")}')
    (html / "_static" / "fonts" / "a.woff2").write_bytes(b"f" * 1000)
    (html / "_static" / "fonts" / "unused.woff2").write_bytes(b"u" * 5000)
    (html / "_static" / "fonts" / "fa-brands-400.woff2").write_bytes(b"b" * 500)
    (html / "_static" / "mathjax" / "tex-chtml.js").write_bytes(b"m" * 2000)
    (html / "_static" / "mathjax" / "fonts" / "m.woff").write_bytes(b"w" * 300)
    (html / "_images").mkdir()
    (html / "_images" / "fig.png").write_bytes(b"p" * page_bytes)
    (html / "page.html").write_text(
        '<link rel="stylesheet" href="_static/style.css"><script src="_static/mathjax/tex-chtml.js">'
        '</script><img src="_images/fig.png"><a href="other.html">x</a>'
        '<script src="https://cdn.example.org/x.js"></script>')
    (html / "other.html").write_text('<link rel="stylesheet" href="_static/style.css"><i class="fab fa-x"></i>')
    return html


def test_page_weight_counts_the_files_a_page_loads(tmp_path, sizes):
    html = _site(tmp_path, 700)
    files = sizes.page_assets(html / "page.html", html.resolve())
    names = sorted(p.name for p in files)
    # the page, its style sheet and the font it names (the WOFF2, not its TrueType fallback),
    # MathJax and its fonts, the image; not the unused font, not the linked page, not the other
    # site's script, not the icon font of a style the page shows no icon of
    assert names == ["a.woff2", "fig.png", "m.woff", "page.html", "style.css", "tex-chtml.js"]
    other = sorted(p.name for p in sizes.page_assets(html / "other.html", html.resolve()))
    assert other == ["a.woff2", "fa-brands-400.woff2", "other.html", "style.css"]


def test_size_report_fails_above_the_limits(tmp_path, sizes, capsys):
    html = _site(tmp_path, 700)
    assert sizes.main([str(html), "--site-mb", "1", "--page-mb", "1"]) == 0
    big = _site(tmp_path / "big", 1_200_000)
    assert sizes.main([str(big), "--site-mb", "12", "--page-mb", "1"]) == 1
    assert "page.html weighs 1.20 MB with its files, over the 1 MB limit" in capsys.readouterr().err
    assert sizes.main([str(big), "--site-mb", "1", "--page-mb", "3"]) == 1
    assert "the site is 1.21 MB, over the 1 MB limit" in capsys.readouterr().err


def test_figures_become_palette_pngs_when_nothing_visible_changes(tmp_path, ext):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    images = tmp_path / "_images"
    images.mkdir()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(np.sin(np.linspace(0, 6, 200)))
    ax.imshow(np.random.default_rng(0).random((20, 20)), extent=(0, 50, -1, 1))  # many colours
    fig.savefig(images / "plot.png")
    fig.savefig(images / "clear.png", transparent=True)
    plt.close(fig)
    before = {p.name: (p.stat().st_size, np.asarray(Image.open(p).convert("RGB"))) for p in images.iterdir()}
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"))
    ext._shrink_images(app, None)
    plot = Image.open(images / "plot.png")
    assert plot.mode == "P" and (images / "plot.png").stat().st_size < 0.9 * before["plot.png"][0]
    error = np.abs(np.asarray(plot.convert("RGB"), dtype=int) - before["plot.png"][1]).mean()
    assert error <= 0.5
    assert Image.open(images / "clear.png").mode == "RGBA"  # transparency: left alone
    assert (images / "clear.png").stat().st_size == before["clear.png"][0]


def test_page_weight_counts_what_the_mathjax_loader_fetches(tmp_path, sizes):
    """startup.js (the loader) fetches the core and the components under it, and the fonts;
    not the TeX extensions (only on demand) nor the other combined files next to it."""
    mathjax = tmp_path / "_static" / "mathjax"
    for name in ["startup.js", "core.js", "tex-svg.js", "input/tex.js", "output/chtml.js",
                 "output/chtml/fonts/woff-v2/Main.woff", "input/tex/extensions/color.js"]:
        (mathjax / name).parent.mkdir(parents=True, exist_ok=True)
        (mathjax / name).write_text("x")
    (tmp_path / "page.html").write_text('<script src="_static/mathjax/startup.js"></script>')
    names = sorted(p.relative_to(mathjax).as_posix()
                   for p in sizes.page_assets(tmp_path / "page.html", tmp_path.resolve()) if mathjax in p.parents)
    assert names == ["core.js", "input/tex.js", "output/chtml.js", "output/chtml/fonts/woff-v2/Main.woff",
                     "startup.js"]
