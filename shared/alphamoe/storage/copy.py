"""Copy one object to another key of the same store without moving its bytes through Python when possible.

Backups of a bar store copy whole year files before a write replaces them: a local store hard-links the file
(the later `os.replace` of the original leaves the link on the old content), S3 copies server-side
(CopyObject); any other store reads and writes the bytes.
"""

from __future__ import annotations

import os
import uuid

from alphamoe.storage.base import ObjectNotFoundError, ObjectStore, check_key
from alphamoe.storage.local import LocalStore, replace_file
from alphamoe.storage.s3 import S3Store


def copy_object(objects: ObjectStore, source: str, target: str) -> None:
    """Copy `source` to `target` atomically (a reader of `target` sees nothing or the whole copy)."""
    check_key(source)
    check_key(target)
    if isinstance(objects, S3Store):
        objects.copy(source, target)
    elif isinstance(objects, LocalStore):
        _copy_local(objects, source, target)
    else:
        objects.put_bytes(target, objects.get_bytes(source))


def _copy_local(objects: LocalStore, source: str, target: str) -> None:
    src, dst = objects.root / source, objects.root / target
    if not src.is_file():
        raise ObjectNotFoundError(f"no object {source!r} in {objects.url}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp-{uuid.uuid4().hex}")
    try:
        os.link(src, tmp)  # same inode: writers replace `src` by rename, never in place
    except OSError:  # another file system, or links not allowed: copy the bytes
        with src.open("rb") as fh:
            replace_file(dst, iter(lambda: fh.read(1 << 20), b""))
        return
    try:
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
