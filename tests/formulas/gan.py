"""Formula checks for docs/gan.md (GANs and the Jensen-Shannon divergence).

Expectations and integrals are mapped to symbols and given values computed by quadrature on random
1-D density pairs; where a formula states what a genmath function computes, the value comes from
that function and, where cheap, an independent route (scipy, a complex-step derivative) is asserted
to agree.
"""

from __future__ import annotations

import numpy as np
import scipy.integrate
import scipy.optimize
import scipy.spatial.distance
import scipy.special
import scipy.stats

import genmath
from genmath.sitebuild.formulas import Check

JSD_DATA_G = r"\JSD(p_{\mathrm{data}} \,\|\, p_g)"
LIMITS = {"lower": -60.0, "upper": 60.0}  # every density below has mass < 1e-20 outside


def _quad(f, lower: float = LIMITS["lower"], upper: float = LIMITS["upper"], points=None) -> float:
    value, _ = scipy.integrate.quad(f, lower, upper, points=points, epsabs=1e-13, epsrel=1e-12, limit=500)
    return float(value)


def _normal(rng: np.random.Generator):
    return scipy.stats.norm(rng.uniform(-1, 1), rng.uniform(0.5, 2.0))


def _density_pair(rng: np.random.Generator):
    """A random pair (p_data pdf, p_g pdf, break points): normal/normal, Laplace/normal or
    mixture/normal."""
    kind = rng.integers(3)
    q = _normal(rng)
    if kind == 0:
        p = _normal(rng)
        return p.pdf, q.pdf, [p.mean(), q.mean()]
    if kind == 1:
        loc = rng.uniform(-1, 1)
        return scipy.stats.laplace(loc, rng.uniform(0.5, 1.0)).pdf, q.pdf, [loc, q.mean()]
    means = rng.uniform(-2, 2, size=2)
    mix = genmath.gaussian_mixture_1d([0.4, 0.6], means, rng.uniform(0.4, 1.0, size=2))
    return mix.pdf, q.pdf, [*means, q.mean()]


def _logit_discriminator(rng: np.random.Generator):
    """A suboptimal discriminator D = sigmoid(alpha x + beta) as its logit function."""
    alpha, beta = rng.uniform(-0.5, 0.5), rng.uniform(-1, 1)
    return lambda x: alpha * x + beta


# --- the value function -------------------------------------------------------------------------

def _value(rng: np.random.Generator) -> dict[str, float]:
    p_data = _normal(rng)
    mu, s = rng.uniform(-1, 1), rng.uniform(0.5, 2.0)  # G(z) = mu + s z, z ~ N(0, 1)
    ell = _logit_discriminator(rng)
    e1 = _quad(lambda x: p_data.pdf(x) * scipy.special.log_expit(ell(x)))
    e2 = _quad(lambda z: scipy.stats.norm.pdf(z) * scipy.special.log_expit(-ell(mu + s * z)))
    v = genmath.value_function(ell, p_data.pdf, scipy.stats.norm(mu, s).pdf, logit=True, **LIMITS)
    return {"V": v, "E1": e1, "E2": e2}


def _bce(rng: np.random.Generator) -> dict[str, float]:
    p, q, points = _density_pair(rng)
    ell = _logit_discriminator(rng)
    # the summed binary cross-entropy, from its two terms
    loss = -_quad(lambda x: p(x) * scipy.special.log_expit(ell(x)) + q(x) * scipy.special.log_expit(-ell(x)),
                  points=points)

    def integrand(x: float) -> float:
        m = 0.5 * (p(x) + q(x))
        if m == 0:  # both densities vanish: zero weight (and the label posterior is undefined)
            return 0.0
        pi = float(genmath.optimal_discriminator(p(x), q(x)))
        d = float(scipy.special.expit(ell(x)))
        return m * float(genmath.cross_entropy([pi, 1 - pi], [d, 1 - d]))

    return {"L": loss, "V": genmath.value_function(ell, p, q, logit=True, points=points, **LIMITS),
            "Hm": _quad(integrand, points=points)}


