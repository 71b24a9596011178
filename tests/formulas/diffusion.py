"""Formula checks for docs/diffusion.md: every labelled formula against genmath.diffusion.

Each ``values`` function draws a random schedule (random T and betas in (0, 1)), a random paper step
t and random inputs, and returns every symbol of the formula computed by the genmath function the
formula states (or, for the left-hand sides of definitions, computed independently)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from genmath import diffusion as d
from genmath.sitebuild.formulas import Check
from genmath.info import kl_normal


def _schedule(rng: np.random.Generator, T_min: int = 3, T_max: int = 40) -> np.ndarray:
    T = int(rng.integers(T_min, T_max + 1))
    return np.sort(rng.uniform(1e-3, 0.3, size=T))


def _step(rng: np.random.Generator, betas: np.ndarray, lo: int = 2) -> int:
    return int(rng.integers(lo, betas.size + 1))  # paper's 1-based t


def _basics(betas: np.ndarray, t: int) -> dict[str, float]:
    """alpha_t, beta_t, alphabar_t, alphabar_{t-1} (the latter via alpha_bars_prev) for paper step t."""
    return {"alpha_t": float(d.alphas(betas)[t - 1]), "beta_t": float(betas[t - 1]),
            "alphabar_t": float(d.alpha_bars(betas)[t - 1]),
            "alphabar_t-1": float(d.alpha_bars_prev(betas)[t - 1])}


def _alpha_bar(rng):
    b = _schedule(rng)
    t = _step(rng, b, lo=1)
    return {"alphabar_t": float(d.alpha_bars(b)[t - 1]),
            "P1": math.prod(float(a) for a in d.alphas(b)[:t]),
            "P2": math.prod(1.0 - float(x) for x in b[:t])}


def _variance_merge(rng):
    b = _schedule(rng)
    return _basics(b, _step(rng, b))


def _q_marginal(rng):
    b = _schedule(rng)
    t = _step(rng, b, lo=1)
    x0, eps = rng.normal(size=2)
    return {**_basics(b, t), "x_0": x0, "epsilon": eps, "x_t": float(d.q_sample(x0, t, eps, b))}


def _posterior_precision(rng):
    b = _schedule(rng)
    t = _step(rng, b)
    return {**_basics(b, t), "betatilde_t": float(d.posterior_variance(b)[t - 1])}


def _posterior_mean(rng):
    b = _schedule(rng)
    t = _step(rng, b, lo=1)
    x0, xt = rng.normal(size=2)
    return {**_basics(b, t), "x_0": x0, "x_t": xt, "mutilde": float(d.posterior_mean(x0, xt, t, b))}


def _gaussian_bound_point(rng, kernel=None):
    b = _schedule(rng, 3, 30)
    m, s = rng.normal(), rng.uniform(0.1, 2.0)
    kernel = kernel or str(rng.choice(d.KERNELS))
    x0 = None if rng.uniform() < 0.5 else m + s * rng.normal()
    return b, m, s, d.gaussian_bound(b, m, s, kernel, x0=x0)


def _vlb(rng):
    _, _, _, g = _gaussian_bound_point(rng)
    return {"logp": -g.nll, "L_T": g.terms[-1], "S": g.terms[1:-1].sum(), "L_0": g.terms[0], "L": g.total}


def _kl_term(rng):
    b = _schedule(rng)
    t = _step(rng, b)
    bt = float(d.posterior_variance(b)[t - 1])
    sigma2 = float(rng.uniform(0.2, 3.0) * bt)
    mu_tilde, mu_theta = rng.normal(size=2)
    return {"betatilde_t": bt, "sigma_t": math.sqrt(sigma2), "mutilde_t": mu_tilde, "mu_theta": mu_theta,
            "L_t-1": float(d.denoising_term(mu_tilde, bt, mu_theta, sigma2))}


def _mu_eps(rng):
    b = _schedule(rng)
    t = _step(rng, b)
    x0, eps = rng.normal(size=2)
    xt = float(d.q_sample(x0, t, eps, b))
    return {**_basics(b, t), "x_t": xt, "epsilon": eps, "mutilde_t": float(d.posterior_mean(x0, xt, t, b))}


def _mu_theta(rng):
    b = _schedule(rng)
    t = _step(rng, b, lo=1)
    xt, eps_theta = rng.normal(size=2)
    return {**_basics(b, t), "x_t": xt, "epstheta": eps_theta,
            "mutheta": float(d.eps_to_mean(xt, eps_theta, t, b))}


def _mse_eps(rng):
    """(mutilde - mu_theta)^2 / (2 sigma^2) from posterior_mean and eps_to_mean; lambda from loss_weights."""
    b = _schedule(rng)
    t = _step(rng, b)
    kind = str(rng.choice(d.FIXED_VARIANCES))
    sigma2 = d.reverse_variances(b, kind)
    x0, eps, eps_theta = rng.normal(size=3)
    xt = float(d.q_sample(x0, t, eps, b))
    return {"mutilde_t": float(d.posterior_mean(x0, xt, t, b)), "mu_theta": float(d.eps_to_mean(xt, eps_theta, t, b)),
            "sigma_t": math.sqrt(sigma2[t - 1]), "lambda_t": float(d.loss_weights(b, sigma2)[t - 1]),
            "epsilon": eps, "epsilon_theta": eps_theta}


def _lambda(rng):
    b = _schedule(rng)
    t = _step(rng, b, lo=1)
    sigma2 = rng.uniform(0.5, 2.0, size=b.size) * b
    return {**_basics(b, t), "sigma_t": math.sqrt(sigma2[t - 1]),
            "lambda_t": float(d.loss_weights(b, sigma2)[t - 1])}


def _decoder_eps(rng):
    b = _schedule(rng)
    kind = str(rng.choice(d.FIXED_VARIANCES))
    sigma2 = d.reverse_variances(b, kind)
    x0, eps, eps_theta = rng.normal(size=3)
    x1 = float(d.q_sample(x0, 1, eps, b))
    mu = float(d.eps_to_mean(x1, eps_theta, 1, b))
    return {"L_0": float(d.decoder_term(x0, mu, sigma2[0])), "sigma_1": math.sqrt(sigma2[0]), "pi": math.pi,
            "lambda_1": float(d.loss_weights(b, sigma2)[0]), "epsilon": eps, "epsilon_theta": eps_theta}


def _snr(rng):
    b = _schedule(rng)
    t = _step(rng, b, lo=1)
    return {"SNR": float(d.snr(b)[t - 1]), "alphabar_t": float(d.alpha_bars(b)[t - 1])}


def _lambda_snr(rng):
    b = _schedule(rng)
    t = _step(rng, b)
    snr = d.snr(b)
    return {"SNRprev": float(snr[t - 2]), "SNR": float(snr[t - 1]),
            "lambda_t": float(d.loss_weights(b, d.reverse_variances(b, "beta_tilde"))[t - 1])}


def _reverse(rng):
    b = _schedule(rng)
    t = _step(rng, b, lo=1)
    m, s = rng.normal(), rng.uniform(0.1, 2.0)
    mu, var = d.gaussian_marginals(b, m, s)  # element k is step k here
    a, c, r = d.gaussian_reverse_kernel(b, m, s)
    xt = float(mu[t] + math.sqrt(var[t]) * rng.normal())
    return {**_basics(b, t), "x_t": xt, "mu_t": mu[t], "mu_t-1": mu[t - 1], "v_t": var[t], "v_t-1": var[t - 1],
            "Econd": a[t - 1] * xt + c[t - 1], "Vcond": r[t - 1]}


def _exact_gap(rng):
    b = _schedule(rng, 3, 30)
    m, s = rng.normal(), rng.uniform(0.1, 2.0)
    g = d.gaussian_bound(b, m, s, "exact")
    mu, var = d.gaussian_marginals(b, m, s)
    return {"L": g.total, "CE": g.nll,
            "KLT": float(kl_normal(mu[-1], math.sqrt(var[-1]), 0.0, 1.0)),
            "KL0": float(kl_normal(m, s, g.model_mean, math.sqrt(g.model_var)))}


def _cosine(rng):
    T = int(rng.integers(2, 2000))
    s = float(rng.uniform(1e-3, 0.1))
    t = int(rng.integers(1, T))  # t < T: the clip at max_beta acts only at t = T
    return {"alphabar_t": float(d.alpha_bars(d.cosine_betas(T, s))[t - 1]), "t": t, "T": T, "s": s,
            "pi": math.pi}


def _variance_step(rng):
    b = _schedule(rng)
    t = _step(rng, b, lo=1)
    _, var = d.gaussian_marginals(b, rng.normal(), rng.uniform(0.1, 2.0))  # element k is step k here
    return {"V": float(var[t]), "Vprev": float(var[t - 1]), "beta_t": float(b[t - 1])}


def _merge_step(rng):
    """x_{t-1} from q(x_{t-1} | x_0) with noise eps' (x_0 itself at t = 1), then one forward step."""
    b = _schedule(rng)
    t = _step(rng, b, lo=1)
    x0, eps_prev, eps_t = rng.normal(size=3)
    x_prev = x0 if t == 1 else float(d.q_sample(x0, t - 1, eps_prev, b))
    return {**_basics(b, t), "x_0": x0, "epsp": eps_prev, "epsilon_t": eps_t, "x_t-1": x_prev,
            "x_t": float(d.forward_step(x_prev, t, eps_t, b))}


