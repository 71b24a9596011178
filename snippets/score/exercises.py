"""Answers to the exercises of the score-based models chapter."""

import numpy as np

from genmath.score import gaussian_score, noisy_covs, score_from_noise, tweedie_denoiser
from genmath.snippet import publish

# 1. score of N(2, 0.5^2) at x = 3
publish("score.ex1.score", float(gaussian_score([[3.0]], [2.0], [[0.25]])[0, 0]))

# 2. x ~ N(0, 1), x~ = x + 0.5 eta; observed x~ = 1: Tweedie's posterior mean
sigma = 0.5
s = gaussian_score([[1.0]], [0.0], noisy_covs(np.array([[1.0]]), sigma))
publish("score.ex2.score", float(s[0, 0]))
publish("score.ex2.posterior_mean", float(tweedie_denoiser([[1.0]], sigma, s)[0, 0]))

# 3. a noise-prediction network outputs eps_hat = 0.3 at a step with abar_t = 0.64
publish("score.ex3.score", float(score_from_noise(0.3, 0.64)))
