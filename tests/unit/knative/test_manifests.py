"""Every manifest in knative/ validates offline, and agrees with the code: subscriptions, images, env names.

Knative kinds are checked against the openAPIV3Schema of their CRD in ../shared/schemas/knative/, made
strict (an unknown field fails, as `kubectl apply --validate=strict` would); core kinds with
kubernetes-validate in strict mode.
"""

from __future__ import annotations

import copy
import importlib.metadata
import inspect
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from pydantic import BaseModel
from pydantic_settings import BaseSettings
from support.manifests import CRDS, KNATIVE, NOT_RESOURCES, SCHEMAS, crd_schema, documents
from support.paths import REPO

from alphamoe.bridge.subscriptions import as_table, load_subscriptions
from alphamoe.pipeline.factory import STAGE_NAMES
from alphamoe.pipeline.run import SUBSCRIPTIONS
from alphamoe.settings import Settings

CONSOLE = "console"
DOCUMENTS = documents(folders=("optional", "schedules", CONSOLE))  # the console's Service: validated, not a function


@pytest.mark.parametrize(
    ("where", "doc"), DOCUMENTS, ids=[f"{w}:{d['kind']}/{d['metadata']['name']}" for w, d in DOCUMENTS]
)
def test_manifest_when_validated_offline_then_matches_its_schema(where: str, doc: dict[str, Any]) -> None:
    crd = CRDS.get((doc["apiVersion"], doc["kind"]))
    if crd is not None:
        if not SCHEMAS.exists():
            pytest.skip(f"{SCHEMAS} absent")
        jsonschema.validate(doc, crd_schema(crd, doc["apiVersion"].split("/")[1]))
    else:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_crd_validation_when_field_misspelt_then_fails() -> None:
    if not SCHEMAS.exists():
        pytest.skip(f"{SCHEMAS} absent")
    [service] = [d for _, d in DOCUMENTS if d["kind"] == "Service" and d["metadata"]["name"] == "alphamoe-scan"]
    broken = copy.deepcopy(service)
    broken["spec"]["template"]["spec"]["containerConcurency"] = 1
    with pytest.raises(jsonschema.ValidationError, match="containerConcurency"):
        jsonschema.validate(broken, crd_schema(CRDS[("serving.knative.dev/v1", "Service")], "v1"))


def test_kustomization_when_read_then_lists_every_manifest_but_the_optional_ones() -> None:
    kustomization = yaml.safe_load((KNATIVE / "kustomization.yaml").read_text())
    files = {p.name for p in KNATIVE.glob("*.yaml")} - NOT_RESOURCES
    assert set(kustomization["resources"]) == files
    assert kustomization["configMapGenerator"][0]["files"] == ["subscriptions.yaml"]


def test_console_kustomization_when_read_then_lists_every_console_manifest() -> None:
    folder = KNATIVE / CONSOLE
    if not folder.exists():
        pytest.skip(f"{folder} absent")
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in folder.glob("*.yaml") if p.name not in NOT_RESOURCES)


def _services() -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"].removeprefix("alphamoe-"): d
        for w, d in DOCUMENTS
        if d["kind"] == "Service"
        and d["apiVersion"].startswith("serving.knative.dev")
        and not w.startswith(("optional", "schedules", CONSOLE))
    }


def test_subscriptions_file_when_loaded_then_equals_the_code_table_and_every_annotation() -> None:
    subscriptions = load_subscriptions(KNATIVE / "subscriptions.yaml")
    assert as_table(subscriptions) == SUBSCRIPTIONS
    services = _services()
    assert set(services) == set(STAGE_NAMES)
    for sub in subscriptions:
        assert sub.url == f"http://alphamoe-{sub.function}.alphamoe.svc.cluster.local"
        annotated = services[sub.function]["spec"]["template"]["metadata"]["annotations"]["alphamoe.io/subscribes"]
        func_yaml = yaml.safe_load((REPO / "functions" / sub.function / "func.yaml").read_text())
        for declared in (annotated, func_yaml["deploy"]["annotations"]["alphamoe.io/subscribes"]):
            assert tuple("com.alphamoe." + t.strip() for t in declared.split(",")) == sub.types


def test_services_when_read_then_scale_to_zero_except_execute_which_is_one_replica() -> None:
    for name, service in _services().items():
        annotations = service["spec"]["template"]["metadata"]["annotations"]
        scale = (annotations["autoscaling.knative.dev/min-scale"], annotations["autoscaling.knative.dev/max-scale"])
        assert scale == ("1", "1") if name == "execute" else scale[0] == "0"
        assert service["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]


def test_images_when_read_then_one_image_and_each_entry_point_names_its_function() -> None:
    version = importlib.metadata.version("alphamoe")
    images = set()
    for name, service in _services().items():
        [container] = service["spec"]["template"]["spec"]["containers"]
        images.add(container["image"])
        # the lean server (no CLI), after the image's numba kernels are copied into the writable cache
        assert container["command"] == ["with-numba-cache", "python", "-m", "alphamoe.functions.serve"]
        assert container["args"][0] == name
    [bridge] = [d for _, d in DOCUMENTS if d["kind"] == "Deployment" and d["metadata"]["name"] == "alphamoe-bridge"]
    [container] = bridge["spec"]["template"]["spec"]["containers"]
    assert container["args"][0] == "bridge"
    images.add(container["image"])
    [image] = images
    assert image.startswith(f"ghcr.io/alphamoe/alphamoe:{version}@sha256:")


def _known_env_names() -> set[str]:
    names: set[str] = set()
    for field, info in Settings.model_fields.items():
        model = info.annotation
        if inspect.isclass(model) and issubclass(model, BaseSettings):
            prefix = str(model.model_config.get("env_prefix", ""))
            for sub, sub_info in model.model_fields.items():
                names.add(f"{prefix}{sub}".upper())
                alias = sub_info.validation_alias
                names.update(str(c) for c in getattr(alias, "choices", ()) if str(c).isupper())
        elif inspect.isclass(model) and issubclass(model, BaseModel):
            names.update(f"ALPHAMOE_{field}__{sub}".upper() for sub in model.model_fields)
        else:
            names.add(f"ALPHAMOE_{field}".upper())
    return names


def _manifest_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for _, doc in DOCUMENTS:
        if doc["kind"] in ("ConfigMap", "Secret"):
            env.update(doc.get("data") or {})
            env.update(doc.get("stringData") or {})
        for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            env.update({e["name"]: e.get("value", "x") for e in container.get("env", [])})
    for name in STAGE_NAMES:
        func_yaml = yaml.safe_load((REPO / "functions" / name / "func.yaml").read_text())
        env.update({e["name"]: str(e["value"]) for e in func_yaml["run"]["envs"]})
    return {k: v for k, v in env.items() if k.startswith("ALPHAMOE_")}


def test_env_names_when_read_then_every_one_is_a_setting_and_settings_build(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _manifest_env()
    unknown = sorted(set(env) - _known_env_names())
    assert not unknown, f"manifests set variables no setting reads: {unknown}"
    for name, value in env.items():
        monkeypatch.setenv(name, value if "secret:" not in value else "x")
    settings = Settings()
    assert settings.redis_url == env["ALPHAMOE_REDIS_URL"]
    assert settings.clock.accept_unsigned_pings  # the PingSource receiver: pings cannot be signed
    assert settings.fabric.stream_maxlen == int(env["ALPHAMOE_FABRIC__STREAM_MAXLEN"])