def _log_forward(x_t: float, x_prev: float, t: int, b: np.ndarray) -> float:
    """log q(x_t | x_{t-1}): mean from genmath's forward step without noise, variance beta_t."""
    return float(stats.norm.logpdf(x_t, float(d.forward_step(x_prev, t, 0.0, b)), math.sqrt(b[t - 1])))


def _log_posterior(x_prev: float, x_t: float, x0: float, t: int, b: np.ndarray) -> float:
    """log q(x_{t-1} | x_t, x_0) from genmath's posterior mean and variance."""
    return float(stats.norm.logpdf(x_prev, float(d.posterior_mean(x0, x_t, t, b)),
                                   math.sqrt(float(d.posterior_variance(b)[t - 1]))))


def _log_marginal(x_t: float, x0: float, t: int, b: np.ndarray) -> float:
    """log q(x_t | x_0) from genmath's q_moments."""
    mean, var = d.q_moments(x0, t, b)
    return float(stats.norm.logpdf(x_t, float(mean), math.sqrt(float(var))))


def _bayes_reverse(rng):
    b = _schedule(rng)
    t = _step(rng, b)
    x0, x_prev, x_t = rng.normal(size=3)
    return {"A": math.exp(_log_forward(x_t, x_prev, t, b)), "B": math.exp(_log_posterior(x_prev, x_t, x0, t, b)),
            "C": math.exp(_log_marginal(x_t, x0, t, b)), "D": math.exp(_log_marginal(x_prev, x0, t - 1, b))}