# --- the optimal discriminator ------------------------------------------------------------------

def _optimal_d(rng: np.random.Generator) -> dict[str, float]:
    a, b = rng.uniform(0.01, 2.0, size=2)
    # the maximiser of a log y + b log(1 - y): root of the derivative, by Brent's method
    root = scipy.optimize.brentq(lambda y: a / y - b / (1 - y), 1e-12, 1 - 1e-12, xtol=1e-15, rtol=1e-15)
    d_star = float(genmath.optimal_discriminator(a, b))
    assert abs(root - d_star) <= 1e-12, (root, d_star)
    return {"Dstar": root, "a": a, "b": b}


def _logit(rng: np.random.Generator) -> dict[str, float]:
    p, q, _ = _density_pair(rng)
    x = rng.uniform(-2, 2)
    a, b = float(p(x)), float(q(x))
    return {"Dstar": float(genmath.optimal_discriminator(a, b)), "a": a, "b": b}


# --- the Jensen-Shannon divergence --------------------------------------------------------------

def _jsd_def(rng: np.random.Generator) -> dict[str, float]:
    k = int(rng.integers(2, 8))
    P, Q = rng.dirichlet(np.full(k, 0.7), size=2)
    M = 0.5 * (P + Q)
    jsd = float(genmath.jensen_shannon(P, Q))
    assert abs(jsd - scipy.spatial.distance.jensenshannon(P, Q) ** 2) < 1e-12  # scipy: the square root
    return {"J": jsd, "K1": float(genmath.kl_divergence(P, M)), "K2": float(genmath.kl_divergence(Q, M))}


def _cg(rng: np.random.Generator) -> dict[str, float]:
    p, q, points = _density_pair(rng)
    return {"C": genmath.optimal_value(p, q, points=points, **LIMITS),
            "J": genmath.jensen_shannon_quad(p, q, points=points, **LIMITS)}


def _jsd_mi(rng: np.random.Generator) -> dict[str, float]:
    p, q, points = _density_pair(rng)

    def integrand(x: float) -> float:
        a, b = p(x), q(x)
        if a + b == 0:
            return 0.0
        d = a / (a + b)
        return 0.5 * (a + b) * float(scipy.special.entr(d) + scipy.special.entr(1 - d))

    return {"J": genmath.jensen_shannon_quad(p, q, points=points, **LIMITS), "Hm": _quad(integrand, points=points)}


def _jsd_disjoint(rng: np.random.Generator) -> dict[str, float]:
    n = int(rng.integers(3, 30))  # atoms of the discretised Z; P_theta's atoms are all distinct from P_0's
    mass_0 = np.concatenate([np.full(n, 1 / n), np.zeros(n)])
    return {"J": float(genmath.jensen_shannon(mass_0, mass_0[::-1].copy()))}


def _w1_shift(rng: np.random.Generator) -> dict[str, float]:
    theta = float(rng.choice([-1, 1]) * rng.uniform(0.05, 3.0))
    z = np.sort(rng.uniform(size=int(rng.integers(3, 15))))
    p0 = np.column_stack([np.zeros_like(z), z])
    p_theta = np.column_stack([np.full_like(z, theta), z])
    return {"theta": theta, "W": float(scipy.stats.wasserstein_distance_nd(p0, p_theta))}


# --- generator gradients ------------------------------------------------------------------------

def _complex_step(f, x: float, h: float = 1e-30) -> float:
    """f'(x) = Im f(x + i h) / h, exact to rounding (no subtraction)."""
    return float(np.imag(f(complex(x, h))) / h)


