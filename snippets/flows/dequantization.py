"""Uniform dequantisation of 8-bit data: the continuous objective is a lower bound on the discrete
log-likelihood, and rescaling the data to [0, 1) shifts log-densities by log 256 per dimension."""

import numpy as np
from scipy import special, stats

from genmath.flows import dequantized_log_density_bound, discrete_log_prob_from_cdf, rescaled_log_density
from genmath.info import entropy
from genmath.mle import bits_per_dim
from genmath.snippet import publish, table

n_bins = publish("flows.deq.levels", 256)
levels = np.arange(n_bins)
mean_data = 120.0


def bits(std):
    """Data: one 8-bit value, a discretised N(120, std^2) on 0..255. Model: the continuous density
    N(y; 120, std^2) on the real line. Returns expected NLLs per dimension in bits."""
    p_data = np.diff(special.ndtr((np.arange(n_bins + 1) - mean_data) / std))
    p_data /= p_data.sum()
    support = p_data > 0  # values the data can take (far tails underflow to probability 0)
    p_data, x = p_data[support], levels[support]
    log_density = lambda y: stats.norm.logpdf(y, mean_data, std)
    cdf = stats.norm(mean_data, std).cdf  # a scipy distribution: genmath uses its logcdf/logsf in the tails
    # exact discrete log-likelihood: log P(x) = log of the model's mass on the bin [x, x + 1)
    exact = -(p_data * discrete_log_prob_from_cdf(cdf, x)).sum()
    # dequantised objective: E_u[log p(x + u)], u ~ U[0, 1), by quadrature over each bin
    bound_log_p = dequantized_log_density_bound(log_density, x)
    bound = -(p_data * bound_log_p).sum()
    # the same density on data rescaled to [0, 1): y/256 has density 256 p(y)
    rescaled = -(p_data * rescaled_log_density(bound_log_p, n_bins)).sum()
    return {"entropy": float(entropy(p_data, base=2)), "exact": float(bits_per_dim(exact, 1)),
            "bound": float(bits_per_dim(bound, 1)), "rescaled": float(bits_per_dim(rescaled, 1))}


rows = []
for name, std in [("wide", 30.0), ("narrow", 0.5)]:
    r = bits(publish(f"flows.deq.{name}.std", std))
    for key, value in r.items():
        publish(f"flows.deq.{name}.{key}_bits", value, unit="bits")
    publish(f"flows.deq.{name}.gap_bits", r["bound"] - r["exact"], unit="bits")
    publish(f"flows.deq.{name}.offset_bits", r["bound"] - r["rescaled"], unit="bits")
    rows.append([std, r["entropy"], r["exact"], r["bound"], r["bound"] - r["exact"], r["rescaled"]])
table(["std (levels)", "H(data) (bits)", "−log₂ P(x) (bits/dim)", "−E log₂ p(x+u) (bits/dim)", "gap (bits/dim)",
       "on [0,1) (bits/dim)"], rows, fmt=".4f",
      caption="Expected over the data; the model is the data's own Gaussian, so only the dequantisation gap remains.")
