"""KL in practice: the T^2 factor of distillation, and the KL-regularised objective of RLHF."""

import math

import numpy as np
import scipy.optimize
import scipy.special
import torch

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

torch.set_num_threads(1)
rng = np.random.default_rng(0)

# 1. Distillation: gradient of the soft-target loss in the student's logits v, with and without T^2
K = publish("kl.distill.k", 10)
u = rng.normal(scale=3.0, size=K)
v = rng.normal(scale=3.0, size=K)
u, v = u - u.mean(), v - v.mean()  # zero-mean logits, as in Hinton et al. (2015, Sec. 2.1)
temperatures = np.geomspace(1.0, 100.0, 41)
norms_scaled, norms_plain = [], []
for t in temperatures:
    vt = torch.tensor(v, requires_grad=True)
    loss = t**2 * torch.nn.functional.kl_div(torch.log_softmax(vt / t, -1), torch.softmax(torch.tensor(u) / t, -1),
                                             reduction="sum")
    (grad,) = torch.autograd.grad(loss, vt)
    closed = t * (scipy.special.softmax(v / t) - scipy.special.softmax(u / t))
    assert np.allclose(grad.numpy(), closed, rtol=1e-10, atol=1e-14)
    assert abs(loss.item() - genmath.distillation_loss(v, u, t)) < 1e-10
    norms_scaled.append(np.linalg.norm(closed))
    norms_plain.append(np.linalg.norm(closed) / t**2)
limit = publish("kl.distill.limit_norm", float(np.linalg.norm(v - u) / K))
publish("kl.distill.scaled_t1", norms_scaled[0])
publish("kl.distill.scaled_t100", norms_scaled[-1])
publish("kl.distill.plain_t100", norms_plain[-1])
assert abs(norms_scaled[-1] - limit) < 0.01 * limit
publish("kl.distill.loss_t4", genmath.distillation_loss(v, u, 4.0), unit="nats")

fig, ax = subplots(figsize=(4.8, 3.2))
ax.loglog(temperatures, norms_scaled, label=r"$\nabla_v\, T^2\, \mathrm{KL}$")
ax.loglog(temperatures, norms_plain, label=r"$\nabla_v\, \mathrm{KL}$")
ax.axhline(limit, color="C7", linestyle="--", linewidth=1.0, label=r"$\|v - u\| / K$")
ax.set_xlabel("temperature $T$")
ax.set_ylabel("gradient norm")
ax.legend(loc="lower left")
figure(fig, "kl.distill.gradients",
       alt="Norm of the gradient of the distillation loss in the student's logits against the temperature T from "
           "1 to 100, log-log, for {{ kl.distill.k }} classes. Without the factor T^2 it falls like 1/T^2, to "
           "{{ kl.distill.plain_t100:.2e }} at T = 100; with it, it levels off at ||v - u|| / K = "
           "{{ kl.distill.limit_norm:.3f }}.",
       caption="Why distillation multiplies the soft-target KL by T²: without it the gradient shrinks like 1/T², "
               "with it the gradient keeps the same scale at every temperature.")

# 2. RLHF on six responses: maximise E_pi[r] - beta KL(pi || pi_ref)
pi_ref = np.array([0.35, 0.25, 0.2, 0.1, 0.07, 0.03])
reward = np.array([0.0, 0.5, -0.5, 1.0, 2.0, 3.0])
publish("kl.rlhf.reward_ref", float(pi_ref @ reward))
betas = np.geomspace(0.05, 20.0, 60)
frontier = []
for beta in betas:
    opt = genmath.kl_regularised_optimum(pi_ref, reward, beta)
    frontier.append((genmath.kl_divergence(opt.policy, pi_ref), float(opt.policy @ reward)))
frontier = np.array(frontier)
beta = publish("kl.rlhf.beta", 0.5)
opt = genmath.kl_regularised_optimum(pi_ref, reward, beta)
numerical = scipy.optimize.minimize(
    lambda w: -genmath.kl_regularised_objective(scipy.special.softmax(w), pi_ref, reward, beta), np.zeros(6),
    method="BFGS", options={"gtol": 1e-10})
