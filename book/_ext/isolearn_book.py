"""isolearn's Sphinx extension: what the website needs that no theme or extension option gives.

Loaded by ``_config.yml`` (``sphinx: local_extensions``). Each part is a small function below:

- **Author-year citations that tell papers apart.** Three 2025 papers by Bird cite as "Bird,
  2025a", "Bird, 2025b", "Bird, 2025c", and the bibliography's labels are those same strings
  (pybtex's label style, our reference style for sphinxcontrib-bibtex).
- **Numbers per chapter.** Exercises, definitions, theorems and figures of chapter N are numbered
  N.1, N.2, ... (Sphinx numbers them across the whole book unless the table of contents is
  numbered, and numbering it would also number the part overviews).
- **Only the MathJax the site uses** (``MATHJAX_LOAD``), copied from the
  ``sphinx-mathjax-offline`` package: 2 MB, not its 24 MB, and 0.76 MB a page, not 1.16 MB.
- **One copy of each inline script** (the theme adds sphinx-thebe's ``THEBE_JS_URL`` twice,
  and a second ``const`` declaration is an error in every reader's console).
- **Theme templates, changed where they hurt** (``THEME_OVERRIDES``): no fontawesome.js (1.5
  MB on every page: the theme's style sheet already draws the icons), a search button whose
  accessible name is its visible text.
- **Accessible bibliography markup**, and **no unused files in _static** (``UNUSED_STATIC``).
- **The "open an issue" button** opens the repository's issue form for the website and fills in
  the page (``isolearn_issue_template``).
- **Lighter figures**: output PNGs become palette PNGs where that changes nothing visible.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import quote

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

# --- citations: "Bird, 2025a" in the text and in the bibliography ------------------------------

from dataclasses import dataclass, field  # noqa: E402

import pybtex.plugin  # noqa: E402
from pybtex.richtext import Text  # noqa: E402
from pybtex.style.formatting.unsrt import Style as UnsrtStyle  # noqa: E402
from pybtex.style.labels.alpha import LabelStyle as AlphaLabelStyle  # noqa: E402
from pybtex.style.template import join, node  # noqa: E402
from sphinxcontrib.bibtex.plugin import register_plugin  # noqa: E402
from sphinxcontrib.bibtex.style.referencing import (  # noqa: E402
    BracketStyle, GroupReferenceStyle, PersonStyle)
from sphinxcontrib.bibtex.style.referencing.basic_author_year import (  # noqa: E402
    BasicAuthorYearParentheticalReferenceStyle, BasicAuthorYearTextualReferenceStyle)
from sphinxcontrib.bibtex.style.referencing.extra_author import ExtraAuthorReferenceStyle  # noqa: E402
from sphinxcontrib.bibtex.style.referencing.extra_empty import ExtraEmptyReferenceStyle  # noqa: E402
from sphinxcontrib.bibtex.style.referencing.extra_label import ExtraLabelReferenceStyle  # noqa: E402
from sphinxcontrib.bibtex.style.referencing.extra_year import ExtraYearReferenceStyle  # noqa: E402
from sphinxcontrib.bibtex.style.template import join2, post_text, pre_text, reference  # noqa: E402

CITATION_STYLE = "isolearn_author_year"


def _surname(person) -> str:
    return " ".join(p.render_as("text") for p in person.rich_prelast_names + person.rich_last_names)


class AuthorYearLabels(AlphaLabelStyle):
    """Labels "Bird, 2025", "Trockman and Kolter, 2023", "Dosovitskiy et al., 2021"; alpha's
    format_labels then appends a, b, c to labels that would repeat: "Bird, 2025a"."""

    def format_label(self, entry) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_surname(p) for p in people]
        if not names:
            who = entry.fields.get("title", entry.key)
        elif len(names) <= 2:
            who = " and ".join(names)
        else:
            who = f"{names[0]} et al."
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    """unsrt's entries, labelled by AuthorYearLabels, sorted by author, year and title."""

    default_label_style = CITATION_STYLE
    default_sorting_style = "author_year_title"


@node
def label(children, data):
    """The entry's label: "Bird, 2025a"."""
    return Text(data["formatted_entry"].label)


@node
def label_year(children, data):
    """The year part of the label, with its letter: "2025a"."""
    return Text(data["formatted_entry"].label.rsplit(", ", 1)[-1])


@dataclass
class Parenthetical(BasicAuthorYearParentheticalReferenceStyle):
    """(Bird, 2025a): the label itself, so the text and the bibliography agree."""

    def inner(self, role_name):
        return join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
            pre_text, reference[label], post_text]


@dataclass
class Textual(BasicAuthorYearTextualReferenceStyle):
    """Bird (2025a)."""

    def inner(self, role_name):
        return join(sep=self.text_reference_sep)[
            self.person.author_or_editor_or_title(full="s" in role_name),
            join[self.bracket.left,
                 join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
                     pre_text, reference[label_year], post_text],
                 self.bracket.right]]


