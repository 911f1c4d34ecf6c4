"""knative/research/: the RayCluster and RayJob validate against KubeRay's CRD schema (vendored, strict), their
pod templates as core PodTemplates; workers scale to zero; the Ray pods reach each other through the namespace's
default-deny and nothing else of the namespace."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from support.manifests import KNATIVE, KUBERAY_SCHEMAS, Peer, crd_schema, documents, may_connect

RESEARCH = KNATIVE / "research"
CRDS = {"RayCluster": "ray.io_rayclusters.v1.yaml", "RayJob": "ray.io_rayjobs.v1.yaml"}


def _manifest(file: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((RESEARCH / file).read_text(encoding="utf-8"))
    return doc


def _validate(doc: dict[str, Any]) -> None:
    assert doc["apiVersion"] == "ray.io/v1"
    jsonschema.validate(doc, crd_schema(CRDS[doc["kind"]], "v1", KUBERAY_SCHEMAS))
    cluster = doc["spec"]["rayClusterSpec"] if doc["kind"] == "RayJob" else doc["spec"]
    for group in [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]:  # opaque in the trimmed schema
        template = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": group["template"]}
        kubernetes_validate.validate(template, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.parametrize("file", ["raycluster.yaml", "rayjob.yaml"])
def test_ray_manifest_when_validated_then_kuberay_schema_and_core_pod_templates_accept_it(file: str) -> None:
    _validate(_manifest(file))


def test_ray_manifest_when_a_field_is_misspelt_or_mistyped_then_validation_fails() -> None:
    cluster = _manifest("raycluster.yaml")
    misspelt = copy.deepcopy(cluster)
    misspelt["spec"]["workerGroupSpecs"][0]["minReplica"] = misspelt["spec"]["workerGroupSpecs"][0].pop("minReplicas")
    mistyped = copy.deepcopy(cluster)
    mistyped["spec"]["workerGroupSpecs"][0]["maxReplicas"] = "4"
    job = _manifest("rayjob.yaml")
    job["spec"]["shutdownAfterJobFinish"] = job["spec"].pop("shutdownAfterJobFinishes")
    bad_mode = copy.deepcopy(cluster)
    bad_mode["spec"]["autoscalerOptions"]["upscalingMode"] = "Eager"
    for broken in (misspelt, mistyped, job, bad_mode):
        with pytest.raises(jsonschema.ValidationError):
            _validate(broken)


def test_ray_manifests_when_read_then_idle_costs_nothing() -> None:
    spec = _manifest("raycluster.yaml")["spec"]
    assert spec["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    assert spec["enableInTreeAutoscaling"] is True
    assert all(g["minReplicas"] == 0 and g["replicas"] == 0 for g in spec["workerGroupSpecs"])
    job = _manifest("rayjob.yaml")["spec"]
    assert job["shutdownAfterJobFinishes"] is True  # the cluster goes with the job
    assert job["rayClusterSpec"]["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"


def _pod(file: str, node: str) -> Peer:
    doc = _manifest(file)
    cluster = doc["spec"]["rayClusterSpec"] if doc["kind"] == "RayJob" else doc["spec"]
    group = cluster["headGroupSpec"] if node == "head" else cluster["workerGroupSpecs"][0]
    return Peer(f"{file} {node}", "alphamoe", group["template"]["metadata"]["labels"])


@pytest.mark.parametrize("file", ["raycluster.yaml", "rayjob.yaml"])
def test_ray_pods_when_the_namespace_denies_by_default_then_they_reach_each_other_and_nothing_else(file: str) -> None:
    policies = [d for _, d in documents() if d["kind"] == "NetworkPolicy"]
    ours = [d for d in yaml.safe_load_all((RESEARCH / "network-policy.yaml").read_text()) if d]
    for doc in ours:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    policies += ours
    head, worker = _pod(file, "head"), _pod(file, "worker")
    scan = Peer("scan", "alphamoe", {"app": "alphamoe-scan", "alphamoe.io/role": "function"})
    redis = Peer("redis", "alphamoe", {"app": "alphamoe-redis"})
    operator = Peer("kuberay-operator", "kuberay", {"app.kubernetes.io/name": "kuberay-operator"})
    api = Peer("kubernetes api", ip="10.43.0.1")
    assert may_connect(policies, worker, head, 6379) and may_connect(policies, head, worker, 10002)
    assert may_connect(policies, worker, worker, 8076)  # object transfers between workers
    assert may_connect(policies, operator, head, 8265) and not may_connect(policies, operator, worker, 8265)
    assert may_connect(policies, head, api, 6443) and not may_connect(policies, worker, api, 6443)
    assert not may_connect(policies, scan, head, 6379) and not may_connect(policies, head, scan, 8080)
    assert not may_connect(policies, worker, redis, 6379)
    assert not may_connect(policies, head, Peer("internet", ip="104.18.0.1"), 443)
