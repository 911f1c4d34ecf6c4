"""Several accounts on Knative (issue 20): the generated overlay gives each account its size, risk and an always-warm
execute Service (one per broker session) with its settings and its secret; it validates offline."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from support.manifests import CRDS, KNATIVE, SCHEMAS, crd_schema

from alphamoe.accounts.config import AccountConfig, account_settings, parse_accounts
from alphamoe.accounts.manifests import overlay
from alphamoe.bridge.subscriptions import is_ordered, load_subscriptions
from alphamoe.errors import ConfigurationError
from alphamoe.settings import Settings

ACCOUNTS = """[
  {"id": "acct-a", "adapter": "paper", "capital": 2000000, "strategies": {"trend_breakout": 0.6}},
  {"id": "acct-b", "adapter": "qmt", "capital": 1000000, "broker": {"qmt_account": "8800123", "wait_s": 2.0},
   "caps": {"max_position_weight": 0.05}, "fees": {"rate": "0.0001", "minimum": "0"}},
  {"id": "acct-c", "adapter": "remote", "capital": 500000, "broker": {"url": "https://gw.example:8443"},
   "secrets": {"token": "ACCT_C_BROKER_TOKEN"}}
]"""


@pytest.fixture(scope="module")
def accounts() -> list[AccountConfig]:
    return parse_accounts(ACCOUNTS)


@pytest.fixture(scope="module")
def files(accounts: list[AccountConfig]) -> dict[str, str]:
    return overlay(KNATIVE, accounts, Settings())


def services(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in yaml.safe_load_all(files["accounts.yaml"]) if d}


def test_overlay_when_three_accounts_then_size_risk_execute_each_and_execute_always_warm(
    files: dict[str, str], accounts: list[AccountConfig]
) -> None:
    made = services(files)
    assert sorted(made) == sorted(f"alphamoe-{f}-{a.id}" for a in accounts for f in ("size", "risk", "execute"))
    for account in accounts:
        annotations = made[f"alphamoe-execute-{account.id}"]["spec"]["template"]["metadata"]["annotations"]
        assert (annotations["autoscaling.knative.dev/min-scale"], annotations["autoscaling.knative.dev/max-scale"]) == (
            "1",
            "1",
        )
    if SCHEMAS.exists():
        for doc in made.values():
            jsonschema.validate(doc, crd_schema(CRDS[("serving.knative.dev/v1", "Service")], "v1"))


def test_overlay_when_env_read_then_each_service_builds_its_accounts_settings_and_secret(
    files: dict[str, str], accounts: list[AccountConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    for account in accounts:
        [container] = services(files)[f"alphamoe-execute-{account.id}"]["spec"]["template"]["spec"]["containers"]
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
        with monkeypatch.context() as env:
            for e in container["env"]:
                if e["name"].startswith("ALPHAMOE_") and "value" in e:
                    env.setenv(e["name"], e["value"])
            if account.secrets:
                assert refs["ALPHAMOE_BROKER__TOKEN"] == {"name": "alphamoe-accounts", "key": "ACCT_C_BROKER_TOKEN"}
                env.setenv("ALPHAMOE_BROKER__TOKEN", "the-token")
            got = Settings()
        want = account_settings(Settings(), account, {"ACCT_C_BROKER_TOKEN": "the-token"})
        assert (got.account_id, got.initial_cash, got.commission) == (account.id, account.capital, account.fees)
        assert got.broker == want.broker and got.risk == want.risk and got.sizing == want.sizing
        assert got.scan.strategies == want.scan.strategies


def test_overlay_subscriptions_when_loaded_then_each_account_function_has_its_group_and_execute_is_ordered(
    files: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "subscriptions.yaml"
    path.write_text(files["subscriptions.yaml"])
    subs = {s.function: s for s in load_subscriptions(path)}
    assert "execute" not in subs and {"scan", "route", "execute-acct-a", "risk-acct-b", "size-acct-c"} <= set(subs)
    assert subs["execute-acct-b"].url == "http://alphamoe-execute-acct-b.alphamoe.svc.cluster.local"
    assert is_ordered("execute-acct-b") and not is_ordered("size-acct-b")


def test_overlay_when_built_by_kustomize_then_base_stage_services_are_replaced(
    files: dict[str, str], tmp_path: Path
) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl absent: the overlay is not built")
    shutil.copytree(KNATIVE, tmp_path / "knative")
    out = tmp_path / "knative-accounts"
    out.mkdir()
    for name, text in overlay(tmp_path / "knative", parse_accounts(ACCOUNTS), Settings(), base="../knative").items():
        (out / name).write_text(text)
    built = subprocess.run(["kubectl", "kustomize", str(out)], capture_output=True, text=True, check=True).stdout
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(built) if d and d["kind"] == "Service"]
    assert "alphamoe-execute" not in names and "alphamoe-size" not in names and "alphamoe-risk" not in names
    assert {"alphamoe-scan", "alphamoe-route", "alphamoe-execute-acct-a", "alphamoe-execute-acct-c"} <= set(names)


def test_overlay_when_account_id_is_no_kubernetes_name_then_refused_naming_it() -> None:
    bad = parse_accounts('[{"id": "Acct_B", "capital": 1000}]')
    with pytest.raises(ConfigurationError, match="account Acct_B"):
        overlay(KNATIVE, bad, Settings())
