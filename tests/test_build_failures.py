"""Every failure mode fails `mkdocs build` (with and without --strict) with one located message."""

from __future__ import annotations

import pytest
from conftest import MiniProject

GOOD_SNIPPET = """\
from genmath.snippet import publish
publish("t.ok.value", 0.125)
"""

FORMULA_CHECKS = """\
from genmath.formulas import Check

CHECKS = {{
    "{label}": Check(lambda rng: {{"v": 1.0, "a": float(rng.normal()), "b": float(rng.normal())}}),
}}
"""


def _page(body: str) -> str:
    return "# Test\n\nSome prose.\n\n" + body + "\n"


def _expect_failure(project: MiniProject, strict: bool, *needles: str) -> str:
    result = project.build(*(["--strict"] if strict else []))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for needle in needles:
        assert needle in output, f"{needle!r} not in:\n{output}"
    assert output.count("Traceback (most recent call last)") <= 1, "one message, not a crash dump"
    return output


@pytest.mark.build
@pytest.mark.parametrize("strict", [True, False])
def test_exception_names_chapter_line_snippet_line_and_traceback(project: MiniProject, strict: bool) -> None:
    project.write("snippets/t/boom.py", "x = 1\n\n\nraise RuntimeError('the snippet broke')\n")
    project.write("docs/index.md", _page('{{ snippet("t/boom.py") }}'))
    out = _expect_failure(project, strict, "index.md:5", "snippet snippets/t/boom.py:4",
                          "RuntimeError: the snippet broke")
    assert 'raise RuntimeError' in out  # the traceback is shown


@pytest.mark.build
def test_syntax_error(project: MiniProject) -> None:
    project.write("snippets/t/syntax.py", "x = 1\ny = (\n")
    project.write("docs/index.md", _page('{{ snippet("t/syntax.py") }}'))
    _expect_failure(project, False, "index.md:5", "snippet snippets/t/syntax.py:2", "SyntaxError")


@pytest.mark.build
def test_timeout_uses_the_directive_override(project: MiniProject) -> None:
    project.write("snippets/t/slow.py", "import time\ntime.sleep(30)\n")
    project.write("docs/index.md", _page('{{ snippet("t/slow.py", timeout=1) }}'))
    _expect_failure(project, True, "index.md:5", "snippets/t/slow.py", "timed out after 1 s")


@pytest.mark.build
@pytest.mark.parametrize("strict", [True, False])
def test_missing_snippet_file(project: MiniProject, strict: bool) -> None:
    project.write("docs/index.md", _page('{{ snippet("t/nowhere.py") }}'))
    _expect_failure(project, strict, "index.md:5", "snippet file not found: snippets/t/nowhere.py")


@pytest.mark.build
def test_unknown_value_name_with_suggestion(project: MiniProject) -> None:
    project.write("snippets/t/ok.py", GOOD_SNIPPET)
    project.write("docs/index.md", _page('{{ snippet("t/ok.py") }}\n\nThe value is {{ t.ok.valu:.3f }}.'))
    _expect_failure(project, False, "index.md:7", "unknown value name 't.ok.valu'", "did you mean 't.ok.value'")


@pytest.mark.build
def test_figure_without_alt_text(project: MiniProject) -> None:
    project.write("snippets/t/fig.py", """\
        from genmath.figures import subplots
        from genmath.snippet import figure
        fig, ax = subplots()
        ax.plot([0, 1], [0, 1])
        figure(fig, "t.fig.line", alt="")
        """)
    project.write("docs/index.md", _page('{{ snippet("t/fig.py") }}'))
    _expect_failure(project, True, "index.md:5", "snippet snippets/t/fig.py:5", "has no alt text")


@pytest.mark.build
@pytest.mark.parametrize("strict", [True, False])
def test_invalid_tex(project: MiniProject, strict: bool) -> None:
    project.write("docs/index.md", _page("Fine $a+b$.\n\n$$\n\\frac{a}{b\n$$"))
    _expect_failure(project, strict, "index.md:7", "invalid TeX", "KaTeX parse error")


@pytest.mark.build
def test_invalid_tex_inline_with_front_matter(project: MiniProject) -> None:
    project.write("docs/index.md", '---\ntitle: T\n---\n\n# T\n\nBad $\\frac{1}{$ here.\n')
    _expect_failure(project, False, "index.md:7", "invalid TeX")


@pytest.mark.build
def test_missing_unit_after_a_quote(project: MiniProject) -> None:
    project.write("snippets/t/unit.py", "from genmath.snippet import publish\npublish('t.u.kl', 0.25, unit='nats')\n")
    project.write("docs/index.md", _page('{{ snippet("t/unit.py") }}\n\nKL is {{ t.u.kl:.2f }} here.'))
    _expect_failure(project, False, "index.md:7", "is in nats: state the unit")


@pytest.mark.build
def test_malformed_directive_and_unknown_option(project: MiniProject) -> None:
    project.write("snippets/t/ok.py", GOOD_SNIPPET)
    project.write("docs/index.md", _page('{{ snippet("t/ok.py", colour="red") }}'))
    _expect_failure(project, False, "index.md:5", "unknown snippet option(s) ['colour']")


@pytest.mark.build
def test_a_good_page_builds_and_shows_result_source_and_quotes(project: MiniProject) -> None:
    project.write("snippets/t/ok.py", GOOD_SNIPPET)
    project.write("docs/index.md", _page(
        '{{ snippet("t/ok.py") }}\n\nThe value is {{ t.ok.value:.2f }} and $v = {{ t.ok.value:.1e }}$.\n\n'
        "$$\nv = 1 \\label{one}\n$$\n\nSee \\eqref{one}."))
    project.write("formulas/index.py", FORMULA_CHECKS.format(label="one"))
    result = project.build("--strict")
    assert result.returncode == 0, result.stderr
    html = (project.path / "site" / "index.html").read_text()
    assert "The value is 0.12 and" in html
    assert "1.2 \\times 10^{-1}" in html  # KaTeX keeps the TeX source in its MathML annotation
    assert 'id="eq-one"' in html and 'href="#eq-one">(1)</a>' in html
    assert '<span class="filename">snippets/t/ok.py</span>' in html and "publish" in html  # source from file
    assert 'class="tabbed-set' in html


@pytest.mark.build
@pytest.mark.parametrize("strict", [True, False])
def test_wrong_formula_is_located(project: MiniProject, strict: bool) -> None:
    project.write("formulas/index.py", FORMULA_CHECKS.format(label="sum"))
    project.write("docs/index.md", _page("$$\n(a + b)^2 = a^2 + ab + b^2 \\label{sum}\n$$"))
    _expect_failure(project, strict, "index.md:5", "formula 'sum' is wrong", "(a + b)^2")


@pytest.mark.build
def test_unchecked_formula_is_located_and_an_exemption_needs_a_reason(project: MiniProject) -> None:
    project.write("docs/index.md", _page("$$\na = b\n$$"))
    _expect_failure(project, False, "index.md:5", "unchecked", "exempt")
    project.write("docs/index.md", _page("<!-- exempt: a definition of a -->\n$$\na = b\n$$"))
    result = project.build("--strict")
    assert result.returncode == 0, result.stdout + result.stderr
