"""Knative for several accounts: a kustomize overlay of knative/ with size, risk and execute per account.

Scan and route stay one Service each (once per day). Each account gets `alphamoe-size-<id>`,
`alphamoe-risk-<id>` and `alphamoe-execute-<id>`, copies of the base Services with the account's settings
as environment (ALPHAMOE_ACCOUNT_ID, ALPHAMOE_INITIAL_CASH, ALPHAMOE_BROKER__*, ALPHAMOE_COMMISSION__*,
its caps as ALPHAMOE_RISK__* (sizing reads the same caps), its strategy weights as ALPHAMOE_SCAN__STRATEGIES);
its credentials come from the Secret `alphamoe-accounts`, under the variable names the account gives.
Execute keeps the base's min-scale 1 / max-scale 1: one always-warm Service per broker session. The
bridge's subscriptions give each its own consumer group; each stage takes only its account's orders.

    ALPHAMOE_ACCOUNTS=accounts.toml python -m alphamoe.accounts.manifests --knative knative --out knative-accounts
    kubectl apply -k knative-accounts   # an overlay beside knative/ (kustomize refuses one inside its base)
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from alphamoe.accounts.config import AccountConfig, account_settings, check_accounts, day_scan, parse_accounts
from alphamoe.errors import ConfigurationError
from alphamoe.settings import Settings

PER_ACCOUNT = ("size", "risk", "execute")
SECRET = "alphamoe-accounts"
"""The Secret holding every account's credentials, keyed by the variable names of ALPHAMOE_ACCOUNTS."""


def _env(account: AccountConfig, settings: Settings) -> list[dict[str, Any]]:
    own = account_settings(settings, account, {var: "-" for var in account.secrets.values()})
    values: dict[str, str] = {"ALPHAMOE_ACCOUNT_ID": account.id, "ALPHAMOE_INITIAL_CASH": str(account.capital)}
    values["ALPHAMOE_BROKER__ADAPTER"] = account.adapter
    values |= {f"ALPHAMOE_BROKER__{k.upper()}": _text(v) for k, v in sorted(account.broker.items())}
    values |= {f"ALPHAMOE_COMMISSION__{k.upper()}": _text(v) for k, v in account.fees.model_dump(mode="json").items()}
    for name in sorted(account.caps):
        values[f"ALPHAMOE_RISK__{name.upper()}"] = _text(getattr(own.risk, name))
    if own.scan.strategies != settings.scan.strategies:  # its weights: size bets each strategy's share
        values |= _scan_env(own)
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in values.items()]
    for field, var in sorted(account.secrets.items()):
        ref = {"secretKeyRef": {"name": SECRET, "key": var}}
        env.append({"name": f"ALPHAMOE_BROKER__{field.upper()}", "valueFrom": ref})
    return env


def _scan_env(settings: Settings) -> dict[str, str]:
    scan = settings.scan
    if scan.strategies:
        return {"ALPHAMOE_SCAN__STRATEGIES": json.dumps(scan.strategies, sort_keys=True), "ALPHAMOE_SCAN__PARAMS": "{}"}
    return {"ALPHAMOE_SCAN__STRATEGY": scan.strategy, "ALPHAMOE_SCAN__PARAMS": json.dumps(scan.params)}


def service_name(function: str, account: AccountConfig) -> str:
    """`alphamoe-<function>-<id>`: refused (naming the account) unless the id makes a Kubernetes name."""
    name = f"alphamoe-{function}-{account.id.lower()}"
    if len(name) > 63 or not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name):
        raise ConfigurationError(
            f"account {account.id}: {name!r} is not a Kubernetes Service name (lower-case letters, digits and "
            "'-', at most 63 characters): choose an account id like 'acct-a'"
        )
    return name


