"""Bits per dimension: NLL in nats of one D-dimensional datum divided by D log 2.

A factorised Bernoulli model of 8x8 binary images, fitted by maximum likelihood, scored on held-out images.
"""

import numpy as np

from genmath.info import binary_entropy
from genmath.mle import bernoulli_mle, bernoulli_sequence_log_likelihood, bits_per_dim
from genmath.snippet import claim, publish

rng = np.random.default_rng(0)
side = 8
n_dims = publish("mle.bpd.dims", side * side)
n_train, n_test = publish("mle.bpd.n_train", 500), publish("mle.bpd.n_test", 20_000)

# synthetic images: pixel d is on with probability p_d, high inside a disc and low outside
yy, xx = np.mgrid[0:side, 0:side]
inside = (xx - 3.5) ** 2 + (yy - 3.5) ** 2 < 3.2**2
p_pixels = np.where(inside, 0.9, 0.05).ravel()
train = (rng.uniform(size=(n_train, n_dims)) < p_pixels).astype(float)
test = (rng.uniform(size=(n_test, n_dims)) < p_pixels).astype(float)

# MLE of each pixel's probability: Bernoulli MLE with the images on the last axis (one row per pixel)
p_hat = bernoulli_mle(train.T)
p_hat = np.clip(p_hat, 1e-3, 1 - 1e-3)  # a pixel never on in training would give the test set -inf

# NLL of each test image (nats) = -sum over pixels of the Bernoulli log-likelihood of that pixel
# (each pixel value is k successes in n = 1 trial)
nll_per_image = -bernoulli_sequence_log_likelihood(p_hat, test, 1).sum(axis=-1)
# the held-out average estimates the model's expected NLL; its standard error is that of a mean
nll_se = nll_per_image.std(ddof=1) / np.sqrt(n_test)
nll = publish("mle.bpd.nll_nats", nll_per_image.mean(), unit="nats", se=nll_se)
bpd = publish("mle.bpd.bpd", bits_per_dim(nll, n_dims), unit="bits", se=bits_per_dim(nll_se, n_dims))
publish("mle.bpd.nll_bits", bits_per_dim(nll, 1), unit="bits", se=bits_per_dim(nll_se, 1))

# baselines: a uniform model over binary images costs exactly 1 bit per dimension;
# a uniform model over 8-bit values (256 levels) costs 8 bits per dimension
publish("mle.bpd.uniform_binary", bits_per_dim(n_dims * np.log(2), n_dims), unit="bits")
publish("mle.bpd.uniform_8bit", bits_per_dim(n_dims * np.log(256), n_dims), unit="bits")

# the floor: the entropy of the true pixel distribution, sum_d H_2(p_d), per dimension
floor = publish("mle.bpd.true_entropy_bpd", binary_entropy(p_pixels, base=2).sum() / n_dims, unit="bits")
# the synthetic data's distribution is known, so the expected held-out NLL is exact: the cross-entropy
# of the fitted model with the true pixel distribution, sum_d H_2(p_d, p_hat_d), per dimension
cross_entropy = -(p_pixels * np.log2(p_hat) + (1 - p_pixels) * np.log2(1 - p_hat)).sum() / n_dims
publish("mle.bpd.expected_bpd", cross_entropy, unit="bits")
claim(floor < cross_entropy < 1, "the model's expected bits per dimension lie between the entropy floor "
                                 "and the uniform model's 1 bit")
claim(abs(bpd - cross_entropy) < 3 * bits_per_dim(nll_se, n_dims),
      "the held-out estimate agrees with the exact expected value within three standard errors")
