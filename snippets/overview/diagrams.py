"""Two diagrams for the overview, drawn with matplotlib boxes and arrows (SVG, generated at build time):
the taxonomy of generative models by how they handle p(x), and where each family puts its latent variables."""

from genmath.figures import FOREGROUND, PALETTE, subplots
from genmath.snippet import figure


def box(ax, x, y, text, colour, size=8.5):
    """A rounded box with `text`, centred at (x, y) in axes coordinates, outlined in `colour`."""
    frame = {"boxstyle": "round,pad=0.4", "facecolor": "none", "edgecolor": colour, "linewidth": 1.4}
    return ax.text(x, y, text, ha="center", va="center", fontsize=size, bbox=frame)


def arrow_props(style, dashed, shrink, rad=0.0):
    # FOREGROUND is the site's sentinel text colour, rewritten to the theme's colour in the page
    return {"arrowstyle": style, "color": FOREGROUND, "linewidth": 1.0, "linestyle": "--" if dashed else "-",
            "shrinkA": shrink, "shrinkB": shrink, "connectionstyle": f"arc3,rad={rad}"}


def arrow(ax, start, end, dashed=False):
    """An arrow between two points in axes coordinates."""
    ax.annotate("", xy=end, xytext=start, arrowprops=arrow_props("-|>", dashed, shrink=12))


def link(ax, a, b, start=(1.0, 0.5), end=(0.0, 0.5), style="-|>", dashed=False, rad=0.0):
    """An arrow from box `a` to box `b`, between points given as fractions of each box's text extent."""
    ax.annotate("", xy=end, xycoords=b, xytext=start, textcoords=a, arrowprops=arrow_props(style, dashed, 7, rad))


def blank(ax):
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")


# ----------------------------------------------------------------------------- taxonomy
fig, ax = subplots(figsize=(7.8, 4.8))
blank(ax)
root = box(ax, 0.08, 0.5, "generative\nmodel $p_\\theta(x)$", FOREGROUND)
rows = [
    (0.9, "exact likelihood:\n$\\log p_\\theta(x)$ computed", PALETTE[0],
     ["autoregressive (chain rule)", "normalizing flow (change of variables)"]),
    (0.64, "tractable lower bound:\nELBO $\\leq \\log p_\\theta(x)$", PALETTE[1],
     ["VAE (one latent $z$)", "diffusion, DDPM (latents $x_{1:T}$)"]),
    (0.42, "unnormalised:\n$p_\\theta \\propto \\exp(-E_\\theta)$", PALETTE[4], ["energy-based (MCMC to train)"]),
    (0.24, "implicit:\nsampler only, no $p_\\theta(x)$", PALETTE[3], ["GAN (generator $G(z)$)"]),
    (0.06, "score only:\n$\\nabla_x \\log p(x)$", PALETTE[2], ["score-based (score matching)"]),
]
boxes = {}
for y, title, colour, members in rows:
    family = box(ax, 0.36, y, title, colour, size=8)
    link(ax, root, family)
    offsets = [0.0] if len(members) == 1 else [0.07, -0.07]
    for member, dy in zip(members, offsets):
        boxes[member.split(" ")[0]] = current = box(ax, 0.74, y + dy, member, colour, size=8)
        link(ax, family, current)
# diffusion models are score models in disguise: eps-prediction = score (score chapter)
link(ax, boxes["diffusion,"], boxes["score-based"], start=(1.0, 0.5), end=(1.0, 0.5), style="<|-|>",
     dashed=True, rad=-0.45)
ax.text(0.885, 0.33, "$\\epsilon_\\theta = -\\sqrt{1-\\bar\\alpha_t}\\,s_\\theta$", ha="right", va="center",
        fontsize=8)
figure(fig, "overview.taxonomy",
       alt="A tree. The root, a generative model p_theta(x), branches into five classes by how p(x) is handled: "
           "exact likelihood (autoregressive models and normalizing flows); a tractable lower bound, the ELBO "
           "(VAEs and diffusion models with latents x_1 to x_T); unnormalised, p_theta proportional to "
           "exp(-E_theta) (energy-based models, trained with MCMC); implicit models with a sampler only (GANs); and "
           "models of the score only (score-based models). A dashed double arrow links diffusion models and "
           "score-based models: the noise prediction equals minus the score times the square root of one minus "
           "alpha-bar.",
       caption="Generative models classified by what they can compute about $p_\\theta(x)$. Diffusion models "
               "(DDPM) belong with VAEs: explicit latent-variable models trained on a variational bound.")

# ----------------------------------------------------------------------------- latent variables
fig, axes = subplots(2, 2, figsize=(6.4, 5.6))  # 2 x 2: each panel stays readable on a phone
axes = axes.ravel()
for ax in axes:
    blank(ax)
panels = [
    ("VAE", [(0.5, 0.82, "$z \\in \\mathbb{R}^{k}$"), (0.5, 0.18, "$x \\in \\mathbb{R}^{D}$")],
     [((0.38, 0.75), (0.38, 0.27), "decoder\n$p_\\theta(x\\mid z)$", False),
      ((0.62, 0.27), (0.62, 0.75), "encoder\n$q_\\phi(z\\mid x)$", True)]),
    ("flow", [(0.5, 0.82, "$z \\in \\mathbb{R}^{D}$"), (0.5, 0.18, "$x \\in \\mathbb{R}^{D}$")],
     [((0.38, 0.75), (0.38, 0.27), "$x = f(z)$", False), ((0.62, 0.27), (0.62, 0.75), "$z = f^{-1}(x)$", False)]),
    ("GAN", [(0.5, 0.82, "$z \\sim p(z)$"), (0.5, 0.18, "$x = G(z)$")],
     [((0.5, 0.75), (0.5, 0.27), "generator\n(no encoder)", False)]),
    ("DDPM", [(0.5, 0.82, "$x_T \\approx \\mathcal{N}(0, I)$"), (0.5, 0.18, "$x_0$ (data)")],
     [((0.38, 0.75), (0.38, 0.27), "learned\n$p_\\theta(x_{t-1}\\mid x_t)$", False),
      ((0.62, 0.27), (0.62, 0.75), "fixed\nnoising\n$q(x_t\\mid x_{t-1})$", True)]),
]
for ax, (title, nodes, edges) in zip(axes, panels):
    ax.set_title(title, fontsize=10)
    for x, y, text in nodes:
        box(ax, x, y, text, PALETTE[0], size=8.5)
    for start, end, text, dashed in edges:
        arrow(ax, start, end, dashed=dashed)
        ax.text(start[0] + (-0.05 if start[0] < 0.5 else 0.05 if start[0] > 0.5 else 0.04), 0.5, text,
                ha="right" if start[0] < 0.5 else "left", va="center", fontsize=7, clip_on=False)
figure(fig, "overview.latents",
       alt="Four small diagrams, each with a latent node on top and a data node below. VAE: a lower-dimensional "
           "z, a decoder arrow down to x and a dashed encoder arrow up. Flow: z and x of the same dimension D, "
           "x = f(z) down and z = f inverse of x up. GAN: z to x = G(z) by a generator, with no encoder. DDPM: "
           "x_T approximately standard normal on top, data x_0 below, a learned reverse chain down and a fixed "
           "noising chain (dashed) up.",
       caption="Where the latent variables are. Solid arrows: the generative direction; dashed: inference "
               "(learned in a VAE, fixed in a DDPM).")
