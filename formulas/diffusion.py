r"""Formula checks for docs/diffusion.md: the forward chain, its posterior, the bound and its weights.

References. No value comes from ``genmath.diffusion``. Every Gaussian quantity of a point comes from
one object: the joint Gaussian of x_0, ..., x_T built from the chain's kernels alone (x_0 ~ N(m, s^2),
q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t): Ho et al. 2020, eq. 2; see ``_linear_gaussian``)
and conditioned generically by Schur complements (``genmath.formulas.GaussianModel``):

- ``\bar\alpha_t``: the squared share of x_0 left in x_t, (dE[x_t | x_0] / dx_0)^2 ("a fraction
  sqrt(alpha-bar_T) of x_0 is left");
- ``\tilde\beta_t`` = Var[x_{t-1} | x_t, x_0] and ``\tilde\mu_t(x_t, x_0)`` = E[x_{t-1} | x_t, x_0];
- ``\mu_\theta(x_t, t)`` in the order of diffusers' DDPMScheduler.step: predict x_0 from the predicted
  noise (Ho et al. 2020, eq. 15), then take the posterior mean at that x_0 (here by conditioning);
- ``\lambda_t`` = (d tilde-mu_t / d epsilon)^2 / (2 sigma_t^2): how much the posterior mean moves per unit
  of noise, squared, from the conditioning gain;
- SNR(t): the variance of the x_0 part of x_t over the variance of its noise part;
- the reverse kernels, marginals and bound terms of the exact Gaussian computation from the same joint;
  KL divergences as E_p[log p - log q] by Gauss-Hermite (``_kl``), expectations by Gauss-Hermite.

Schedules are random (T from 2 to 6, beta_t in (0.02, 0.4), unsorted) and so are the data law and
the points; beta_0 = 0 and alpha_0 = 1 (no noise at step 0, alpha-bar_0 = 1) so that a shifted index
has a value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
from scipy import stats

from genmath.formulas import JOINT, LAW, MVN, Check, Density, Discrete, GaussianModel, Indexed, Lazy, Normal, Seq, Table
from genmath.formulas import objects as ob

TOL = ob.Tol(1e-13, 1e-12)


# --------------------------------------------------------------------------------------------------
# the joint Gaussian of a chain, from its kernels

Equations = dict[str, tuple[float, dict[str, float], float]]


def _linear_gaussian(equations: Equations, names: list[str]) -> GaussianModel:
    """The joint Gaussian of variables defined one after another, v = c + sum_u b_u u + N(0, var).

    ``equations`` maps each variable (parents first) to (c, {parent: b_u}, var). As a linear system
    x = B x + c + e, x = (I - B)^{-1} (c + e): mean (I - B)^{-1} c, covariance (I - B)^{-1} D (I - B)^{-T}.
    The model lists the variables in the order ``names``.
    """
    order = list(equations)
    pos = {v: i for i, v in enumerate(order)}
    n = len(order)
    b, c, noise = np.zeros((n, n)), np.zeros(n), np.zeros(n)
    for v, (const, parents, var) in equations.items():
        c[pos[v]], noise[pos[v]] = const, var
        for u, coef in parents.items():
            b[pos[v], pos[u]] = coef
    a = np.linalg.inv(np.eye(n) - b)
    mean, cov = a @ c, a @ np.diag(noise) @ a.T
    perm = [pos[v] for v in names]
    return GaussianModel({v: 1 for v in names}, mean[perm], cov[np.ix_(perm, perm)])


def _kl(p: ob.Distribution, q: ob.Distribution) -> float:
    """KL(p || q) = E_p[log p - log q] for Gaussians (Normal or MVN), by tensor Gauss-Hermite rules of
    orders 4 and 6 evaluated at all their nodes at once (scipy log-densities). The log-ratio of two
    Gaussians is quadratic, so both orders are exact up to rounding; they must agree. (No torch import:
    a cold run stays fast.)"""
    if not isinstance(p, (Normal, ob.MVN)) or not isinstance(q, (Normal, ob.MVN)):
        raise ob.NumericalError("this KL reference takes two Gaussian laws")
    mean = np.atleast_1d(p.mean)
    cov = np.atleast_2d(p.var_ if isinstance(p, Normal) else p.cov)
    chol, k = np.linalg.cholesky(cov), mean.size

    def logpdf(law: ob.Distribution, x: np.ndarray) -> np.ndarray:
        if isinstance(law, Normal):
            return stats.norm.logpdf(x[:, 0], law.mean, math.sqrt(law.var_))
        return stats.multivariate_normal(law.mean, law.cov).logpdf(x)  # type: ignore[attr-defined]

    values = []
    for n in (4, 6):
        nodes, weights = np.polynomial.hermite_e.hermegauss(n)
        grid = np.array(list(itertools.product(nodes, repeat=k)))
        w = np.prod(np.array(list(itertools.product(weights, repeat=k))), axis=1)
        w = w / math.sqrt(2 * math.pi) ** k
        x = mean + grid @ chol.T
        values.append(float(np.sum(w * (logpdf(p, x) - logpdf(q, x)))))
    if not TOL.ok(abs(values[1] - values[0]), values[1]):
        raise ob.NumericalError(f"Gauss-Hermite KL did not settle: {values}")
    return values[1]


def _names(T: int) -> list[str]:
    return [f"x_{k}" for k in range(T + 1)]


def _forward(beta: np.ndarray, m: float, s: float) -> GaussianModel:
    """q(x_0, ..., x_T): x_0 ~ N(m, s^2), x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) e_t (beta[k-1] is
    beta_k)."""
    T = beta.size
    eqs: Equations = {"x_0": (m, {}, s * s)}
    for t in range(1, T + 1):
        eqs[f"x_{t}"] = (0.0, {f"x_{t - 1}": math.sqrt(1.0 - beta[t - 1])}, float(beta[t - 1]))
    return _linear_gaussian(eqs, _names(T))


def _reverse(T: int, a: np.ndarray, c: np.ndarray, var: np.ndarray, prior: tuple[float, float] = (0.0, 1.0)
             ) -> GaussianModel:
    """p(x_0, ..., x_T): x_T ~ N(prior), x_{t-1} = a_t x_t + c_t + N(0, var_t) (a[k-1] is a_k)."""
    eqs: Equations = {f"x_{T}": (prior[0], {}, prior[1])}
    for t in range(T, 0, -1):
        eqs[f"x_{t - 1}"] = (float(c[t - 1]), {f"x_{t}": float(a[t - 1])}, float(var[t - 1]))
    return _linear_gaussian(eqs, _names(T))


def _exact_reverse(q: GaussianModel, T: int) -> GaussianModel:
    """The reverse chain with the true kernels q(x_{t-1} | x_t) (by conditioning) and p(x_T) = N(0, 1)."""
    a, c, var = np.zeros(T), np.zeros(T), np.zeros(T)
    for t in range(1, T + 1):
        at0, at1 = q.law([f"x_{t - 1}"], {f"x_{t}": 0.0}), q.law([f"x_{t - 1}"], {f"x_{t}": 1.0})
        a[t - 1], c[t - 1], var[t - 1] = at1.mean - at0.mean, at0.mean, at0.var_
    return _reverse(T, a, c, var)


def _sub(model: GaussianModel, names: list[str]) -> GaussianModel:
    """The marginal model of some variables (to keep Gauss-Hermite expectations small)."""
    idx = [list(model.blocks).index(n) for n in names]
    return GaussianModel({n: 1 for n in names}, model.mean[idx], model.cov[np.ix_(idx, idx)])


def _mean(model: GaussianModel, target: str, given: dict[str, float]) -> float:
    return float(model.law([target], given).mean)  # type: ignore[attr-defined]


def _var(model: GaussianModel, target: str, given: dict[str, float]) -> float:
    return float(model.law([target], given).var_)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------
# a random chain and what conditioning says about it

class Chain:
    """A random schedule and data law, the joint q(x_0..x_T), and the quantities the page names."""

    def __init__(self, rng: np.random.Generator, T_lo: int = 2, T_hi: int = 6) -> None:
        self.T = T = int(rng.integers(T_lo, T_hi + 1))
        self.beta = rng.uniform(0.02, 0.4, size=T)
        self.m, self.s = float(rng.normal(scale=1.5)), float(rng.uniform(0.3, 1.5))
        self.q = _forward(self.beta, self.m, self.s)

    def x(self, k: int) -> str:
        return f"x_{k}"

    def share(self, t: int) -> float:
        """dE[x_t | x_0]/dx_0: how much of x_0 is left in x_t (sqrt(alpha-bar_t))."""
        return _mean(self.q, self.x(t), {"x_0": 1.0}) - _mean(self.q, self.x(t), {"x_0": 0.0})

    def alphabar(self) -> Seq:
        return Seq([1.0] + [self.share(t) ** 2 for t in range(1, self.T + 1)], start=0)

    def betatilde(self) -> Seq:
        # tilde-beta_1 = 0 (x_0 is given); rounding could make it -1e-17
        variances = [_var(self.q, self.x(t - 1), {self.x(t): 0.0, "x_0": 0.0}) for t in range(1, self.T + 1)]
        return Seq([max(v, 0.0) for v in variances], start=1)

    def posterior_mean(self, t: int) -> Callable[[float, float], float]:
        """tilde-mu_t(x_t, x_0) = E[x_{t-1} | x_t, x_0]."""
        return lambda xt, x0: _mean(self.q, self.x(t - 1), {self.x(t): xt, "x_0": x0})

    def x0_from_noise(self, t: int, xt: float, eps: float) -> float:
        """The x_0 for which x_t = E[x_t | x_0] + sd(x_t | x_0) eps (the q-marginal solved for x_0)."""
        sd = math.sqrt(_var(self.q, self.x(t), {"x_0": 0.0}))
        return (xt - _mean(self.q, self.x(t), {"x_0": 0.0}) - sd * eps) / self.share(t)

    def mu_theta(self, eps_theta: Callable[[float, int], float]) -> Callable[[float, int], float]:
        """mu_theta(x_t, t): x_0 predicted from the predicted noise, then the posterior mean there."""
        return lambda xt, t: self.posterior_mean(int(t))(xt, self.x0_from_noise(int(t), xt, eps_theta(xt, t)))

    def noise_gain(self, t: int) -> float:
        """d tilde-mu_t / d epsilon at fixed x_t, with x_0 the x_0 of that noise."""
        mu = self.posterior_mean(t)
        return mu(0.0, self.x0_from_noise(t, 0.0, 1.0)) - mu(0.0, self.x0_from_noise(t, 0.0, 0.0))

    def snr(self, t: int) -> float:
        """Variance of the x_0 part of x_t over the variance of its noise part (x_0 of unit variance)."""
        return self.share(int(t)) ** 2 / _var(self.q, self.x(int(t)), {"x_0": 0.0})

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        return rng.multivariate_normal(self.q.mean, self.q.cov)

    def schedule(self) -> dict:
        """beta, alpha (from step 0: beta_0 = 0), alpha-bar, tilde-beta."""
        return {"T": self.T, "beta": Seq([0.0, *self.beta], start=0),
                "alpha": Seq([1.0, *(1 - self.beta)], start=0), "alphabar": self.alphabar(),
                "betatilde": self.betatilde()}


def _values(rng: np.random.Generator, n: int) -> np.ndarray:
    """Values of x_0, ..., x_T (any values will do: the noises that produce them are computed from them). In
    (0, 1), so that sqrt(x_t) or sqrt(1 - x_t), where x_t is swapped in by mistake, is caught by its value."""
    return rng.uniform(0.05, 0.95, size=n)


def _residual(ch: Chain, k: int, value: float, given: dict[str, float]) -> float:
    """The standardised noise that makes x_k = value given the conditions: (x_k - E[x_k | .]) / sd(x_k | .)"""
    return (value - _mean(ch.q, ch.x(k), given)) / math.sqrt(_var(ch.q, ch.x(k), given))


def _step(rng: np.random.Generator, chain: Chain, lo: int = 2) -> int:
    return int(rng.integers(min(lo, chain.T), chain.T + 1))


# --------------------------------------------------------------------------------------------------
# the forward process

def _forward_kernel(rng: np.random.Generator) -> dict:
    """Values of x_0..x_T, and epsilon_t the standardised residual of x_t given x_{t-1} (by conditioning)."""
    ch = Chain(rng)
    xs = _values(rng, ch.T + 1)
    eps = [_residual(ch, k, xs[k], {ch.x(k - 1): xs[k - 1]}) for k in range(1, ch.T + 1)]
    return {**ch.schedule(), "t": _step(rng, ch), "q": ch.q, "x": Seq(list(xs), 0), "epsilon": Seq(eps, 1)}


def _variance_step(rng: np.random.Generator) -> dict:
    """Var[.] over the joint law of x_{t-2}, ..., x_{t+1} under q (no value given)."""
    ch = Chain(rng, T_lo=3)
    t = int(rng.integers(2, ch.T))
    return {**ch.schedule(), "t": t, LAW: _sub(ch.q, [ch.x(k) for k in range(t - 2, t + 2)])}


def _schedule_point(rng: np.random.Generator, lo: int = 2) -> dict:
    ch = Chain(rng)
    return {**ch.schedule(), "t": _step(rng, ch, lo)}


def _merge_step(rng: np.random.Generator) -> dict:
    """epsilon' makes x_{t-1} from x_0 under q(x_{t-1} | x_0), epsilon_t makes x_t from x_{t-1}."""
    ch = Chain(rng)
    t = _step(rng, ch)
    xs = list(_values(rng, ch.T + 1))
    epsilon = list(rng.normal(size=ch.T))
    epsilon[t - 1] = _residual(ch, t, xs[t], {ch.x(t - 1): xs[t - 1]})
    return {**ch.schedule(), "t": t, "x": Seq(xs, 0), "epsilon": Seq(epsilon, 1),
            "epsilonprime": _residual(ch, t - 1, xs[t - 1], {"x_0": xs[0]})}


