"""MAF and IAF: the triangular Jacobian of an autoregressive layer by autograd, the number of sequential
network passes in each direction (counted), and the two directions timed (asserted, not printed: the site
is built byte-for-byte reproducibly, and times differ from run to run)."""

import time

import torch

from genmath.flows import autoregressive_flow_passes, make_autoregressive_flow
from genmath.snippet import claim, publish, table

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

dim = publish("flows.ar.dim", 16)
n = publish("flows.ar.batch", 1000)
flows = {kind: make_autoregressive_flow(dim, kind, hidden=64, seed=0) for kind in ("maf", "iaf")}
gen = torch.Generator().manual_seed(0)
with torch.no_grad():  # random, clearly non-zero conditioners (an untrained MADE is close to the identity)
    for flow in flows.values():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen))

# 1. the Jacobian of the density direction x -> u of the MAF, by autograd
maf = flows["maf"]
x = torch.randn(1, dim, generator=gen)
jac = torch.autograd.functional.jacobian(lambda v: maf.to_latent(v[None])[0][0], x[0])
with torch.no_grad():
    mu, alpha = maf.conditioner(x)
    u, log_det = maf.to_latent(x)
publish("flows.ar.upper_max", float(torch.triu(jac, 1).abs().max()))
publish("flows.ar.diag_error", float((torch.diagonal(jac) - torch.exp(-alpha[0])).abs().max()))
publish("flows.ar.log_det", float(log_det), unit="nats")
publish("flows.ar.log_det_autograd", float(torch.linalg.slogdet(jac)[1]), unit="nats")
claim(float(torch.triu(jac, 1).abs().max()) == 0.0, "every entry above the diagonal of the autograd Jacobian is exactly 0")

# 2. passes and times, each direction of each flow, on a batch of n points
def timed(fn, arg, repeats=5):
    """The fastest of `repeats` runs (in ms): the least disturbed by other jobs on the machine."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.no_grad():
            fn(arg)
        best = min(best, time.perf_counter() - start)
    return 1000 * best


rows = []
z = torch.randn(n, dim, generator=gen)
for kind, flow in flows.items():
    counts = autoregressive_flow_passes(kind, dim)
    with torch.no_grad():
        data = flow.to_data(z)[0]
    measured = {}
    for op, fn, arg in [("density", flow.log_prob, data), ("sampling", lambda w, f=flow: f.to_data(w)[0], z)]:
        flow.passes = 0
        with torch.no_grad():
            fn(arg)
        claim(flow.passes == counts[op], f"the {op} direction makes the counted number of network passes")
        measured[op] = timed(fn, arg)  # asserted below, never printed: times differ from build to build
        publish(f"flows.ar.{kind}.{op}_passes", counts[op])
    slow, fast = ("sampling", "density") if kind == "maf" else ("density", "sampling")
    ratio = measured[slow] / measured[fast]
    rows.append([kind.upper(), counts["density"], counts["sampling"]])
    claim(ratio > 3, f"in the {kind.upper()} the direction with {dim} passes ({slow}) is more than 3 times slower "
          "than the direction with one")

table(["flow", "passes: density", "passes: sampling"], rows, fmt=["", ".0f", ".0f"],
      caption=f"One autoregressive layer in $D = {dim}$ dimensions: sequential network passes, counted")
