"""knative/ read as data: every manifest document, every pod template in them, and what a pod may reach.

`ALPHAMOE_KNATIVE_DIR` points the tests at another copy of knative/ (e.g. the previous commit's, to see a
hardening test fail on it).
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from support.paths import REPO

KNATIVE = Path(os.environ.get("ALPHAMOE_KNATIVE_DIR", REPO / "knative"))
NOT_RESOURCES = {"kustomization.yaml", "subscriptions.yaml"}
NAMESPACE = "alphamoe"


def documents(
    root: Path = KNATIVE, folders: tuple[str, ...] = ("optional", "schedules")
) -> list[tuple[str, dict[str, Any]]]:
    """Every resource in knative/ and its `folders` (e.g. console/ too), as (relative file, document)."""
    paths = [*root.glob("*.yaml"), *(p for folder in folders for p in root.glob(f"{folder}/*.yaml"))]
    found = []
    for path in sorted(paths):
        if path.name in NOT_RESOURCES:
            continue
        found += [(str(path.relative_to(root)), d) for d in yaml.safe_load_all(path.read_text()) if d]
    return found


def pod_template(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template (metadata + spec) of a workload: Knative Service, Deployment, StatefulSet, CronJob."""
    spec = doc.get("spec", {})
    if doc["kind"] == "CronJob":
        template: dict[str, Any] = spec["jobTemplate"]["spec"]["template"]
        return template
    if doc["kind"] in ("Service", "Deployment", "StatefulSet") and "template" in spec:
        template = spec["template"]
        return template
    return None


def workloads(docs: list[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, pod template) of every workload, e.g. ("services.yaml:Service/alphamoe-scan", {...})."""
    for where, doc in docs:
        template = pod_template(doc)
        if template is not None:
            yield f"{where}:{doc['kind']}/{doc['metadata']['name']}", template


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A container's `env` entries by name."""
    return {e["name"]: e for e in container.get("env", [])}


def secret_ref(entry: dict[str, Any] | None) -> tuple[str, str] | None:
    """(secret name, key) when the env entry is read from a Secret, else None."""
    ref = ((entry or {}).get("valueFrom") or {}).get("secretKeyRef")
    return (ref["name"], ref["key"]) if ref else None


# --- NetworkPolicy semantics (the subset the manifests use: pod/namespace selectors, ipBlocks, ports) ---


@dataclass(frozen=True)
class Peer:
    """One end of a connection: a pod (namespace + labels) or an address outside the cluster."""

    name: str
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    ip: str | None = None

    @property
    def ours(self) -> bool:
        return self.namespace == NAMESPACE


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        present, value = expr["key"] in labels, labels.get(expr["key"])
        ok = {
            "In": present and value in expr.get("values", []),
            "NotIn": not present or value not in expr.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }[expr["operator"]]
        if not ok:
            return False
    return True


def _peer_matches(rule_peer: dict[str, Any], peer: Peer) -> bool:
    if "ipBlock" in rule_peer:
        if peer.ip is None:
            return False
        address = ipaddress.ip_address(peer.ip)
        block = rule_peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if peer.namespace is None:
        return False
    if "namespaceSelector" in rule_peer:
        namespace_labels = {"kubernetes.io/metadata.name": peer.namespace}
        if not _selects(rule_peer["namespaceSelector"], namespace_labels):
            return False
    elif not peer.ours:
        return False  # a bare podSelector selects pods of the policy's own namespace
    return _selects(rule_peer.get("podSelector"), peer.labels)


def _rule_admits(rule: dict[str, Any], side: str, peer: Peer, port: int) -> bool:
    ports = rule.get("ports")
    if ports and not any(p.get("port") in (None, port) for p in ports):
        return False
    peers = rule.get(side)
    return not peers or any(_peer_matches(p, peer) for p in peers)


def _allowed(policies: list[dict[str, Any]], pod: Peer, direction: str, peer: Peer, port: int) -> bool:
    # A pod no policy selects for this direction is open; a selected pod takes only what some rule admits.
    kind, key, side = ("Ingress", "ingress", "from") if direction == "in" else ("Egress", "egress", "to")
    selecting = [
        p["spec"]
        for p in policies
        if _selects(p["spec"]["podSelector"], pod.labels) and kind in p["spec"]["policyTypes"]
    ]
    if not selecting:
        return True
    return any(_rule_admits(rule, side, peer, port) for spec in selecting for rule in spec.get(key) or [])


def may_connect(policies: list[dict[str, Any]], source: Peer, target: Peer, port: int) -> bool:
    """Whether `source` may open a TCP connection to `target`:`port` under the namespace's NetworkPolicies."""
    egress_ok = not source.ours or _allowed(policies, source, "out", target, port)
    ingress_ok = not target.ours or _allowed(policies, target, "in", source, port)
    return egress_ok and ingress_ok


SCHEMAS = REPO.parent / "shared" / "schemas" / "knative"
CRDS = {
    ("serving.knative.dev/v1", "Service"): "serving-service-v1.crd.yaml",
    ("sources.knative.dev/v1", "PingSource"): "eventing-pingsource-v1.crd.yaml",
    ("sources.knative.dev/v1alpha1", "RedisStreamSource"): "redisstreamsource-v1alpha1.crd.yaml",
}


def _strict(schema: Any) -> Any:
    # CRD schemas allow unknown fields by omission; forbid them unless the CRD preserves unknown fields.
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema.setdefault("additionalProperties", False)
        return schema
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


KUBERAY_SCHEMAS = Path(__file__).parent / "schemas" / "kuberay"  # vendored, trimmed (README.md there)


@functools.cache
def crd_schema(file: str, version: str, root: Path = SCHEMAS) -> dict[str, Any]:
    """The openAPIV3Schema of a CRD in `root` (../shared/schemas/knative/), made strict (an unknown field fails)."""
    crd = yaml.load((root / file).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = copy.deepcopy(served["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = {"type": "object"}
    schema["properties"].setdefault("apiVersion", {"type": "string"})
    schema["properties"].setdefault("kind", {"type": "string"})
    return dict(_strict(schema))
