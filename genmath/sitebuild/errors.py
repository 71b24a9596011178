"""One error type for everything that must fail the build, with its location."""

from __future__ import annotations

from dataclasses import dataclass

try:  # under MkDocs, make our errors MkDocs BuildErrors: reported as one message, no traceback
    from mkdocs.exceptions import BuildError as _Base
except ImportError:  # pragma: no cover - genmath's machinery does not need MkDocs
    _Base = Exception  # type: ignore[misc,assignment]


@dataclass
class Location:
    """Where a problem is: a chapter file and line, and optionally a snippet file and line."""

    chapter: str | None = None
    line: int | None = None
    snippet: str | None = None
    snippet_line: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.chapter:
            parts.append(f"{self.chapter}:{self.line}" if self.line else self.chapter)
        if self.snippet:
            parts.append(f"snippet {self.snippet}:{self.snippet_line}" if self.snippet_line
                         else f"snippet {self.snippet}")
        return ", ".join(parts) or "<unknown location>"


class BuildError(_Base):
    """A located build failure. ``str()`` is the one message the user sees."""

    def __init__(self, cause: str, where: Location | None = None, detail: str = "") -> None:
        self.cause = cause
        self.where = where or Location()
        self.detail = detail
        super().__init__(self._format())

    def _format(self) -> str:
        text = f"genmath: {self.where}: {self.cause}"
        if self.detail:
            text += "\n" + self.detail.rstrip()
        return text

    def locate(self, where: Location) -> BuildError:
        """Set where the problem is (when only the caller knows) and refresh the message."""
        self.where = where
        self.args = (self._format(),)
        return self

    def __str__(self) -> str:
        return self._format()


class BuildErrors(BuildError):
    """Several located failures reported together as one message."""

    def __init__(self, errors: list[BuildError]) -> None:
        self.errors = errors
        super().__init__("several errors")

    def _format(self) -> str:
        errors = getattr(self, "errors", [])
        head = f"genmath: {len(errors)} build errors\n" if len(errors) > 1 else ""
        return head + "\n\n".join(str(e) for e in errors)