def _noised(rng: np.random.Generator) -> tuple[Chain, dict]:
    """Values of x_0..x_T and epsilon, the noise that makes x_t from x_0 under q(x_t | x_0)."""
    ch = Chain(rng)
    xs = _values(rng, ch.T + 1)
    t = _step(rng, ch)
    eps = _residual(ch, t, xs[t], {"x_0": xs[0]})
    return ch, {**ch.schedule(), "t": t, "x": Seq(list(xs), 0), "epsilon": eps}


def _q_marginal(rng: np.random.Generator) -> dict:
    return _noised(rng)[1]


# --------------------------------------------------------------------------------------------------
# the posterior q(x_{t-1} | x_t, x_0)

def _posterior_bayes(rng: np.random.Generator) -> dict:
    """One chain, t, x_0 and x_t for every point (a fixed generator); only x_{t-1} varies (for \\propto)."""
    fixed = np.random.default_rng(20240613)
    ch = Chain(fixed, T_lo=4, T_hi=4)
    xs = list(fixed.normal(size=ch.T + 1))
    t = 3
    xs[t - 1] = float(rng.uniform(0.0, 3.0))
    return {**ch.schedule(), "t": t, "q": ch.q, "x": Seq(xs, 0)}


def _posterior(rng: np.random.Generator, lo: int = 2) -> dict:
    ch = Chain(rng)
    t = _step(rng, ch, lo)
    return {**ch.schedule(), "t": t, "x": Seq(list(_values(rng, ch.T + 1)), 0),
            "mutilde": Indexed(ch.posterior_mean),
            "mu": Indexed(lambda k: lambda xt, x0, k=k: _mean(ch.q, ch.x(k), {"x_0": x0}))}


# --------------------------------------------------------------------------------------------------
# the reverse model and the bound

def _random_reverse(rng: np.random.Generator,
                    T: int) -> tuple[GaussianModel, np.ndarray, np.ndarray, np.ndarray]:
    a, c = rng.uniform(0.5, 1.2, size=T), rng.normal(scale=0.3, size=T)
    var = rng.uniform(0.05, 0.5, size=T)
    return _reverse(T, a, c, var), a, c, var


