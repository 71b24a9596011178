"""Kantorovich-Rubinstein duality computed twice: on the line (the chapter's mixture against a
normal: the area between the CDFs, attained by the critic of slope +-1) and between two discrete
laws in the plane (the transport linear program and its dual)."""
import numpy as np
import scipy.stats

from genmath import gan
from genmath.figures import subplots
from genmath.numerics import integral, integrate
from genmath.snippet import figure, publish, table

# 1. On the line: P = the data of the chapter's GAN, Q = N(0, 2^2).
p = gan.gaussian_mixture_1d([1 / 3, 1 / 3, 1 / 3], [-2.5, 0.0, 2.5], [0.5, 0.5, 0.5])
q = scipy.stats.norm(0.0, 2.0)
lower, upper = -30.0, 30.0  # both laws put less than 1e-80 of their mass outside
modes = list(p.means)

w1_cdf = gan.wasserstein_1_quad(p.cdf, q.cdf, lower=lower, upper=upper, points=modes)
# the critic f*: slope sign(F_Q - F_P), f*(0) = 0; its kinks are where the two CDFs cross
grid = np.linspace(-6.0, 6.0, 1201)
f_star = gan.wasserstein_critic_1d(p.cdf, q.cdf, lower=lower, upper=upper, origin=0.0)
critic = f_star(grid)
crossings = f_star.kinks


def expectation(density, points) -> tuple[float, float]:
    """E[f*] under a density on [lower, upper] by quadrature, split at the kinks of f* and the modes."""
    value, error = 0.0, 0.0
    edges = [lower, *sorted({*points, *crossings.tolist()}), upper]
    for a, b in zip(edges[:-1], edges[1:]):
        piece = integral(lambda t: float(f_star(t)) * float(density(t)), a, b, name="f* times a density",
                         rtol=1e-12)
        value, error = value + piece.value, error + piece.error
    return value, error


e_p, err_p = expectation(p.pdf, modes)
e_q, err_q = expectation(q.pdf, [0.0])
dual = e_p - e_q
publish("gan.kr.w1", w1_cdf)
publish("gan.kr.dual", dual)
publish("gan.kr.gap", abs(dual - w1_cdf))
publish("gan.kr.quad_error", err_p + err_q)
publish("gan.kr.n_crossings", int(crossings.size))
publish("gan.kr.crossing_first", float(crossings[0]))
publish("gan.kr.crossing_last", float(crossings[-1]))
# A 1-Lipschitz critic that is not optimal: f(x) = |x| (distance to the middle mode).
e_abs_p = integrate(lambda t: abs(t) * float(p.pdf(t)), lower, upper, name="E_P|x|", points=[0.0, *modes],
                    rtol=1e-12)
e_abs_q = 2.0 * np.sqrt(2 / np.pi)  # E|X| for X ~ N(0, 2^2)
publish("gan.kr.abs_critic", e_abs_p - e_abs_q)
assert abs(dual - w1_cdf) < 1e-9, "the critic attains the area between the CDFs"
assert e_abs_p - e_abs_q < w1_cdf, "a non-optimal 1-Lipschitz critic stays below W1"
assert crossings.size == 5 and np.all(np.abs(f_star.slopes) == 1), "five crossings, slopes +-1"

