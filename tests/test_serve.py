"""`mkdocs serve`, through a real serve process and real HTTP requests: for every kind of error it
prints the located message once, answers every request at once, and keeps serving the last good
pages (never the page it knows is wrong); the next good save is served again."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from conftest import MiniProject

pytestmark = pytest.mark.build

SNIPPET = """\
from genmath.snippet import publish

publish("s.v.x", 0.25)
publish("s.v.kl", 0.5, unit="nats")
"""
PAGE = """\
# Serve

{{{{ snippet("s/v.py") }}}}

Value {{{{ s.v.x:.2f }}}}, and KL {{{{ s.v.kl:.1f }}}} nats.

$$
a = b \\label{{good}}
$$

See \\eqref{{good}}. Marker {marker}.
"""
OTHER = "# Other\n\nAnother page, unchanged: {{ s.v.x:.3f }}.\n"
CHECKS = """\
from genmath.formulas import Check

CHECKS = {
    "good": Check(lambda rng: dict.fromkeys("ab", float(rng.normal()))),
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


@dataclass
class Serve:
    project: MiniProject
    url: str
    proc: subprocess.Popen[bytes]
    saves: int = 0

    def log(self) -> str:
        return (self.project.path / "serve.log").read_text()

    def wait_for_page(self, text: str, path: str = "", timeout: float = 90) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                html = _get(self.url + path)
                if text in html:
                    return html
            except OSError:
                pass
            time.sleep(0.3)
        pytest.fail(f"{text!r} never served at /{path}:\n{self.log()[-3000:]}")

    def wait_for_log(self, start: int, text: str, timeout: float = 90) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            new = self.log()[start:]
            if text in new and "Reloading browsers" in new.split(text, 1)[1]:
                return new
            time.sleep(0.3)
        pytest.fail(f"{text!r} never printed:\n{self.log()[start:][-3000:]}")

    def save_good(self) -> str:
        """Write the good page with a new marker (and the good snippet) and wait until it is served."""
        self.saves += 1
        marker = f"good{self.saves}x"
        snippet = self.project.path / "snippets" / "s" / "v.py"
        if snippet.read_text() != SNIPPET:
            self.project.write("snippets/s/v.py", SNIPPET)
        self.project.write("docs/index.md", PAGE.format(marker=marker))
        self.wait_for_page(marker)
        return marker


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    project = MiniProject(tmp_path_factory.mktemp("serve") / "proj")
    project.write("snippets/s/v.py", SNIPPET)
    project.write("formulas/index.py", CHECKS)
    project.write("docs/index.md", PAGE.format(marker="good0x"))
    project.write("docs/other.md", OTHER)
    port = _free_port()
    with open(project.path / "serve.log", "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                                cwd=project.path, env=project.env(), stdout=out, stderr=subprocess.STDOUT)
    running = Serve(project, f"http://127.0.0.1:{port}/", proc)
    try:
        running.wait_for_page("good0x")
        yield running
    finally:
        proc.terminate()
        proc.wait(timeout=30)


BAD = PAGE.format(marker="badx")
LINE = BAD.count("\n") + 2  # the line of a body appended by _bad_page


def _bad_page(body: str) -> dict[str, str]:
    return {"docs/index.md": BAD + "\n" + body + "\n"}


# kind -> (files written, the located message)
ERRORS = {
    "snippet": ({"snippets/s/v.py": SNIPPET + "\nraise ValueError('broken on purpose')\n",
                 "docs/index.md": PAGE.format(marker="badx")},
                ("genmath: index.md:3, snippet snippets/s/v.py:6: snippet raised ValueError: broken on "
                 "purpose")),
    "value name": (_bad_page("Typo {{ s.v.y:.2f }}."),
                   f"genmath: index.md:{LINE}: unknown value name 's.v.y' (did you mean 's.v.x'?)"),
    "format spec": (_bad_page("Spec {{ s.v.x:.2q }}."),
                    f"genmath: index.md:{LINE}: format spec '.2q' does not apply to 's.v.x'"),
    "unit": (_bad_page("\n\nNo unit: {{ s.v.kl:.2f }}."),
             f"genmath: index.md:{LINE + 2}: value 's.v.kl' is in nats: state the unit"),
    "TeX": (_bad_page("Bad $\\frac{1}{$ here."), f"genmath: index.md:{LINE}: invalid TeX"),
    "formula": ({"docs/index.md": BAD.replace("a = b", "a = 2 b")},
                f"genmath: index.md:{BAD.split(chr(10)).index('$$') + 1}: formula 'good' is wrong"),
    "label": (_bad_page("See \\eqref{nowhere}."),
              f"genmath: index.md:{LINE}: \\eqref{{nowhere}}: no display formula has \\label{{nowhere}}"),
    # MkDocs' own failure while it writes the pages (after it cleaned the folder it used to write)
    "page template": ({"docs/index.md": "---\ntemplate: nowhere.html\n---\n\n" + BAD},
                      "Error building page 'index.md': 'nowhere.html' not found"),
}


@pytest.mark.parametrize("kind", list(ERRORS))
def test_an_error_is_reported_once_and_the_last_good_pages_stay_served(serve: Serve, kind: str) -> None:
    good = serve.save_good()
    files, message = ERRORS[kind]
    start = len(serve.log())
    for rel, text in files.items():
        serve.project.write(rel, text)
    new = serve.wait_for_log(start, message)
    assert new.count(message) == 1, f"printed once:\n{new}"
    assert "NOT UPDATED - still serving the last good pages" in new
    begin = time.perf_counter()
    html = _get(serve.url, timeout=5)  # answered at once: no request waits for a good build
    assert time.perf_counter() - begin < 5
    assert good in html and "badx" not in html, "the last good page, never the one known to be wrong"
    assert "Another page, unchanged: 0.250" in _get(serve.url + "other/"), "every last good page stays"
    assert serve.proc.poll() is None, "serve is still running"
    serve.save_good()  # and a good save is served again


def test_one_save_one_rebuild_and_a_short_log(serve: Serve) -> None:
    serve.save_good()
    time.sleep(2)
    start = len(serve.log())
    marker = serve.save_good()
    time.sleep(3)  # a second rebuild (a file written into a watched folder) would start by now
    new = serve.log()[start:]
    assert new.count("Building documentation") == 1, new
    assert len(new.strip().splitlines()) <= 8, f"a rebuild prints a few lines:\n{new}"
    assert "cached" not in new.replace("1 cached", ""), "no line per cached snippet"
    assert marker in _get(serve.url)


def test_rebuilds_reuse_compiled_templates_until_a_template_changes(tmp_path) -> None:
    """`mkdocs serve` keeps the theme's compiled templates across rebuilds (each rebuild makes a new
    Jinja environment); an edited template is compiled again, never served stale."""
    from jinja2 import Environment, FileSystemLoader

    from genmath.sitebuild.mkdocs_serve import _template_cache

    cache = _template_cache()
    (tmp_path / "page.html").write_text("one {{ x }}")
    compiled: list[str] = []

    class Rebuild(Environment):  # counts what a "rebuild" compiles
        def compile(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[override]
            compiled.append(name)
            return super().compile(source, name, filename, raw, defer_init)

    def render() -> str:
        env = Rebuild(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=cache)
        return env.get_template("page.html").render(x=1)

    assert render() == "one 1" and compiled == ["page.html"]
    assert render() == "one 1" and compiled == ["page.html"], "the second rebuild compiles nothing"
    (tmp_path / "page.html").write_text("two {{ x }}")
    assert render() == "two 1" and compiled == ["page.html", "page.html"], "an edited template is compiled"
