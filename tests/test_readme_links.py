"""README.md's links, as GitHub and PyPI show them.

Links are read from README.md rendered by readme_renderer, the library PyPI
renders descriptions with, so what is checked is what the page will hold:
every relative link or image names a file of the checkout, every in-page
``#anchor`` a heading, and the PyPI description that setup.py builds from the
README has no relative link or image left, each absolute one pointing at a
file that exists here. The other Markdown files of the checkout get the
same check for their relative links and anchors."""
from __future__ import annotations

import functools
import runpy
from html.parser import HTMLParser
from pathlib import Path
from typing import List, Set, Tuple
from urllib.parse import unquote, urlsplit

import pytest
import readme_renderer.markdown

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: List[Tuple[str, str]] = []  # (tag, target)
        self.ids: Set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, value))
            elif name == "id" and value:
                self.ids.add(value)


def rendered_links(markdown: str) -> _Links:
    html = readme_renderer.markdown.render(markdown)
    assert html, "readme_renderer could not render the Markdown (pip install 'readme-renderer[md]')"
    parser = _Links()
    parser.feed(html)
    return parser


def check_links(markdown: str, base: Path, *, allow_relative: bool) -> List[str]:
    """Problems with the links of ``markdown`` (empty when all is well)."""
    page = rendered_links(markdown)
    helpers = setup_helpers()
    problems = []
    for tag, target in page.links:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not parts.path:  # "#anchor"
            if parts.fragment not in page.ids:
                problems.append(f"{target}: no heading with this anchor")
        elif parts.scheme or parts.netloc:
            path = _repository_path(target, helpers["REPOSITORY"], helpers["BRANCH"])
            if path is not None and not (REPO_ROOT / path).exists():
                problems.append(f"{target}: {path} is not in the repository")
        elif not allow_relative:
            problems.append(f"{target}: relative {tag} link (broken on PyPI)")
        elif not (base / unquote(parts.path)).exists():
            problems.append(f"{target}: no such file beside {README.name}")
    return problems


def _repository_path(url: str, repository: str, branch: str):
    """``docs/x.png`` for an address of a file of this repository on GitHub, else None."""
    raw = repository.replace("https://github.com/", "https://raw.githubusercontent.com/", 1)
    for prefix in (f"{raw}/{branch}/", f"{repository}/blob/{branch}/", f"{repository}/tree/{branch}/"):
        if url.startswith(prefix):
            return unquote(urlsplit(url[len(prefix):]).path)
    return None


@functools.lru_cache(maxsize=None)
def setup_helpers() -> dict:
    """setup.py's constants and functions (run under another name, it builds nothing)."""
    return runpy.run_path(str(REPO_ROOT / "setup.py"), run_name="setup_helpers")


def test_every_relative_link_in_readme_names_a_file_or_heading():
    text = README.read_text(encoding="utf-8")
    page = rendered_links(text)
    relative = [t for _, t in page.links if not urlsplit(t).scheme and not urlsplit(t).netloc]
    assert any(t.endswith(".png") for t in relative), "README shows no screenshot (the check would be empty)"
    assert check_links(text, README.parent, allow_relative=True) == []


def _markdown_files():
    from tests.dist_build import checkout_files

    return [name for name in checkout_files(REPO_ROOT) if name.endswith(".md")]


@pytest.mark.parametrize("name", _markdown_files())
def test_links_between_the_docs_resolve(name):
    """The docs README links to (docs/, tests/virtualboard/README.md, CHANGELOG.md) link correctly too."""
    path = REPO_ROOT / name
    assert check_links(path.read_text(encoding="utf-8"), path.parent, allow_relative=True) == []


def test_pypi_description_has_only_absolute_links_to_existing_files():
    helpers = setup_helpers()
    text = README.read_text(encoding="utf-8")
    description = helpers["pypi_description"](text)
    assert check_links(description, README.parent, allow_relative=False) == []
    images = [t for tag, t in rendered_links(description).links if tag == "img"]
    assert images and all(t.startswith("https://raw.githubusercontent.com/") for t in images)
    # the text is unchanged apart from the link targets
    assert len(description.splitlines()) == len(text.splitlines())


def test_the_checks_catch_a_missing_file_a_stale_anchor_and_a_relative_image(tmp_path):
    broken = "# Title\n\n![shot](docs/screenshots/nope.png) [gone](#no-such-section) [ok](#title)\n"
    problems = check_links(broken, README.parent, allow_relative=True)
    assert len(problems) == 2 and "nope.png" in problems[0] and "no-such-section" in problems[1]
    assert any("relative img" in p for p in check_links(broken, README.parent, allow_relative=False))


def test_rewrite_covers_markdown_forms_and_leaves_code_alone():
    h = setup_helpers()
    repo, raw = h["REPOSITORY"], h["REPOSITORY"].replace("github.com", "raw.githubusercontent.com")
    source = "\n".join([
        "[![badge](docs/a.png)](./docs/guide.md#part) see [here](#install) and <https://thonny.org>",
        '<img src="docs/b.png" alt="b"> <a href="docs/">docs</a>',
        "`[not](a/link.md)` and",
        "```",
        "![kept](docs/c.png)",
        "```",
        "[ref]: docs/d.md",
        "[abs](https://example.org/x.md) [mail](mailto:a@b.c)",
    ]) + "\n"
    out = h["pypi_description"](source).splitlines()
    assert out[0] == (f"[![badge]({raw}/main/docs/a.png)]({repo}/blob/main/docs/guide.md#part)"
                      " see [here](#install) and <https://thonny.org>")
    assert out[1] == f'<img src="{raw}/main/docs/b.png" alt="b"> <a href="{repo}/tree/main/docs/">docs</a>'
    assert out[2:6] == source.splitlines()[2:6]  # code span and fenced code untouched
    assert out[6] == f"[ref]: {repo}/blob/main/docs/d.md"
    assert out[7] == source.splitlines()[7]
    with pytest.raises(ValueError, match="leaves the repository"):
        h["pypi_description"]("[up](../other/README.md)\n")


def test_project_urls_come_from_the_one_repository_constant():
    h = setup_helpers()
    urls = h["project_urls"]()
    assert set(urls) == {"Homepage", "Source", "Issues", "Changelog"}
    assert all(u.startswith(h["REPOSITORY"]) for u in urls.values())
    assert urls["Changelog"].endswith("/CHANGELOG.md") and (REPO_ROOT / "CHANGELOG.md").exists()
