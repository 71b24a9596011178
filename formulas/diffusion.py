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

from genmath.formulas import JOINT, LAW, Check, GaussianModel, Indexed, Normal, Seq
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
}
