"""Answers to the exercises of the normalizing-flows chapter."""

import math

from genmath.flows import affine_log_prob, rescaled_log_density, sinh_arcsinh_log_prob
from genmath.mle import bits_per_dim
from genmath.snippet import publish

# 1. x = f(z) = 1 + 2 z, z ~ N(0, 1): log p_X(3)
publish("flows.ex1.log_p", float(affine_log_prob(3.0, 1.0, 2.0)), unit="nats")

# 2. sinh-arcsinh with epsilon = 0, delta = 2: log p_X(0) = log N(0; 0, 1) + log 2
publish("flows.ex2.log_p", float(sinh_arcsinh_log_prob(0.0, 0.0, 2.0)), unit="nats")
publish("flows.ex2.log_p_z", -0.5 * math.log(2 * math.pi), unit="nats")

# 3. 32x32 RGB images, 8-bit, rescaled to [0, 1): a flow reports a mean log-density of +9600 nats per image
dims = publish("flows.ex3.dims", 32 * 32 * 3)
log_density_unit_cube = publish("flows.ex3.log_density", 9600.0, unit="nats")
# back to the 0..256 scale: subtract D log 256; the NLL per dimension in bits
log_density_data_scale = log_density_unit_cube - (float(rescaled_log_density(0.0, 256, dims)))
publish("flows.ex3.nll_nats", -log_density_data_scale, unit="nats")
publish("flows.ex3.bpd", float(bits_per_dim(-log_density_data_scale, dims)), unit="bits")