def _reverse_model(rng: np.random.Generator) -> dict:
    """p_theta: x_T ~ N(0, 1), x_{t-1} = a_t x_t + c_t + sigma_t e (mu_theta linear); p another chain with the
    same prior."""
    T = int(rng.integers(3, 6))
    p_theta, a, c, var = _random_reverse(rng, T)
    p, *_ = _random_reverse(rng, T)
    return {"T": T, "t": int(rng.integers(2, T)), "p_theta": p_theta, "p": p,
            "mu_theta": lambda x, t: a[int(t) - 1] * x + c[int(t) - 1], "sigma": Seq([0.7, *np.sqrt(var)], 0),
            "x": Seq(list(_values(rng, T + 1)), 0)}


def _bound_models(rng: np.random.Generator,
                  slim: bool = False) -> tuple[Chain, GaussianModel, GaussianModel, float]:
    """A chain q, a model p_theta, its prior p and a data point x_0. p_theta has random reverse kernels, or
    (the equality case) it is the forward chain of another data law: then p_theta(x_{1:T} | x_0) =
    q(x_{1:T} | x_0) and the bound is tight, at a value that is not -log q(x_0)."""
    ch = Chain(rng, 2, 2 if slim else 3)
    x0 = float(rng.normal(ch.m, ch.s))
    if rng.uniform() < 0.4:
        p_theta = _forward(ch.beta, float(rng.uniform(1.5, 3.0)), float(rng.uniform(0.3, 1.0)))
    else:
        p_theta, *_ = _random_reverse(rng, ch.T)
    return ch, p_theta, p_theta, x0


def _jensen(rng: np.random.Generator) -> dict:
    ch, p_theta, p, x0 = _bound_models(rng, slim=True)  # T = 2: E_q is over (x_1, x_2)
    return {"T": ch.T, "q": ch.q, "p_theta": p_theta, "p": p, "x_0": x0}


def _vlb(rng: np.random.Generator) -> dict:
    """The terms of the bound, each by its definition (torch KLs, Gauss-Hermite over q(x_t | x_0)), and the
    bound itself another way: KL(q(x_{1:T} | x_0) || p_theta(x_{1:T} | x_0)) - log p_theta(x_0)."""
    ch, p_theta, p, x0 = _bound_models(rng)
    T, q = ch.T, ch.q
    x_ = ch.x
    terms = {f"L_{T}": _kl(q.law([x_(T)], {"x_0": x0}), p.law([x_(T)], {}))}
    for t in range(2, T + 1):
        terms[f"L_{t - 1}"] = q.law([x_(t)], {"x_0": x0}).expect(
            lambda xt, t=t: _kl(q.law([x_(t - 1)], {x_(t): xt, "x_0": x0}),
                                p_theta.law([x_(t - 1)], {x_(t): xt})), TOL)
    terms["L_0"] = q.law([x_(1)], {"x_0": x0}).expect(
        lambda x1: -p_theta.law(["x_0"], {x_(1): x1}).logpdf(x0), TOL)
    rest = [x_(k) for k in range(1, T + 1)]
    total = _kl(q.law(rest, {"x_0": x0}), p_theta.law(rest, {"x_0": x0}))
    total -= p_theta.law(["x_0"], {}).logpdf(x0)
    return {"T": T, "p_theta": p_theta, "x_0": x0, "x": Seq([x0, *_values(rng, T)], 0),
            "L_T": terms[f"L_{T}"], **terms, "L": total}


def _bayes_reverse(rng: np.random.Generator) -> dict:
    """A trajectory of a chain one step longer than T (so that x_{T+1} has a value)."""
    ch = Chain(rng, T_lo=3, T_hi=7)
    T = ch.T - 1
    return {"t": int(rng.integers(2, T + 1)), "T": T, "q": ch.q, "x": Seq(list(ch.sample(rng)), 0)}


# --------------------------------------------------------------------------------------------------
# the epsilon-parameterisation and its weights

def _kl_term(rng: np.random.Generator) -> dict:
    """L_{k-1} = KL(N(tilde-mu_k, tilde-beta_k) || N(mu_theta^(k), sigma_k^2)) for every step k."""
    ch = Chain(rng)
    t = _step(rng, ch)
    sched = ch.schedule()
    bt = sched["betatilde"]
    sigma = np.sqrt(rng.uniform(0.3, 3.0, size=ch.T) * np.array(bt.values))
    mutilde, mu_theta = rng.normal(size=ch.T), rng.normal(size=ch.T)
    # L_0 (the decoder term) and L_T (the prior term) are not of this form: any other values
    L = [float(rng.normal()), *[_kl(Normal(mutilde[k - 1], bt[k]), Normal(mu_theta[k - 1], sigma[k - 1] ** 2))
                                for k in range(2, ch.T + 1)], float(rng.normal())]
    return {**sched, "t": t, "sigma": Seq(list(sigma), 1), "mutilde": Seq(list(mutilde), 1),
            "mu": Seq(list(rng.normal(size=ch.T)), 1), "mu_theta": mu_theta[t - 1], "L": Seq(L, 0)}


def _mu_eps(rng: np.random.Generator) -> dict:
    """x_k from q(x_k | x_0) with one epsilon for every k; tilde-mu_k = E[x_{k-1} | x_k, x_0]."""
    ch, point = _noised(rng)
    xs = point["x"]
    return point | {"mutilde": Seq([ch.posterior_mean(k)(xs[k], xs[0]) for k in range(1, ch.T + 1)], 1),
                    "mu": Seq(list(rng.normal(size=ch.T)), 1)}


def _eps_theta(rng: np.random.Generator) -> Callable[[float, int], float]:
    """A stand-in for the network: a smooth random function of (x_t, t)."""
    w = rng.normal(size=4)
    return lambda x, t: float(np.tanh(w[0] * x + w[1] * t + w[2]) + w[3] * x)


def _mu_theta(rng: np.random.Generator) -> dict:
    ch = Chain(rng)
    eps_theta = _eps_theta(rng)
    return {**ch.schedule(), "t": _step(rng, ch), "x": Seq(list(_values(rng, ch.T + 1)), 0),
            "epsilon_theta": eps_theta, "mu_theta": ch.mu_theta(eps_theta), "epsilon": float(rng.normal())}


def _weights(ch: Chain, rng: np.random.Generator, sigma: np.ndarray) -> Seq:
    """lambda_k = (d tilde-mu_k / d epsilon)^2 / (2 sigma_k^2) for every step k."""
    return Seq([ch.noise_gain(k) ** 2 / (2 * sigma[k - 1] ** 2) if sigma[k - 1] > 0 else math.inf
                for k in range(1, ch.T + 1)], 1)


def _mse_eps(rng: np.random.Generator) -> dict:
    """tilde-mu_t at (x_t, x_0), mu_theta at (x_t, x_0 predicted from epsilon_theta), both by conditioning."""
    ch = Chain(rng)
    t = _step(rng, ch)
    x0, eps, eps_theta = rng.normal(size=3)
    xt = _mean(ch.q, ch.x(t), {"x_0": x0}) + math.sqrt(_var(ch.q, ch.x(t), {"x_0": 0.0})) * eps
    sigma = np.sqrt(rng.uniform(0.5, 2.0, size=ch.T) * ch.beta)
    mu = ch.posterior_mean(t)
    return {**ch.schedule(), "t": t, "sigma": Seq(list(sigma), 1), "lambda": _weights(ch, rng, sigma),
            "mutilde": Seq([mu(xt, x0) if k == t else float(rng.normal()) for k in range(1, ch.T + 1)], 1),
            "mu": Seq(list(rng.normal(size=ch.T)), 1), "mu_theta": mu(xt, ch.x0_from_noise(t, xt, eps_theta)),
            "epsilon": eps, "epsilon_theta": eps_theta}


def _lambda(rng: np.random.Generator) -> dict:
    ch = Chain(rng)
    sigma = np.sqrt(rng.uniform(0.5, 2.0, size=ch.T) * ch.beta)
    return {**ch.schedule(), "t": _step(rng, ch, lo=1), "sigma": Seq(list(sigma), 1),
            "lambda": _weights(ch, rng, sigma)}


