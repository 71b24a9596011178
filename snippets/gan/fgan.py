"""The f-GAN view (Nowozin et al. 2016): four f-divergences between the chapter's mixture and
N(0, 2^2) by quadrature, their variational bounds at the optimal critic T* = f'(p/q) and at a critic
that has learned half of the log density ratio, and the GAN member's bound as the value V(D, G)."""
import math

import numpy as np
import scipy.optimize
import scipy.special

from genmath import gan
from genmath.snippet import publish, table

p = gan.gaussian_mixture_1d([1 / 3, 1 / 3, 1 / 3], [-2.5, 0.0, 2.5], [0.5, 0.5, 0.5])
q = gan.gaussian_mixture_1d([1.0], [0.0], [2.0])
# [-16, 16]: Q puts 1e-15 of its mass outside (8 standard deviations), P far less.
kw = {"lower": -16.0, "upper": 16.0, "points": list(p.means)}


def ratio(x: float) -> float:
    return float(p.pdf(x)) / float(q.pdf(x))


rows = []
for key, member in gan.FGAN_MEMBERS.items():
    divergence = gan.f_divergence_quad(p.pdf, q.pdf, key, **kw)
    best = gan.fgan_bound_quad(p.pdf, q.pdf, lambda x, f=member: f.f_prime(ratio(x)), key, **kw)
    half = gan.fgan_bound_quad(p.pdf, q.pdf, lambda x, f=member: f.f_prime(math.sqrt(ratio(x))), key, **kw)
    publish(f"gan.fgan.{key}.divergence", divergence, unit="nats")
    publish(f"gan.fgan.{key}.best", best, unit="nats")
    publish(f"gan.fgan.{key}.half", half, unit="nats")
    assert abs(best - divergence) < 1e-9 and half < divergence, key
    rows.append([member.name.replace("chi^2", "$\\chi^2$"), divergence, best, half])
table(["f-divergence", "$D_f(P \\,\\|\\, Q)$ (nats)", "bound at $T^*$ (nats)", "bound at $T_{1/2}$ (nats)"], rows, fmt=".6f",
      caption="$P$: the three-mode mixture; $Q = \\mathcal{N}(0, 2^2)$; $T_{1/2} = f'(\\sqrt{p/q})$, half of the log-ratio learned")

# The GAN member: D_f = 2 JSD - log 4 = C(G), and with T = log D its bound is the value V(D, G).
jsd = gan.jensen_shannon_quad(p.pdf, q.pdf, **kw)
c_g = gan.optimal_value(p.pdf, q.pdf, **kw)
divergence = gan.f_divergence_quad(p.pdf, q.pdf, "gan", **kw)
publish("gan.fgan.jsd", jsd, unit="nats")
publish("gan.fgan.c_g", c_g, unit="nats")
publish("gan.fgan.jsd_gap", abs(divergence - (2 * jsd - math.log(4))), unit="nats")


def half_logit(x: float) -> float:  # a discriminator D = sigmoid(l*/2): half of the optimal logit
    return 0.5 * float(gan.optimal_discriminator_logit(p.pdf(x), q.pdf(x)))


value = gan.value_function(half_logit, p.pdf, q.pdf, logit=True, **kw)
bound = gan.fgan_bound_quad(p.pdf, q.pdf, lambda x: float(scipy.special.log_expit(half_logit(x))), "gan", **kw)
publish("gan.fgan.value_half", value, unit="nats")
publish("gan.fgan.value_gap", abs(value - bound), unit="nats")
assert abs(divergence - c_g) < 1e-9 and abs(divergence - (2 * jsd - math.log(4))) < 1e-8
assert abs(value - bound) < 1e-9, "the GAN member's bound at T = log D is V(D, G)"

# The conjugates are the suprema they claim to be: f*(t) against a numerical maximiser of ut - f(u)
# over u > 0, at slopes t = f'(u0) that an optimal critic takes.
worst = 0.0
for key, member in gan.FGAN_MEMBERS.items():
    for u0 in np.geomspace(0.1, 10.0, 7):
        t = member.f_prime(float(u0))
        res = scipy.optimize.minimize_scalar(lambda u, f=member, t=t: f.f(u) - u * t, bounds=(1e-9, 1e3),
                                             method="bounded", options={"xatol": 1e-12})
        worst = max(worst, abs(-res.fun - member.conjugate(t)) / max(1.0, abs(res.fun)))
publish("gan.fgan.conjugate_error", worst)
assert worst < 1e-9
