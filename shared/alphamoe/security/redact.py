"""Passwords out of everything shown: a URL's password becomes `***` in output, state files, logs and errors.

A Redis URL carries its credentials (`redis://functions:<password>@host:port/0`); every place that shows a
URL (the CLI, `state.json`, an exception message) passes it through here first.
"""

from __future__ import annotations

import re

MASK = "***"
# scheme://[user]:password@ — the password runs to the last '@' before the host (it may not contain '/' or space)
_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)(?P<password>[^\s/]*)(?P<at>@)")


def redact(text: str) -> str:
    """Return `text` (a URL, or a message embedding URLs) with each URL's password replaced by `***`.

    The user name, host, port and path stay readable: `redis://functions:***@127.0.0.1:6390/0`.
    """
    return _CREDENTIALS.sub(lambda m: f"{m['head']}{MASK}{m['at']}", text)
