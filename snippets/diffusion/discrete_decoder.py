"""The discretised Gaussian decoder of Ho et al. (2020, eq. 13) for 8-bit data scaled to [-1, 1], and
the offset between its bits/dim and those of a continuous density on the same scale."""

import numpy as np
from scipy.stats import norm

from genmath.snippet import claim, publish, table

levels = 256
k = np.arange(levels)
x = 2 * k / (levels - 1) - 1  # pixel values 0..255 scaled to [-1, 1]
width = publish("diffusion.decoder.bin_width", 2 / (levels - 1))
# bin edges delta_-(x) = x - 1/255 and delta_+(x) = x + 1/255, open-ended at the extreme values
lower = np.where(k == 0, -np.inf, x - width / 2)
upper = np.where(k == levels - 1, np.inf, x + width / 2)

# A decoder N(mu, sigma^2) a few bins wide, at a few pixel values near its mean
mu, sigma = publish("diffusion.decoder.mu", 0.1), publish("diffusion.decoder.sigma", 0.05)
rows = []
for i in np.searchsorted(x, [mu - sigma, mu, mu + 2 * sigma]):
    discrete = -np.log2(norm.cdf(upper[i], mu, sigma) - norm.cdf(lower[i], mu, sigma))  # code length
    continuous = -norm.logpdf(x[i], mu, sigma) / np.log(2)  # -log2 of a density, bits
    rows.append([int(k[i]), x[i], discrete, continuous, discrete - continuous])
table(["pixel value", "x on [-1, 1]", "discrete −log₂ P (bits)", "continuous −log₂ p (bits)", "difference (bits)"],
      rows, fmt=".4f")
offset = publish("diffusion.decoder.offset_bits", np.log2(1 / width), unit="bits")  # log2(255/2)
claim(all(abs(r[4] - offset) < 0.01 for r in rows),
      "for a decoder several bins wide the discrete code length is the continuous one plus log2(255/2) bits")
