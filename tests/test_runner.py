"""Snippet processes: forked from a warm zygote, yet each as fresh as a new interpreter.

The runner (genmath.sitebuild.runner) forks every snippet from a zygote that imported numpy, scipy,
matplotlib and torch once. A snippet must not be able to tell: nothing a previous snippet did in
its process (seeds, default dtype, figures, patched modules) may reach the next one, and its results
must equal those of the same snippet run in a new interpreter.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT

from genmath.sitebuild.cache import Cache
from genmath.sitebuild.errors import BuildError, BuildErrors, Location
from genmath.sitebuild.runner import FORK_AT_LEAST, Job, execute, run_all

pytestmark = pytest.mark.build

#: Changes every piece of process state a snippet could leave behind.
DIRTY = """\
import json, random
import numpy as np
import torch
import matplotlib.pyplot as plt
from genmath.snippet import publish
np.random.seed(123); random.seed(9); torch.manual_seed(5)
torch.set_default_dtype(torch.float64); torch.set_num_threads(2)
plt.figure(); plt.rcParams["lines.linewidth"] = 9.0
json.MARK = "left behind"
publish("r.dirty.done", 1)
"""

#: Reports the process state it finds.
LOOK = """\
import json, random, sys
import numpy as np
import torch
import matplotlib.pyplot as plt
from genmath.snippet import publish
publish("r.look.np", float(np.random.rand()))
publish("r.look.random", random.random())
publish("r.look.torch", float(torch.rand(1)[0]))
publish("r.look.dtype", str(torch.get_default_dtype()))
publish("r.look.threads", torch.get_num_threads())
publish("r.look.figures", len(plt.get_fignums()))
publish("r.look.linewidth", float(plt.rcParams["lines.linewidth"]))
publish("r.look.mark", hasattr(json, "MARK"))
publish("r.look.parent", __import__("os").getppid())
publish("r.look.genmath", ",".join(sorted(m for m in sys.modules if m.startswith("genmath.") and "sitebuild" not in m)))
"""


def test_a_few_snippets_start_as_lean_interpreters(tmp_path: Path) -> None:
    """Fewer than FORK_AT_LEAST snippets per slot: no zygote, each snippet is a new interpreter
    started by the runner (a zygote's imports would cost more than they save)."""
    jobs = [_job(tmp_path, f"look{i}.py", LOOK) for i in range(FORK_AT_LEAST * 2 - 2)]
    jobs.append(_job(tmp_path, "lean.py", "import sys\nfrom genmath.snippet import publish\n"
                                          "publish('r.lean.torch', 'torch' in sys.modules)\n"
                                          "publish('r.lean.parent', __import__('os').getppid())\n"))
    results = run_all(jobs, Cache(tmp_path / "cache", ROOT), ROOT, workers=2)
    parents = {v["value"] for r in results.values() for k, v in r["values"].items() if k.endswith(".parent")}
    assert parents == {os.getpid()}
    # torch is seeded when a snippet imports it (as in a zygote, which imported it before), and not
    # imported for a snippet that does not use it
    assert results["lean.py"]["values"]["r.lean.torch"]["value"] is False
    looks = [r["values"] for name, r in results.items() if name.startswith("look")]
    assert all(v["r.look.torch"] == looks[0]["r.look.torch"] for v in looks)


def _job(folder: Path, name: str, source: str, timeout: float = 120) -> Job:
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return Job(rel=name, path=path, timeout=timeout, where=Location("index.md", 3))


def test_a_forked_snippet_finds_a_fresh_process(tmp_path: Path) -> None:
    dirty, look = _job(tmp_path, "dirty.py", DIRTY), _job(tmp_path, "look.py", LOOK)
    jobs = [dirty, _job(tmp_path, "dirty2.py", DIRTY), look]
    assert len(jobs) >= FORK_AT_LEAST
    results = run_all(jobs, Cache(tmp_path / "cache", ROOT), ROOT, workers=1)  # one zygote forks all three
    forked = dict(results["look.py"]["values"])
    fresh_run = execute(look, ROOT)  # a new interpreter, as the runner starts a lone snippet
    fresh = dict(fresh_run["values"])
    assert fresh.pop("r.look.parent")["value"] == os.getpid()
    assert forked.pop("r.look.parent")["value"] != os.getpid(), "forked by a zygote, not started by us"
    assert forked == fresh
    assert results["look.py"]["deps"] == fresh_run["deps"]
    assert forked["r.look.dtype"]["value"] == "torch.float32"
    assert forked["r.look.threads"]["value"] == 1 and forked["r.look.figures"]["value"] == 0
    assert forked["r.look.mark"]["value"] is False
    loaded = forked["r.look.genmath"]["value"].split(",")  # equal to a new interpreter's (above)
    assert "genmath.snippet" in loaded and "genmath.diffusion" not in loaded and "genmath.info" not in loaded


def test_a_snippet_that_kills_its_process_is_reported_and_the_next_one_runs(tmp_path: Path) -> None:
    crash = _job(tmp_path, "crash.py", "import os\nprint('about to go')\nos._exit(3)\n")
    after = _job(tmp_path, "after.py", "from genmath.snippet import publish\npublish('r.after.v', 2)\n")
    with pytest.raises(BuildError) as info:
        run_all([crash, after], Cache(tmp_path / "cache", ROOT), ROOT, workers=1)
    assert not isinstance(info.value, BuildErrors), "only the crashing snippet failed"
    assert "snippet process died (exit code 3)" in str(info.value)
    assert "snippets/crash.py" in str(info.value)
    results = run_all([after], Cache(tmp_path / "cache", ROOT), ROOT, workers=1)
    assert results["after.py"]["values"]["r.after.v"]["value"] == 2


def test_a_timeout_counts_from_the_snippets_start_and_names_its_line(tmp_path: Path) -> None:
    quick = _job(tmp_path, "quick.py", "from genmath.snippet import publish\npublish('r.quick.v', 1)\n")
    slow = _job(tmp_path, "slow.py", "import time\nx = 1\nwhile True:\n    time.sleep(0.05)\n", timeout=1.5)
    quick2 = _job(tmp_path, "quick2.py", "from genmath.snippet import publish\npublish('r.quick2.v', 1)\n")
    with pytest.raises(BuildError) as info:  # three snippets, one slot: all forked by one zygote
        run_all([quick, quick2, slow], Cache(tmp_path / "cache", ROOT), ROOT, workers=1)
    message = str(info.value)
    assert "snippet timed out after 1." in message, message
    assert "snippets/slow.py:4" in message or "snippets/slow.py:3" in message, message