def _kind(name: str) -> dict[str, Any]:
    return {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": name}}


def _patch(name: str, patch: Any) -> dict[str, Any]:
    target = {"group": "serving.knative.dev", "version": "v1", "kind": "Service", "name": name}
    return {"target": target, "patch": yaml.safe_dump(patch, sort_keys=False)}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def account_service(base: dict[str, Any], account: AccountConfig, settings: Settings) -> dict[str, Any]:
    """The base Service of one function (size, risk or execute), as this account's copy."""
    name = service_name(base["metadata"]["name"].removeprefix("alphamoe-"), account)
    doc = copy.deepcopy(base)
    doc["metadata"]["name"] = name
    doc["metadata"].setdefault("labels", {})["alphamoe.io/account"] = account.id
    template = doc["spec"]["template"]
    template["metadata"]["labels"] |= {"app": name, "alphamoe.io/account": account.id}
    [container] = template["spec"]["containers"]
    own = {e["name"] for e in _env(account, settings)}
    kept = [e for e in container.get("env", []) if e["name"] not in own]
    container["env"] = kept + _env(account, settings)
    return doc


def overlay(
    knative: Path, accounts: Sequence[AccountConfig], settings: Settings, *, base: str = ".."
) -> dict[str, str]:
    """The overlay's files by name: the accounts' Services, the subscriptions, the kustomization.

    `base` is knative/ relative to the overlay's folder. When the accounts trade strategies the base scan
    does not run, the scan Service gets them all (`day_scan`), by a JSON patch of its environment.
    """
    docs = [d for d in yaml.safe_load_all((knative / "services.yaml").read_text(encoding="utf-8")) if d]
    bases = {d["metadata"]["name"].removeprefix("alphamoe-"): d for d in docs if d.get("kind") == "Service"}
    services = [account_service(bases[f], a, settings) for a in accounts for f in PER_ACCOUNT]
    table = yaml.safe_load((knative / "subscriptions.yaml").read_text(encoding="utf-8"))
    functions = {k: v for k, v in table["functions"].items() if k not in PER_ACCOUNT}
    for account in accounts:
        for function in PER_ACCOUNT:
            name = service_name(function, account)
            functions[name.removeprefix("alphamoe-")] = {
                "url": f"http://{name}.alphamoe.svc.cluster.local",
                "subscribes": list(table["functions"][function]["subscribes"]),
            }
    patches = [_patch(f"alphamoe-{f}", {**_kind(f"alphamoe-{f}"), "$patch": "delete"}) for f in PER_ACCOUNT]
    scan = day_scan(settings, accounts)
    if scan.scan != settings.scan:  # the one scan runs every strategy an account trades
        path = "/spec/template/spec/containers/0/env/-"
        add = [{"op": "add", "path": path, "value": {"name": k, "value": v}} for k, v in _scan_env(scan).items()]
        patches.append(_patch("alphamoe-scan", add))
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [base, "accounts.yaml"],
        "patches": patches,
        "configMapGenerator": [
            {"name": "alphamoe-subscriptions", "behavior": "replace", "files": ["subscriptions.yaml"]}
        ],
    }
    head = (
        "# Generated by `python -m alphamoe.accounts.manifests` from ALPHAMOE_ACCOUNTS; regenerate, do not edit.\n"
        f"# Credentials: kubectl -n alphamoe create secret generic {SECRET} --from-literal=<variable>=…\n"
    )
    return {
        "accounts.yaml": head + yaml.safe_dump_all(services, sort_keys=False),
        "subscriptions.yaml": head + yaml.safe_dump({"functions": functions}, sort_keys=False),
        "kustomization.yaml": head + yaml.safe_dump(kustomization, sort_keys=False),
    }


def load_for_manifests(raw: str) -> list[AccountConfig]:
    """Parse and check ALPHAMOE_ACCOUNTS as at start, but for the secrets: they live in the cluster's Secret."""
    from alphamoe.strategy.registry import STRATEGIES

    accounts = parse_accounts(raw)
    check_accounts(accounts, {var: "in the cluster" for a in accounts for var in a.secrets.values()}, set(STRATEGIES))
    return accounts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m alphamoe.accounts.manifests", description=__doc__.splitlines()[0])
    parser.add_argument("--knative", type=Path, default=Path("knative"), help="the base manifests folder")
    parser.add_argument(
        "--out", type=Path, default=Path("knative-accounts"), help="the overlay folder (outside knative/: kustomize)"
    )
    args = parser.parse_args(argv)
    raw = os.environ.get("ALPHAMOE_ACCOUNTS")
    if not raw:
        raise SystemExit("set ALPHAMOE_ACCOUNTS (a JSON list or a TOML file of [[accounts]])")
    settings = Settings()
    base = os.path.relpath(args.knative.resolve(), args.out.resolve())
    files = overlay(args.knative, load_for_manifests(raw), settings, base=base)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"written {', '.join(str(args.out / n) for n in files)}")


if __name__ == "__main__":
    main()