def _decoder_eps(rng: np.random.Generator) -> dict:
    """L_0 = -log N(x_0; mu_theta(x_1, 1), sigma_1^2) (scipy), mu_theta(x_1, 1) by conditioning as above."""
    ch = Chain(rng)
    x0, eps, eps_theta = rng.normal(size=3)
    x1 = _mean(ch.q, "x_1", {"x_0": x0}) + math.sqrt(_var(ch.q, "x_1", {"x_0": 0.0})) * eps
    sigma = np.sqrt(rng.uniform(0.5, 2.0, size=ch.T) * ch.beta)
    mu = ch.posterior_mean(1)(x1, ch.x0_from_noise(1, x1, eps_theta))
    L0 = -Normal(mu, sigma[0] ** 2).logpdf(x0)
    return {**ch.schedule(), "sigma": Seq(list(sigma), 1), "lambda": _weights(ch, rng, sigma),
            "L": Seq([L0, *rng.normal(size=ch.T - 1)], 0), "epsilon": eps, "epsilon_theta": eps_theta}


def _snr(rng: np.random.Generator) -> dict:
    ch = Chain(rng)
    return {**ch.schedule(), "t": _step(rng, ch, lo=1), "SNR": ch.snr}


def _lambda_snr(rng: np.random.Generator) -> dict:
    """The weight for sigma_t^2 = tilde-beta_t."""
    ch = Chain(rng)
    sigma = np.sqrt(np.array(ch.betatilde().values))
    return {**ch.schedule(), "t": _step(rng, ch), "SNR": ch.snr, "sigma": Seq(list(sigma), 1),
            "lambda": _weights(ch, rng, sigma)}


# --------------------------------------------------------------------------------------------------
# the exact bound on Gaussian data

def _reverse_moments(rng: np.random.Generator) -> dict:
    """E[. | x_t] and Var[. | x_t] under the joint law of (x_{t-1}, x_t); mu_k, v_k the marginal moments."""
    ch = Chain(rng)
    t = _step(rng, ch, lo=1)
    laws = [ch.q.law([ch.x(k)], {}) for k in range(ch.T + 1)]
    return {**ch.schedule(), "t": t, "x": Seq(list(ch.sample(rng)), 0),
            JOINT: _sub(ch.q, [ch.x(t - 1), ch.x(t)]),
            "mu": Seq([law.mean for law in laws], 0), "v": Seq([law.var_ for law in laws], 0)}


def _exact_gap(rng: np.random.Generator) -> dict:
    """p with the true reverse kernels and p(x_T) = N(0, 1); L averaged over q(x_0) as the KL of the joints
    plus the entropy of the data: E_q[log q(x_{0:T}) - log p(x_{0:T})] + h(q(x_0))."""
    ch = Chain(rng, 2, 3)
    p = _exact_reverse(ch.q, ch.T)
    names = _names(ch.T)
    L = _kl(ch.q.law(names, {}), p.law(names, {})) + ob.entropy(ch.q.law(["x_0"], {}), TOL)
    # x_1 has a value (x_0 and x_T must not: they are integrated), so that p(x_1) for p(x_0) is a number
    return {"T": ch.T, "q": ch.q, "p": p, "L": L, "KL": _kl, "x_1": float(rng.uniform(0.3, 3.0))}


def _cosine(rng: np.random.Generator) -> dict:
    """alpha-bar_k of the cosine schedule by the double-angle form cos^2 u = (1 + cos 2u) / 2 (Nichol &
    Dhariwal 2021, eq. 17, written another way)."""
    T = int(rng.integers(2, 2000))
    s = float(rng.uniform(1e-3, 0.1))

    def alphabar(k: int) -> float:
        return (1 + math.cos(math.pi * (k / T + s) / (1 + s))) / (1 + math.cos(math.pi * s / (1 + s)))

    return {"t": int(rng.integers(1, T)), "T": T, "s": s, "alphabar": Indexed(alphabar),
            "alpha": Indexed(lambda k: alphabar(k) / alphabar(k - 1))}


# --------------------------------------------------------------------------------------------------
# helpers of the checks below: a chain's joint law with some conditionals replaced, and values for the
# neighbours of every index (so that a shifted index is caught by its value, not by a missing value)

class _Chain(ob.Model):
    """A chain's joint Gaussian (every conditional by Schur complements) in which the conditionals named in
    ``laws`` ("x_2|x_3,x_0" -> a function of the given values returning a law) are replaced; a request the
    table does not name is answered by the joint, a law of its own. ``density``: one-variable laws become
    Densities, so that expectations under them use adaptive quadrature (for narrow integrands)."""

    def __init__(self, base: GaussianModel, laws: dict[str, Callable[..., ob.Distribution]] | None = None,
                 density: bool = False) -> None:
        self.base, self.laws, self.density = base, laws or {}, density

    @property
    def variables(self) -> list[str]:
        return self.base.variables

    def law(self, targets: list[str] | None, given: dict) -> ob.Distribution:
        key = ",".join(targets or []) + "|" + ",".join(given)
        if key in self.laws:
            return self.laws[key](*(float(np.squeeze(v)) for v in given.values()))
        law = self.base.law(targets, given)
        if self.density and isinstance(law, Normal) and law.var_ > 0:
            sd = math.sqrt(law.var_)
            return Density(pdf_fn=lambda v, law=law, sd=sd: float(stats.norm.pdf(v, law.mean, sd)), lo=law.mean - 40 * sd,
                           hi=law.mean + 40 * sd, points=[law.mean], var=law.var)
        return law


def _extended(ch: Chain) -> dict:
    """The chain's schedule with alpha-bar_{-1} = 1 as well (no noise before the start), so that an index that
    loses its t has a value."""
    sched = ch.schedule()
    return sched | {"alphabar": Seq([1.0, *sched["alphabar"].values], -1)}


def _xs(rng: np.random.Generator, n: int) -> list[float]:
    """Values of x_{-1}, x_0, ..., x_{n-2} (see ``_values``)."""
    return list(_values(rng, n + 1))


# --------------------------------------------------------------------------------------------------
# prediction targets (Salimans & Ho 2022)

def _rotation(ch: Chain, t: int) -> tuple[float, float, float]:
    """share = dE[x_t | x_0]/dx_0, sd = sd(x_t | x_0) (by conditioning) and the angle phi with
    (cos phi, sin phi) = (share, sd) (their squares add to 1 for this chain)."""
    share, sd = ch.share(t), math.sqrt(_var(ch.q, ch.x(t), {"x_0": 0.0}))
    return share, sd, math.atan2(sd, share)


def _velocity(rng: np.random.Generator) -> dict:
    """x_t(phi) = cos(phi) x_0 + sin(phi) epsilon as a function of phi; phi at its value phi_t."""
    ch = Chain(rng, T_lo=3)
    t = int(rng.integers(1, ch.T))
    _, _, phi = _rotation(ch, t)
    xs = _xs(rng, ch.T + 2)
    x0, eps = xs[1], float(rng.normal())
    return {**_extended(ch), "t": t, "phi": phi, "x": Seq(xs, -1), "epsilon": eps,
            "x_t": Lazy(lambda s: math.cos(s["phi"]) * x0 + math.sin(s["phi"]) * eps)}


def _target_errors(rng: np.random.Generator) -> dict:
    """A noise prediction; the x_0 it implies (the q-marginal solved for x_0, by conditioning); v and its
    prediction as velocities -sin(phi) x_0 + cos(phi) epsilon of the rotation (trigonometry, not square roots)."""
    ch = Chain(rng, T_lo=3)
    t = int(rng.integers(1, ch.T))
    share, sd, phi = _rotation(ch, t)
    x0, eps, eps_hat = rng.uniform(0.05, 0.95, size=3), rng.normal(size=3), rng.normal(size=3)
    xt = share * x0 + sd * eps
    x0_hat = np.array([ch.x0_from_noise(t, float(a), float(b)) for a, b in zip(xt, eps_hat)])
    v, v_hat = (-math.sin(phi) * a + math.cos(phi) * b for a, b in ((x0, eps), (x0_hat, eps_hat)))
    return {**ch.schedule(), "t": t, "x": Seq([x0, xt], 0), "xhat": Seq([x0_hat, rng.normal(size=3)], 0),
            "epsilon": eps, "epsilonhat": eps_hat, "v": v, "vhat": v_hat, "SNR": ch.snr}


# --------------------------------------------------------------------------------------------------
# continuous time (Kingma et al. 2021)

