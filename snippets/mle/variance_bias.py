"""The MLE variance divides by n and is biased low: E[sigma2_hat] = (n-1)/n sigma^2. Simulation."""

import numpy as np

from genmath.mle import gaussian_mle, gaussian_variance_mle_bias
from genmath.snippet import claim, publish, table

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
        publish("mle.bias.sim_mean", sim_mean, se=std_error)
        publish("mle.bias.expected", expected)
        publish("mle.bias.sim_bias", sim_mean - sigma2, se=std_error)
        publish("mle.bias.bias", gaussian_variance_mle_bias(sigma2, n))
        z = publish("mle.bias.z", (sim_mean - expected) / std_error)
        claim(abs(z) < 3, "the simulated bias agrees with -sigma^2/n within three standard errors")
        unbiased = sigma2_hat * n / (n - 1)
        publish("mle.bias.unbiased_mean", unbiased.mean(), se=unbiased.std(ddof=1) / np.sqrt(trials))
        # mean squared errors: n sigma2_hat / sigma^2 is chi-squared with n - 1 degrees of freedom, so
        # Var[sigma2_hat] = 2(n-1) sigma^4 / n^2 and MSE = Var + bias^2 = (2n - 1) sigma^4 / n^2, while the
        # unbiased estimate has MSE = Var = 2 sigma^4 / (n - 1)
        mse_mle = publish("mle.bias.mse_mle", (2 * n - 1) * sigma2**2 / n**2)
        mse_unbiased = publish("mle.bias.mse_unbiased", 2 * sigma2**2 / (n - 1))
        sq_mle, sq_unb = (sigma2_hat - sigma2) ** 2, (unbiased - sigma2) ** 2
        publish("mle.bias.mse_mle_sim", sq_mle.mean(), se=sq_mle.std(ddof=1) / np.sqrt(trials))
        publish("mle.bias.mse_unbiased_sim", sq_unb.mean(), se=sq_unb.std(ddof=1) / np.sqrt(trials))
        claim(mse_mle < mse_unbiased and sq_mle.mean() < sq_unb.mean(),
              "the biased MLE has the lower mean squared error, exactly and in the simulation")

table(["n", "mean of σ̂² (sim.)", "std. error", "(n−1)/n·σ²", "bias (sim.)", "bias −σ²/n",
       "mean of n/(n−1)·σ̂²"], rows, fmt=".4f")
