"""Fit one Gaussian to a two-component mixture by forward KL(p || q) and by reverse KL(q || p)."""

import numpy as np
import scipy.optimize
import scipy.stats
from scipy.special import logsumexp

import genmath
from genmath.figures import subplots
from genmath.numerics import integrate
from genmath.snippet import claim, figure, publish, table

# Target p = 0.5 N(1, 1) + 0.5 N(10, 1.5^2)
weights = np.array([0.5, 0.5])
means = np.array([1.0, 10.0])
sigmas = np.array([1.0, 1.5])
LOWER, UPPER, MODES = -40.0, 50.0, means  # the mass of p outside [-40, 50] is below 1e-100


def log_p(x):
    """Mixture log-density, log sum_i w_i N(x; m_i, s_i^2), computed with log-sum-exp."""
    x = np.asarray(x, dtype=float)
    comps = np.log(weights)[:, None] + scipy.stats.norm.logpdf(x.reshape(1, -1), means[:, None],
                                                               sigmas[:, None])
    return logsumexp(comps, axis=0).reshape(x.shape)


def gaussian(theta):
    mu, log_sigma = theta
    return scipy.stats.norm(mu, np.exp(log_sigma))


def forward_kl(theta):  # KL(p || q_theta): mass-covering
    return genmath.kl_continuous(log_p, gaussian(theta).logpdf, lower=LOWER, upper=UPPER,
                                 points=MODES)


def reverse_kl(theta):  # KL(q_theta || p): mode-seeking
    return genmath.kl_continuous(gaussian(theta).logpdf, log_p, lower=LOWER, upper=UPPER,
                                 points=MODES)


def fit(objective, start):
    res = scipy.optimize.minimize(objective, start, method="BFGS", options={"gtol": 1e-7})
    assert res.success, res.message
    return res.x[0], float(np.exp(res.x[1])), res.fun


# Forward KL: minimised by matching the mean and variance of p (moment matching)
mu_f, sigma_f, _ = fit(forward_kl, [0.0, 0.0])
mean_closed = float(weights @ means)
var_closed = float(weights @ (sigmas**2 + means**2) - mean_closed**2)
mean_quad = integrate(lambda x: x * np.exp(log_p(x)), LOWER, UPPER, name="x p(x)", loc=means, scale=sigmas)
var_quad = integrate(lambda x: (x - mean_quad) ** 2 * np.exp(log_p(x)), LOWER, UPPER, name="(x - mean)^2 p(x)",
                     loc=means, scale=sigmas)
publish("kl.fr.mu_fwd", mu_f)
publish("kl.fr.sigma_fwd", sigma_f)
publish("kl.fr.mu_moment", mean_closed)
publish("kl.fr.sigma_moment", np.sqrt(var_closed))
publish("kl.fr.var_moment", var_closed)
publish("kl.fr.mu_moment_quad", mean_quad)
publish("kl.fr.sigma_moment_quad", np.sqrt(var_quad))
publish("kl.fr.fit_gap", max(abs(mu_f - mean_closed), abs(sigma_f - np.sqrt(var_closed))))

# Reverse KL: two local minima, one per mode; start the optimiser near each
fits = {"fwd": (mu_f, sigma_f)}
for name, start in (("rev_a", [0.0, 0.5]), ("rev_b", [9.0, 0.5])):
    mu_r, sigma_r, _ = fit(reverse_kl, start)
    fits[name] = (mu_r, sigma_r)
    publish(f"kl.fr.mu_{name}", mu_r)
    publish(f"kl.fr.sigma_{name}", sigma_r)

rows = []
for name, label in (("fwd", "argmin KL(p || q)"), ("rev_a", "argmin KL(q || p), left mode"),
                    ("rev_b", "argmin KL(q || p), right mode")):
    mu, sigma = fits[name]
    theta = [mu, np.log(sigma)]
    f, r = forward_kl(theta), reverse_kl(theta)
    publish(f"kl.fr.{name}_forward", f, unit="nats")
    publish(f"kl.fr.{name}_reverse", r, unit="nats")
    rows.append([label, mu, sigma, f, r])
table(["fit q = N(mu, sigma^2)", "mu", "sigma", "KL(p || q) (nats)", "KL(q || p) (nats)"], rows, fmt=".4f")
claim(max(abs(mu_f - mean_closed), abs(sigma_f - np.sqrt(var_closed))) < 1e-4,
      "the forward-KL fit matches the mixture's mean and standard deviation")
for name, k in (("rev_a", 0), ("rev_b", 1)):
    mu, sigma = fits[name]
    claim(abs(mu - means[k]) < 0.1 and abs(sigma - sigmas[k]) < 0.1,
          f"the reverse-KL fit started near mode {k + 1} is close to that component of the mixture")
    r = reverse_kl([mu, np.log(sigma)])
    claim(np.log(2) - 0.01 < r < np.log(2), "each reverse-KL fit reaches a reverse KL just under log 2")
    claim(forward_kl([mu, np.log(sigma)]) > 5 * np.log(2), "each reverse-KL fit is bad under the forward KL")

# Figure
x = np.linspace(-6, 18, 961)
fig, ax = subplots(figsize=(6.4, 3.4))
ax.fill_between(x, np.exp(log_p(x)), alpha=0.3, color="C2", label="target $p$ (mixture)")
ax.plot(x, gaussian([mu_f, np.log(sigma_f)]).pdf(x), label=r"forward: $\arg\min\, \mathrm{KL}(p \,\|\, q)$")
for name, style in (("rev_a", "-"), ("rev_b", "--")):
    mu, sigma = fits[name]
    ax.plot(x, gaussian([mu, np.log(sigma)]).pdf(x), style, color="C1",
            label=r"reverse: local minima of $\mathrm{KL}(q \,\|\, p)$" if name == "rev_a" else None)
ax.set_xlabel("$x$")
ax.set_ylabel("density")
ax.legend(loc="upper right", fontsize=8)
figure(fig, "kl.fr.fits",
       alt="A bimodal target with modes at 1 and 10. The forward-KL Gaussian is wide and centred "
           "at {{ kl.fr.mu_fwd:.1f }}, between the modes, covering both. The two reverse-KL Gaussians each "
           "sit on one mode with roughly that mode's width.",
       caption="Fitting one Gaussian to a bimodal target. Forward KL (blue) covers both modes and "
               "puts its peak where the target has almost no mass; reverse KL (orange) locks onto "
               "one mode and ignores the other. Both reverse fits are local minima.")