def _predictor(rng: np.random.Generator) -> Callable[..., float]:
    """A stand-in for a network that predicts x_0 from (x_t, t): a random quadratic in x_t (so that the
    Gauss-Hermite expectations of its squared errors are exact); t defaults to 1."""
    w = rng.normal(size=4)
    return lambda x, k=1.0, *_: float(w[0] * x + w[1] * k + w[2] + 0.3 * w[3] * x * x)


def _vdm_term(rng: np.random.Generator) -> dict:
    """L_{k-1} for every k: E over q(x_k | x_0) of the KL from the posterior q(x_{k-1} | x_k, x_0) to the model
    kernel N(E[x_{k-1} | x_k, x_0 = x0hat(x_k, k)], Var[x_{k-1} | x_k, x_0]) (sigma_k^2 = tilde-beta_k), all
    by conditioning the joint chain; the expectation of the formula over q(x_t | x_0) as @law. SNR(k) for k <= 0
    (no such step) is given a value too, so is L_{-1}."""
    ch = Chain(rng, T_lo=3)
    t = int(rng.integers(2, ch.T))
    x0 = float(rng.uniform(0.05, 0.95))
    x0hat, other = _predictor(rng), _predictor(rng)

    def term(k: int) -> float:
        def kl_at(xk: float) -> float:
            post = ch.q.law([ch.x(k - 1)], {ch.x(k): xk, "x_0": x0})
            model = ch.q.law([ch.x(k - 1)], {ch.x(k): xk, "x_0": x0hat(xk, k)})
            return _kl(post, model)
        return ch.q.law([ch.x(k)], {"x_0": x0}).expect(kl_at, TOL)

    def snr(k: float, *_: object) -> float:
        return ch.snr(int(k)) if k >= 1 else ch.snr(1) * (3.0 - k)

    L = [float(rng.normal()), float(rng.normal()), *[term(k) for k in range(2, ch.T + 1)], float(rng.normal())]
    law = ch.q.law([ch.x(t)], {"x_0": x0})
    return {**ch.schedule(), "t": t, "SNR": snr, "L": Seq(L, -1),
            "xhat": Indexed(lambda j: x0hat if j == 0 else other),
            "x": Seq([x0, *_values(rng, ch.T)], 0), LAW: Normal(law.mean, law.var_, var="x_t")}  # type: ignore[attr-defined]


def _snr_pair(snr_value: float, m: float, s: float, name: str) -> GaussianModel:
    """The joint law of (x_0, x_u): x_0 ~ N(m, s^2), x_u = sqrt(ab) x_0 + sqrt(1 - ab) eps at SNR ab / (1 - ab)."""
    ab = snr_value / (1.0 + snr_value)
    eqs: Equations = {"x_0": (m, {}, s * s), name: (0.0, {"x_0": math.sqrt(ab)}, 1.0 - ab)}
    return _linear_gaussian(eqs, ["x_0", name])


def _information(snr_value: float, m: float, s: float) -> float:
    """I(x_0; x_u) = h(x_u) - h(x_u | x_0), differential entropies of the joint's laws (scipy)."""
    pair = _snr_pair(snr_value, m, s, "x_u")
    return ob.entropy(pair.law(["x_u"], {}), TOL) - ob.entropy(pair.law(["x_u"], {"x_0": 0.0}), TOL)


def _vdm_continuous(rng: np.random.Generator) -> dict:
    """Gaussian data, a random log-SNR schedule lambda(t) = lmax + (lmin - lmax) g(t) with g(t) = (t + a t^3) / (1 + a),
    the best denoiser E[x_0 | x_t] (conditioning), and L_infty from the I-MMSE relation: I(x_0; x_max) - I(x_0; x_min)
    with I = h(x_u) - h(x_u | x_0) (entropies). t, u and x_1 have values outside the integrals too (neighbours)."""
    m, s = float(rng.normal()), float(rng.uniform(0.3, 2.0))
    lmax, lmin, a = float(rng.uniform(1.0, 5.0)), float(rng.uniform(-5.0, -1.0)), float(rng.uniform(0.0, 3.0))

    def snr_at(t: float, *_: object) -> float:
        return math.exp(lmax + (lmin - lmax) * (t + a * t**3) / (1 + a))

    def snr_prime(t: float, *_: object) -> float:
        return snr_at(t) * (lmin - lmax) * (1 + 3 * a * t**2) / (1 + a)

    def law(sc: object) -> GaussianModel:
        inner = sc.values  # type: ignore[attr-defined]  # the variable the innermost integral binds
        if "u" in inner:
            return _snr_pair(float(inner["u"]), m, s, "x_u")
        return _snr_pair(snr_at(float(inner["t"])), m, s, "x_t")

    def best(name: str, to_snr: Callable[[float], float]) -> Callable[..., float]:
        return lambda x, k=0.5, *_: _mean(_snr_pair(to_snr(float(k)), m, s, name), "x_0", {name: float(x)})

    smin, smax = snr_at(1.0), snr_at(0.0)
    other = best("x_t", lambda k: snr_at(1.0 - k))
    return {"SNR": snr_at, "SNRprime": snr_prime, "SNR_min": smin, "SNR_max": smax, LAW: Lazy(law),
            "xhat": Indexed(lambda j: best("x_t", snr_at) if j == 0 else other),
            "xtilde": Indexed(lambda j: best("x_u", lambda u: u) if j == 0 else other),
            "t": float(rng.uniform(0.2, 0.8)), "u": float(np.exp(rng.uniform(lmin, lmax))), "x_1": float(rng.normal()),
            "L_infty": _information(smax, m, s) - _information(smin, m, s)}


def _vdm_gaussian(rng: np.random.Generator) -> dict:
    m, s = float(rng.normal()), float(rng.uniform(0.1, 3.0))
    smin, smax = sorted(np.exp(rng.uniform(-6.0, 8.0, size=2)))
    return {"s": s, "SNR_min": float(smin), "SNR_max": float(smax),
            "L_infty": _information(float(smax), m, s) - _information(float(smin), m, s)}


# --------------------------------------------------------------------------------------------------
# learned variances and importance sampling (Nichol & Dhariwal 2021)

def _best_variance(rng: np.random.Generator) -> dict:
    """sigma_t^2: the minimiser over a constant variance of E_q KL(N(mu~_t, beta~_t) || N(mu_theta, sigma^2)), found by a
    numerical maximiser of minus the expected KL (Gauss-Hermite over (x_0, x_t), KLs by Gauss-Hermite); mu~_t by
    conditioning, mu_theta a random quadratic in x_t (so that the Gauss-Hermite expectations are exact); mu_t (the
    marginal mean of x_t) has a value too."""
    ch = Chain(rng, T_lo=3)
    t = int(rng.integers(2, ch.T))
    xt_name = ch.x(t)
    pair = _sub(ch.q, ["x_0", xt_name])
    mean_fn = ch.posterior_mean(t)
    w = rng.normal(size=3)

    def mu_theta(xt: float) -> float:
        return float(w[0] * xt + w[1] + 0.3 * w[2] * xt * xt)

    bt = ch.betatilde()[t]

    def expected_kl(var: float) -> float:
        return pair.law(None, {}).expect(
            lambda z: _kl(Normal(mean_fn(float(z[1]), float(z[0])), bt), Normal(mu_theta(float(z[1])), var)), TOL)

    best = ob.argmax(lambda var: -expected_kl(var), 1e-4, 20.0)
    sigma = list(np.sqrt(rng.uniform(0.5, 2.0, size=ch.T) * ch.beta))
    sigma[t - 1] = math.sqrt(best)
    return {**ch.schedule(), "t": t, "q": pair, "sigma": Seq(sigma, 1),
            "mutilde_t": Lazy(lambda sc: mean_fn(float(sc[xt_name]), float(sc["x_0"]))),
            "mu_t": _mean(ch.q, xt_name, {}), "mu_theta": Lazy(lambda sc: mu_theta(float(sc[xt_name])))}


