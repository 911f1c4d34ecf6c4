"""knative/research/raycluster.yaml: its pod templates validate as core PodTemplates; workers scale to zero."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import yaml
from support.paths import REPO

MANIFEST = REPO / "knative" / "research" / "raycluster.yaml"


def test_raycluster_when_validated_then_pod_templates_are_strict_core_and_workers_start_at_zero() -> None:
    doc: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert (doc["apiVersion"], doc["kind"]) == ("ray.io/v1", "RayCluster")  # no CRD schema vendored: checked by hand
    spec = doc["spec"]
    groups = [spec["headGroupSpec"], *spec["workerGroupSpecs"]]
    for group in groups:
        template = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": group["template"]}
        kubernetes_validate.validate(template, kubernetes_validate.latest_version(), strict=True)
    assert spec["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    assert all(g["minReplicas"] == 0 and g["replicas"] == 0 for g in spec["workerGroupSpecs"])
    assert spec["enableInTreeAutoscaling"] is True
