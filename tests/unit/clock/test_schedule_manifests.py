"""knative/schedules/ validates offline against the CRD schemas and agrees with ClockSettings' defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from alphamoe.clock.config import ClockSettings
from alphamoe.clock.schedule import TickKind, cron_expression

REPO = Path(__file__).resolve().parents[3]
SCHEDULES = REPO / "knative" / "schedules"
SCHEMAS = REPO.parent / "shared" / "schemas" / "knative"
CFG = ClockSettings()


def _docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((SCHEDULES / name).read_text(encoding="utf-8")) if d]


def _crd_schema(name: str, version: str) -> dict[str, Any]:
    path = SCHEMAS / name
    if not path.is_file():
        pytest.skip(f"CRD schemas not found at {SCHEMAS}")
    crd = yaml.safe_load(path.read_text(encoding="utf-8"))
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema: dict[str, Any] = served["schema"]["openAPIV3Schema"]
    return schema


def _unknown_fields(doc: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Return fields the schema does not declare (CRD schemas rarely forbid them, so typos would pass)."""
    if isinstance(doc, dict) and "properties" in schema:
        found = []
        for key, value in doc.items():
            if key not in schema["properties"]:
                found.append(f"{path}.{key}")
            else:
                found += _unknown_fields(value, schema["properties"][key], f"{path}.{key}")
        return found
    if isinstance(doc, list) and "items" in schema:
        return [u for item in doc for u in _unknown_fields(item, schema["items"], f"{path}[]")]
    return []


def test_pingsources_when_validated_against_the_crd_then_valid() -> None:
    schema = _crd_schema("eventing-pingsource-v1.crd.yaml", "v1")
    docs = _docs("pingsources.yaml")
    assert {d["kind"] for d in docs} == {"PingSource"}
    for doc in docs:
        jsonschema.validate(doc, schema)
        assert _unknown_fields(doc["spec"], schema["properties"]["spec"], "spec") == []


def test_unknown_fields_when_misspelt_then_found() -> None:
    schema = _crd_schema("eventing-pingsource-v1.crd.yaml", "v1")["properties"]["spec"]
    assert _unknown_fields({"schedule": "* * * * *", "timeZone": "Asia/Shanghai"}, schema, "spec") == ["spec.timeZone"]


def test_clock_service_when_validated_against_the_crd_then_valid() -> None:
    [service] = _docs("clock-service.yaml")
    schema = _crd_schema("serving-service-v1.crd.yaml", "v1")
    jsonschema.validate(service, schema)
    assert _unknown_fields(service["spec"], schema["properties"]["spec"], "spec") == []


def test_cronjobs_when_validated_by_kubernetes_schemas_then_valid() -> None:
    for doc in _docs("cronjobs.yaml"):
        kubernetes_validate.validate(doc, "1.30", strict=True)


def _by_tick(docs: list[dict[str, Any]], field: str) -> dict[str, tuple[str, str]]:
    return {d["metadata"]["name"]: (d["spec"]["schedule"], d["spec"][field]) for d in docs}


@pytest.mark.parametrize(("name", "field"), [("pingsources.yaml", "timezone"), ("cronjobs.yaml", "timeZone")])
def test_schedules_when_compared_with_clock_settings_then_same_times_and_zone(name: str, field: str) -> None:
    found = _by_tick(_docs(name), field)
    assert found["alphamoe-market-open"] == (cron_expression(TickKind.MARKET_OPEN, CFG), CFG.timezone)
    assert found["alphamoe-market-close"] == (cron_expression(TickKind.MARKET_CLOSE, CFG), CFG.timezone)
    assert found["alphamoe-data-update"] == (cron_expression(TickKind.DATA_UPDATE, CFG), CFG.timezone)
    assert found["alphamoe-data-update"][0] == "30 16 * * 1-5"  # the evening job, after the 15:05 close


def test_pingsources_when_sent_then_each_names_a_tick_the_receiver_knows_and_sinks_to_the_clock() -> None:
    import json

    [service] = _docs("clock-service.yaml")
    ticks = set()
    for doc in _docs("pingsources.yaml"):
        ticks.add(json.loads(doc["spec"]["data"])["tick"])
        assert doc["spec"]["sink"]["ref"]["name"] == service["metadata"]["name"]
    from alphamoe.clock.receiver import TICKS

    assert ticks == set(TICKS)


def test_cronjobs_when_run_then_fire_through_the_clock_command() -> None:
    args = {d["metadata"]["name"]: d["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
            for d in _docs("cronjobs.yaml")}  # fmt: skip
    assert args["alphamoe-market-open"][:3] == [
        "schedule",
        "fire",
        "market-open",
    ]  # the image's entry point is alphamoe
    assert args["alphamoe-market-close"][:3] == ["schedule", "fire", "market-close"]
    assert args["alphamoe-data-update"][:3] == ["schedule", "fire", "data-update"]


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]
    pod = spec["jobTemplate"]["spec"]["template"]["spec"] if doc["kind"] == "CronJob" else spec["template"]["spec"]
    containers: list[dict[str, Any]] = pod["containers"]
    return containers


def test_schedules_when_deployed_then_same_image_and_settings_as_the_functions() -> None:
    functions = REPO / "knative" / "services.yaml"
    if not functions.is_file():
        pytest.skip("knative/services.yaml (the functions) is not in this tree")
    images = {
        c["image"] for d in yaml.safe_load_all(functions.read_text(encoding="utf-8")) if d for c in _containers(d)
    }
    ours = [c for name in ("clock-service.yaml", "cronjobs.yaml") for d in _docs(name) for c in _containers(d)]
    assert {c["image"] for c in ours} == images
    assert all({"configMapRef": {"name": "alphamoe-settings"}} in c["envFrom"] for c in ours)