def _importance(rng: np.random.Generator) -> dict:
    """Second moments m_1..m_T (their root sum below and above 1) and a sampling law p (a T+1-th step with p = 0, and
    m_0, give shifted indices a value); some points at the equality case p_t proportional to sqrt(m_t)."""
    T = int(rng.integers(2, 7))
    m = (rng.uniform(0.1, 1.0, size=T + 2) * rng.choice([0.1, 2.0])) ** 2  # m_0, ..., m_{T+1}
    p = np.sqrt(m[1:T + 1]) if rng.uniform() < 0.3 else rng.dirichlet(np.full(T, 2.0))
    p = np.concatenate([p / p.sum(), [0.0]])
    return {"T": T, "m": Seq(list(m), 0), "p": p, "s": int(rng.integers(1, T + 1))}


# --------------------------------------------------------------------------------------------------
# DDIM (Song, Meng & Ermon 2021)

def _ddim_reference(ch: Chain, k: int, sigma: float) -> tuple[float, float]:
    """The kernel N(a x_0 + b x_k, sigma^2) for x_{k-1} that keeps the chain's marginals: if x_k | x_0 has mean
    share_k x_0 and variance v_k (conditioning), x_{k-1} | x_0 must have share_{k-1} x_0 and v_{k-1}, so
    b^2 v_k + sigma^2 = v_{k-1} (b >= 0, the same noise direction) and a + b share_k = share_{k-1}."""
    v_k, v_prev = _var(ch.q, ch.x(k), {"x_0": 0.0}), _var(ch.q, ch.x(k - 1), {"x_0": 0.0})
    b = math.sqrt((v_prev - sigma**2) / v_k)
    return ch.share(k - 1) - b * ch.share(k), b


def _ddim_sigmas(rng: np.random.Generator, ch: Chain, lo: float = 0.05) -> list[float]:
    """sigma_k in (0, sd(x_{k-1} | x_0)) for k >= 2 (at least lo times it); sigma_1 = 0 (x_0 is given)."""
    return [0.0, *(float(rng.uniform(lo, 0.95)) * math.sqrt(_var(ch.q, ch.x(k - 1), {"x_0": 0.0}))
                   for k in range(2, ch.T + 1))]


def _ddim_kernel(rng: np.random.Generator) -> dict:
    """q_sigma(x_{k-1} | x_k, x_0) for every k: the marginal-keeping kernel above; at some points sigma_k^2 is the
    posterior variance and the kernel the DDPM posterior q(x_{k-1} | x_k, x_0), by conditioning."""
    ch = Chain(rng, T_lo=3)
    t = int(rng.integers(2, ch.T))
    posterior = rng.uniform() < 0.4
    # sigma_k below sqrt(beta_{k-1}) and 1 - alpha-bar_{k-1} too, so that edits such as dropping the bar of
    # alpha-bar_{t-1} or the square of sigma_t leave a square root that has a value (and is caught by it)
    sigma = [0.0, *(float(rng.uniform(0.1, 0.9)) * min(math.sqrt(_var(ch.q, ch.x(k - 1), {"x_0": 0.0})),
                                                       math.sqrt(ch.beta[k - 2]) if k >= 2 else 1.0,
                                                       1.0 - ch.share(k - 1) ** 2) for k in range(2, ch.T + 1))]
    laws: dict[str, Callable[..., ob.Distribution]] = {}
    if posterior:
        sigma = [math.sqrt(v) for v in ch.betatilde().values]  # and the joint's own conditionals are the kernels
    else:
        for k in range(2, ch.T + 1):
            a, b = _ddim_reference(ch, k, sigma[k - 1])
            laws[f"{ch.x(k - 1)}|{ch.x(k)},x_0"] = lambda xk, x0, a=a, b=b, k=k: Normal(a * x0 + b * xk,
                                                                                      sigma[k - 1] ** 2)
    return {**_extended(ch), "t": t, "sigma": Seq(sigma, 1), "q_sigma": _Chain(ch.q, laws),
            "x": Seq(_xs(rng, ch.T + 2), -1)}


class _Forward(ob.Model):
    """q(x_a | x_b) of the chain for b < a, one given variable (as densities, for adaptive quadrature), and nothing
    else: the chain's posterior q(x_{t-1} | x_t, x_0) is a member of the family, so it must not stand in for q_sigma."""

    def __init__(self, ch: Chain) -> None:
        self.ch = ch

    @property
    def variables(self) -> list[str]:
        return self.ch.q.variables

    def law(self, targets: list[str] | None, given: dict) -> ob.Distribution:
        names = list(given)
        if not targets or len(targets) != 1 or len(names) != 1 or int(targets[0][2:]) <= int(names[0][2:]):
            raise KeyError(f"q has no law for {targets} given {names} here")
        return _Chain(self.ch.q, density=True).law(targets, given)


def _ddim_marginal(rng: np.random.Generator) -> dict:
    """q_sigma: the joint law of the non-Markovian process built from the kernels as the page defines them
    (diffusion-ddim-kernel, alpha-bar from the chain's shares): x_0 ~ N(m, s^2), x_T | x_0 ~ N(sqrt(ab_T) x_0, 1 - ab_T),
    x_{k-1} = sqrt(ab_{k-1}) x_0 + sqrt(1 - ab_{k-1} - sigma_k^2) (x_k - sqrt(ab_k) x_0) / sqrt(1 - ab_k) + sigma_k e_k,
    so that q_sigma(x_{t-1} | x_t, x_0) is that kernel and every other conditional exists too. q(x_t | x_0) of the
    DDPM chain as a density (quadrature). x_t has no value (the expectation is over it), the other x_k have one."""
    ch = Chain(rng, T_lo=3)
    t = int(rng.integers(2, ch.T))
    sigma = _ddim_sigmas(rng, ch, lo=0.2)
    ab = ch.alphabar()
    T = ch.T
    eqs: Equations = {"x_0": (ch.m, {}, ch.s**2), f"x_{T}": (0.0, {"x_0": math.sqrt(ab[T])}, 1 - ab[T])}
    for k in range(T, 1, -1):
        slope = math.sqrt(1 - ab[k - 1] - sigma[k - 1] ** 2) / math.sqrt(1 - ab[k])
        eqs[f"x_{k - 1}"] = (0.0, {"x_0": math.sqrt(ab[k - 1]) - slope * math.sqrt(ab[k]), f"x_{k}": slope},
                             sigma[k - 1] ** 2)
    q_sigma = _linear_gaussian(eqs, [f"x_{k}" for k in range(T + 1)])
    xs = _xs(rng, ch.T + 2)
    values = {f"x_{k}": float(xs[k + 1]) for k in range(-1, ch.T + 1) if k != t}
    return {**_extended(ch), "t": t, "sigma": Seq(sigma, 1), "q_sigma": q_sigma, "q": _Forward(ch), **values}


def _ddim_step(rng: np.random.Generator) -> dict:
    """x_{t-1} from the marginal-keeping kernel at (x_t, x0hat) with noise z; x0hat the x_0 that the predicted noise
    implies (conditioning). As elsewhere the values come first and the noise is computed from them: x_{t-1} in (0.05,
    0.5) and z the noise that gives it; sigma_t below sqrt(beta_{t-1}) and 1 - alpha-bar_{t-1} (so that edits under
    the square roots, such as x_{t-1} in place of alpha-bar_{t-1}, leave a value to compare)."""
    ch = Chain(rng, T_lo=3)
    t = int(rng.integers(2, ch.T))
    sigma = [0.0, *(float(rng.uniform(0.1, 0.9)) * min(math.sqrt(_var(ch.q, ch.x(k - 1), {"x_0": 0.0})),
                                                       math.sqrt(ch.beta[k - 2]), 1.0 - ch.share(k - 1) ** 2)
                    for k in range(2, ch.T + 1))]
    eps_theta = _eps_theta(rng)
    xs = _xs(rng, ch.T + 2)  # x_{-1}, ..., x_T
    x0_hat = ch.x0_from_noise(t, xs[t + 1], eps_theta(xs[t + 1], t))
    a, b = _ddim_reference(ch, t, sigma[t - 1])
    xs[t] = float(rng.uniform(0.05, 0.5))
    z = (xs[t] - a * x0_hat - b * xs[t + 1]) / sigma[t - 1]
    return {**_extended(ch), "t": t, "sigma": Seq(sigma, 1), "x": Seq(xs, -1), "epsilon_theta": eps_theta,
            "xhat": Seq([x0_hat, float(rng.normal())], 0), "z": z}


