"""The MLE variance divides by n and is biased low: E[sigma2_hat] = (n-1)/n sigma^2. Simulation."""

import numpy as np

from genmath.mle import gaussian_mle, gaussian_variance_mle_bias
from genmath.snippet import publish, table

rng = np.random.default_rng(0)
sigma2 = publish("mle.bias.sigma2", 4.0)
trials = publish("mle.bias.trials", 100_000)

rows = []
for n in (2, 5, 10, 50):
    x = rng.normal(0.0, np.sqrt(sigma2), size=(trials, n))
    _, sigma2_hat = gaussian_mle(x)  # one MLE per simulated data set
    expected = sigma2 + gaussian_variance_mle_bias(sigma2, n)
    sim_mean = sigma2_hat.mean()
    std_error = sigma2_hat.std(ddof=1) / np.sqrt(trials)
    unbiased_mean = (sigma2_hat * n / (n - 1)).mean()
    rows.append([n, sim_mean, std_error, expected, sim_mean - sigma2, gaussian_variance_mle_bias(sigma2, n),
                 unbiased_mean])
    if n == 5:
        publish("mle.bias.n", n)
        publish("mle.bias.sim_mean", sim_mean)
        publish("mle.bias.std_error", std_error)
        publish("mle.bias.expected", expected)
        publish("mle.bias.sim_bias", sim_mean - sigma2)
        publish("mle.bias.bias", gaussian_variance_mle_bias(sigma2, n))
        publish("mle.bias.z", (sim_mean - expected) / std_error)
        publish("mle.bias.unbiased_mean", unbiased_mean)

table(["$n$", r"mean of $\hat\sigma^2$ (sim.)", "std. error", r"$\frac{n-1}{n}\sigma^2$", "bias (sim.)", r"bias $-\sigma^2/n$",
       r"mean of $\frac{n}{n-1}\hat\sigma^2$"], rows, fmt=".4f")
