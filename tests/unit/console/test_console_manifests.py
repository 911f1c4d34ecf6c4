"""knative/console/ deploys the console as the code expects: scale to zero, TLS at the ingress, users.

(Its schema validation and kustomization are checked with every other manifest: tests/unit/knative/test_manifests.)"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from support.manifests import KNATIVE

from alphamoe.console.auth import check_bind
from alphamoe.console.config import ConsoleSettings
from alphamoe.errors import ConfigurationError

CONSOLE = KNATIVE / "console"
DOCS = [
    (path.name, doc)
    for path in sorted(CONSOLE.glob("*.yaml"))
    if path.name != "kustomization.yaml"
    for doc in yaml.safe_load_all(path.read_text())
    if doc
]


def _service() -> dict[str, Any]:
    [service] = [d for _, d in DOCS if d["kind"] == "Service"]
    return service


def test_console_service_when_deployed_then_scales_to_zero_and_listens_as_the_code_allows() -> None:
    template = _service()["spec"]["template"]
    assert template["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"] == "0"
    [container] = template["spec"]["containers"]
    assert container["args"][:1] == ["console"] and "0.0.0.0" in container["args"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    secret_keys = yaml.safe_load((CONSOLE / "secret.yaml").read_text())["stringData"]
    # the pod's settings: off loopback, plain HTTP behind the ingress, users from the Secret
    cfg = {"allow_plain_http": env["ALPHAMOE_CONSOLE__ALLOW_PLAIN_HTTP"] == "true"}
    with pytest.raises(ConfigurationError, match="needs ALPHAMOE_CONSOLE__USERS"):  # the placeholder `{}`
        check_bind("0.0.0.0", ConsoleSettings(users=yaml.safe_load(secret_keys["ALPHAMOE_CONSOLE__USERS"]), **cfg))
    assert "ALPHAMOE_CONSOLE__SESSION_SECRET" in secret_keys