def _round_brackets() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep="; ")


def _plain_person() -> PersonStyle:
    return PersonStyle(other=" et al.")  # as in AuthorYearLabels: no italics


@dataclass
class AuthorYearReferences(GroupReferenceStyle):
    """{cite:p} gives (Bird, 2025a; Trockman and Kolter, 2023), {cite:t} Bird (2025a)."""

    bracket: BracketStyle = field(default_factory=_round_brackets)
    person: PersonStyle = field(default_factory=_plain_person)

    def __post_init__(self):
        self.styles.extend([
            Parenthetical(bracket=self.bracket, person=self.person),
            Textual(bracket=self.bracket, person=self.person),
            ExtraAuthorReferenceStyle(bracket=self.bracket, person=self.person),
            ExtraLabelReferenceStyle(bracket=self.bracket),
            ExtraYearReferenceStyle(bracket=self.bracket),
            ExtraEmptyReferenceStyle(),
        ])
        super().__post_init__()


def _register_citation_styles() -> None:
    pybtex.plugin.register_plugin("pybtex.style.labels", CITATION_STYLE, AuthorYearLabels)
    pybtex.plugin.register_plugin("pybtex.style.formatting", CITATION_STYLE, AuthorYearStyle)
    register_plugin("sphinxcontrib.bibtex.style.referencing", CITATION_STYLE, AuthorYearReferences)


# --- numbers per chapter -------------------------------------------------------------------------

_CHAPTER = re.compile(r"(?:^|/)(\d\d)_[^/]*$")


def _number_per_chapter(app: Sphinx, env) -> list[str]:
    """Renumber every numbered thing (exercise, proof, figure, table, code block) of a chapter
    notebook ``notebooks/NN_name`` as (N, 1), (N, 2), ... in page order.

    Runs after Sphinx's TocTreeCollector (priority 900) has numbered them across the book. Its
    numbers are in page order, so sorting by them keeps the order within the page."""
    for docname, by_type in env.toc_fignumbers.items():
        match = _CHAPTER.search(docname)
        if not match:
            continue
        chapter = int(match.group(1))
        for figtype, numbers in by_type.items():
            ordered = sorted(numbers, key=lambda ident: numbers[ident])
            by_type[figtype] = {ident: (chapter, k) for k, ident in enumerate(ordered, 1)}
    return []


# --- MathJax: only what the site loads ----------------------------------------------------------
# TeX in, CommonHTML out with its fonts, the MathML copy that screen readers read, and the TeX
# extensions that autoload fetches when a page uses one: 0.76 MB to download, not the 1.16 MB of
# the combined tex-chtml.js, whose other 0.4 MB is the right-click menu (zoom, "show as", speech
# settings that need files from a CDN). The site is 2 MB of MathJax instead of 24 MB.

MATHJAX_LOAD = ["input/tex", "output/chtml", "a11y/assistive-mml"]
MATHJAX_FILES = ["startup.js", "core.js", "input/tex.js", "input/tex/extensions", "output/chtml.js",
                 "output/chtml/fonts", "a11y/assistive-mml.js"]


def _configure_mathjax(app: Sphinx, config) -> None:
    config.mathjax_path = "mathjax/startup.js"
    mathjax = dict(config.mathjax3_config or {})
    mathjax["loader"] = {**mathjax.get("loader", {}), "load": MATHJAX_LOAD}
    config.mathjax3_config = mathjax


def _mathjax_source() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("sphinx-mathjax-offline")  # the package's odd, dashed name
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("isolearn_book: sphinx-mathjax-offline is not installed (requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"


def _copy_mathjax(app: Sphinx, exc) -> None:
    if exc is not None or app.builder.format != "html":
        return
    source, target = _mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    if target.exists():
        shutil.rmtree(target)  # drop what an older build (the whole distribution) left there
    for name in MATHJAX_FILES:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, target / name)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)


# --- scripts and buttons ---------------------------------------------------------------------------

# Theme templates we change, each made from the installed theme's own file at every build (so
# it follows the pinned theme version) by one substitution: (file in the theme, the name the
# templates use for it, pattern, replacement, why).
THEME_OVERRIDES = [
    ("static/webpack-macros.html", "static/webpack-macros.html",
     r"^\s*<script[^>]*scripts/fontawesome\.js[^>]*></script>\n", "",
     "fontawesome.js (1.5 MB a page) only swaps the icons, which the theme's CSS already draws, "
     "for SVG"),
    ("layout.html", "pydata_sphinx_theme/layout.html",  # the name sphinx-book-theme extends
     r"(<script src=\"\{\{ pathto\('_static/searchtools\.js'.*?searchindex\.js', 1\) \| e \}\}\"></script>)",
     r"{% if theme_search_as_you_type|tobool %}\1{% endif %}",
     "the search index (0.1 MB, and growing with the book) and its tools load on every page for "
     "search-as-you-type, which is off; the search page loads them itself"),
    ("components/search-button-field.html", "search-button-field.html",
     r' aria-label="\{\{ _\(\'Search\'\) \}\}"', "",
     "the label 'Search' left out the button's visible text 'Search Ctrl+K' (axe: "
     "label-content-name-mismatch, serious); without it the name is the visible text"),
]


