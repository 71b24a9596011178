"""EM for a two-component Gaussian mixture: the ELBO decomposition, monotone ascent, and the likelihood's
singularity when a component collapses onto one observation."""

import warnings

import numpy as np
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from genmath.figures import subplots
from genmath.mle import gmm_elbo, gmm_em, gmm_log_likelihood, gmm_m_step, gmm_responsibilities
from genmath.snippet import figure, publish, table

rng = np.random.default_rng(7)
n = publish("mle.em.n", 300)
from_first = rng.uniform(size=n) < 0.3  # the latent z: 30% from N(-2, 0.5^2), 70% from N(1.5, 1)
x = np.where(from_first, rng.normal(-2.0, 0.5, n), rng.normal(1.5, 1.0, n))

# 1. EM from a rough start
start = (np.array([0.5, 0.5]), np.array([-1.0, 1.0]), np.array([1.0, 1.0]))
steps = publish("mle.em.steps", 100)
run = gmm_em(x, *start, steps=steps)
ll = run.log_likelihood
assert np.all(np.diff(ll) >= -1e-9), "EM never decreases the log-likelihood"
publish("mle.em.ll_0", ll[0], unit="nats")
publish("mle.em.ll_final", ll[-1], unit="nats")
publish("mle.em.min_increase", np.diff(ll).min(), unit="nats")
w_fit, m_fit, v_fit = run.weights[-1], run.means[-1], run.variances[-1]
for k in range(2):
    publish(f"mle.em.weight_{k + 1}", w_fit[k])
    publish(f"mle.em.mean_{k + 1}", m_fit[k])
    publish(f"mle.em.sd_{k + 1}", np.sqrt(v_fit[k]))
table(["iteration", "π₁", "μ₁", "σ₁", "π₂", "μ₂", "σ₂", "ℓ(θ) (nats)"],
      [[t, run.weights[t, 0], run.means[t, 0], np.sqrt(run.variances[t, 0]), run.weights[t, 1], run.means[t, 1],
        np.sqrt(run.variances[t, 1]), ll[t]] for t in (0, 1, 2, 5, 10, 20, steps)], fmt=".4f")

# scikit-learn's EM from the same start, as an independent implementation
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0: it runs all the iterations on purpose
    gm = GaussianMixture(2, covariance_type="full", tol=0.0, reg_covar=0.0, max_iter=steps,
                         weights_init=start[0], means_init=start[1][:, None],
                         precisions_init=(1.0 / start[2])[:, None, None]).fit(x[:, None])
sk_diff = max(np.abs(gm.weights_ - w_fit).max(), np.abs(gm.means_[:, 0] - m_fit).max(),
              np.abs(gm.covariances_[:, 0, 0] - v_fit).max())
publish("mle.em.sklearn_diff", sk_diff)
assert sk_diff < 1e-9

# 2. one iteration as coordinate ascent on the ELBO: l(theta_0) = L(q, theta_0) <= L(q, theta_1) <= l(theta_1)
theta0 = start
q = gmm_responsibilities(x, *theta0)  # E-step: q_i(z) = p_theta0(z | x_i)
theta1 = gmm_m_step(x, q)  # M-step
chain = {"ll_theta0": gmm_log_likelihood(x, *theta0), "elbo_theta0": gmm_elbo(x, q, *theta0),
         "elbo_theta1": gmm_elbo(x, q, *theta1), "ll_theta1": gmm_log_likelihood(x, *theta1)}
for key, value in chain.items():
    publish(f"mle.em.{key}", value, unit="nats")
publish("mle.em.gap_theta0", chain["ll_theta0"] - chain["elbo_theta0"], unit="nats")
publish("mle.em.gap_theta1", chain["ll_theta1"] - chain["elbo_theta1"], unit="nats")
assert abs(chain["ll_theta0"] - chain["elbo_theta0"]) < 1e-9
assert chain["elbo_theta0"] < chain["elbo_theta1"] < chain["ll_theta1"]

