"""Two unbiased estimators of grad_m E_q[log p(x, z)] on the linear-Gaussian model: the
score-function (REINFORCE) estimator and the reparameterisation estimator. Same mean, very
different variance."""

import numpy as np

from genmath.figures import subplots
from genmath.snippet import claim, figure, publish, table
from genmath.vae import (
    exact_posterior,
    grad_m_expected_log_joint,
    grad_z_log_joint,
    linear_gaussian_example,
    log_joint,
    reparameterised_gradients,
    score_function_gradients,
)

model, x = linear_gaussian_example()
post_mean, post_cov = exact_posterior(model, x)
# evaluate the gradient at the "halfway" q of the ELBO table
m, S = 0.5 * post_mean, 0.5 * (np.eye(model.k) + post_cov)
exact = grad_m_expected_log_joint(model, x, m)
publish("vae.grad.exact_1", exact[0])
publish("vae.grad.exact_2", exact[1])

f = lambda z: log_joint(model, x, z)
grad_f = lambda z: grad_z_log_joint(model, x, z)
# any constant baseline c keeps the score-function estimator unbiased, since E_q[grad_m log q] = 0
# (Williams 1992); a cheap, reasonable one is f at the mean of q
c = float(f(m[None, :])[0])
publish("vae.grad.baseline", c, unit="nats")
f_baseline = lambda z: f(z) - c

estimators = {
    "score function": lambda n, rng: score_function_gradients(f, m, S, n, rng),
    "score function + baseline": lambda n, rng: score_function_gradients(f_baseline, m, S, n, rng),
    "reparameterisation": lambda n, rng: reparameterised_gradients(grad_f, m, S, n, rng),
}
keys = {"score function": "sf", "score function + baseline": "sfb", "reparameterisation": "rp"}

# per-sample statistics from 10^5 single-sample estimates
n_big = 100_000
rows, rel_se = [], []
for name, draw in estimators.items():
    g = draw(n_big, np.random.default_rng(1))
    bias = np.abs(g.mean(axis=0) - exact).max()
    se = (g.std(axis=0, ddof=1) / np.sqrt(n_big)).max()
    claim(bias < 4 * se, f"the {name} estimator's mean agrees with the exact gradient (unbiased)")
    sq = np.sum((g - g.mean(axis=0)) ** 2, axis=1)               # its mean is tr Cov of one estimate
    total_var, var_se = sq.mean() * n_big / (n_big - 1), sq.std(ddof=1) / np.sqrt(n_big)
    publish(f"vae.grad.{keys[name]}.var1", total_var, se=var_se)
    rel_se.append(var_se / total_var)
    rows.append([name, total_var, var_se, bias, se])
table(["estimator", "total variance, 1 sample", "its std. error", "max |mean − exact|",
       "max std. error of mean"], rows, fmt=".4g")
# ratios of two simulated variances: relative standard errors add in quadrature (conservative here,
# since the three estimators share their random numbers and are positively correlated)
ratio = publish("vae.grad.ratio", rows[0][1] / rows[2][1], se=rows[0][1] / rows[2][1] * np.hypot(rel_se[0], rel_se[2]))
publish("vae.grad.ratio_baseline", rows[1][1] / rows[2][1],
        se=rows[1][1] / rows[2][1] * np.hypot(rel_se[1], rel_se[2]))
claim(rows[2][1] < rows[1][1] < rows[0][1], "reparameterisation has the smallest variance, the plain score "
                                              "function the largest")

# variance of the N-sample average, measured over R independent repetitions
Ns = [1, 3, 10, 30, 100, 300, 1000]
R = 400
fig, ax = subplots()
for name, draw in estimators.items():
    rng = np.random.default_rng(2)
    measured = []
    for N in Ns:
        means = draw(N * R, rng).reshape(R, N, model.k).mean(axis=1)
        measured.append(np.sum((means - exact) ** 2, axis=1).mean())  # E||g_N - grad||^2 = tr Var
    ax.loglog(Ns, measured, marker="o", label=name)
    publish(f"vae.grad.{keys[name]}.mse1000", measured[-1])
    slope = np.polyfit(np.log(Ns), np.log(measured), 1)[0]
    claim(abs(slope + 1) < 0.1, f"the mean squared error of the {name} estimator falls as 1/N")
ax.set(xlabel="samples N per estimate", ylabel="E‖ĝ_N − ∇_m E_q f‖² (nats²)",
       title="Gradient estimator variance ∝ 1/N")
ax.legend()
figure(fig, "vae.grad.variance",
       alt="Mean squared error of the N-sample gradient estimates against N on log-log axes: three "
           "parallel lines of slope -1; the reparameterisation line is about {{ vae.grad.ratio:.0f }} "
           "times lower than the plain score-function line.")
publish("vae.grad.repeats", R)