publish("kl.rlhf.policy_gap", float(np.abs(scipy.special.softmax(numerical.x) - opt.policy).max()))
assert np.allclose(scipy.special.softmax(numerical.x), opt.policy, atol=1e-6)
publish("kl.rlhf.value", opt.value)
publish("kl.rlhf.kl", genmath.kl_divergence(opt.policy, pi_ref), unit="nats")
publish("kl.rlhf.reward", float(opt.policy @ reward))
publish("kl.rlhf.best_response_prob", float(opt.policy[-1]))
table(["response $y$", "$\\pi_{\\mathrm{ref}}(y)$", "$r(y)$", "$\\pi^*(y)$, $\\beta = 0.5$"],
      [[i + 1, pi_ref[i], reward[i], opt.policy[i]] for i in range(6)], fmt=".4f")

# Per-sample KL estimates from responses y ~ pi*: k1 = log pi*/pi_ref, k3 = r - 1 - log r with r = pi_ref/pi*
# (exact means and standard deviations of one sample's estimate, by sums over the six responses)
spread = {}
for tag, b in (("", beta), ("_weak", 5.0)):
    policy = genmath.kl_regularised_optimum(pi_ref, reward, b).policy
    terms = genmath.kl_estimator_terms(np.log(policy), np.log(pi_ref))
    for name in ("k1", "k3"):
        values = getattr(terms, name)
        mean = float(policy @ values)
        spread[tag, name] = math.sqrt(float(policy @ (values - mean) ** 2))
        assert abs(mean - genmath.kl_divergence(policy, pi_ref)) < 1e-12, "both unbiased: pi_ref << pi*"
        publish(f"kl.rlhf.{name}_std{tag}", spread[tag, name], unit="nats")
    if tag:
        publish("kl.rlhf.beta_weak", b)
        publish("kl.rlhf.kl_weak", genmath.kl_divergence(policy, pi_ref), unit="nats")
assert spread["", "k3"] > spread["", "k1"] and spread["_weak", "k3"] < spread["_weak", "k1"]

fig, ax = subplots(figsize=(4.8, 3.2))
ax.plot(frontier[:, 0], frontier[:, 1])
opt_kl = genmath.kl_divergence(opt.policy, pi_ref)
ax.plot([opt_kl], [opt.policy @ reward], "o", color="C1")
ax.annotate(rf"$\beta$ = {beta}", (opt_kl, opt.policy @ reward), xytext=(10, -14), textcoords="offset points")
ax.set_xlabel(r"$\mathrm{KL}(\pi^* \,\|\, \pi_{\mathrm{ref}})$ (nats)")
ax.set_ylabel(r"expected reward under $\pi^*$")
publish("kl.rlhf.beta_large", float(betas[-1]))
publish("kl.rlhf.beta_small", float(betas[0]))
publish("kl.rlhf.frontier_reward_large", float(frontier[-1, 1]))
publish("kl.rlhf.frontier_kl_large", float(frontier[-1, 0]), unit="nats")
publish("kl.rlhf.frontier_reward_small", float(frontier[0, 1]))
publish("kl.rlhf.frontier_kl_small", float(frontier[0, 0]), unit="nats")
figure(fig, "kl.rlhf.frontier",
       alt="Expected reward of the optimal policy against its KL divergence from the reference policy, as beta "
           "goes from {{ kl.rlhf.beta_large:g }} (the reference, reward {{ kl.rlhf.frontier_reward_large:.2f }} at KL "
           "{{ kl.rlhf.frontier_kl_large:.3f }} nats) to {{ kl.rlhf.beta_small:g }} (reward "
           "{{ kl.rlhf.frontier_reward_small:.2f }} at KL {{ kl.rlhf.frontier_kl_small:.2f }} nats). At beta = "
           "{{ kl.rlhf.beta }} the policy reaches reward {{ kl.rlhf.reward:.2f }} at KL {{ kl.rlhf.kl:.3f }} nats.",
       caption="The KL penalty trades reward against distance from the reference: each β gives the best policy "
               "at its own KL budget.")
