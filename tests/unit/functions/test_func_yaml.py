"""Every function's func.yaml validates against knative/func's schema, with the scaling DESIGN.md fixes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
SCHEMA = REPO.parent / "shared" / "schemas" / "knative" / "func_yaml-schema.json"
FUNCTIONS = ("scan", "route", "size", "risk", "execute")


def _load(name: str) -> dict[str, object]:
    document = yaml.safe_load((REPO / "functions" / name / "func.yaml").read_text())
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize("name", FUNCTIONS)
def test_func_yaml_when_validated_then_matches_the_knative_schema(name: str) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} absent")
    jsonschema.validate(_load(name), json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_func_yaml_when_read_then_python_cloudevent_with_design_scaling(name: str) -> None:
    doc = _load(name)
    assert doc["runtime"] == "python" and doc["invoke"] == "cloudevent"
    scale = doc["deploy"]["options"]["scale"]  # type: ignore[index]
    expected = (1, 1) if name == "execute" else (0, scale["max"])
    assert (scale["min"], scale["max"]) == expected


@pytest.mark.parametrize("name", FUNCTIONS)
def test_handler_when_imported_then_new_returns_a_func_python_function(name: str) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"fn_{name}", REPO / "functions" / name / "function" / "func.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    instance = module.new()
    for method in ("handle", "start", "stop", "alive", "ready"):
        assert callable(getattr(instance, method))
    assert instance.name == name
