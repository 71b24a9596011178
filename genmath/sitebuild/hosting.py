"""Where the site is hosted: one setting, and every URL derived from it.

The setting is ``extra.repository`` in mkdocs.yml, the GitHub repository as ``owner/name``;
``GENMATH_REPOSITORY`` overrides it (the Pages workflow sets it to the repository it runs in, so a
fork deploys with its own links). From it come the edit and view links of every page, the links to
snippet files, "Open in Colab", the notebooks' install cell, and the site URL, GitHub Pages' address
``https://owner.github.io/name/``. ``GENMATH_SITE_URL`` overrides only the URL this build is served
at (a custom domain; the page tests' local server); committed notebooks always link ``site_url``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_REPOSITORY_RE = re.compile(
    r"^(?:https?://github\.com/)?(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/"
    r"(?P<name>[A-Za-z0-9._-]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class Hosting:
    repository: str  # owner/name on GitHub
    branch: str = "main"

    @classmethod
    def parse(cls, value: str) -> Hosting:
        """``owner/name`` or ``https://github.com/owner/name``; anything else raises ValueError."""
        m = _REPOSITORY_RE.match(str(value).strip())
        if not m:
            raise ValueError(f"the hosting repository must be 'owner/name' on GitHub; got {value!r} "
                             f"(extra.repository in mkdocs.yml, or GENMATH_REPOSITORY)")
        return cls(f"{m.group('owner')}/{m.group('name')}")

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repository}"

    @property
    def edit_uri(self) -> str:
        """MkDocs' ``edit_uri``: a page's edit link is this plus its path under docs/."""
        return f"{self.url}/edit/{self.branch}/docs/"

    @property
    def files_url(self) -> str:
        """A file of the repository is this plus ``/`` and its path (snippet links)."""
        return f"{self.url}/blob/{self.branch}"

    def colab(self, path: str) -> str:
        return f"https://colab.research.google.com/github/{self.repository}/blob/{self.branch}/{path}"

    @property
    def site_url(self) -> str:
        """GitHub Pages' address of the repository's site (a user site for ``owner/owner.github.io``)."""
        owner, name = self.repository.split("/")
        host = f"{owner.lower()}.github.io"
        return f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"


def from_mkdocs_yml(path: Path) -> Hosting:
    """The setting as MkDocs reads it (``!ENV`` applied): for tests and tools outside a build."""
    from mkdocs.utils.yaml import yaml_load

    with open(path, encoding="utf-8") as fh:
        data = yaml_load(fh)
    value = (data.get("extra") or {}).get("repository") or os.environ.get("GENMATH_REPOSITORY")
    if not value:
        raise ValueError(f"{path}: set extra.repository (the GitHub repository, owner/name)")
    return Hosting.parse(value)
