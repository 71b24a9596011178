"""The formula checker (genmath.formulas): it reads the notation, gives it meaning, and fails on mistakes.

Part 1 tests the reader and the evaluator on small formulas, each with a wrong twin that must fail by
value. Part 2 checks every display formula of the chapters (``python -m genmath.formulas``), and
part 3 runs the mutation test and prints its table at the end of the run.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import FORMULA_STATS, ROOT

from genmath.formulas import (MVN, Check, Discrete, Finite, FormulaCheckError, GaussianModel, Lazy, Normal, Reals,
                              Seq, Table, verify)
from genmath.formulas import tex as t
from genmath.formulas.evaluate import JOINT, LAW
from genmath.formulas.run import FAILING, Runner, _chapters
from genmath.sitebuild.errors import BuildError
from genmath.sitebuild.scan import scan_text

WHERE = "docs/t.md:3 formula 't'"


def _fails(tex: str, check: Check, kind: str = "wrong") -> str:
    with pytest.raises(FormulaCheckError) as info:
        verify(tex, check, where=WHERE)
    assert info.value.kind == kind, str(info.value)
    assert str(info.value).startswith(WHERE)
    return str(info.value)


def _pair(rng: np.random.Generator) -> dict:
    mu = rng.normal(size=2)
    var = rng.uniform(0.3, 2.0, size=2)
    return {"p": Normal(mu[0], var[0]), "q": Normal(mu[1], var[1]), "x": Reals(points=list(mu)),
            "mu_1": mu[0], "mu_2": mu[1], "sigma_1": math.sqrt(var[0]), "sigma_2": math.sqrt(var[1])}


# -- part 1: the notation means what it says -------------------------------------------------------

def test_kl_of_gaussians_is_computed_not_matched() -> None:
    check = Check(_pair, n_points=5)
    good = (r"\KL(\mathcal{N}(\mu_1, \sigma_1^2) \,\|\, \mathcal{N}(\mu_2, \sigma_2^2)) = \log \frac{\sigma_2}{\sigma_1}"
            r" + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac{1}{2}")
    assert verify(good, check, where=WHERE) == 5
    _fails(good.replace(r"\mathcal{N}(\mu_1, \sigma_1^2) \,\|\, \mathcal{N}(\mu_2, \sigma_2^2)",
                        r"\mathcal{N}(\mu_2, \sigma_2^2) \,\|\, \mathcal{N}(\mu_1, \sigma_1^2)"), check)
    _fails(good.replace(r"\mathcal{N}(\mu_1, \sigma_1^2) \,\|", r"\mathcal{N}(\mu_1, \sigma_1) \,\|"), check)


def test_expectation_integral_and_kl_agree_and_the_wrong_law_fails() -> None:
    check = Check(_pair, n_points=3, rtol=1e-8, atol=1e-9)
    good = r"\KL(p \,\|\, q) = \int p(x) \log \frac{p(x)}{q(x)} \, dx = \mathbb{E}_{x \sim p}[\log p(x) - \log q(x)]"
    assert verify(good, check, where=WHERE) == 6
    _fails(good.replace(r"x \sim p", r"x \sim q"), check)
    _fails(good.replace(r"\int p(x)", r"\int q(x)"), check)


def test_a_density_alone_inside_an_integral_is_its_value_at_the_variable() -> None:
    check = Check(_pair, n_points=3, rtol=1e-8, atol=1e-9)
    good = r"\int p \log \frac{p}{q} \, dx = \KL(p \,\|\, q)"
    assert verify(good, check, where=WHERE) == 3
    _fails(r"\int q \log \frac{p}{q} \, dx = \KL(p \,\|\, q)", check)
    assert verify(r"\int (p) \, dx = 1", check, where=WHERE) == 3
    _fails(r"\int (p + q) \, dx = 1", check)


def test_discrete_sums_follow_the_0_log_0_convention() -> None:
    def point(rng: np.random.Generator) -> dict:
        p = np.array([0.5, 0.0, 0.5])
        q = rng.dirichlet(np.ones(3))
        return {"p": Discrete(p, [0, 1, 2]), "q": Discrete(q, [0, 1, 2]), "x": Finite([0, 1, 2])}

    check = Check(point, n_points=4)
    good = r"H(p, q) = -\sum_x p(x) \log q(x) = H(p) + \KL(p \,\|\, q)"
    assert verify(good, check, where=WHERE) == 8
    _fails(r"H(p, q) = -\sum_x p(x) \log p(x)", check)
    _fails(r"H(p, q) = H(q) + \KL(p \,\|\, q)", check)


def test_cross_entropy_is_infinite_where_the_model_rules_out_an_outcome() -> None:
    def point(rng: np.random.Generator) -> dict:
        p = rng.dirichlet(np.ones(3))
        q = np.concatenate([rng.dirichlet(np.ones(2)), [0.0]])  # q(2) = 0 < p(2)
        return {"p": Discrete(p, [0, 1, 2]), "q": Discrete(q, [0, 1, 2]), "x": Finite([0, 1, 2])}

    check = Check(point, n_points=3)
    assert verify(r"H(p, q) = -\sum_x p(x) \log q(x) = \infty", check, where=WHERE) == 6
    _fails(r"H(p, q) = -\sum_x q(x) \log q(x)", check)


def test_a_probability_vector_is_a_categorical_law() -> None:
    def point(rng: np.random.Generator) -> dict:
        return {"z": rng.normal(scale=2.0, size=4), "y": int(rng.integers(1, 5)), "K": 4, "bfe": np.eye(4)}

    check = Check(point, n_points=5)
    good = r"H(\mathbf{e}_y, \mathrm{softmax}(z)) = -\log \mathrm{softmax}(z)_y = -z_y + \log \sum_{k=1}^K e^{z_k}"
    assert verify(good, check, where=WHERE) == 10
    _fails(r"H(\mathbf{e}_y, \mathrm{softmax}(z)) = -\log \mathrm{softmax}(z)_1", check)
    _fails(r"H(\mathrm{softmax}(z)) = -\log \mathrm{softmax}(z)_y", check)


def test_strict_inequality_fails_at_its_equality_case() -> None:
    def point(rng: np.random.Generator) -> dict:
        p = rng.dirichlet(np.ones(3))
        q = p if rng.uniform() < 0.5 else rng.dirichlet(np.ones(3))
        return {"p": Discrete(p), "q": Discrete(q)}

    check = Check(point, n_points=10)
    assert verify(r"0 \le \KL(p \,\|\, q)", check, where=WHERE) == 10
    assert "fails" in _fails(r"0 < \KL(p \,\|\, q)", check)
    _fails(r"0 \ge \KL(p \,\|\, q)", check)


def test_matrices_are_not_commutative_and_shapes_must_match() -> None:
    def point(rng: np.random.Generator) -> dict:
        W = rng.normal(size=(3, 2))
        return {"W": W, "sigma": 0.7, "x": rng.normal(size=3), "b": rng.normal(size=3),
                "Sigma_z|x": np.linalg.inv(np.eye(2) + W.T @ W / 0.49)}

    check = Check(point, n_points=3)
    good = r"\Sigma_{z|x} = \left(I_k + \frac{W^\top W}{\sigma^2}\right)^{-1}"
    assert verify(good.replace("I_k", "I"), check, where=WHERE) == 3
    message = _fails(good.replace("I_k", "I").replace(r"W^\top W", r"W W^\top"), check, "unreadable")
    assert "shape" in message


def test_coordinates_of_a_gaussian_vector_are_variables() -> None:
    def point(rng: np.random.Generator) -> dict:
        a = rng.normal(size=(3, 3))
        # x ~ N(m, C) in R^3: x_d and x_{<d} are its coordinates, conditioned by Schur complements
        return {"p": GaussianModel({"x": 3}, rng.normal(size=3), a @ a.T + 0.5 * np.eye(3)),
                "x": rng.normal(size=3), "D": 3}

    check = Check(point, n_points=4)
    good = r"\log p(x) = \sum_{d=1}^{D} \log p(x_d \mid x_{<d})"
    assert verify(good, check, where=WHERE) == 4
    assert verify(r"p(x_1, x_2, x_3) = p(x_1)\, p(x_2 \mid x_1)\, p(x_3 \mid x_{1:2})", check, where=WHERE) == 4
    _fails(r"\log p(x) = \sum_{d=1}^{D} \log p(x_d)", check)
    _fails(r"p(x_1, x_2, x_3) = p(x_1)\, p(x_2 \mid x_1)\, p(x_3 \mid x_2)", check)


def test_a_variable_named_twice_has_a_degenerate_law() -> None:
    def point(rng: np.random.Generator) -> dict:
        a = rng.normal(size=(3, 3))
        return {"p": GaussianModel({"x": 3}, rng.normal(size=3), a @ a.T + 0.5 * np.eye(3)),
                "x": rng.normal(size=3), "d": 1}

    check = Check(point, n_points=3)
    # no density: +inf on the support (the limit of densities); the law of no variable has density 1
    assert verify(r"p(x_2 \mid x_1, x_2) = p(x_1, x_1) = \infty, \quad p(x_{<d}) = 1", check, where=WHERE) == 9
    _fails(r"p(x_1) p(x_2 \mid x_2) = p(x_1, x_2)", check)


def test_decorated_symbol_before_a_parenthesis_is_a_product() -> None:
    def point(rng: np.random.Generator) -> dict:
        betas = np.sort(rng.uniform(1e-3, 0.3, size=8))
        abar = np.cumprod(1 - betas)
        abar_prev = np.concatenate([[1.0], abar])  # \bar\alpha_0 = 1
        t_ = int(rng.integers(1, 9))
        post = (1 - abar_prev[t_ - 1]) / (1 - abar[t_ - 1]) * betas[t_ - 1]
        return {"t": t_, "beta": betas, "alphabar": Seq(abar_prev, start=0), "betatilde_t": post}

    check = Check(point, n_points=6)
    good = r"\tilde\beta_t(1-\bar\alpha_t) = (1-\bar\alpha_{t-1})\beta_t"
    assert verify(good, check, where=WHERE) == 6
    _fails(good.replace(r"\bar\alpha_{t-1}", r"\bar\alpha_t"), check)


def test_a_power_after_a_product_binds_to_the_parenthesis() -> None:
    def point(rng: np.random.Generator) -> dict:
        n, a = int(rng.integers(2, 9)), float(rng.normal())
        return {"n": n, "a": a, "s": n * a**2, "f": lambda v: 3.0 * v}

    check = Check(point, n_points=4)
    assert verify(r"s = n(a)^2 = \frac{f(a)^2}{9} \cdot n", check, where=WHERE) == 8
    _fails(r"s = n(a)^2 = f(n a)^2", check)
    _fails(r"s = n(a)^3", check)


def test_conditionals_are_addressed_by_variable_names() -> None:
    def point(rng: np.random.Generator) -> dict:
        a, s = rng.uniform(0.2, 0.9), rng.uniform(0.2, 1.0)
        # z ~ N(0, 1), x = a z + s e: the joint law of (z, x) and every conditional by Schur complements
        model = GaussianModel({"z": 1, "x": 1}, [0.0, 0.0], [[1.0, a], [a, a * a + s * s]])
        return {"p": model, "x": float(rng.normal()), "z": float(rng.normal())}

    check = Check(point, n_points=5)
    assert verify(r"p(z \mid x) = \frac{p(x \mid z)\, p(z)}{p(x)}", check, where=WHERE) == 5
    _fails(r"p(z \mid x) = \frac{p(z \mid x)\, p(z)}{p(x)}", check)
    # z_1, z_2: draws of the model's variable z
    draws = Check(lambda rng: {**point(rng), "z_1": float(rng.normal()), "z_2": float(rng.normal())},
                  n_points=5)
    assert verify(r"p(x, z_1) = p(x \mid z_1)\, p(z_1)", draws, where=WHERE) == 5
    _fails(r"p(x, z_1) = p(x \mid z_2)\, p(z_1)", draws)


def test_events_can_be_targets_and_conditions() -> None:
    def point(rng: np.random.Generator) -> dict:
        p1, p0 = Normal(float(rng.normal()), 1.0), Normal(float(rng.normal()), 2.0)

        def posterior(x: float) -> Discrete:
            return Discrete(np.array([p0.pdf(x), p1.pdf(x)]) / (p0.pdf(x) + p1.pdf(x)), support=[0, 1])

        model = Table({"y|x": posterior, "x|y": lambda y: p1 if y == 1 else p0})
        return {"P": model, "p": model, "x": float(rng.normal()), "p_1": p1, "p_0": p0}

    check = Check(point, n_points=5)
    good = r"P(y = 1 \mid x) = \frac{p(x \mid y = 1)}{p(x \mid y = 1) + p(x \mid y = 0)}"
    assert verify(good, check, where=WHERE) == 5
    _fails(good.replace(r"\frac{p(x \mid y = 1)}", r"\frac{p(x \mid y = 0)}"), check)


def _markov_chain(rng: np.random.Generator) -> dict:
    """x_0 ~ N(0, 1), x_1 = a x_0 + e_1, x_2 = b x_1 + e_2: one joint Gaussian over named variables."""
    a, b = rng.uniform(0.3, 1.5, size=2)
    v1 = a * a + 1
    cov = np.array([[1, a, a * b], [a, v1, b * v1], [a * b, b * v1, b * b * v1 + 1]])
    q = GaussianModel({"x_0": 1, "x_1": 1, "x_2": 1}, np.zeros(3), cov)
    return {"q": q, "a": a, "b": b, "x_0": float(rng.normal()), LAW: q, JOINT: q}


def test_expectations_over_a_model_condition_on_the_variables_that_have_values() -> None:
    check = Check(_markov_chain, n_points=4)
    # E_q over q(x_1, x_2 | x_0): x_0 has a value, x_1 and x_2 do not
    assert verify(r"\mathbb{E}_q[x_2^2] = a^2 b^2 x_0^2 + b^2 + 1", check, where=WHERE) == 4
    _fails(r"\mathbb{E}_q[x_2^2] = a^2 b^2 x_0^2 + b^2", check)
    assert verify(r"\mathbb{E}_q[\log q(x_{1:2} \mid x_0)] = -H(q(\cdot \mid x_0))", check, where=WHERE) == 4
    _fails(r"\mathbb{E}_q[\log q(x_{1:2} \mid x_0)] = H(q(\cdot \mid x_0))", check)
    assert verify(r"\mathbb{E}[x_1 \mid x_0] = a x_0", check, where=WHERE) == 4
    _fails(r"\mathbb{E}[x_1 \mid x_0] = b x_0", check)

    def marginal(rng: np.random.Generator) -> dict:
        point = _markov_chain(rng)
        del point["x_0"]
        return point

    check = Check(marginal, n_points=3)
    assert verify(r"\mathrm{Var}[x_2] = b^2 a^2 + b^2 + 1", check, where=WHERE) == 3
    _fails(r"\mathrm{Var}[x_2] = b^2 a^2 + 1", check)


def test_a_law_in_an_expectation_may_depend_on_the_variables_before_it() -> None:
    def point(rng: np.random.Generator) -> dict:
        a, mu = float(rng.uniform(0.5, 2.0)), float(rng.normal())
        q = GaussianModel({"x": 1, "y": 1}, [mu, a * mu], [[1.0, a], [a, a * a + 1.0]])  # y = a x + e
        return {"a": a, "mu": mu, "p": Normal(mu, 1.0), "q": q}

    check = Check(point, n_points=3)
    good = r"\mathbb{E}_{x \sim p,\ y \sim q(\cdot \mid x)}[y^2] = a^2 (\mu^2 + 1) + 1"
    assert verify(good, check, where=WHERE) == 3
    _fails(good.replace("a^2 (\\mu^2 + 1) + 1", "a^2 + 1"), check)


def test_a_variable_may_have_a_value_and_a_domain() -> None:
    from genmath.formulas import DOMAINS

    def point(rng: np.random.Generator) -> dict:
        return {"x": float(rng.normal()), "y": float(rng.normal()), DOMAINS: {"x": Finite([1, 2, 3])}}

    check = Check(point, n_points=3)
    assert verify(r"\sum_x (x - y) + 3y = 6", check, where=WHERE) == 3  # x bound by the sum
    _fails(r"\sum_x (x - y) + 3x = 6", check)  # the outer x is the value


def test_a_density_equal_to_a_law_states_the_law_of_its_variables() -> None:
    check = Check(_markov_chain, n_points=3)
    assert verify(r"q(x_1 \mid x_0) = \mathcal{N}(a x_0, 1), \qquad q(x_0) = \mathcal{N}(0, 1)", check,
                  where=WHERE) == 6
    assert "the law" in _fails(r"q(x_1 \mid x_0) = \mathcal{N}(x_0, 1)", check)
    _fails(r"q(x_0) = \mathcal{N}(0, 2)", check)
    _fails(r"q(x_1 \mid x_0) = \mathcal{N}(a x_0, 2)", check)


def test_proportional_means_the_same_ratio_at_every_point() -> None:
    def point(rng: np.random.Generator) -> dict:  # only x varies from point to point
        return {"x": float(rng.normal(scale=2.0)), "mu": 0.7, "s": 1.3}

    check = Check(point, n_points=5)
    good = r"\mathcal{N}(x; \mu, s^2) \propto \exp\Big(-\frac{(x-\mu)^2}{2s^2}\Big)"
    assert verify(good, check, where=WHERE) == 4
    assert "ratio" in _fails(r"\mathcal{N}(x; \mu, s^2) \propto \exp\Big(-\frac{(x-\mu)^2}{2s}\Big)", check)


def test_a_variable_given_itself_is_a_point_mass() -> None:
    def point(rng: np.random.Generator) -> dict:
        return {**_markov_chain(rng), "x_1": float(rng.normal())}

    check = Check(point, n_points=3)
    assert verify(r"q(x_1 \mid x_0) = \mathcal{N}(x_1; a x_0, 1)", check, where=WHERE) == 3
    # q(x_1 | x_1) is the point mass at x_1: its density there is +inf, a wrong value, not an undefined one
    assert "inf" in _fails(r"q(x_1 \mid x_1) = \mathcal{N}(x_1; a x_0, 1)", check)
    _fails(r"\log q(x_1 \mid x_1) = 0", check)

    def vectors(rng: np.random.Generator) -> dict:  # the same for a vector variable and for a table of laws
        x, y = rng.normal(size=(2, 2))
        cov = np.kron([[1, 0.5], [0.5, 1]], np.eye(2))
        return {"x": x, "y": y, "q": GaussianModel({"x": 2, "y": 2}, np.zeros(4), cov),
                "r": Table({"y|x": lambda v: MVN(v, np.eye(2))})}

    check = Check(vectors, n_points=3)
    assert verify(r"r(y \mid x) = \mathcal{N}(y; x, I)", check, where=WHERE) == 3
    assert "inf" in _fails(r"q(y \mid y) = \mathcal{N}(y; x, I)", check)
    assert "inf" in _fails(r"r(x \mid x) = \mathcal{N}(y; x, I)", check)
    # an expectation of the log-density of a point mass at its own point is +inf, a wrong value
    assert "inf" in _fails(r"\mathbb{E}_{x \sim \mathcal{N}(y, I)}[\log q(x \mid x)] = 0", check)


def test_inverse_hyperbolic_functions() -> None:
    check = Check(lambda rng: {"z": float(rng.normal())}, n_points=3)
    assert verify(r"\sinh^{-1}(z) = \log(z + \sqrt{1 + z^2})", check, where=WHERE) == 3
    _fails(r"\sinh^{-1}(z) = \frac{1}{\sinh(z)}", check)


def test_information_measures_receive_their_arguments_by_part() -> None:
    """H(X, Y), H(Y | X), H(Y | X = x) and I(X; Y | Z) reach a ByParts function with the arguments, the
    variables after ';' and after '|' kept apart (and events as (name, value) pairs)."""
    from genmath.formulas import ByParts

    def parts(name: str):
        def show(item) -> str:
            return f"{item[0]}={item[1]:g}" if isinstance(item, tuple) else item.name

        return ByParts(lambda args, semi, given: {name: [[show(a) for a in part] for part in (args, semi, given)]})

    seen: dict[str, list] = {}

    def point(rng: np.random.Generator) -> dict:
        return {"H": ByParts(lambda a, s, g: seen.update(parts("H").fn(a, s, g)) or 1.0),
                "I": ByParts(lambda a, s, g: seen.update(parts("I").fn(a, s, g)) or 2.0), "x": 3.0}

    check = Check(point, n_points=1)
    verify(r"H(X, Y) = H(X, Y)", check, where=WHERE)
    assert seen["H"] == [["X", "Y"], [], []]
    verify(r"H(Y \mid X = x) = H(Y \mid X = x)", check, where=WHERE)
    assert seen["H"] == [["Y"], [], ["X=3"]]
    verify(r"I(X; Y, W \mid Z) = I(X; Y, W \mid Z)", check, where=WHERE)
    assert seen["I"] == [["X"], ["Y", "W"], ["Z"]]
    _fails(r"H(X \mid Y) = I(X; Y)", check)


def test_derivatives_follow_their_variable() -> None:
    def point(rng: np.random.Generator) -> dict:
        x = rng.normal(size=5)
        return {"x": x, "n": 5, "mu": float(rng.normal()), "v": float(rng.uniform(0.5, 2.0)),
                "ell": Lazy(lambda s: float(-2.5 * np.log(2 * np.pi * s["v"]) - np.sum((s["x"] - s["mu"]) ** 2)
                                            / (2 * s["v"])))}

    check = Check(point, n_points=4, rtol=1e-7, atol=1e-8)
    good = r"\frac{\partial \ell}{\partial v} = -\frac{n}{2v} + \frac{1}{2v^2}\sum_{i=1}^n (x_i - \mu)^2"
    assert verify(good, check, where=WHERE) == 4
    _fails(good.replace("2v^2", "v^2"), check)


def test_a_derivative_stops_halving_its_step_only_where_the_differences_agree_to_rounding() -> None:
    """Central differences at h and h/2 that agree within the rounding of f (a quadratic: a Gaussian
    log-density) settle after two steps; anything with higher curvature takes all four and keeps its
    Richardson accuracy, so a settled derivative is never less accurate than the full one."""
    from genmath.formulas import evaluate as ev

    def counted(f):
        calls = []
        def g(x):
            calls.append(x)
            return f(x)
        return g, calls

    cases = [  # f, x, order, exact derivative, steps expected (evaluations of f)
        (lambda x: -0.5 * (x - 0.3) ** 2 / 1.7 - 1.2, 0.8, 1, -(0.8 - 0.3) / 1.7, 4),
        (lambda x: 2.0 * x ** 3 - x, 1.1, 2, 12.0 * 1.1, 5),  # a cubic: the second difference is exact
        (lambda x: math.exp(x), 0.4, 1, math.exp(0.4), 8),
        (lambda x: math.log(1 + x * x), 0.7, 2, (2 - 2 * 0.49) / (1 + 0.49) ** 2, 9),
        (lambda x: x ** 5, 0.0, 1, 0.0, 8),  # flat to h^4 at 0, not a polynomial of degree 2
    ]
    for f, x, order, exact, calls_expected in cases:
        g, calls = counted(f)
        value = float(ev._difference(g, x, order))
        assert len(calls) == calls_expected, (x, order, len(calls))
        assert abs(value - exact) <= 1e-9 * max(1.0, abs(exact)), (x, order, value, exact)
    # a vector-valued f settles only when every component does
    g, calls = counted(lambda x: np.array([x * x, math.sin(x)]))
    assert np.allclose(ev._difference(g, 0.5, 1), [1.0, math.cos(0.5)], rtol=1e-9) and len(calls) == 8


def test_derivatives_with_respect_to_part_of_a_vector_follow_the_vector() -> None:
    from genmath.formulas import Function

    def point(rng: np.random.Generator) -> dict:
        a, b = rng.uniform(0.5, 2.0, size=2)
        f = Function(lambda z: a * z + b, lambda x: (x - b) / a)
        return {"u": rng.normal(size=3), "a": a, "x": float(rng.normal()), "f": f,
                "v": Lazy(lambda s: np.concatenate([s["u"][:1], s["u"][1:] * np.exp(a * s["u"][0])]))}

    check = Check(point, n_points=3, rtol=1e-7, atol=1e-8)
    good = r"\frac{\partial v_{2:3}}{\partial u_1} = a u_{2:3} \exp(a u_1)"
    assert verify(good, check, where=WHERE) == 3
    _fails(good.replace("a u_{2:3}", "u_{2:3}"), check)
    jacobian = (r"\frac{\partial v}{\partial u} = "
                r"\begin{pmatrix} 1 & 0 \\ a u_{2:3} \exp(a u_1) & \exp(a u_1) I_2 \end{pmatrix}")
    assert verify(jacobian, check, where=WHERE) == 3
    _fails(jacobian.replace("& \\exp(a u_1) I_2", "& I_2"), check)
    # a block of one row keeps its shape inside a matrix
    v = Lazy(lambda s: np.concatenate([s["u"][:2], s["u"][2:] * np.exp(s["a"] * (s["u"][0] + s["u"][1]))]))
    check = Check(lambda rng: {**point(rng), "v": v}, n_points=3, rtol=1e-7, atol=1e-8)
    block = (r"\frac{\partial v}{\partial u} = \begin{pmatrix} I_2 & 0 \\ "
             r"\frac{\partial v_{3:3}}{\partial u_{1:2}} & \exp(a u_1 + a u_2) \end{pmatrix}")
    assert verify(block, check, where=WHERE) == 3
    _fails(block.replace("a u_1 + a u_2", "a u_1"), check)
    # s_j(u) is component j of a vector-valued function
    check = Check(lambda rng: {**point(rng), "s": lambda w: np.array([np.sin(w[0]), w[0] * w[1]]),
                               "d": 2}, n_points=3)
    assert verify(r"\sum_{j=1}^{d} s_j(u_{1:2}) = \sin(u_1) + u_1 u_2", check, where=WHERE) == 3
    _fails(r"\sum_{j=1}^{d} s_j(u_{1:2}) = \sin(u_1) + u_2", check)
    # d{x} is dx
    assert verify(r"\frac{d {f}^{-1}}{d{x}}(x) = \frac{1}{a}", check, where=WHERE) == 3
    _fails(r"\frac{d {f}}{d{x}}(x) = \frac{1}{a}", check)
    # the derivative of a function, without an argument, is taken at the value of its variable
    assert verify(r"\log\left|\frac{d f^{-1}}{dx}\right| = -\log a", check, where=WHERE) == 3
    _fails(r"\log\left|\frac{d f}{dx}\right| = -\log a", check)


def test_gradients_with_nabla() -> None:
    def point(rng: np.random.Generator) -> dict:
        return {"x": rng.normal(size=2), "mu": rng.normal(size=2), "s": float(rng.uniform(0.5, 2.0))}

    check = Check(point, n_points=3, rtol=1e-7, atol=1e-9)
    good = r"\nabla_x \log \mathcal{N}(x; \mu, s^2 I) = -\frac{x - \mu}{s^2}"
    assert verify(good, check, where=WHERE) == 3
    _fails(good.replace("{s^2}", "{s}"), check)
    _fails(good.replace(r"\nabla_x", r"\nabla_{\mu}"), check)


def test_a_primed_function_is_its_derivative() -> None:
    def point(rng: np.random.Generator) -> dict:
        a, b = rng.uniform(0.1, 2.0, size=2)
        return {"a": a, "b": b, "y": float(rng.uniform(0.05, 0.95)),
                "f": lambda y: a * math.log(y) + b * math.log(1 - y)}

    check = Check(point, n_points=5, rtol=1e-7, atol=1e-9)
    good = r"f'(y) = \frac{a}{y} - \frac{b}{1 - y}, \qquad f''(y) = -\frac{a}{y^2} - \frac{b}{(1 - y)^2}"
    assert verify(good, check, where=WHERE) == 10
    _fails(good.replace(r"- \frac{b}{1 - y}", r"+ \frac{b}{1 - y}"), check)
    _fails(good.replace("(1 - y)^2", "(1 - y)"), check)


def test_nabla_differentiates_with_respect_to_its_subscript() -> None:
    def point(rng: np.random.Generator) -> dict:
        return {"m": rng.normal(size=2), "z": rng.normal(size=2), "S": np.diag(rng.uniform(0.5, 2.0, size=2))}

    check = Check(point, n_points=3, rtol=1e-7, atol=1e-9)
    good = r"\nabla_m \log \mathcal{N}(z; m, S) = S^{-1}(z - m)"
    assert verify(good, check, where=WHERE) == 3
    _fails(r"\nabla_z \log \mathcal{N}(z; m, S) = S^{-1}(z - m)", check)


def test_gaussian_expectations_of_quadratic_forms() -> None:
    def point(rng: np.random.Generator) -> dict:
        k = 3
        a = rng.normal(size=(k, k))
        cov = a @ a.T + 0.5 * np.eye(k)
        mu = rng.normal(size=k)
        return {"p": MVN(mu, cov), "mu_p": mu, "Sigma_p": cov, "k": k}

    check = Check(point, n_points=3, rtol=1e-8, atol=1e-9)
    good = r"\mathbb{E}_p[(x-\mu_p)^\top \Sigma_p^{-1} (x-\mu_p)] = k"
    assert verify(good, check, where=WHERE) == 3
    _fails(good.replace(r"\Sigma_p^{-1}", r"\Sigma_p"), check)


def test_gaussian_expectations_of_smooth_functions_in_two_dimensions() -> None:
    def point(rng: np.random.Generator) -> dict:
        a = rng.normal(size=(2, 2))
        cov = a @ a.T + 0.5 * np.eye(2)
        mean = rng.normal(size=2)
        return {"q": MVN(mean, cov), "r": MVN(mean + 0.3 * rng.normal(size=2), 0.7 * cov)}

    check = Check(point, n_points=3, rtol=1e-7, atol=1e-9)
    good = r"\log \mathbb{E}_{z \sim q}\left[\frac{r(z)}{q(z)}\right] = 0"  # r integrates to 1
    assert verify(good, check, where=WHERE) == 3
    _fails(good.replace("= 0", "= 0.01"), check)


def test_expectations_of_vectors() -> None:
    def point(rng: np.random.Generator) -> dict:
        a = rng.normal(size=(2, 2))
        S = a @ a.T + 0.5 * np.eye(2)
        m = rng.normal(size=2)
        return {"q": MVN(m, S, var="z"), "m": m, "S": S}

    check = Check(point, n_points=3, rtol=1e-9, atol=1e-12)
    good = r"\mathbb{E}_{q(z)}[S^{-1}(z - m)] = 0, \qquad \mathbb{E}_{q(z)}[z] = m"
    assert verify(good, check, where=WHERE) == 6
    _fails(r"\mathbb{E}_{q(z)}[z] = S m", check)


def test_a_data_set_of_vectors_is_a_discrete_law() -> None:
    def point(rng: np.random.Generator) -> dict:
        data = rng.normal(size=(4, 2))
        return {"x": Discrete(np.full(4, 0.25), support=list(data)), "m": data.mean(axis=0),
                "a": rng.normal(size=2)}

    check = Check(point, n_points=3)
    good = r"\mathbb{E}_{x}[x] = m, \qquad \mathbb{E}_{x}[a^\top x] = a^\top m"
    assert verify(good, check, where=WHERE) == 6
    _fails(r"\mathbb{E}_{x}[x^\top x] = m^\top m", check)


def test_integrals_over_the_plane_around_a_given_gaussian() -> None:
    def point(rng: np.random.Generator) -> dict:
        rotation = np.linalg.qr(rng.normal(size=(2, 2)))[0]
        S = rotation @ np.diag([0.02, 3.0]) @ rotation.T  # a narrow, tilted density
        m = rng.normal(size=2)
        return {"m": m, "S": S, "z": Reals(dim=2, center=m, cov=1.3 * S)}

    check = Check(point, n_points=3, rtol=1e-8, atol=1e-10)
    assert verify(r"\int \mathcal{N}(z; m, S) \, dz = 1", check, where=WHERE) == 3
    _fails(r"\int \mathcal{N}(z; m, S) \, dz = \sqrt{\det(2 \pi S)}", check)  # a normaliser too many


def test_gaussian_densities_agree_with_scipy() -> None:
    import scipy.stats

    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3))
    cov, mean, x = a @ a.T + 0.1 * np.eye(3), rng.normal(size=3), rng.normal(size=3)
    law = MVN(mean, cov)
    assert law.logpdf(x) == pytest.approx(scipy.stats.multivariate_normal(mean, cov).logpdf(x), rel=1e-12)
    assert law.pdf(x) != pytest.approx(scipy.stats.multivariate_normal(mean, cov.T @ cov).pdf(x), rel=1e-3)
    normal = Normal(0.3, 2.0)  # variance 2
    assert normal.logpdf(1.1) == pytest.approx(scipy.stats.norm(0.3, math.sqrt(2.0)).logpdf(1.1), rel=1e-14)
    assert normal.pdf(1.1) != pytest.approx(scipy.stats.norm(0.3, 2.0).pdf(1.1), rel=1e-3)  # 2 is not the sd


def test_untrustworthy_quadrature_is_reported_not_passed() -> None:
    def point(rng: np.random.Generator) -> dict:
        return {"f": lambda x: 1.0 / abs(x) if x else 0.0, "x": Reals()}

    message = _fails(r"\int f(x) \, dx = 1", Check(point, n_points=1), "unreadable")
    assert "not trustworthy" in message or "error estimate" in message


def test_a_side_past_its_budget_of_evaluations_is_reported_not_run_for_minutes() -> None:
    """Nested expectations multiply the nodes of their rules (one wrong edit of score-dsm-cross once
    needed 3.8 million evaluations, two minutes). Each side has a budget of node evaluations; past it
    the side is unreadable, named in the message, and a check can give its formula a larger budget."""
    from genmath.formulas import evaluate as ev

    def point(rng: np.random.Generator) -> dict:  # E_y[exp(xy/2)] = exp(x^2/32), then E_x of that
        return {"p": Normal(0.0, 1.0, var="x"), "q": Normal(0.0, 0.25, var="y"), "c": math.sqrt(16 / 15)}

    tex = r"\mathbb{E}_{x\sim p}\left[\mathbb{E}_{y\sim q}\left[\exp(x y / 2)\right]\right] = c"
    spent = []

    class Counted(ev.Budget):
        def __init__(self, limit: int = ev.EVALUATIONS) -> None:
            super().__init__(limit)
            spent.append(self)

    original = ev.Budget
    ev.Budget = Counted  # type: ignore[misc]
    try:
        assert verify(tex, Check(point, n_points=1), where=WHERE) == 1
    finally:
        ev.Budget = original  # type: ignore[misc]
    used = max(b.limit - b.left for b in spent)
    assert 1_000 < used < ev.EVALUATIONS, used
    message = _fails(tex, Check(point, n_points=1, evaluations=used - 1), "unreadable")
    assert f"needs more than {used - 1:,} evaluations" in message and r"\exp(x y / 2)" in message
    assert verify(tex, Check(point, n_points=1, evaluations=used), where=WHERE) == 1
    assert _fails(tex.replace("x y / 2", "x y / 3"), Check(point, n_points=1))  # and the check works by value


def test_an_estimate_is_checked_against_a_numerical_maximiser() -> None:
    import scipy.stats

    from genmath.formulas import argmax

    def point(rng: np.random.Generator) -> dict:
        n = int(rng.integers(1, 30))
        k = int(rng.integers(0, n + 1)) if rng.uniform() < 0.7 else n  # k = n: the maximum is at p = 1
        return {"k": k, "n": n, "phat": argmax(lambda p: float(scipy.stats.binom.logpmf(k, n, p)), 0.0, 1.0)}

    check = Check(point, n_points=10, rtol=1e-9, atol=1e-11)
    assert verify(r"\hat p = \frac{k}{n}", check, where=WHERE) == 10
    _fails(r"\hat p = \frac{k+1}{n+2}", check)


def test_unknown_symbols_and_bad_tex_are_located() -> None:
    check = Check(lambda rng: {"a": 1.0}, n_points=1)
    assert "'b'" in _fails(r"a = b", check, "unreadable")
    assert "cannot read" in _fails(r"a = \frac{1}{", check, "unreadable")
    assert "no relation" in _fails(r"a + 1", check, "unreadable")


def test_a_shifted_upper_limit_stays_the_limit() -> None:
    from genmath.formulas.mutate import mutants

    shifted = {m.tex for m in mutants(t.parse(r"s = \sum_{k=1}^K z_k")) if m.kind == "shift-index"}
    assert r"s = \sum_{k=1}^{K-1} z_k" in shifted  # not \sum_{k=1}^K-1 z_k


def test_units_nats_and_bits() -> None:
    check = Check(lambda rng: {}, n_points=1)
    assert verify(r"\log 2 \text{ nats} = 1 \text{ bit}", check, where=WHERE) == 1
    _fails(r"\log 3 \text{ nats} = 1 \text{ bit}", check)


def test_swapped_symbols_are_of_the_same_kind() -> None:
    from genmath.formulas.mutate import mutants

    point = {"V": lambda D, G: 0.0, "D": lambda x: 0.5, "G": lambda z: z, "x": 1.0, "y": 2.0}
    notes = {m.note for m in mutants(t.parse(r"V(D, G) = D(x) + G(y)"), point) if m.kind == "swap-symbol"}
    assert {"'D' -> 'G'", "'G' -> 'D'", "'x' -> 'y'"} <= notes
    assert not any("'V'" in note for note in notes), notes  # a function of two arguments is not D or G
    shifts = {m.tex for m in mutants(t.parse(r"\mathcal{L}_D(D) = x_k"), {**point, "k": 2})
              if m.kind == "shift-index"}
    assert shifts == {r"\mathcal{L}_D(D) = x_{k-1}"}  # the D of L_D names a function, it does not count


def test_a_swap_between_two_names_of_one_object_is_equivalent() -> None:
    from genmath.formulas.report import mutate_formula

    def point(rng: np.random.Generator) -> dict:
        model = GaussianModel({"z": 1, "x": 1}, [0.0, 0.0], [[1.0, 0.5], [0.5, 1.5]])
        return {"p": model, "p_theta": model, "x": float(rng.normal()), "z": Reals()}

    formula = r"p_\theta(x) = \int p_\theta(x \mid z) \, p(z) \, dz"
    outcomes = mutate_formula(formula, Check(point, n_points=2), label="t", file="t.md", line=1)
    swaps = [o.verdict for o in outcomes if o.mutant.kind == "swap-symbol"]
    assert swaps and set(swaps) == {"equivalent"}
    assert "survived" not in {o.verdict for o in outcomes}


def test_reader_reads_every_display_formula_of_the_site() -> None:
    from genmath.sitebuild.scan import scan_file

    unreadable = []
    for page in sorted((ROOT / "docs").rglob("*.md")):
        chapter = scan_file(ROOT / "docs", page)
        for m in chapter.maths:
            if m.display and m.exempt is None:
                try:
                    t.parse(m.tex)
                except t.TexError as err:
                    unreadable.append(f"docs/{chapter.path}:{m.line}: {err}")
    assert not unreadable, "\n".join(unreadable)


def test_exemptions_and_duplicate_labels_are_read_from_the_chapter() -> None:
    chapter = scan_text("# T\n\n<!-- exempt: definition of the model -->\n$$\na = b\n$$\n", "t.md")
    assert chapter.maths[0].exempt == "definition of the model"
    with pytest.raises(BuildError, match="used twice"):
        scan_text("# T\n\n$$\na = 1 \\label{a}\n$$\n\n$$\nb = 1 \\label{a}\n$$\n", "t.md")


# -- part 2: every display formula of the chapters ---------------------------------------------------

RUNNER = Runner(ROOT)
CHAPTERS = _chapters(ROOT, [])


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.path for c in CHAPTERS])
def test_every_display_formula_is_checked_or_exempt(chapter, project_built) -> None:
    """(After the shared build, whose formula checks fill the cache these read.)"""
    results = RUNNER.check_chapter(chapter)
    RUNNER.save()
    failing = [f"{r.where}: {r.status}: {r.message}" for r in results if r.status in FAILING]
    assert not failing, "\n".join(failing)
    FORMULA_STATS.setdefault("per_chapter", {})[chapter.path] = (  # type: ignore[index]
        sum(r.status == "ok" for r in results), sum(r.status == "exempt" for r in results), len(results))


def test_command_line_json_reports_every_display_formula(project_built) -> None:
    chapter = next(c for c in CHAPTERS if c.path == "kl.md")
    out = subprocess.run([sys.executable, "-m", "genmath.formulas", "--json", f"docs/{chapter.path}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == sum(m.display for m in chapter.maths)
    assert {tuple(sorted(r)) for r in rows} <= {("file", "id", "line", "status"), ("file", "id", "line", "message",
                                                                                   "status")}
    assert {r["status"] for r in rows} <= {"ok", "exempt"}


def test_exemptions_stay_under_15_percent(project_built) -> None:
    results = [r for c in CHAPTERS for r in RUNNER.check_chapter(c)]
    exempt = sum(r.status == "exempt" for r in results)
    assert exempt <= 0.15 * len(results), f"{exempt} of {len(results)} display formulas are exempt"


# -- part 3: the mutation test -----------------------------------------------------------------------

@pytest.mark.long
def test_mutation_report_meets_its_targets() -> None:
    """>= 90% of the non-equivalent wrong edits caught by value, <= 2% surviving (issue 13)."""
    from genmath.formulas.report import mutation_report

    table, ok = mutation_report(RUNNER, CHAPTERS)
    FORMULA_STATS["mutation_table"] = table
    assert ok, table



def test_closed_parts_are_kept_for_other_formulas_at_the_same_point() -> None:
    """The mutation test's memo: a part evaluated outside every integral, sum and derivative is kept by
    its tree (not its place in the text) and reused by later formulas at the same point, with the very
    same verdicts; a reuse charges the side's budget what the first evaluation cost."""
    from genmath.formulas import evaluate as ev
    from genmath.formulas.check import points, verify_formula

    def point(rng: np.random.Generator) -> dict:  # E_y[exp(xy/2)] = exp(x^2/32), then E_x of that
        return {"p": Normal(0.0, 1.0, var="x"), "q": Normal(0.0, 0.25, var="y"), "c": math.sqrt(16 / 15),
                "a": float(rng.uniform(1, 2))}

    inner = r"\mathbb{E}_{x\sim p}\left[\mathbb{E}_{y\sim q}\left[\exp(x y / 2)\right]\right]"
    check = Check(point, n_points=2)
    pts, memo = points(check), {}
    assert verify_formula(t.parse(f"a {inner} = a c"), check, where=WHERE, pts=pts, memo=memo) == 2
    parts = memo["parts", 0]
    assert isinstance(parts, ev.Memo) and parts.hits == 0 and len(parts.values) >= 2
    # the same expectation, written elsewhere and with other spacing, is not integrated again
    assert verify_formula(t.parse(f"c = {inner.replace('x y', 'x  y')}"), check, where=WHERE, pts=pts,
                          memo=memo) == 2
    assert parts.hits == 1 and memo["parts", 1].hits == 1
    # a wrong coefficient outside it still fails by value, a wrong one inside is integrated afresh
    for wrong in (f"2 {inner} = c", inner.replace("x y / 2", "x y / 3") + " = c"):
        with pytest.raises(FormulaCheckError) as err:
            verify_formula(t.parse(wrong), check, where=WHERE, pts=pts, memo=memo)
        assert err.value.kind == "wrong"
        with pytest.raises(FormulaCheckError) as fresh:  # the verdict without the memo
            verify_formula(t.parse(wrong), check, where=WHERE, pts=pts)
        assert str(err.value) == str(fresh.value)
    # a kept part charges its cost: with a budget below it the side is unreadable, kept or not
    small = Check(point, n_points=2, evaluations=50)
    for kept in (memo, None):
        with pytest.raises(FormulaCheckError) as err:
            verify_formula(t.parse(f"c = {inner}"), small, where=WHERE, pts=pts, memo=kept)
        assert err.value.kind == "unreadable" and "needs more than 50 evaluations" in str(err.value)
    # parts inside an integral depend on its variable: never kept
    assert ev.shape(t.parse("x y").statements[0].sides[0]) == ev.shape(t.parse("x  y").statements[0].sides[0])