def _grad(loss: str):
    def values(rng: np.random.Generator) -> dict[str, float]:
        ell = float(rng.uniform(-6, 6))
        d = float(scipy.special.expit(ell))
        if loss == "sat":  # log(1 - sigmoid(l)) = -log(1 + e^l)
            g_logit = _complex_step(lambda t: -np.log(1 + np.exp(t)), ell)
            g_d = float(genmath.saturating_grad_d(d))
            assert abs(g_logit - genmath.saturating_grad_logit(d)) <= 1e-12
        else:  # -log sigmoid(l) = log(1 + e^-l)
            g_logit = _complex_step(lambda t: np.log(1 + np.exp(-t)), ell)
            g_d = float(genmath.non_saturating_grad_d(d))
            assert abs(g_logit - genmath.non_saturating_grad_logit(d)) <= 1e-12
        sigma_prime = _complex_step(lambda t: 1 / (1 + np.exp(-t)), ell)
        return {"gl": g_logit, "gd": g_d, "sp": sigma_prime, "D": d}
    return values


# --- the JSD implied by a discriminator ---------------------------------------------------------

def _jsd_estimate(rng: np.random.Generator) -> dict[str, float]:
    v = float(rng.uniform(-3.0, 0.0))
    return {"V": v, "Jhat": float(genmath.jensen_shannon_from_value(v))}


def _jsd_gap(rng: np.random.Generator) -> dict[str, float]:
    p, q, points = _density_pair(rng)
    ell = _logit_discriminator(rng)

    def integrand(x: float) -> float:
        a, b = p(x), q(x)
        if a + b == 0:
            return 0.0
        d_star = a / (a + b)
        d = float(scipy.special.expit(ell(x)))
        kl = scipy.special.rel_entr(d_star, d) + scipy.special.rel_entr(1 - d_star, 1 - d)
        return 0.5 * (a + b) * float(kl)

    v = genmath.value_function(ell, p, q, logit=True, points=points, **LIMITS)
    return {"J": genmath.jensen_shannon_quad(p, q, points=points, **LIMITS),
            "Jhat": float(genmath.jensen_shannon_from_value(v)), "EK": _quad(integrand, points=points)}


# --- the label posterior, the pooled form and the bounds of the JSD -----------------------------

def _label_posterior(rng: np.random.Generator) -> dict[str, float]:
    """Normal p_data and p_g; m is the equal-weight genmath mixture of the two, P(y = 1 | x) its
    component responsibility (Bayes' rule, genmath.mixture_responsibilities)."""
    (mu_p, mu_q), (s_p, s_q) = rng.uniform(-1, 1, size=2), rng.uniform(0.5, 2.0, size=2)
    x = float(rng.uniform(-2, 2))
    a, b = float(scipy.stats.norm.pdf(x, mu_p, s_p)), float(scipy.stats.norm.pdf(x, mu_q, s_q))
    m = float(genmath.gaussian_mixture_1d([0.5, 0.5], [mu_p, mu_q], [s_p, s_q]).pdf(x))
    post = float(genmath.mixture_responsibilities(np.array([[x]]), [0.5, 0.5], np.array([[mu_p], [mu_q]]),
                                                  np.array([[[s_p ** 2]], [[s_q ** 2]]]))[0, 0])
    return {"Pi": float(genmath.optimal_discriminator(a, b)), "P": post, "m": m, "a": a, "b": b}


def _jsd_pooled(rng: np.random.Generator) -> dict[str, float]:
    p, q, points = _density_pair(rng)

    def integrand(x: float) -> float:
        a, b = p(x), q(x)
        if a + b == 0:
            return 0.0
        d_star = float(genmath.optimal_discriminator(a, b))
        return 0.5 * (a + b) * float(scipy.special.xlogy(d_star, 2 * d_star) + scipy.special.xlogy(1 - d_star, 2 * (1 - d_star)))

    return {"J": genmath.jensen_shannon_quad(p, q, points=points, **LIMITS), "I": _quad(integrand, points=points)}


def _jsd_bounds(rng: np.random.Generator) -> dict[str, float]:
    """The JSD of a random pair in nats; 1 bit expressed in nats is the entropy of a fair coin."""
    p, q, points = _density_pair(rng)
    return {"J": genmath.jensen_shannon_quad(p, q, points=points, **LIMITS), "nats": 1.0,
            "bit": float(genmath.entropy([0.5, 0.5]))}