def _override_theme_templates(app: Sphinx, config) -> None:
    """Write the THEME_OVERRIDES into _build/templates and put that folder first on the
    template path, where it overrides the theme's files."""
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    folder = Path(app.doctreedir).parent / "templates"
    for source, name, pattern, replacement, why in THEME_OVERRIDES:
        changed, n = re.subn(pattern, replacement, (theme / source).read_text(), count=1,
                             flags=re.M | re.S)
        if n != 1:
            raise RuntimeError(f"isolearn_book: the theme's {source} changed, so the override "
                               f"({why}) no longer applies; update THEME_OVERRIDES")
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(changed)
    config.templates_path = [str(folder), *config.templates_path]


def _fix_page_body(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """docutils gives each bibliography entry role="doc-biblioentry" inside role="list"; the
    DPUB role is deprecated and a list must hold list items (axe: aria-required-children,
    critical)."""
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


# Files the theme and extensions copy into _static that no page loads: source maps (3.4 MB),
# the SVG icon script we no longer link, TrueType fonts next to the WOFF2 every browser takes,
# server-side translations, and MathJax's every-extension bundle (autoload fetches one by one).
UNUSED_STATIC = ["**/*.map", "scripts/fontawesome.js*", "vendor/fontawesome/webfonts/*.ttf",
                 "locales", "mathjax/input/tex/extensions/all-packages.js"]


def _drop_unused_static(app: Sphinx, exc) -> None:
    if exc is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    for pattern in UNUSED_STATIC:
        for path in static.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _one_copy_of_each_script(app: Sphinx, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # The two copies differ only in a filename of None and of "" (both: an inline script).
        attributes = getattr(script, "attributes", {})
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _header_buttons(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """The "Open issue" button opens our issue form with the page filled in (GitHub fills an
    issue form's field from the query parameter named by the field's id). The repository
    buttons get a solid icon: the GitHub logo was the only glyph of the 0.12 MB brands font
    that every page downloaded."""
    template = app.config.isolearn_issue_template
    base = (app.config.html_baseurl or "").rstrip("/")
    page = f"{base}/{pagename}.html" if base else f"{pagename}.html"

    def visit(buttons):
        for button in buttons:
            visit(button.get("buttons", []))
            if str(button.get("icon", "")).startswith("fab "):
                button["icon"] = "fa-solid fa-code-branch"
            if template and button.get("label") == "source-issues-button":
                repo = button["url"].split("/issues/new")[0]
                button["url"] = (f"{repo}/issues/new?template={quote(template)}"
                                 f"&title={quote(f'[site] {pagename}: ')}&page={quote(page)}")

    visit(context.get("header_buttons", []))


# --- figures: palette PNGs ---------------------------------------------------------------------


def _shrink_images(app: Sphinx, exc) -> None:
    """Store each opaque output figure as a 256-colour palette PNG when that changes no pixel
    by more than a trace (mean error at most 0.5 of 255): plots have few colours, so this is
    about a third of the bytes and looks the same. A figure with transparency is left alone."""
    if exc is not None or app.builder.format != "html":
        return
    import io

    import numpy as np
    from PIL import Image

    for path in sorted((Path(app.outdir) / "_images").glob("*.png")):
        with Image.open(path) as image:
            image.load()
        if image.mode == "P":
            continue  # already a palette PNG (this build or an earlier one)
        if "A" in image.getbands() and np.asarray(image.getchannel("A")).min() < 255:
            continue
        rgb = image.convert("RGB")
        palette = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        error = np.abs(np.asarray(palette.convert("RGB"), dtype=np.int16)
                       - np.asarray(rgb, dtype=np.int16)).mean()
        buffer = io.BytesIO()
        palette.save(buffer, format="PNG", optimize=True)
        if error <= 0.5 and buffer.tell() < 0.9 * path.stat().st_size:
            path.write_bytes(buffer.getvalue())


def setup(app: Sphinx) -> dict:
    _register_citation_styles()
    app.add_config_value("isolearn_issue_template", "", "html")
    app.connect("config-inited", _override_theme_templates)
    app.connect("config-inited", _configure_mathjax)
    app.connect("env-get-updated", _number_per_chapter, priority=900)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _drop_unused_static, priority=900)  # after the copies
    app.connect("build-finished", _shrink_images)
    app.connect("html-page-context", _one_copy_of_each_script, priority=900)
    app.connect("html-page-context", _header_buttons, priority=900)
    app.connect("html-page-context", _fix_page_body, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
