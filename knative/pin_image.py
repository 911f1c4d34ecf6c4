"""Pin a pushed image in every manifest: `python knative/pin_image.py NAME:TAG@sha256:DIGEST`.

`make image` runs it after `docker buildx build --push`, with the digest the registry answered. Every
manifest under knative/ that names NAME gets `NAME:TAG@sha256:DIGEST` (so `kubectl apply -f` of one file is
pinned too), and kustomization.yaml's `images:` entry for NAME gets the same tag and digest.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

KNATIVE = Path(__file__).resolve().parent
REFERENCE = re.compile(r"^(?P<name>[\w.\-/:]+?):(?P<tag>[\w.\-]+)@(?P<digest>sha256:[0-9a-f]{64})$")


def pin(reference: str, root: Path = KNATIVE) -> list[Path]:
    """Rewrite every manifest under `root` that names the reference's image; return the files changed."""
    found = REFERENCE.match(reference)
    if found is None:
        raise SystemExit(f"not NAME:TAG@sha256:<64 hex>: {reference!r}")
    name, tag, digest = found["name"], found["tag"], found["digest"]
    in_manifest = re.compile(rf"(image: ){re.escape(name)}(?::[\w.\-]+)?@sha256:[0-9a-f]{{64}}")
    in_kustomization = re.compile(
        rf"(- name: {re.escape(name)}\n\s+newTag: )[\w.\-]+(\n\s+digest: )sha256:[0-9a-f]{{64}}"
    )
    changed = []
    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        new = in_manifest.sub(rf"\g<1>{name}:{tag}@{digest}", text)
        new = in_kustomization.sub(rf"\g<1>{tag}\g<2>{digest}", new)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    pinned = pin(sys.argv[1])
    if not pinned:
        raise SystemExit(f"no manifest under knative/ names {sys.argv[1].split('@')[0]}: rename the images first")
    for path in pinned:
        print(f"pinned {sys.argv[1]} in {path.relative_to(KNATIVE.parent)}")