CHECKS = {
    "gan-value": Check(
        subs={"V(D, G)": "V", r"\E_{x \sim p_{\mathrm{data}}}[\log D(x)]": "E1",
              r"\E_{z \sim p_z}[\log(1 - D(G(z)))]": "E2"},
        values=_value, n_points=6),
    "gan-bce": Check(
        subs={r"\mathcal{L}_D(D)": "L", "V(D, G)": "V",
              r"\E_{x \sim m}[H(\mathrm{Bern}(\pi(x)), \mathrm{Bern}(D(x)))]": "Hm"},
        values=_bce, n_points=4),
    "gan-optimal-d": Check(
        subs={"D^*_G(x)": "Dstar", r"p_{\mathrm{data}}(x)": "a", "p_g(x)": "b"}, values=_optimal_d),
    "gan-logit": Check(
        subs={"D^*_G(x)": "Dstar", r"p_{\mathrm{data}}(x)": "a", "p_g(x)": "b"}, values=_logit),
    "gan-jsd-def": Check(
        subs={r"\JSD(P \,\|\, Q)": "J", r"\KL(P \,\|\, M)": "K1", r"\KL(Q \,\|\, M)": "K2"}, values=_jsd_def),
    "gan-cg": Check(subs={"C(G)": "C", JSD_DATA_G: "J"}, values=_cg, n_points=8),
    "gan-jsd-mi": Check(subs={JSD_DATA_G: "J", r"\E_{x \sim m}[h(D^*_G(x))]": "Hm"}, values=_jsd_mi,
                        n_points=6),
    "gan-jsd-disjoint": Check(subs={r"\JSD(P_0 \,\|\, P_\theta)": "J"}, values=_jsd_disjoint),
    "gan-w1-shift": Check(subs={r"W_1(P_0, P_\theta)": "W"}, values=_w1_shift, n_points=10),
    "gan-grad-sat": Check(
        subs={r"\frac{\partial \mathcal{L}_{\mathrm{sat}}}{\partial \ell}": "gl",
              r"\frac{\partial \mathcal{L}_{\mathrm{sat}}}{\partial D}": "gd", r"\sigma'(\ell)": "sp"},
        values=_grad("sat")),
    "gan-grad-ns": Check(
        subs={r"\frac{\partial \mathcal{L}_{\mathrm{ns}}}{\partial \ell}": "gl",
              r"\frac{\partial \mathcal{L}_{\mathrm{ns}}}{\partial D}": "gd", r"\sigma'(\ell)": "sp"},
        values=_grad("ns")),
    "gan-jsd-estimate": Check(subs={r"\widehat{\JSD}_D": "Jhat", "V(D, G)": "V"}, values=_jsd_estimate),
    "gan-jsd-gap": Check(
        subs={JSD_DATA_G: "J", r"\widehat{\JSD}_D": "Jhat",
              r"\E_{x \sim m}[\KL(\mathrm{Bern}(D^*_G(x)) \,\|\, \mathrm{Bern}(D(x)))]": "EK"},
        values=_jsd_gap, n_points=6),
    "gan-label-posterior": Check(
        subs={r"\pi(x)": "Pi", r"P(y = 1 \mid x)": "P", "m(x)": "m", r"p_{\mathrm{data}}(x)": "a", "p_g(x)": "b"},
        values=_label_posterior),
    "gan-jsd-pooled": Check(
        subs={JSD_DATA_G: "J",
              r"\int m \left[ D^*_G \log (2 D^*_G) + (1 - D^*_G) \log (2 (1 - D^*_G)) \right] dx": "I"},
        values=_jsd_pooled, n_points=6),
    "gan-jsd-bounds": Check(subs={JSD_DATA_G: "J"}, values=_jsd_bounds, n_points=6),
}