# 2. In the plane: 4 atoms of P against 3 atoms of Q, Euclidean cost.
x_p = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0], [2.0, -1.0]])  # (4, 2)
a = np.array([0.4, 0.2, 0.3, 0.1])
x_q = np.array([[1.0, 0.5], [3.5, 2.5], [4.0, -0.5]])  # (3, 2)
b = np.array([0.5, 0.3, 0.2])
cost = np.linalg.norm(x_p[:, None, :] - x_q[None, :, :], axis=-1)  # (4, 3)
primal = gan.optimal_transport(a, b, cost)
dual_lp = gan.wasserstein_1_dual(x_p, a, x_q, b)
w1_scipy = float(scipy.stats.wasserstein_distance_nd(x_p, x_q, a, b))
moved = primal.plan > 1e-12
slack = (dual_lp.f_p[:, None] - dual_lp.f_q[None, :]) - cost  # <= 0; = 0 where mass moves
publish("gan.lp.primal", primal.cost)
publish("gan.lp.dual", dual_lp.value)
publish("gan.lp.scipy", w1_scipy)
publish("gan.lp.gap", abs(primal.cost - dual_lp.value))
publish("gan.lp.n_moves", int(moved.sum()))
publish("gan.lp.max_slack_moved", float(np.max(np.abs(slack[moved]))))
publish("gan.lp.max_slack", float(np.max(slack)))
assert abs(primal.cost - dual_lp.value) < 1e-9 and abs(primal.cost - w1_scipy) < 1e-9
assert np.max(np.abs(slack[moved])) < 1e-9, "complementary slackness: f(x) - f(y) = |x - y| where mass moves"
assert np.max(slack) < 1e-9, "the dual critic is 1-Lipschitz on the atoms"
table(["", "y₁ (b = 0.5)", "y₂ (b = 0.3)", "y₃ (b = 0.2)", "critic f(xᵢ)"],
      [[f"x{'₁₂₃₄'[i]} (a = {a[i]:g})", *primal.plan[i], dual_lp.f_p[i]] for i in range(4)]
      + [["critic f(yⱼ)", *dual_lp.f_q, ""]], fmt=".4f",
      caption="Optimal transport plan γ (rows: atoms of P, columns: atoms of Q) and the dual critic")

# Figure 1: the line. CDFs and the area between them; the critic and its slopes.
fig, (ax_cdf, ax_f) = subplots(2, 1, sharex=True, figsize=(5.0, 5.6))
ax_cdf.plot(grid, p.cdf(grid), color="C1", label=r"$F_P$ (mixture)")
ax_cdf.plot(grid, q.cdf(grid), color="C0", label=r"$F_Q$ = N(0, 2²)")
ax_cdf.fill_between(grid, p.cdf(grid), q.cdf(grid), color="C7", alpha=0.3,
                    label=rf"area $= W_1 = {w1_cdf:.4f}$")
ax_cdf.set_ylabel("CDF")
ax_cdf.legend(loc="upper left", fontsize=10)
ax_f.plot(grid, critic, color="C2", label=r"$f^*$, slope sign$(F_Q - F_P)$")
for c in crossings:
    ax_f.axvline(c, color="C7", linewidth=0.8, linestyle=":")
ax_f.set_xlabel("x")
ax_f.set_ylabel(r"$f^*(x)$")
ax_f.legend(loc="upper center", fontsize=10)
figure(fig, "gan.kr.line", alt="Top: the CDF of the three-mode mixture is a staircase around the "
       "smooth CDF of N(0, 2 squared); the shaded area between them is W1 = {{ gan.kr.w1:.4f }}. Bottom: the "
       "optimal critic is a zigzag with slopes +1 and -1 that turns at the {{ gan.kr.n_crossings }} points where "
       "the CDFs cross; its expectation under P minus that under Q is {{ gan.kr.dual:.4f }}, the same area.")

# Figure 2: the plane. Transport plan as arrows (width ~ mass), critic values at the atoms.
fig, ax = subplots(figsize=(5.0, 4.2))
for i, j in zip(*np.nonzero(moved)):
    ax.annotate("", xy=x_q[j], xytext=x_p[i],
                arrowprops={"arrowstyle": "-|>", "color": "C7", "lw": 1 + 12 * primal.plan[i, j],
                            "shrinkA": 6, "shrinkB": 6})
ax.scatter(x_p[:, 0], x_p[:, 1], s=600 * a, color="C1", zorder=3, label="atoms of P")
ax.scatter(x_q[:, 0], x_q[:, 1], s=600 * b, color="C0", marker="s", zorder=3, label="atoms of Q")
for pt, val in [*zip(x_p, dual_lp.f_p), *zip(x_q, dual_lp.f_q)]:
    ax.annotate(f"{val:.2f}", pt, xytext=(8, 8), textcoords="offset points", fontsize=11)
ax.set_aspect("equal")
ax.set_xlim(-0.8, 4.8)
ax.set_ylim(-1.8, 3.4)
ax.legend(loc="upper left", fontsize=10)
figure(fig, "gan.kr.plane", alt="Four orange atoms of P and three blue atoms of Q in the plane, with "
       "{{ gan.lp.n_moves }} arrows carrying the optimal transport plan (cost {{ gan.lp.primal:.4f }}). Each "
       "atom is labelled with the dual critic's value; along every arrow the critic drops by exactly the "
       "arrow's length.")