def _ddim_euler(rng: np.random.Generator) -> dict:
    """eta = 0: x_{t-1} is the point of step t-1 with the same noise, E[x_{t-1} | x_0 = x0hat] + sd(x_{t-1} | x_0) e
    where e = eps_theta(x_t, t) and x0hat the x_0 that e implies at x_t (conditioning). The values come first: x_t and
    x_{t-1} in (0.05, 0.5), e the noise that links them, and eps_theta a smooth random function through e at x_t."""
    ch = Chain(rng, T_lo=3)
    t = int(rng.integers(2, ch.T))
    xs = _xs(rng, ch.T + 2)  # x_{-1}, ..., x_T
    xs[t], xs[t + 1] = (float(v) for v in rng.uniform(0.05, 0.5, size=2))
    sd_t, sd_prev = (math.sqrt(_var(ch.q, ch.x(k), {"x_0": 0.0})) for k in (t, t - 1))
    ratio = ch.share(t - 1) / ch.share(t)  # x0hat = (x_t - sd_t e) / share_t
    e = (xs[t] - ratio * xs[t + 1]) / (sd_prev - ratio * sd_t)
    base = _eps_theta(rng)
    offset = e - base(xs[t + 1], t)

    def eps_theta(x: float, k: float) -> float:
        return base(x, k) + offset

    x0_hat = ch.x0_from_noise(t, xs[t + 1], e)
    assert abs(_mean(ch.q, ch.x(t - 1), {"x_0": x0_hat}) + sd_prev * e - xs[t]) < 1e-12
    return {**_extended(ch), "t": t, "x": Seq(xs, -1), "epsilon_theta": eps_theta}


# --------------------------------------------------------------------------------------------------
# the probability-flow ODE, on Gaussian data in 2-D

def _spd(rng: np.random.Generator) -> np.ndarray:
    a = rng.normal(size=(2, 2))
    return a @ a.T / 2 + 0.2 * np.eye(2)


def _sym_power(S: np.ndarray, power: float) -> np.ndarray:
    w, u = np.linalg.eigh(S)
    return (u * w**power) @ u.T