# 3. the singularity: a third component of weight eps on the most isolated observation, sigma shrinking
dist = np.abs(x[:, None] - x[None, :])
np.fill_diagonal(dist, np.inf)
j = int(np.argmax(dist.min(axis=1)))
x_j = publish("mle.em.x_spike", x[j])
publish("mle.em.spike_gap", dist[j].min())
eps = publish("mle.em.spike_weight", 0.01)
weights3 = np.r_[eps, (1 - eps) * w_fit]
sigmas = np.logspace(-8, 0.5, 200)
ll_spike = np.array([gmm_log_likelihood(x, weights3, np.r_[x_j, m_fit], np.r_[s**2, v_fit]) for s in sigmas])
# the lower bound: log(pi_1 / (sqrt(2 pi) sigma_1)) for x_j, and the other components for the other points
others = np.delete(x, j)
rest = np.log(np.sum(weights3[1:] * norm.pdf(others[:, None], m_fit, np.sqrt(v_fit)), axis=1)).sum()
bound = np.log(eps / (np.sqrt(2 * np.pi) * sigmas)) + rest
assert np.all(ll_spike >= bound - 1e-9) and abs(ll_spike[0] - bound[0]) < 1e-6
publish("mle.em.spike_sigma_min", sigmas[0])
publish("mle.em.ll_spike_min_sigma", ll_spike[0], unit="nats")
cross = sigmas[ll_spike > ll[-1]].max()  # below this sigma the spike beats the EM fit
publish("mle.em.spike_cross_sigma", cross)
assert ll_spike[0] > ll[-1] and np.all(np.diff(ll_spike[sigmas < cross]) < 0)

# 4. EM itself walks into the singularity from a start next to it: the spike with sigma = 0.05
theta = (weights3, np.r_[x_j, m_fit], np.r_[0.05**2, v_fit])
publish("mle.em.collapse_sigma0", np.sqrt(theta[2][0]))
collapse_ll, collapse_sd = [gmm_log_likelihood(x, *theta)], [np.sqrt(theta[2][0])]
collapsed = None
for t in range(1, 50):
    try:
        theta = gmm_m_step(x, gmm_responsibilities(x, *theta))
    except ValueError as err:  # the M-step refuses a zero variance
        collapsed = t
        print(f"iteration {t}: the M-step refuses the zero variance ({type(err).__name__})")
        break
    collapse_ll.append(gmm_log_likelihood(x, *theta))
    collapse_sd.append(np.sqrt(theta[2][0]))
print("spike sd, log-likelihood (nats) by iteration:",
      "; ".join(f"{s:.3g}, {ll:.2f}" for s, ll in zip(collapse_sd, collapse_ll)))
assert collapsed == len(collapse_sd) == 2, "the prose describes one finite iteration, then the collapse"
assert np.all(np.diff(collapse_ll) > 0)
publish("mle.em.collapse_iteration", collapsed)
publish("mle.em.collapse_last_sd", collapse_sd[-1])
publish("mle.em.collapse_last_ll", collapse_ll[-1], unit="nats")
assert collapse_ll[-1] > ll[-1]

fig, (ax1, ax2) = subplots(2, 1, figsize=(4.8, 6.2))
grid = np.linspace(-4.5, 5.5, 500)
ax1.hist(x, bins=40, density=True, alpha=0.45, label="data")
density = np.exp([gmm_log_likelihood([g], w_fit, m_fit, v_fit) for g in grid])
ax1.plot(grid, density, color="C1", label="EM fit")
ax1.set(xlabel="x", ylabel="density", title="EM's local maximum")
ax1.legend(fontsize=9, loc="upper left")
ax2.plot(sigmas, ll_spike, color="C0", label="ℓ, spike on one point")
ax2.plot(sigmas, bound, color="C3", linestyle=":", label="lower bound")
ax2.axhline(ll[-1], color="C1", linestyle="--", linewidth=1.2, label="EM fit")
ax2.set(xscale="log", xlabel="σ₁ of the spike", ylabel="log-likelihood (nats)", title="the singularity")
ax2.legend(fontsize=9, loc="upper right")
figure(fig, "mle.em.singularity",
       alt="Top: histogram of {{ mle.em.n }} observations with the two-component mixture that EM fits "
           "(log-likelihood {{ mle.em.ll_final:.1f }} nats). Bottom: the log-likelihood when a third component of "
           "weight {{ mle.em.spike_weight:g }} sits on the observation x = {{ mle.em.x_spike:.2f }} and its standard "
           "deviation shrinks from 3 to {{ mle.em.spike_sigma_min:.0e }} on a log axis: it rises without bound like "
           "-log sigma, passing the EM fit below sigma = {{ mle.em.spike_cross_sigma:.2g }} and reaching "
           "{{ mle.em.ll_spike_min_sigma:.1f }} nats at sigma = {{ mle.em.spike_sigma_min:.0e }}, always above the "
           "dotted lower bound.")
