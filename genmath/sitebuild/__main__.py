"""``python -m genmath.sitebuild``: run the pre-build step alone (all snippets, all checks).

Useful without MkDocs (or with a successor that ignores MkDocs hooks) and to warm the cache.
Exit code 1 and the located error message on failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

from genmath.sitebuild.errors import BuildError
from genmath.sitebuild.site import Config, prepare


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    try:
        prepare(Config.from_options(root, {}))
    except BuildError as err:
        print(str(err), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
