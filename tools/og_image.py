"""Render docs/assets/og-image.png, the site's Open Graph card (1200x630), deterministically.

Run `python tools/og_image.py` after changing the site's name or tagline; the PNG is committed.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "docs" / "assets" / "og-image.png"

fig = plt.figure(figsize=(12, 6.3), dpi=100, facecolor="#303f9f")
ax = fig.add_axes((0, 0, 1, 1))
ax.set_axis_off()
ax.set_xlim(0, 12)
ax.set_ylim(0, 6.3)
x = np.linspace(0.5, 11.5, 400)
for mu, s, a in [(4.0, 1.0, 0.35), (8.0, 1.5, 0.25)]:
    ax.fill_between(x, 0, 3.2 * np.exp(-0.5 * ((x - mu) / s) ** 2), color="white", alpha=a, linewidth=0)
ax.text(0.7, 4.9, "genmath", color="white", fontsize=64, fontweight="bold", va="center")
ax.text(0.7, 3.9, "The mathematics of generative models, computed and checked",
        color="white", fontsize=24, va="center")
fig.savefig(OUT, dpi=100, facecolor=fig.get_facecolor(), metadata={"Software": None})
print(f"wrote {OUT}")