class _GaussData:
    """x_0 ~ N(m, S) in 2-D. Noise levels are given as sigma-bar (x-bar = x_0 + sigma-bar eps, x_t = x-bar / sqrt(1 +
    sigma-bar^2)). The reference path of a point is the transport map between the Gaussian marginals of x-bar,
    m + (S + sb^2 I)^{1/2} S^{-1/2} (x_0 - m) (the matrices commute): it carries N(m, S) to N(m, S + sb^2 I)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.m, self.S = rng.normal(size=2), _spd(rng)
        self.x0 = rng.multivariate_normal(self.m, self.S)

    def path(self, sb: float) -> np.ndarray:
        return self.m + _sym_power(self.S + sb**2 * np.eye(2), 0.5) @ _sym_power(self.S, -0.5) @ (self.x0 - self.m)

    def joint(self, sb: float) -> GaussianModel:
        """(x_0, eps, x_t) with x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps, ab = 1 / (1 + sb^2)."""
        ab = 1.0 / (1.0 + sb**2)
        a = np.zeros((6, 6))
        a[4:, :2], a[4:, 2:4] = math.sqrt(ab) * np.eye(2), math.sqrt(1 - ab) * np.eye(2)
        c = np.concatenate([self.m, np.zeros(4)])
        inv = np.linalg.inv(np.eye(6) - a)
        noise = np.zeros((6, 6))
        noise[:2, :2], noise[2:4, 2:4] = self.S, np.eye(2)
        return GaussianModel({"x_0": 2, "e": 2, "x_t": 2}, inv @ c, inv @ noise @ inv.T)

    def eps_hat(self, x: np.ndarray, sb: float) -> np.ndarray:
        """E[eps | x_t = x] at noise level sb, by conditioning."""
        return np.asarray(self.joint(sb).law(["e"], {"x_t": np.asarray(x, dtype=float)}).mean)  # type: ignore[attr-defined]


def _vp_ode(rng: np.random.Generator) -> dict:
    """A continuous schedule beta(t) = b0 + (b1 - b0) t, alpha-bar(t) = exp(-int beta); the path x(t) = sqrt(ab(t)) x-bar
    at sigma-bar(t); the marginal p_t of x_t (conditioning) and its score by differences of its log-density."""
    g = _GaussData(rng)
    b0, b1 = float(rng.uniform(0.1, 1.0)), float(rng.uniform(2.0, 8.0))

    def ab(t: float) -> float:
        return math.exp(-(b0 * t + 0.5 * (b1 - b0) * t * t))

    def sb(t: float) -> float:
        return math.sqrt((1 - ab(t)) / ab(t))

    return {"t": float(rng.uniform(0.05, 0.95)), "beta": lambda t: b0 + (b1 - b0) * t,
            "x": Lazy(lambda sc: math.sqrt(ab(float(sc["t"]))) * g.path(sb(float(sc["t"])))),
            "p_t": Lazy(lambda sc: g.joint(sb(float(sc["t"]))).law(["x_t"], {}))}


def _pf_ode(rng: np.random.Generator) -> dict:
    """The path x-bar(sigma-bar) and E[eps | x_t]; x (the noisy point x_t), sigma and epsilon (the noise that
    made x-bar from x_0) have values of their own."""
    g = _GaussData(rng)
    sb = float(rng.uniform(0.1, 0.95))
    xbar = g.path(sb)
    return {"sigmabar": sb, "xbar": Lazy(lambda sc: g.path(float(sc["sigmabar"]))), "epsilonhat": g.eps_hat,
            "x": xbar / math.sqrt(1 + sb * sb), "sigma": float(rng.uniform(1.0, 2.0)),
            "epsilon": lambda x, s=0.0: (np.asarray(x) * math.sqrt(1 + s * s) - g.x0) / max(s, 0.1)}


def _ode_cov(rng: np.random.Generator) -> dict:
    """The flow dx/dt = f_t(x) with f_t(x) = c eps-hat(x / sqrt(1 + (ct)^2), ct): the PF-ODE with sigma-bar = ct; x(t)
    its path from a data point; p_0 the data law and p_1 the law of x-bar = x_0 + c eps (conditioning); p_2 and f_{t-1}
    (a field at another noise level: the flow has no time t - 1) have values too."""
    g = _GaussData(rng)
    c = float(rng.uniform(0.5, 2.5))

    def field(shift: float) -> Callable[[object], Callable[[np.ndarray], np.ndarray]]:
        def at(sc: object) -> Callable[[np.ndarray], np.ndarray]:
            sb = c * (float(sc["t"]) + shift)  # type: ignore[index]
            return lambda x: c * g.eps_hat(np.asarray(x) / math.sqrt(1 + sb**2), sb)
        return at

    def marginal(sb: float) -> MVN:
        law = g.joint(sb).law(["x_t"], {})  # x-bar = sqrt(1 + sb^2) x_t
        return MVN(math.sqrt(1 + sb * sb) * law.mean, (1 + sb * sb) * law.cov)  # type: ignore[attr-defined]

    return {"f_t": Lazy(field(0.0)), "f_t-1": Lazy(field(0.5)), "x": lambda t: g.path(c * float(t)),
            "p_0": MVN(g.m, g.S), "p_1": marginal(c), "p_2": marginal(2 * c)}


# --------------------------------------------------------------------------------------------------
# classifier-free guidance (Ho & Salimans 2022), one dimension, three classes

class _Classes(ob.Model):
    """Classes c = 1..K with weights pi_c and data laws N(mu_c, s_c^2), noised to every step k of a schedule: per class
    and step the joint of (x_0, eps, x_k) gives p(x_k | c) and E[eps | x_k, c] by conditioning; p(c | x_k) by Bayes'
    rule."""

    def __init__(self, rng: np.random.Generator, alphabar: Seq) -> None:
        self.K = 3
        self.pi = rng.dirichlet(np.full(self.K, 3.0))
        self.mu, self.s = rng.normal(scale=1.5, size=self.K), rng.uniform(0.3, 1.2, size=self.K)
        self.alphabar = alphabar

    @property
    def variables(self) -> list[str]:
        return ["c", *(f"x_{k}" for k in range(1, len(self.alphabar.values)))]

    def joint(self, c: int, k: int) -> GaussianModel:
        ab = self.alphabar[k]
        eqs: Equations = {"x_0": (float(self.mu[c - 1]), {}, float(self.s[c - 1] ** 2)), "e": (0.0, {}, 1.0),
                          "x_t": (0.0, {"x_0": math.sqrt(ab), "e": math.sqrt(1 - ab)}, 0.0)}
        return _linear_gaussian(eqs, ["x_0", "e", "x_t"])

    def likelihood(self, c: int, k: int) -> Normal:
        law = self.joint(c, k).law(["x_t"], {})
        return Normal(law.mean, law.var_)  # type: ignore[attr-defined]

    def posterior(self, x: float, k: int) -> Discrete:
        joint = np.array([self.pi[c - 1] * self.likelihood(c, k).pdf(x) for c in range(1, self.K + 1)])
        return Discrete(joint / joint.sum(), list(range(1, self.K + 1)))

    def law(self, targets: list[str] | None, given: dict) -> ob.Distribution:
        (target,), (name, value) = targets or ["?"], next(iter(given.items()))
        if target == "c" and name.startswith("x_"):
            return self.posterior(float(value), int(name[2:]))
        if target.startswith("x_") and name == "c":
            return self.likelihood(int(value), int(target[2:]))
        raise KeyError(f"no law for {target} given {name}")

    def eps(self, k: int) -> Callable[..., float]:
        def at(x: float, c: int | None = None) -> float:
            if c is None:  # the tower rule over the classes
                post = self.posterior(float(x), k)
                return sum(post.pdf(j) * at(x, j) for j in range(1, self.K + 1))
            return _mean(self.joint(int(c), k), "e", {"x_t": float(x)})
        return at


def _guidance(rng: np.random.Generator) -> dict:
    ab = np.sort(rng.uniform(0.1, 0.95, size=5))[::-1]
    alphabar = Seq([1.0, *ab], 0)
    model = _Classes(rng, alphabar)
    t = 3
    xs = [float(v) for v in rng.normal(scale=1.5, size=6)]
    return {"t": t, "alphabar": alphabar, "alpha": Seq([1.0, *(ab / np.concatenate([[1.0], ab[:-1]]))], 0),
            "p": model, "c": int(rng.integers(1, model.K + 1)), "w": float(rng.uniform(0.0, 4.0)), "x": Seq(xs, 0),
            "epsilon": model.eps(t)}


# --------------------------------------------------------------------------------------------------
# FID: the Frechet distance between Gaussians

def _frechet(rng: np.random.Generator) -> dict:
    """d_F^2 as the least E||X - Y||^2 over couplings: Cov(X, Y) = S1^{1/2} U S2^{1/2} with U orthogonal (the extreme
    contractions), and in 2-D max over rotations U(theta) of tr(S1^{1/2} U S2^{1/2}) = sqrt(a^2 + b^2) for
    a = tr(BA), b = tr(J B A) (the same for reflections); some points have equal covariances (or means). A third
    Gaussian gives mu_3 and Sigma_3 values; lambda_i(M) is the i-th largest eigenvalue of M, 0 for i outside 1..2."""
    m1, m2 = rng.normal(size=2), rng.normal(size=2)
    S1, S2 = _spd(rng), _spd(rng)
    if rng.uniform() < 0.3:
        S2 = S1.copy()
        if rng.uniform() < 0.5:
            m2 = m1.copy()
    A, B = _sym_power(S1, 0.5), _sym_power(S2, 0.5)
    J = np.array([[0.0, -1.0], [1.0, 0.0]])
    best = 0.0
    for flip in (np.eye(2), np.diag([1.0, -1.0])):
        BA = flip @ B @ A  # tr(A R(theta) F B) = tr(R(theta) F B A) = cos(theta) tr(FBA) + sin(theta) tr(J F B A)
        best = max(best, math.hypot(np.trace(BA), np.trace(J @ BA)))
    d2 = float(np.sum((m1 - m2) ** 2) + np.trace(S1) + np.trace(S2) - 2 * best)

    def eigenvalue(i: int) -> Callable[[np.ndarray], float]:
        def at(M: np.ndarray) -> float:
            values = np.sort(np.linalg.eigvals(np.atleast_2d(np.asarray(M, dtype=float))).real)[::-1]
            return float(values[i - 1]) if 1 <= i <= values.size else 0.0
        return at

    return {"mu": [m1, m2, rng.normal(size=2)], "Sigma": [S1, S2, _spd(rng)], "k": 2, "lambda": Indexed(eigenvalue),
            "d_F": math.sqrt(max(d2, 0.0))}

CHECKS = {
    "diffusion-forward": Check(_forward_kernel),
    "diffusion-variance-step": Check(_variance_step, n_points=10),
    "diffusion-alpha-bar": Check(lambda rng: _schedule_point(rng, lo=1)),
    "diffusion-merge-step": Check(_merge_step),
    "diffusion-variance-merge": Check(lambda rng: _schedule_point(rng, lo=1)),
    "diffusion-q-marginal": Check(_q_marginal),
    "diffusion-posterior-bayes": Check(_posterior_bayes, n_points=6),
    "diffusion-posterior-precision": Check(_posterior),
    "diffusion-posterior-variance": Check(lambda rng: _posterior(rng, lo=1)),
    "diffusion-posterior-mean": Check(lambda rng: _posterior(rng, lo=1)),
    "diffusion-reverse-model": Check(_reverse_model, n_points=10),
    "diffusion-jensen": Check(_jensen, n_points=5, rtol=1e-8, atol=1e-9, seed=2),  # points 2 and 4 are tight
    "diffusion-bayes-reverse": Check(_bayes_reverse),
    "diffusion-telescope": Check(_bayes_reverse),
    "diffusion-vlb": Check(_vlb, n_points=8, rtol=1e-8, atol=1e-9),
    "diffusion-kl-term": Check(_kl_term),
    "diffusion-mu-eps": Check(_mu_eps),
    "diffusion-mu-theta": Check(_mu_theta),
    "diffusion-mse-eps": Check(_mse_eps),
    "diffusion-lambda": Check(_lambda),
    "diffusion-decoder-eps": Check(_decoder_eps),
    "diffusion-snr": Check(_snr),
    "diffusion-lambda-snr": Check(_lambda_snr),
    "diffusion-reverse-mean": Check(_reverse_moments, n_points=10),
    "diffusion-reverse-var": Check(_reverse_moments, n_points=10),
    "diffusion-exact-gap": Check(_exact_gap, n_points=8, rtol=1e-8, atol=1e-9),
    "diffusion-cosine": Check(_cosine),
    "diffusion-v-velocity": Check(_velocity, n_points=10, rtol=1e-8, atol=1e-10),
    "diffusion-target-errors": Check(_target_errors),
    "diffusion-vdm-term": Check(_vdm_term, n_points=8, rtol=1e-8, atol=1e-10),
    "diffusion-vdm-continuous": Check(_vdm_continuous, n_points=5, rtol=1e-7, atol=1e-9),
    "diffusion-vdm-gaussian": Check(_vdm_gaussian),
    "diffusion-best-variance": Check(_best_variance, n_points=6, rtol=1e-7, atol=1e-9),
    "diffusion-importance": Check(_importance),
    "diffusion-ddim-kernel": Check(_ddim_kernel),
    "diffusion-ddim-marginal": Check(_ddim_marginal, n_points=10, rtol=1e-8, atol=1e-10),
    "diffusion-ddim-step": Check(_ddim_step),
    "diffusion-ddim-euler": Check(_ddim_euler),
    "diffusion-vp-ode": Check(_vp_ode, n_points=10, rtol=1e-7, atol=1e-9),
    "diffusion-pf-ode": Check(_pf_ode, n_points=10, rtol=1e-7, atol=1e-9),
    "diffusion-ode-cov": Check(_ode_cov, n_points=5, rtol=1e-7, atol=1e-9),
    "diffusion-cfg": Check(_guidance, n_points=10, rtol=1e-7, atol=1e-9),
    "diffusion-frechet": Check(_frechet),
}
