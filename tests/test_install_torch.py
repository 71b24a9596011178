"""tools/install_torch.py, which `make setup` runs first: which torch build it installs and why.

The index is a real HTTP server on 127.0.0.1 (a PyPI-style simple page for torch) or a port nobody
listens on; only the final `pip install` is recorded instead of run, so no test downloads torch.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install_torch", ROOT / "tools" / "install_torch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tool(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[tuple[str, ...]]]:
    """The tool with torch not installed yet and no local CPU build; `pip` records its arguments."""
    module = _load()
    calls: list[tuple[str, ...]] = []

    class Done:
        returncode = 0

    monkeypatch.setattr(module, "pip", lambda *args, capture=False: calls.append(args) or Done())
    monkeypatch.setattr(module, "installed_in_range", lambda req: None)
    monkeypatch.setattr(module, "local_cpu_build", lambda req: None)
    monkeypatch.delenv("TORCH_INDEX", raising=False)
    return module, calls


@pytest.fixture
def index(tmp_path: Path) -> Iterator[str]:
    """A package index on 127.0.0.1 that lists torch."""
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "index.html").write_text("<a href='torch-2.9.0+cpu-cp311-none-any.whl'>torch</a>")
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_url() -> str:
    """An index address on 127.0.0.1 where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/whl/cpu"


def test_the_requirement_is_a_supported_range_not_a_pin() -> None:
    req = _load().requirement()
    assert req.startswith("torch>=") and ",<" in req and "==" not in req, req


def test_the_cpu_index_is_pytorchs_own() -> None:
    assert _load().CPU_INDEX == "https://download.pytorch.org/whl/cpu"


def test_reachable_asks_the_index_for_torch(index: str, closed_url: str) -> None:
    module = _load()
    assert module.reachable(index + "/")  # lists torch/
    assert not module.reachable(closed_url)
    assert not module.reachable(index + "/nothing-here")  # answers, but has no torch/ (404)


def test_cpu_index_by_default_when_reachable(tool, index: str, monkeypatch, capsys) -> None:
    module, calls = tool
    monkeypatch.setattr(module, "CPU_INDEX", index)
    assert module.main() == 0
    assert calls == [("install", "--quiet", "--no-compile", "--index-url", module.CPU_INDEX, module.requirement())]
    assert module.CPU_INDEX in capsys.readouterr().out


def test_unreachable_cpu_index_falls_back_to_the_default_index_with_one_note(tool, closed_url, monkeypatch,
                                                                             capsys) -> None:
    module, calls = tool
    monkeypatch.setattr(module, "CPU_INDEX", closed_url)
    assert module.main() == 0
    assert calls == [("install", "--quiet", "--no-compile", module.requirement())]  # no --index-url: pip's default
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "not reachable" in out[0] and "default index" in out[0], out


def test_unreachable_cpu_index_prefers_a_local_cpu_build(tool, closed_url, monkeypatch) -> None:
    module, calls = tool
    monkeypatch.setattr(module, "CPU_INDEX", closed_url)
    monkeypatch.setattr(module, "local_cpu_build", lambda req: "2.9.0+cpu")
    assert module.main() == 0
    assert calls == [("install", "--quiet", "--no-compile", "torch==2.9.0+cpu")]


def test_torch_index_chooses_another_build(tool, index: str, monkeypatch) -> None:
    module, calls = tool
    monkeypatch.setenv("TORCH_INDEX", index)
    assert module.main() == 0
    assert calls == [("install", "--quiet", "--no-compile", "--index-url", index, module.requirement())]


def test_an_unreachable_torch_index_fails_instead_of_silently_falling_back(tool, closed_url, monkeypatch,
                                                                          capsys) -> None:
    module, calls = tool
    other = closed_url.replace("/cpu", "/cu128")
    monkeypatch.setenv("TORCH_INDEX", other)
    assert module.main() == 1
    assert calls == []
    assert f"TORCH_INDEX={other} is not reachable" in capsys.readouterr().out


def test_torch_index_default_uses_pips_default_index(tool, monkeypatch) -> None:
    module, calls = tool
    monkeypatch.setenv("TORCH_INDEX", "default")
    assert module.main() == 0
    assert calls == [("install", "--quiet", "--no-compile", module.requirement())]


def test_the_installed_torch_is_recognised_and_left_alone() -> None:
    """In this project's venv torch is installed and in range: set-up installs nothing (real pip)."""
    import torch

    module = _load()
    version = module.installed_in_range(module.requirement())
    assert version == torch.__version__
