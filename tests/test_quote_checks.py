"""The checks that keep wrong numbers and false sentences out of the site (issue 14).

Each build test writes a small page with a mistake that used to build without complaint — a unit word
that belongs to another quote, dollar signs that render a quote as literal text, simulated digits the
simulation does not determine, a hand-typed number in alt text, a sentence the run contradicts — and
shows that the build now fails, naming the file and line.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, MiniProject

from genmath.sitebuild import quotecheck
from genmath.sitebuild.lint import hand_typed_in_text, raw_quadrature, timing_claims
from genmath.sitebuild.scan import scan_file, scan_text

UNITS = """\
from genmath.snippet import publish
publish("t.u.kl", 0.25, unit="nats")
publish("t.u.h", 1.5, unit="nats")
publish("t.u.b", 0.5, unit="bits")
"""


def _page(body: str) -> str:
    return "# Test\n\nSome prose.\n\n" + body + "\n"


def _fails(project: MiniProject, *needles: str) -> str:
    result = project.build()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for needle in needles:
        assert needle in output, f"{needle!r} not in:\n{output}"
    return output


# ------------------------------------------------------------------------------------------ units


@pytest.mark.parametrize("text", [
    "{{ t.u.kl:.2f }} nats",
    "${{ t.u.kl:.2f }}$ nats",
    "$\\KL = {{ t.u.kl:.2f }} \\pm {{ t.u.h:.2f }}$ nats",
    "from {{ t.u.kl:.2f }} to {{ t.u.h:.2f }} nats",
    "${{ t.u.kl:.2f }}\\text{ nats}$",
    "({{ t.u.kl:.2f }}, {{ t.u.h:.2f }}) nats",
    "it is {{ t.u.kl:.2f }}\nnats on the next line",
])
def test_the_unit_word_right_after_the_quote_or_its_same_unit_neighbours_counts(text: str) -> None:
    lines = text.split("\n")
    start = lines[0].index("{{")
    end = lines[0].index("}}") + 2
    units = {"t.u.kl": "nats", "t.u.h": "nats", "t.u.b": "bits"}
    assert not quotecheck.unit_problem(lines, 0, start, end, "nats", units)


@pytest.mark.parametrize("text", [
    "{{ t.u.kl:.2f }}, alternatively",                 # "nat" inside another word
    "{{ t.u.kl:.2f }} and the entropy {{ t.u.h:.2f }} nats",  # another quote's unit
    "{{ t.u.kl:.2f }} and {{ t.u.b:.2f }} bits, nats",    # a quote in another unit in between
    "nats: {{ t.u.kl:.2f }}",                          # the unit before the quote, not after it
])
def test_a_unit_word_that_belongs_elsewhere_does_not_count(text: str) -> None:
    start, end = text.index("{{"), text.index("}}") + 2
    units = {"t.u.kl": "nats", "t.u.h": "nats", "t.u.b": "bits"}
    assert quotecheck.unit_problem([text], 0, start, end, "nats", units)


def test_in_a_table_the_unit_may_be_in_the_column_or_row_header() -> None:
    lines = ["| quantity | KL (nats) | other |", "|---|---|---|", "| $L_T$ | {{ t.u.kl }} | {{ t.u.kl }} |",
             "| $L_0$ (nats) | x | {{ t.u.kl }} |"]

    def col(line: str, n: int) -> int:
        return [i for i in range(len(line)) if line.startswith("{{", i)][n]

    units = {"t.u.kl": "nats"}
    assert not quotecheck.unit_problem(lines, 2, col(lines[2], 0), col(lines[2], 0) + 12, "nats", units)
    assert quotecheck.unit_problem(lines, 2, col(lines[2], 1), col(lines[2], 1) + 12, "nats", units)
    assert not quotecheck.unit_problem(lines, 3, col(lines[3], 0), col(lines[3], 0) + 12, "nats", units)


@pytest.mark.build
def test_build_fails_when_the_only_unit_word_belongs_to_another_quote(project: MiniProject) -> None:
    project.write("snippets/t/units.py", UNITS)
    # today this built: "nats" is on the line, so the KL quote passed the check
    project.write("docs/index.md", _page('{{ snippet("t/units.py") }}\n\n'
                                         "The KL is {{ t.u.kl:.2f }} and the entropy {{ t.u.h:.2f }} nats."))
    _fails(project, "index.md:7", "value 't.u.kl' is in nats: state the unit right after the quote")


# ---------------------------------------------------------------------------- literal-text quotes


def test_literal_dollars_are_found_but_math_delimiters_are_not() -> None:
    line = "a $x$ {{ t.q }} and $ {{ t.q }} $ and ${{ t.q }}$"
    first, second = line.index("{{"), line.index("{{", line.index("{{") + 1)
    math = {line.index("$x$"), line.index("$x$") + 2}
    assert not quotecheck.literal_problem(line, first, first + 9, math)
    assert quotecheck.literal_problem(line, second, second + 9, math)


@pytest.mark.build
def test_build_fails_on_a_quote_that_would_render_with_literal_dollars(project: MiniProject) -> None:
    project.write("snippets/t/units.py", UNITS)
    # the README's own example used to read like this, and rendered "$ 0.2500 $"
    project.write("docs/index.md", _page('{{ snippet("t/units.py") }}\n\n'
                                         "The reverse KL is $ {{ t.u.kl:.4f }} $ nats."))
    _fails(project, "index.md:7", "would render as literal text")


def test_the_readme_example_renders_as_math() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "but the reverse is ${{ kl.unequal.reverse:.4f }}$ nats." in readme
    assert "but the reverse is $ {{" not in readme


# ---------------------------------------------------------------------------- simulated statistics


@pytest.mark.parametrize("text,unit", [("0.0075", 1e-4), ("3.2", 0.1), ("−12", 1.0), ("1.2 × 10⁻⁵", 1e-6),
                                       ("80.3%", 1e-3), ("0.0", 0.1), ("1,234", 1.0)])
def test_rounding_unit_of_a_formatted_quote(text: str, unit: float) -> None:
    assert quotecheck.rounding_unit(text) == pytest.approx(unit)


def test_digits_allowed_by_a_standard_error() -> None:
    se = 0.0043  # three negative estimates in 400 draws, as kl.md once printed "0.0075"
    assert quotecheck.digits_problem(0.0075, ".4f", se, with_se=False)
    assert quotecheck.digits_problem(0.0075, ".3f", se, with_se=False)  # 0.001 < 2 se
    assert quotecheck.digits_problem(0.0075, ".2f", se, with_se=False) is None
    assert quotecheck.digits_problem(0.0075, ".4f", se, with_se=True)  # finer than the SE's leading digit
    assert quotecheck.digits_problem(0.0075, ".3f", se, with_se=True) is None
    assert quotecheck.digits_problem(0.5, ".1%", 0.004, with_se=False)  # 0.1 % is finer than 2 se
    assert quotecheck.digits_problem(0.5, ".0%", 0.004, with_se=False) is None


@pytest.mark.build
def test_build_fails_on_more_digits_than_the_simulation_determines(project: MiniProject) -> None:
    project.write("snippets/t/sim.py", """\
        import numpy as np
        from genmath.snippet import publish
        rng = np.random.default_rng(0)
        hits = rng.uniform(size=400) < 0.02
        f = hits.mean()
        publish("t.sim.frac", f, se=np.sqrt(f * (1 - f) / hits.size))
        """)
    project.write("docs/index.md", _page('{{ snippet("t/sim.py") }}\n\n'
                                         "A fraction {{ t.sim.frac:.4f }} of the draws."))
    _fails(project, "index.md:7", "value 't.sim.frac' is a simulated statistic", "without its standard error")
    # quoted with its standard error, to the standard error's leading digit, it builds
    project.write("docs/index.md", _page('{{ snippet("t/sim.py") }}\n\n'
                                         "A fraction ${{ t.sim.frac:.3f }} \\pm {{ t.sim.frac_se:.3f }}$."))
    result = project.build("--strict")
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------- alt text and captions


def test_the_strict_lint_of_alt_text_catches_one_digit_readings() -> None:
    alt = "terms fall to about 1e-6 nats near t = 1000, from about 0.4 at t = 2; see Eq. 12.5, 2020"
    assert hand_typed_in_text(alt, strict=True) == ["1e-6", "0.4"]
    assert hand_typed_in_text(alt, strict=False) == []  # the prose rule (3+ digits) let them through
    assert hand_typed_in_text("from {{ a.b:.2f }} to {{ a.c:.1e }} nats", strict=True) == []


@pytest.mark.build
def test_build_fails_on_a_hand_typed_number_in_alt_text_and_formats_quotes_there(project: MiniProject) -> None:
    fig = """\
        from genmath.figures import subplots
        from genmath.snippet import figure, publish
        publish("t.fig.low", 1.03e-7, unit="nats")
        fig, ax = subplots()
        ax.plot([0, 1], [0, 1])
        figure(fig, "t.fig.line", alt=ALT, caption="Terms down to {{ t.fig.low:.1e }} nats.")
        """
    project.write("snippets/t/fig.py", fig.replace("ALT", '"The terms fall to about 1e-6 nats."'))
    project.write("docs/index.md", _page('{{ snippet("t/fig.py") }}'))
    _fails(project, "index.md:5", "alt of figure 't.fig.line': hand-typed number 1e-6")
    project.write("snippets/t/fig.py", fig.replace("ALT", '"The terms fall to {{ t.fig.low:.1e }} nats."'))
    result = project.build("--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    html = (project.path / "site" / "index.html").read_text()
    assert 'aria-label="The terms fall to 1.0 × 10⁻⁷ nats."' in html
    assert "<figcaption>Terms down to 1.0 × 10⁻⁷ nats.</figcaption>" in html


@pytest.mark.build
def test_build_fails_on_an_unknown_name_or_a_missing_unit_in_a_chapter_caption(project: MiniProject) -> None:
    project.write("snippets/t/units.py", UNITS)
    project.write("snippets/t/fig.py", """\
        from genmath.figures import subplots
        from genmath.snippet import figure
        fig, ax = subplots()
        figure(fig, "t.fig.line", alt="A line.")
        """)
    body = '{{ snippet("t/units.py") }}\n\n{{ snippet("t/fig.py", show="output source") }}\n\n'
    project.write("docs/index.md", _page(body + '{{ figure("t.fig.line", caption="KL {{ t.u.kl:.2f }} here") }}'))
    _fails(project, "index.md:9", "caption of figure 't.fig.line': value 't.u.kl' is in nats")


# ---------------------------------------------------------------------------- run-dependent claims


@pytest.mark.build
def test_a_sentence_the_run_contradicts_fails_the_build_with_its_location(project: MiniProject) -> None:
    project.write("snippets/t/claim.py", """\
        from genmath.snippet import claim, publish
        rate = publish("t.c.rate", 0.3, unit="nats")
        claim(rate < 0.05, "at beta = 4 every dimension collapses")
        """)
    project.write("docs/index.md", _page('{{ snippet("t/claim.py") }}\n\nAt $\\beta = 4$ every dimension '
                                         "collapses (rate {{ t.c.rate:.2f }} nats)."))
    _fails(project, "index.md:5", "snippet snippets/t/claim.py:3",
           "claim does not hold for this run: at beta = 4 every dimension collapses")


def test_every_snippet_that_trains_a_model_states_its_claims() -> None:
    """The trained models are where the prose says most about a run; each such snippet checks it."""
    trainers = [p for p in sorted((ROOT / "snippets").rglob("*.py"))
                if any(f"{name}(" in p.read_text(encoding="utf-8")
                       for name in ("train_vae", "train_gan", "train_ddpm", "train_flow"))]
    assert len(trainers) >= 5
    missing = [p.relative_to(ROOT).as_posix() for p in trainers if "claim(" not in p.read_text(encoding="utf-8")]
    assert not missing, f"snippets that train a model but check no sentence about it: {missing}"


# ---------------------------------------------------------------------------- timing claims


def test_timing_lint_finds_time_statements_but_not_quoted_measurements() -> None:
    text = ("# T\n\nTraining takes a few seconds on one CPU thread. It ran in 47 s.\n"
            "The sweep shows it within seconds. Measured: {{ t.time.train:.0f }} seconds.\n"
            "The second expectation and 3 hidden layers are not times; `sleep(5 s)` is code.\n")
    found = [(f.line, f.number) for f in timing_claims(scan_text(text, "t.md"))]
    assert found == [(3, "'seconds'"), (3, "'47 s'"), (4, "'seconds'")]


DOCS = ROOT / "docs"


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_no_timing_claims_in_chapters(page) -> None:
    findings = timing_claims(scan_file(DOCS, page))
    assert not findings, "measure it in a snippet or remove it:\n" + "\n".join(map(str, findings))


def test_inline_math_may_continue_onto_the_next_line_but_not_past_a_blank_one() -> None:
    from genmath.sitebuild.site import _inline_math_spans

    # a quote at the start of the second line of "$... =\n{{ q }}$" is inside math, not between lone dollars
    assert _inline_math_spans(["a $x =", "{{ q }}$ b", "", "c $ {{ q }} $ d $y$"]) == [((0, 2), (1, 7)),
                                                                                      ((3, 16), (3, 18))]
    assert _inline_math_spans(["a $x", "", "y$"]) == []


# ---------------------------------------------------------------------------- quadrature in snippets


def test_raw_quadrature_finds_every_way_of_calling_a_scipy_integrator() -> None:
    source = (
        "import numpy as np\n"
        "from scipy.integrate import quad, simpson\n"      # 2: quad (simpson integrates samples: fine)
        "import scipy.integrate\n"
        "import scipy.integrate as si\n"
        "from scipy import integrate as I\n"
        "a = scipy.integrate.dblquad(f, 0, 1, 0, 1)\n"     # 6
        "b = si.quad_vec(f, 0, 1)\n"                        # 7
        "c = I.quad(f, 0, np.inf)[0]\n"                     # 8
        "d = quad_of_mine(f) + np.quad\n"                   # not scipy's
    )
    assert list(raw_quadrature(source)) == [(2, "from scipy.integrate import quad"), (6, "scipy.integrate.dblquad"),
                                      (7, "si.quad_vec"), (8, "I.quad")]
    assert raw_quadrature("def broken(:\n") == ()  # a syntax error is reported by the run, with its line


@pytest.mark.build
def test_build_fails_on_a_snippet_that_calls_quad_itself(project: MiniProject) -> None:
    """The mistake of mle.md's old integral: quad's error estimate (larger than the value) was ignored."""
    project.write("snippets/t/integral.py", """\
        import numpy as np
        from scipy import integrate
        from genmath.snippet import publish

        value, _err = integrate.quad(lambda lam: lam**32 * np.exp(-10 * lam), 0, np.inf)
        publish("t.q.integral", value)
        """)
    project.write("docs/index.md", _page('{{ snippet("t/integral.py") }}\n\nIt is {{ t.q.integral:.4g }}.'))
    _fails(project, "index.md:5", "snippet snippets/t/integral.py:5",
           "snippet integrates with integrate.quad directly, so nothing checks its error estimate")


def test_no_snippet_calls_a_scipy_integrator_itself() -> None:
    found = [f"{p.relative_to(ROOT).as_posix()}:{line}: {what}"
             for p in sorted((ROOT / "snippets").rglob("*.py"))
             for line, what in raw_quadrature(p.read_text(encoding="utf-8"))]
    assert not found, "integrate through genmath, which checks the error estimate:\n" + "\n".join(found)


def test_the_old_mle_integral_through_genmath_is_right_or_refused() -> None:
    """mle.md's old mistake, ∫₀^∞ L(λ) dλ by a bare quad (3.483e-10; error estimate 4.9e-10), through the
    helper: without a location it is refused by name, with one it matches S!/(n^{S+1} ∏ xᵢ!)."""
    import math

    import numpy as np
    from scipy.special import gammaln

    from genmath.mle import poisson_log_likelihood
    from genmath.numerics import integrate

    x = np.random.default_rng(0).poisson(3.0, size=10)  # the counts of snippets/mle/likelihood.py
    n, total = x.size, int(x.sum())
    exact = math.exp(gammaln(total + 1) - (total + 1) * math.log(n) - gammaln(x + 1).sum())

    def likelihood(lam: float) -> float:
        return math.exp(poisson_log_likelihood(lam, x))

    with pytest.raises(ValueError, match="cannot tell where the mass of L"):
        integrate(likelihood, 0, math.inf, name="L(lambda)")
    value = integrate(likelihood, 0, math.inf, name="L(lambda)", loc=total / n, scale=math.sqrt(total) / n)
    assert value == pytest.approx(exact, rel=1e-10)


@pytest.mark.build
def test_an_integral_that_cannot_be_trusted_fails_the_build_with_its_location(project: MiniProject) -> None:
    project.write("snippets/t/divergent.py", """\
        from genmath.numerics import integrate
        from genmath.snippet import publish

        publish("t.q.area", integrate(lambda t: 1 / t, 0, 1, name="1/t"))
        """)
    project.write("docs/index.md", _page('{{ snippet("t/divergent.py") }}\n\nThe area is {{ t.q.area:.3g }}.'))
    _fails(project, "index.md:5", "snippet snippets/t/divergent.py:4", "QuadratureError",
           "quadrature of 1/t cannot be trusted")


def test_timing_lint_reads_inline_math_as_math() -> None:
    text = ("# T\n\nThe bound $K \\le c^3 h^2$ holds. It ran in 3 h.\n"
            "Measured: ${{ t.time.train:.0f }}$ seconds.\n")
    found = [(f.line, f.number) for f in timing_claims(scan_text(text, "t.md"))]
    assert found == [(3, "'3 h'")]


def test_pm_shows_a_rounding_level_standard_error_as_zero() -> None:
    from genmath.snippet import pm

    assert pm(-5.135166374188906, 9e-18) == "-5.13517 ± 0"  # e.g. importance weights all equal
    assert pm(-54.1234, 0.31) == "-54.1 ± 0.3"
