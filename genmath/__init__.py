"""genmath: the mathematics behind generative models, tested, plus the build machinery of the site.

Public names are loaded lazily (PEP 562), so ``from genmath import entropy`` imports only the module
that defines ``entropy``. This keeps the snippet cache precise: a snippet depends on exactly the
genmath modules it really imports (see ``genmath.sitebuild.cache``).

Where things live (one module per topic, one test file per module):

- ``genmath.validate``   -- input checks shared by every module; messages name the argument and value
- ``genmath.numerics``   -- quadrature that locates the mass and raises when its result cannot be trusted
- ``genmath.info``       -- entropy, cross-entropy, KL, JSD, Gaussian KLs
- ``genmath.mle``        -- maximum-likelihood estimates and log-likelihoods
- ``genmath.vae``        -- ELBO, linear-Gaussian model, IWAE, a small torch VAE
- ``genmath.gan``        -- optimal discriminator, value function by quadrature, a small torch GAN
- ``genmath.diffusion``  -- DDPM schedules, posterior, variational bound
- ``genmath.flows``      -- change of variables, affine and sinh-arcsinh maps, coupling layers, RealNVP
- ``genmath.score``      -- scores of Gaussians and mixtures, denoising score matching, Tweedie, Langevin
- ``genmath.snippet``    -- what snippets call to publish values, tables and figures
- ``genmath.figures``    -- the site's matplotlib style and deterministic SVG output
- ``genmath.sitebuild``  -- the site's build machinery: scanning chapters, running and caching snippets, KaTeX
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule that defines it. Each module owns its block; keep blocks sorted.
_EXPORTS: dict[str, str] = {
    # --- genmath.info ---
    "binary_entropy": "info",
    "cross_entropy": "info",
    "entropy": "info",
    "gaussian_entropy": "info",
    "jensen_shannon": "info",
    "kl_continuous": "info",
    "kl_divergence": "info",
    "kl_monte_carlo": "info",
    "kl_mvn": "info",
    "kl_mvn_terms": "info",
    "kl_normal": "info",
    "kl_standard_normal": "info",
    "softmax_cross_entropy": "info",
    "total_variation": "info",
    # --- genmath.mle ---
    "bernoulli_log_likelihood": "mle",
    "bernoulli_map": "mle",
    "bernoulli_map_logit": "mle",
    "bernoulli_mle": "mle",
    "bernoulli_sequence_log_likelihood": "mle",
    "beta_posterior": "mle",
    "binomial_log_likelihood": "mle",
    "binomial_mle": "mle",
    "bits_per_dim": "mle",
    "categorical_log_likelihood": "mle",
    "categorical_mle": "mle",
    "cramer_rao_bound": "mle",
    "EMTrajectory": "mle",
    "exponential_mle": "mle",
    "fisher_information_bernoulli": "mle",
    "fisher_information_exponential": "mle",
    "fisher_information_gaussian_mean": "mle",
    "fisher_information_poisson": "mle",
    "fit_gaussian_gradient_descent": "mle",
    "fit_linear_regression_weight_decay": "mle",
    "gaussian_fisher_information": "mle",
    "gaussian_log_likelihood": "mle",
    "gaussian_misspecified_sandwich": "mle",
    "gaussian_mle": "mle",
    "gaussian_nll_gradient": "mle",
    "gaussian_scores": "mle",
    "gaussian_variance_mle_bias": "mle",
    "GaussianFit": "mle",
    "gmm_elbo": "mle",
    "gmm_em": "mle",
    "gmm_log_likelihood": "mle",
    "gmm_m_step": "mle",
    "gmm_responsibilities": "mle",
    "log_binomial_coefficient": "mle",
    "log_multinomial_coefficient": "mle",
    "multinomial_log_likelihood": "mle",
    "poisson_log_likelihood": "mle",
    "poisson_mle": "mle",
    "ridge_map": "mle",
    "sample_variance": "mle",
    "Sandwich": "mle",
    "sandwich_covariance": "mle",
    "VarianceEstimate": "mle",
    # --- genmath.vae ---
    "DigitsData": "vae",
    "elbo_gaussian": "vae",
    "elbo_monte_carlo": "vae",
    "exact_posterior": "vae",
    "expected_log_likelihood": "vae",
    "grad_m_expected_log_joint": "vae",
    "grad_z_log_joint": "vae",
    "iwae_bound": "vae",
    "iwae_bound_monte_carlo": "vae",
    "kl_std_normal": "vae",
    "latent_activity": "vae",
    "LinearGaussianModel": "vae",
    "linear_gaussian_example": "vae",
    "load_digits_data": "vae",
    "log_marginal_likelihood": "vae",
    "log_weights": "vae",
    "reparameterised_gradients": "vae",
    "sample_gaussian": "vae",
    "score_function_gradients": "vae",
    "train_vae": "vae",
    "VAE": "vae",
    "vae_iwae_bound": "vae",
    "VAETrainingResult": "vae",
    # --- genmath.gan ---
    "discriminator_probability": "gan",
    "fit_discriminator": "gan",
    "GANRun": "gan",
    "gaussian_mixture_1d": "gan",
    "GaussianMixture1D": "gan",
    "generate": "gan",
    "jensen_shannon_from_value": "gan",
    "jensen_shannon_quad": "gan",
    "mode_coverage": "gan",
    "non_saturating_generator_loss": "gan",
    "non_saturating_grad_d": "gan",
    "non_saturating_grad_logit": "gan",
    "optimal_discriminator": "gan",
    "optimal_discriminator_logit": "gan",
    "optimal_value": "gan",
    "saturating_generator_loss": "gan",
    "saturating_grad_d": "gan",
    "saturating_grad_logit": "gan",
    "train_gan": "gan",
    "value_estimate": "gan",
    "value_function": "gan",
    "wasserstein_1_quad": "gan",
    # --- genmath.diffusion ---
    "alpha_bars": "diffusion",
    "alpha_bars_prev": "diffusion",
    "alphas": "diffusion",
    "bound_constants": "diffusion",
    "bound_from_eps_mse": "diffusion",
    "BoundEstimate": "diffusion",
    "check_betas": "diffusion",
    "cosine_betas": "diffusion",
    "cosine_f": "diffusion",
    "ddpm_eps_mse": "diffusion",
    "ddpm_sample": "diffusion",
    "decoder_term": "diffusion",
    "denoising_term": "diffusion",
    "eps_to_mean": "diffusion",
    "expected_kl_affine": "diffusion",
    "forward_step": "diffusion",
    "gaussian_bound": "diffusion",
    "gaussian_marginals": "diffusion",
    "gaussian_reverse_kernel": "diffusion",
    "GaussianBound": "diffusion",
    "kernel_variances": "diffusion",
    "linear_betas": "diffusion",
    "log_snr": "diffusion",
    "loss_weights": "diffusion",
    "make_eps_net": "diffusion",
    "one_minus_alpha_bars": "diffusion",
    "posterior_mean": "diffusion",
    "posterior_mean_coefs": "diffusion",
    "posterior_variance": "diffusion",
    "prior_term": "diffusion",
    "q_moments": "diffusion",
    "q_sample": "diffusion",
    "reverse_variances": "diffusion",
    "ring_centres": "diffusion",
    "ring_mixture": "diffusion",
    "ring_mixture_logpdf": "diffusion",
    "ring_near_fraction": "diffusion",
    "ring_near_probability": "diffusion",
    "scaled_linear_betas": "diffusion",
    "snr": "diffusion",
    "time_embedding": "diffusion",
    "train_ddpm": "diffusion",
    "TrainedDDPM": "diffusion",
    # --- genmath.flows ---
    "affine_forward": "flows",
    "affine_inverse": "flows",
    "affine_log_abs_det_forward": "flows",
    "affine_log_abs_det_inverse": "flows",
    "affine_log_prob": "flows",
    "dequantized_log_density_bound": "flows",
    "discrete_log_prob_from_cdf": "flows",
    "flow_log_prob_numpy": "flows",
    "integrate_density_1d": "flows",
    "integrate_density_2d": "flows",
    "log_prob_via_forward": "flows",
    "log_prob_via_inverse": "flows",
    "make_affine_coupling": "flows",
    "make_realnvp": "flows",
    "rescaled_log_density": "flows",
    "sinh_arcsinh_cdf": "flows",
    "sinh_arcsinh_forward": "flows",
    "sinh_arcsinh_inverse": "flows",
    "sinh_arcsinh_log_abs_det_forward": "flows",
    "sinh_arcsinh_log_abs_det_inverse": "flows",
    "sinh_arcsinh_log_prob": "flows",
    "sinh_arcsinh_pdf_jones_pewsey": "flows",
    "standard_normal_log_prob": "flows",
    "train_flow": "flows",
    # --- genmath.score ---
    "add_gaussian_noise": "score",
    "annealed_langevin": "score",
    "ddpm_conditional_score": "score",
    "ddpm_gaussian_marginal": "score",
    "ddpm_gaussian_noise_posterior_mean": "score",
    "dsm_loss": "score",
    "dsm_target": "score",
    "fit_linear_dsm": "score",
    "gaussian_posterior_mean": "score",
    "gaussian_score": "score",
    "langevin": "score",
    "mixture_component_log_probs": "score",
    "mixture_log_prob": "score",
    "mixture_responsibilities": "score",
    "mixture_score": "score",
    "mvn_log_prob": "score",
    "noise_from_score": "score",
    "noisy_covs": "score",
    "regress_noise_on_xt": "score",
    "score_from_noise": "score",
    "tweedie_denoiser": "score",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'genmath' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"genmath.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
