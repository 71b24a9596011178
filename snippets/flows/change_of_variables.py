"""Change of variables, both directions, on a 1-D sinh-arcsinh flow x = f(z), z ~ N(0, 1).

Computes log p_X(x) through the inverse map (+ log|df^-1/dx|) and through the forward map
(- log|df/dz|), compares with the density printed by Jones & Pewsey (2009, Sec. 2), and checks
that the density integrates to 1 (scipy quad). Also shows what the wrong sign does.
"""

import numpy as np

from genmath.figures import subplots
from genmath.flows import (
    affine_inverse,
    affine_log_abs_det_forward,
    affine_log_prob,
    integrate_density_1d,
    log_prob_via_forward,
    log_prob_via_inverse,
    sinh_arcsinh_cdf,
    sinh_arcsinh_forward,
    sinh_arcsinh_inverse,
    sinh_arcsinh_log_abs_det_forward,
    sinh_arcsinh_log_abs_det_inverse,
    sinh_arcsinh_log_prob,
    sinh_arcsinh_pdf_jones_pewsey,
    standard_normal_log_prob,
)
from genmath.snippet import figure, publish

epsilon = publish("flows.sas.epsilon", 0.5)  # skewness
delta = publish("flows.sas.delta", 1.5)  # tail weight (> 1: lighter tails than the base)
x = publish("flows.sas.x", 2.0)

# data -> latent
z = publish("flows.sas.z", float(sinh_arcsinh_inverse(x, epsilon, delta)))
log_p_z = publish("flows.sas.log_p_z", float(standard_normal_log_prob(z)), unit="nats")
log_det_inv = publish("flows.sas.log_det_inverse", float(sinh_arcsinh_log_abs_det_inverse(x, epsilon, delta)),
                      unit="nats")
log_det_fwd = publish("flows.sas.log_det_forward", float(sinh_arcsinh_log_abs_det_forward(z, epsilon, delta)),
                      unit="nats")

via_inverse = publish("flows.sas.log_p_x_inverse", float(log_prob_via_inverse(log_p_z, log_det_inv)), unit="nats")
via_forward = publish("flows.sas.log_p_x_forward", float(log_prob_via_forward(log_p_z, log_det_fwd)), unit="nats")
printed = publish("flows.sas.log_p_x_printed", float(np.log(sinh_arcsinh_pdf_jones_pewsey(x, epsilon, delta))),
                  unit="nats")
publish("flows.sas.max_abs_diff", max(abs(via_inverse - via_forward), abs(via_inverse - printed)), unit="nats")
publish("flows.sas.roundtrip_error", abs(float(sinh_arcsinh_forward(z, epsilon, delta)) - x))

# normalisation: integral of exp(log p_X) over R by adaptive quadrature, and mass of an interval vs the CDF
total, total_err = integrate_density_1d(lambda t: sinh_arcsinh_log_prob(t, epsilon, delta), loc=0.0, scale=1.0)
publish("flows.sas.integral", total)
publish("flows.sas.integral_error", abs(total - 1.0))
a, b = -0.5, 1.5
mass, _ = integrate_density_1d(lambda t: sinh_arcsinh_log_prob(t, epsilon, delta), a, b)
cdf_a, cdf_b = sinh_arcsinh_cdf(np.array([a, b]), epsilon, delta)
publish("flows.sas.interval_mass", mass)
publish("flows.sas.interval_mass_error", abs(mass - (cdf_b - cdf_a)))

# the wrong sign: adding log|df/dz| instead of subtracting it. For an affine flow x = mu + sigma z the
# "density" exp(log p_Z(z) + log|sigma|) integrates to sigma^2, not 1.
mu, sigma = 1.0, 2.0
publish("flows.affine.sigma", sigma)
right, _ = integrate_density_1d(lambda t: affine_log_prob(t, mu, sigma), loc=mu, scale=sigma)
wrong, _ = integrate_density_1d(lambda t: standard_normal_log_prob(affine_inverse(t, mu, sigma))
         + affine_log_abs_det_forward(t, mu, sigma), loc=mu, scale=sigma)
publish("flows.affine.integral_right", right)
publish("flows.affine.integral_wrong", wrong)
wrong_sas, _ = integrate_density_1d(lambda t: standard_normal_log_prob(sinh_arcsinh_inverse(t, epsilon, delta))
             - sinh_arcsinh_log_abs_det_inverse(t, epsilon, delta), loc=0.0, scale=1.0)
publish("flows.sas.integral_wrong_sign", wrong_sas)

# figure: the map and the two densities
fig, (ax_map, ax_pdf) = subplots(1, 2, figsize=(7.2, 3.2))
zz = np.linspace(-3, 3, 400)
ax_map.plot(zz, sinh_arcsinh_forward(zz, epsilon, delta), label="$x = f(z)$")
ax_map.plot(zz, zz, linestyle=":", label="identity")
ax_map.set_xlabel("$z$")
ax_map.set_ylabel("$x$")
ax_map.legend()
ax_map.set_title("the flow")
xx = np.linspace(-3, 3, 400)
ax_pdf.plot(xx, np.exp(standard_normal_log_prob(xx)), label="$p_Z$ (base)")
ax_pdf.plot(xx, np.exp(sinh_arcsinh_log_prob(xx, epsilon, delta)), label="$p_X$ (flow)")
ax_pdf.axvline(x, linestyle=":", linewidth=1)
ax_pdf.set_xlabel("$x$ (or $z$)")
ax_pdf.set_ylabel("density")
ax_pdf.legend()
ax_pdf.set_title("densities")
figure(fig, "flows.sas.figure",
       alt="Left: the sinh-arcsinh map x = f(z) for epsilon {{ flows.sas.epsilon:g }} and delta "
           "{{ flows.sas.delta:g }}, an increasing S-shaped curve "
           "compared with the identity. Right: the standard normal base density and the flow density, which is "
           "shifted to the right, skewed and narrower.",
       caption="The sinh-arcsinh flow with ε = {{ flows.sas.epsilon:g }}, δ = {{ flows.sas.delta:g }}: the map (left) "
               "and the density it induces (right). "
               "The dotted line marks the point x where the log-density is evaluated.")
