"""Build-time metadata that setup.cfg cannot express.

Everything static (name, version via ``attr:``, requirements, classifiers)
stays in setup.cfg. Here: the project URLs, all derived from ``REPOSITORY``
(the one place the repository address is written), and the PyPI description:
README.md with every relative link made absolute, because PyPI renders the
description without the repository beside it (a relative screenshot link is a
broken image there). README.md itself keeps its relative links for GitHub and
for readers of the checkout.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict

REPOSITORY = "https://github.com/thonny-esp32cam/thonny-esp32cam"
BRANCH = "main"

HERE = Path(__file__).resolve().parent


def project_urls() -> Dict[str, str]:
    return {
        "Homepage": REPOSITORY,
        "Source": REPOSITORY,
        "Issues": f"{REPOSITORY}/issues",
        "Changelog": f"{REPOSITORY}/blob/{BRANCH}/CHANGELOG.md",
    }


def _raw_base() -> str:
    # https://github.com/OWNER/NAME -> https://raw.githubusercontent.com/OWNER/NAME
    return REPOSITORY.replace("https://github.com/", "https://raw.githubusercontent.com/", 1)


_SCHEME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)")
_IMAGE_FILE = re.compile(r"\.(?:png|jpe?g|gif|webp)$", re.IGNORECASE)


def absolute_url(target: str, image: bool) -> str:
    """The address on GitHub of a link target written relative to the README.

    Images (and links to image files) point to the raw file, which PyPI can
    show inline; other files to GitHub's page for them. ``#anchors`` stay: PyPI's
    renderer (readme_renderer 46, ``header_id_prefix`` and
    ``_prefix_relative_links`` in readme_renderer/markdown.py) gives headings ids
    and points in-page links at them; tests/test_readme_links.py checks each one."""
    if not target or target.startswith("#") or _SCHEME.match(target):
        return target
    path = target[2:] if target.startswith("./") else target
    if path.startswith("/") or path.split("/")[0] == "..":
        raise ValueError(f"README link {target!r} leaves the repository; write it relative to README.md")
    if image or _IMAGE_FILE.search(path.split("#")[0].split("?")[0]):
        return f"{_raw_base()}/{BRANCH}/{path}"
    kind = "tree" if path.endswith("/") else "blob"
    return f"{REPOSITORY}/{kind}/{BRANCH}/{path}"


# [text](target "title") and ![alt](target); the text may hold one level of
# brackets (an image inside a link). The target may be written <in brackets>.
_INLINE = re.compile(r"(?P<bang>!?)\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*(?P<target><[^>]*>|[^\s)]+)(?P<rest>[^)]*)\)")
_REFERENCE = re.compile(r"^(?P<lead> {0,3}\[[^\]]+\]:\s*)(?P<target><[^>]*>|\S+)", re.MULTILINE)
_HTML_ATTR = re.compile(r"(?P<tag><(?P<name>[A-Za-z]+)\b[^>]*?\b(?P<attr>src|href)=)(?P<q>[\"'])(?P<target>[^\"']*)(?P=q)")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def _rewrite_inline(text: str) -> str:
    def inline(m: "re.Match[str]") -> str:
        target = m.group("target")
        bracketed = target.startswith("<")
        bare = target[1:-1] if bracketed else target
        # a link whose text is an image: rewrite the image too
        label = _rewrite_inline(m.group("text"))
        new = absolute_url(bare, image=bool(m.group("bang")))
        new = f"<{new}>" if bracketed else new
        return f"{m.group('bang')}[{label}]({new}{m.group('rest')})"

    def html(m: "re.Match[str]") -> str:
        image = m.group("name").lower() in ("img", "source") and m.group("attr").lower() == "src"
        return m.group("tag") + m.group("q") + absolute_url(m.group("target"), image) + m.group("q")

    # code spans are shown literally: leave them alone
    pieces = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        pieces.append(_HTML_ATTR.sub(html, _INLINE.sub(inline, text[last:span.start()])))
        pieces.append(span.group(0))
        last = span.end()
    pieces.append(_HTML_ATTR.sub(html, _INLINE.sub(inline, text[last:])))
    return "".join(pieces)


def pypi_description(markdown: str) -> str:
    """``markdown`` with every relative link and image made absolute (fenced code untouched)."""
    out = []
    block: list = []
    fence = None
    for line in markdown.splitlines(keepends=True):
        m = _FENCE.match(line)
        if fence is None and m:
            out.append(_rewrite_block("".join(block)))
            block = []
            fence = m.group(1)
            out.append(line)
        elif fence is not None:
            out.append(line)
            if line.strip().startswith(fence):
                fence = None
        else:
            block.append(line)
    out.append(_rewrite_block("".join(block)))
    return "".join(out)


def _rewrite_block(text: str) -> str:
    def reference(m: "re.Match[str]") -> str:
        target = m.group("target")
        bare = target[1:-1] if target.startswith("<") else target
        return m.group("lead") + absolute_url(bare, image=False)

    return _rewrite_inline(_REFERENCE.sub(reference, text))


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import the helpers
    from setuptools import setup

    setup(
        long_description=pypi_description((HERE / "README.md").read_text(encoding="utf-8")),
        long_description_content_type="text/markdown",
        project_urls=project_urls(),
    )
