"""How heavy the website is: the whole of ``_build/html`` and every page with the files it loads.

    python .ci/site/sizes.py [_build/html] [--site-mb 12] [--page-mb 3]

A page's weight is its HTML plus every local file it references: scripts, style sheets, images,
the fonts those style sheets name (the first source of each @font-face; all of them, though a
browser fetches only the ones it needs, except Font Awesome's styles the page shows no icon of) and, on pages with math, what MathJax's loader fetches
(its components and all its fonts). It is an upper bound on what a first visit downloads,
uncompressed. Prints a table, heaviest first, and exits 1 when the site or a page is
over its limit. ``make book`` runs it; the browser test (.ci/site/check.mjs) measures the bytes
a page really requests.
"""

from __future__ import annotations

import argparse
import re
import sys
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

MB = 1_000_000


class _Refs(HTMLParser):
    """Collects the local files an HTML page loads (not the pages it links to)."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "source", "video", "audio", "iframe", "embed") and a.get("src"):
            self.refs.append(a["src"])
        if tag in ("img", "source") and a.get("srcset"):
            self.refs += [part.split()[0] for part in a["srcset"].split(",") if part.strip()]
        if tag == "link" and a.get("href") and {"stylesheet", "preload", "icon", "modulepreload"} & set(
                (a.get("rel") or "").split()):
            self.refs.append(a["href"])
        if tag == "object" and a.get("data"):
            self.refs.append(a["data"])


def _local(ref: str, base: Path, root: Path) -> Path | None:
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or not parts.path:
        return None  # another site (the browser test fails on those) or a data: URL
    path = (base / unquote(parts.path)).resolve()
    return path if path.is_file() and root in path.parents else None


@lru_cache(maxsize=None)
def _css_assets(css: Path, root: Path) -> frozenset[Path]:
    """The style sheet and every file its url(...) and @import name, recursively."""
    found = {css}
    text = css.read_text(errors="replace")
    # a browser downloads the first source of an @font-face that it can use (WOFF2, first)
    text = re.sub(r"(src\s*:\s*url\([^)]*\)[^;}]*?),\s*url\([^;}]*", r"\1", text)
    for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)|@import\s+['\"]([^'\"]+)['\"]", text):
        ref = ref[0] or ref[1]
        path = _local(ref.split("#")[0].split("?")[0], css.parent, root)
        if path is None:
            continue
        found |= _css_assets(path, root) if path.suffix == ".css" else {path}
    return frozenset(found)


@lru_cache(maxsize=None)
def _mathjax(script: Path) -> frozenset[Path]:
    """What MathJax fetches after its first script: all its fonts (a page needs only some) and,
    when that script is the loader (startup.js), the components next to it; not the TeX
    extensions, which load only when a formula uses one. A combined component such as
    tex-chtml.js holds its components itself."""
    folder = script.parent
    loader = script.name == "startup.js"
    suffixes = (".woff", ".woff2", ".otf") + ((".js",) if loader else ())
    extensions = folder / "input" / "tex" / "extensions"

    def fetched(p: Path) -> bool:
        if p.parent == folder:  # next to the script: other combined components, and the core
            return p == script or (loader and p.name == "core.js")
        return p.suffix in suffixes and extensions not in p.parents

    return frozenset(p for p in folder.rglob("*") if p.is_file() and fetched(p))


# Font Awesome keeps each icon style in its own font, which a browser downloads only when the
# page shows an icon of that style (the solid one draws the theme's own icons too).
_ICON_STYLES = {"fa-brands-": re.compile(r'class="[^"]*\b(fab|fa-brands)\b'),
                "fa-regular-": re.compile(r'class="[^"]*\b(far|fa-regular)\b')}


def page_assets(page: Path, root: Path) -> set[Path]:
    """The page and the local files it loads."""
    parser = _Refs()
    text = page.read_text(errors="replace")
    parser.feed(text)
    files = {page}
    for ref in parser.refs:
        path = _local(ref, page.parent, root)
        if path is None:
            continue
        files |= _css_assets(path, root) if path.suffix == ".css" else {path}
        if path.parent.name == "mathjax" and path.suffix == ".js":
            files |= _mathjax(path)
    unused = [prefix for prefix, used in _ICON_STYLES.items() if not used.search(text)]
    return {p for p in files if not any(p.name.startswith(prefix) for prefix in unused)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", nargs="?", default="_build/html", type=Path)
    parser.add_argument("--site-mb", type=float, default=12.0, help="limit for the whole site")
    parser.add_argument("--page-mb", type=float, default=3.0, help="limit for one page with its files")
    parser.add_argument("--top", type=int, default=0, help="print only the N heaviest pages (0: all)")
    args = parser.parse_args(argv)
    root = args.html.resolve()
    if not root.is_dir():
        print(f"sizes: {root} does not exist; run make book first", file=sys.stderr)
        return 2
    site = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    rows = []
    for page in sorted(root.rglob("*.html")):
        if any(part.startswith("_") for part in page.relative_to(root).parts[:-1]):
            continue  # _static, _sources: assets, not pages
        assets = page_assets(page, root)
        total = sum(p.stat().st_size for p in assets)
        heaviest = max(assets - {page}, key=lambda p: p.stat().st_size, default=None)
        rows.append((total, page.stat().st_size, len(assets), page.relative_to(root), heaviest))
    rows.sort(reverse=True)
    print(f"{'page':44} {'with files':>10} {'html':>8} {'files':>5}  heaviest file")
    for total, own, n, name, heaviest in rows[:args.top or None]:
        flag = "  OVER" if total > args.page_mb * MB else ""
        big = f"{heaviest.relative_to(root)} ({heaviest.stat().st_size / MB:.2f} MB)" if heaviest else ""
        print(f"{str(name):44} {total / MB:7.2f} MB {own / MB:5.2f} MB {n:5}  {big}{flag}")
    over = [r for r in rows if r[0] > args.page_mb * MB]
    print(f"site: {site / MB:.2f} MB in {sum(1 for p in root.rglob('*') if p.is_file())} files "
          f"(limit {args.site_mb:g} MB); heaviest page {rows[0][0] / MB:.2f} MB (limit {args.page_mb:g} MB)")
    problems = []
    if site > args.site_mb * MB:
        problems.append(f"the site is {site / MB:.2f} MB, over the {args.site_mb:g} MB limit")
    problems += [f"{name} weighs {total / MB:.2f} MB with its files, over the {args.page_mb:g} MB limit"
                 for total, _, _, name, _ in over]
    for p in problems:
        print(f"sizes: FAIL {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
