"""The Markdown extension on its own: no MkDocs hooks (a successor reads mkdocs.yml and Python-Markdown
extensions, not hooks), and plain Python-Markdown. It prepares the site itself, recognises which
chapter it renders from the text, and locates errors by the chapter file and line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from conftest import MiniProject

pytestmark = pytest.mark.build

SNIPPET = "from genmath.snippet import publish\npublish('e.v.x', 0.125)\n"
CHECKS = 'from genmath.formulas import Check\n\nCHECKS = {\n    "one": Check(lambda rng: {"x": 1.0}),\n}\n'
PAGE = """\
---
description: front matter shifts the lines of the body
---

# Extension

{{ snippet("e/v.py") }}

Value {{ e.v.x:.3f }}.

$$
x = 1 \\label{one}
$$

See \\eqref{one}.
"""


def _without_hooks(project: MiniProject) -> None:
    config = project.path / "mkdocs.yml"
    text = config.read_text()
    assert "hooks:\n  - genmath/sitebuild/mkdocs_hooks.py\n" in text
    config.write_text(text.replace("hooks:\n  - genmath/sitebuild/mkdocs_hooks.py\n", ""))


def test_mkdocs_without_hooks_renders_every_chapter(project: MiniProject) -> None:
    _without_hooks(project)
    project.write("snippets/e/v.py", SNIPPET)
    project.write("formulas/index.py", CHECKS)
    project.write("docs/index.md", PAGE)
    project.write("docs/other.md", "# Other\n\nThe same value: {{ e.v.x:.2f }}, and \\eqref{one}.\n")
    result = project.build("--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    index = (project.path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Value 0.125." in index and 'id="eq-one"' in index and 'href="#eq-one">(1)</a>' in index
    assert '<span class="filename">snippets/e/v.py</span>' in index
    other = (project.path / "site" / "other" / "index.html").read_text(encoding="utf-8")
    assert "The same value: 0.12" in other and "index.md#eq-one" not in other and "../#eq-one" in other


def test_mkdocs_without_hooks_locates_errors_by_chapter_line(project: MiniProject) -> None:
    _without_hooks(project)
    project.write("snippets/e/v.py", SNIPPET)
    project.write("formulas/index.py", CHECKS)
    project.write("docs/index.md", PAGE + "\nA typo: {{ e.v.y:.2f }}.\n")
    result = project.build()
    output = result.stdout + result.stderr
    line = PAGE.count("\n") + 2
    assert result.returncode != 0
    assert f"genmath: index.md:{line}: unknown value name 'e.v.y' (did you mean 'e.v.x'?)" in output, output


def test_plain_python_markdown(project: MiniProject) -> None:
    """No MkDocs at all: Python-Markdown with the extension, run in the project folder."""
    project.write("snippets/e/v.py", SNIPPET)
    project.write("formulas/index.py", CHECKS)
    project.write("docs/index.md", PAGE)
    body = PAGE.split("---\n", 2)[2].lstrip("\n")
    code = textwrap.dedent(f"""\
        import markdown
        print(markdown.markdown({body!r}, extensions=["genmath.sitebuild.markdown", "pymdownx.superfences",
                                                      "pymdownx.tabbed"]))
        """)
    result = subprocess.run([sys.executable, "-c", code], cwd=project.path, env=project.env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Value 0.125." in result.stdout and 'class="katex"' in result.stdout
    assert "snippets/e/v.py" in result.stdout


def test_a_figure_placed_by_the_chapter_renders_the_values_quoted_in_its_caption(project: MiniProject) -> None:
    """`{{ figure(..., caption=...) }}`: the caption's quotes are formatted where the figure is placed
    (the Markdown extension knows which chapter it renders; no page state from a driver)."""
    project.write("snippets/e/fig.py", """\
        from genmath.figures import subplots
        from genmath.snippet import figure, publish
        publish("e.fig.x", 0.125)
        fig, ax = subplots()
        ax.plot([0, 1], [0, 1])
        figure(fig, "e.fig.line", alt="A line.")
        """)
    project.write("docs/index.md", '# Figure\n\n{{ snippet("e/fig.py", show="output source") }}\n\n'
                                   '{{ figure("e.fig.line", caption="At {{ e.fig.x:.3f }} here.") }}\n')
    result = project.build("--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    html = (project.path / "site" / "index.html").read_text()
    assert "<figcaption>At 0.125 here.</figcaption>" in html
