"""FID's Frechet distance between Gaussians in closed form on a toy, its bias from finite samples, and three
models of the ring whose likelihood and sample quality disagree (Theis, van den Oord & Bethge 2016)."""

import numpy as np
from scipy import optimize

from genmath import (
    frechet_distance,
    frechet_distance_samples,
    ring_centres,
    ring_class_posterior,
    ring_mixture,
    ring_mixture_labelled,
    ring_mixture_logpdf,
)
from genmath.snippet import publish, table

# --- the closed form on two 2-D Gaussians
m1, c1 = np.array([0.0, 0.0]), np.array([[1.0, 0.5], [0.5, 1.0]])
m2, c2 = np.array([0.5, -0.3]), np.array([[0.6, -0.2], [-0.2, 1.4]])
d2 = frechet_distance(m1, c1, m2, c2)
publish("diffusion.fid.toy", d2)


# the same number as a minimum over couplings: E||X - Y||^2 with Cov(X, Y) = C1^(1/2) R C2^(1/2), R a rotation or
# a reflection by an angle (the extreme contractions in 2-D), minimised numerically
def root(c):
    w, u = np.linalg.eigh(c)
    return (u * np.sqrt(w)) @ u.T


def coupled(angle, flip):
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ np.diag([1.0, flip])
    cross = root(c1) @ rot @ root(c2)
    return np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2 * np.trace(cross)


best = min(optimize.minimize_scalar(coupled, bounds=(-np.pi, np.pi), args=(f,), method="bounded",
                                    options={"xatol": 1e-12}).fun for f in (1.0, -1.0))
publish("diffusion.fid.toy_coupling", best)
assert abs(best - d2) < 1e-9

# FID from samples is biased upwards: the fitted covariances are noisy. Mean over 200 repetitions.
rng = np.random.default_rng(0)
rows = []
for n in (100, 1000, 10000):
    est = np.array([frechet_distance_samples(rng.multivariate_normal(m1, c1, n), rng.multivariate_normal(m2, c2, n))
                    for _ in range(200)])
    same = np.array([frechet_distance_samples(rng.multivariate_normal(m1, c1, n), rng.multivariate_normal(m1, c1, n))
                     for _ in range(200)])
    rows.append([n, est.mean(), est.std(ddof=1) / np.sqrt(est.size), same.mean(), same.std(ddof=1) / np.sqrt(same.size)])
    publish(f"diffusion.fid.n{n}.mean", est.mean())
    publish(f"diffusion.fid.n{n}.se", est.std(ddof=1) / np.sqrt(est.size))
    publish(f"diffusion.fid.n{n}.same", same.mean())
    assert same.mean() > 5 * same.std(ddof=1) / np.sqrt(same.size)  # > 0 although the laws are equal
table(["samples n", "FID from samples", "std. error", "FID, two samples of the same law", "std. error"], rows,
      fmt=".4g")
assert rows[0][3] > 5 * rows[1][3] > 25 * rows[2][3]  # about 1/n

# --- likelihood against sample quality: three models of the ring
test, _ = ring_mixture_labelled(20000, seed=11)  # data to score the models' NLL on
centres = ring_centres()


def six_of_eight_logpdf(x):
    """log density of the ring with two modes dropped (modes 6 and 7; the rest reweighted to 1/6 each)."""
    return ring_mixture_logpdf(x) + np.log(ring_class_posterior(x)[:, :6].sum(1)) + np.log(8 / 6)


def six_of_eight_sample(n, seed):
    x, c = ring_mixture_labelled(2 * n, seed=seed)
    return x[c < 6][:n]


models = {
    "the data's own law (std 0.1)": (lambda x: ring_mixture_logpdf(x), lambda n, s: ring_mixture(n, seed=s)),
    "sharp (std 0.05)": (lambda x: ring_mixture_logpdf(x, std=0.05), lambda n, s: ring_mixture(n, seed=s, std=0.05)),
    "blurry (std 0.2)": (lambda x: ring_mixture_logpdf(x, std=0.2), lambda n, s: ring_mixture(n, seed=s, std=0.2)),
    "6 of the 8 modes": (six_of_eight_logpdf, six_of_eight_sample),
}
keys = ["exact", "sharp", "blurry", "six"]
rows = []
for key, (name, (logpdf, sample)) in zip(keys, models.items()):
    nll = -logpdf(test)
    x = sample(20000, 12)
    near = np.mean(np.linalg.norm(x[:, None] - centres[None], axis=2).min(1) < 0.25)
    logq = ring_mixture_logpdf(x)  # how likely the model's samples are under the data's law
    fd = frechet_distance_samples(x, test)
    rows.append([name, nll.mean(), nll.std(ddof=1) / np.sqrt(nll.size), near, logq.mean(), fd])
    publish(f"diffusion.fid.models.{key}.nll", nll.mean(), unit="nats")
    publish(f"diffusion.fid.models.{key}.nll_se", nll.std(ddof=1) / np.sqrt(nll.size), unit="nats")
    publish(f"diffusion.fid.models.{key}.near", near)
    publish(f"diffusion.fid.models.{key}.logq", logq.mean(), unit="nats")
    publish(f"diffusion.fid.models.{key}.fd", fd)
table(["model", "NLL of the data (nats)", "std. error", "samples near a mode", "E log q(sample) (nats)",
       "Fréchet distance (coordinates)"], rows, fmt=".4g")
by = dict(zip(keys, rows))
assert by["sharp"][3] > by["exact"][3] > by["blurry"][3]  # sharp samples look best
assert by["sharp"][1] > by["blurry"][1] > by["exact"][1]  # ... and have the worst likelihood of the three
assert by["six"][3] > 0.9 and by["six"][1] > by["blurry"][1]  # missing modes: fine samples, bad likelihood
assert by["sharp"][4] > by["exact"][4]  # sharp samples are more likely under q than the data themselves
assert by["six"][5] > 100 * by["sharp"][5] and by["sharp"][5] < 3 * by["exact"][5]  # what the coordinates' FD sees

# mixing 99% noise into a model costs at most log 100 nats: per dimension of a 32x32x3 image, in bits
D = 32 * 32 * 3
publish("diffusion.fid.noise_cost", np.log(100), unit="nats")
publish("diffusion.fid.noise_cost_bits", np.log(100) / (D * np.log(2)), unit="bits")
publish("diffusion.fid.image_dims", D)
