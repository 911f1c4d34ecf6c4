"""Files that hold a secret: readable by their owner only (0600) from the first byte, replaced atomically.

Writing then `chmod`-ing leaves a window in which the file has the umask's mode (usually 0644); these
helpers create the temporary file 0600 and rename it into place, so no reader ever sees a part or a
world-readable copy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alphamoe.storage.local import replace_file

PRIVATE = 0o600


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` (mode 0600 from the first byte) through a temporary file and an atomic rename."""
    replace_file(path, (text.encode("utf-8"),), mode=PRIVATE)


def private_secret(path: Path, make: Callable[[], str]) -> str:
    """Return the secret kept in `path`, creating it with `make()` the first time; an old file is made 0600."""
    if path.exists():
        if path.stat().st_mode & 0o777 != PRIVATE:
            path.chmod(PRIVATE)  # e.g. an approval.secret left 0644 by an older cluster
        return path.read_text(encoding="utf-8").strip()
    write_private(path, make())
    return path.read_text(encoding="utf-8").strip()