def test_an_expectation_undefined_at_two_rules_stops_at_once() -> None:
    """A Gauss-Hermite expectation whose function is NaN at two successive orders is reported after
    those two rules, not after every rule up to the largest (a wrong edit often makes a log negative)."""
    from genmath.formulas.objects import NumericalError, Tol, gauss_expect

    calls = []

    def f(x: np.ndarray) -> float:
        calls.append(x)
        return math.nan if x[0] > 0 else 1.0

    with pytest.raises(NumericalError, match="undefined"):
        gauss_expect(f, np.zeros(2), np.eye(2), tol=Tol(1e-10, 1e-10))
    assert len(calls) == 3 ** 2 + 4 ** 2  # orders 3 and 4 in two dimensions
    assert gauss_expect(lambda x: float(x[0] ** 2), np.zeros(2), np.eye(2), tol=Tol(1e-10, 1e-10)) == \
        pytest.approx(1.0)

def test_the_readme_example_works_as_written() -> None:
    """The Contributing guide's formula and check, copied as written, pass; a wrong twin fails."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Add a checked formula"):readme.index("### Read a build failure")]
    tex = re.search(r"```latex\n\$\$\n(.*?)\n\$\$\n```", section, re.S).group(1)  # type: ignore[union-attr]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the guide's own example
    (label, check), = namespace["CHECKS"].items()
    assert f"\\label{{{label}}}" in tex
    assert label not in {m.label for c in CHAPTERS for m in c.maths}, "the example's label must be new"
    assert verify(tex, check, where=WHERE) == check.n_points
    _fails(tex.replace(r"- 1 -", r"+ 1 -"), check)


def test_a_check_file_fingerprint_follows_the_genmath_sources_it_imports(tmp_path) -> None:
    """The formula cache key: a check file's fingerprint changes when a genmath module it imports
    (directly, through a public name of genmath/__init__.py, or transitively) changes, and not when
    an unrelated module does; the per-file memo notices an edit."""
    import os

    from genmath.formulas.run import fingerprint

    pkg = tmp_path / "genmath"
    (pkg / "formulas").mkdir(parents=True)
    (pkg / "__init__.py").write_text('_EXPORTS: dict[str, str] = {"kl_normal": "info"}\n')
    (pkg / "formulas" / "__init__.py").write_text("")
    (pkg / "info.py").write_text("from genmath import helpers\n")
    (pkg / "helpers.py").write_text("X = 1\n")
    (pkg / "unrelated.py").write_text("Y = 1\n")
    check = tmp_path / "formulas" / "kl.py"
    check.parent.mkdir()
    check.write_text("from genmath import kl_normal\nCHECKS = {}\n")

    def edit(path, text):
        path.write_text(text)
        stat = path.stat()  # a later modification time, even on a coarse-grained file system
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    first = fingerprint(check, tmp_path)
    assert fingerprint(check, tmp_path) == first
    edit(pkg / "unrelated.py", "Y = 2\n")
    assert fingerprint(check, tmp_path) == first
    edit(pkg / "helpers.py", "X = 2\n")  # imported by info.py, which defines the public name
    second = fingerprint(check, tmp_path)
    assert second != first
    edit(pkg / "info.py", "from genmath import helpers, unrelated\n")
    third = fingerprint(check, tmp_path)
    assert third != second
    edit(pkg / "unrelated.py", "Y = 3\n")  # now imported
    assert fingerprint(check, tmp_path) != third