def _telescope(rng):
    """A forward trajectory x_0, ..., x_T (genmath.forward_step) and the four log-density terms."""
    b = _schedule(rng, 2, 30)
    T = b.size
    xs = [float(rng.normal(rng.normal(), rng.uniform(0.1, 2.0)))]
    for t in range(1, T + 1):
        xs.append(float(d.forward_step(xs[-1], t, rng.normal(), b)))
    return {"S1": sum(_log_forward(xs[t], xs[t - 1], t, b) for t in range(2, T + 1)),
            "S2": sum(_log_posterior(xs[t - 1], xs[t], xs[0], t, b) for t in range(2, T + 1)),
            "LT": _log_marginal(xs[T], xs[0], T, b), "L1": _log_marginal(xs[1], xs[0], 1, b)}


CHECKS = {
    "diffusion-alpha-bar": Check(
        subs={r"\prod_{s=1}^{t} \alpha_s": "P1", r"\prod_{s=1}^{t} (1-\beta_s)": "P2"},
        values=_alpha_bar),
    "diffusion-variance-merge": Check(values=_variance_merge),
    "diffusion-q-marginal": Check(values=_q_marginal),
    "diffusion-posterior-precision": Check(values=_posterior_precision),
    "diffusion-posterior-variance": Check(values=_posterior_precision),
    "diffusion-posterior-mean": Check(subs={r"\tilde\mu_t(x_t, x_0)": "mutilde"}, values=_posterior_mean),
    "diffusion-vlb": Check(subs={r"\log p_\theta(x_0)": "logp", r"\sum_{t=2}^{T} L_{t-1}": "S"}, values=_vlb),
    "diffusion-kl-term": Check(values=_kl_term),
    "diffusion-mu-eps": Check(values=_mu_eps),
    "diffusion-mu-theta": Check(
        subs={r"\mu_\theta(x_t, t)": "mutheta", r"\epsilon_\theta(x_t, t)": "epstheta"}, values=_mu_theta),
    "diffusion-mse-eps": Check(values=_mse_eps),
    "diffusion-lambda": Check(values=_lambda),
    "diffusion-decoder-eps": Check(values=_decoder_eps),
    "diffusion-snr": Check(subs={r"\mathrm{SNR}(t)": "SNR"}, values=_snr),
    "diffusion-lambda-snr": Check(subs={r"\mathrm{SNR}(t-1)": "SNRprev", r"\mathrm{SNR}(t)": "SNR"},
                                  values=_lambda_snr),
    "diffusion-reverse-mean": Check(subs={r"\mathbb{E}[x_{t-1}\mid x_t]": "Econd"}, values=_reverse),
    "diffusion-reverse-var": Check(subs={r"\mathrm{Var}[x_{t-1}\mid x_t]": "Vcond"}, values=_reverse),
    "diffusion-exact-gap": Check(
        subs={r"\mathbb{E}_{q(x_0)}[-\log p(x_0)]": "CE",
              r"\mathrm{KL}(q(x_T)\,\|\,\mathcal{N}(0,1))": "KLT",
              r"\mathrm{KL}(q(x_0)\,\|\,p(x_0))": "KL0"},
        values=_exact_gap),
    "diffusion-cosine": Check(values=_cosine),
    "diffusion-variance-step": Check(
        subs={r"\mathrm{Var}[x_t]": "V", r"\mathrm{Var}[x_{t-1}]": "Vprev"}, values=_variance_step),
    "diffusion-merge-step": Check(subs={r"\epsilon'": "epsp"}, values=_merge_step),
    "diffusion-bayes-reverse": Check(
        subs={r"q(x_t\mid x_{t-1}, x_0)": "A", r"q(x_{t-1}\mid x_t, x_0)": "B", r"q(x_t\mid x_0)": "C",
              r"q(x_{t-1}\mid x_0)": "D"},
        values=_bayes_reverse),
    "diffusion-telescope": Check(
        subs={r"\sum_{t=2}^{T}\log q(x_t\mid x_{t-1})": "S1", r"\sum_{t=2}^{T}\log q(x_{t-1}\mid x_t, x_0)": "S2",
              r"\log q(x_T\mid x_0)": "LT", r"\log q(x_1\mid x_0)": "L1"},
        values=_telescope),
}
