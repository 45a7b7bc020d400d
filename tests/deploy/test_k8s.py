"""k8s/: the plain Kubernetes variant (Deployment, Service, PodDisruptionBudget per role, and the
Secrets they mount) agrees with what the process reads and serves, and with the image."""

import re
from typing import Any

import pytest

from adapter.settings import KafkaSettings, NavSettings
from adapter.shutdown import STOP_MARGIN_SECONDS
from tests.deploy.manifests import (
    ROLE_SETTINGS,
    ROLES,
    ROOT,
    Manifest,
    drain_timeout,
    load,
    of_kind,
    read_names,
    served_paths,
    set_environment,
)


def _role(role: str) -> dict[str, Manifest]:
    docs = load(ROOT / "k8s" / f"{role}.yaml")
    kinds = {doc["kind"]: doc for doc in docs}
    assert set(kinds) == {"Deployment", "Service", "PodDisruptionBudget"} and len(docs) == 3
    return kinds


def _container(deployment: Manifest) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def _secret_keys() -> dict[str, set[str]]:
    return {
        s["metadata"]["name"]: set(s["stringData"])
        for s in of_kind(load(ROOT / "k8s" / "secrets.yaml"), "Secret")
    }


def _image_user() -> int:
    (user,) = re.findall(r"^USER (\d+)(?::\d+)?$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    return int(user)


def _settings(monkeypatch: pytest.MonkeyPatch, role: str) -> tuple[KafkaSettings, NavSettings, Any]:
    container = _container(_role(role)["Deployment"])
    values = {e["name"]: str(e.get("value", "pod-name-from-the-downward-api")) for e in container["env"]}
    set_environment(monkeypatch, values)
    return KafkaSettings(), NavSettings(), ROLE_SETTINGS[role]()


@pytest.mark.parametrize("role", ROLES)
def test_the_container_runs_the_role_with_settings_the_process_reads(
    role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = _container(_role(role)["Deployment"])
    assert container["args"] == [role], "the image's ENTRYPOINT is nav-adapter"
    names = {e["name"] for e in container["env"]}
    assert names <= read_names(role), f"not read by nav-adapter {role}: {sorted(names - read_names(role))}"
    kafka, nav, _ = _settings(monkeypatch, role)
    assert kafka.protocol() == "SSL" and kafka.certificate_path is not None, "mutual TLS"
    assert kafka.group_instance_id, "static membership from the pod's name"
    assert nav.maskinporten_private_key_file is not None and nav.nav_subscription_key_file is not None


@pytest.mark.parametrize("role", ROLES)
def test_every_file_named_is_a_key_of_a_mounted_secret(role: str) -> None:
    deployment = _role(role)["Deployment"]
    container = _container(deployment)
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    secrets = _secret_keys()
    mounted = {m["mountPath"].rstrip("/"): volumes[m["name"]] for m in container["volumeMounts"]}
    for item in container["env"]:
        if item["name"].endswith(("_FILE", "_PATH")):
            directory, _, key = item["value"].rpartition("/")
            secret = mounted[directory]["secret"]["secretName"]
            assert key in secrets[secret], f"{item['name']}: no key {key} in Secret {secret}"


@pytest.mark.parametrize("role", ROLES)
def test_probes_service_and_budget_match_what_the_process_serves(
    role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = _role(role)
    deployment = manifests["Deployment"]
    container = _container(deployment)
    _, _, settings = _settings(monkeypatch, role)
    (port,) = container["ports"]
    assert port["containerPort"] == settings.http_port
    for probe, path in (("livenessProbe", "/isalive"), ("readinessProbe", "/isready")):
        assert container[probe]["httpGet"] == {"path": path, "port": settings.http_port}
        assert path in served_paths()
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] in served_paths()
    assert int(annotations["prometheus.io/port"]) == settings.http_port
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert manifests["Service"]["spec"]["selector"].items() <= labels.items()
    assert manifests["Service"]["spec"]["ports"][0]["targetPort"] == port["name"]
    budget = manifests["PodDisruptionBudget"]["spec"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    assert deployment["spec"]["replicas"] > budget["maxUnavailable"]


@pytest.mark.parametrize("role", ROLES)
def test_the_pod_runs_as_the_images_user_and_outlasts_the_drain(
    role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = _role(role)["Deployment"]["spec"]["template"]["spec"]
    _, _, settings = _settings(monkeypatch, role)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == _image_user()
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["terminationGracePeriodSeconds"] > drain_timeout(settings) + STOP_MARGIN_SECONDS


def test_the_secret_layout_holds_no_credential() -> None:
    for secret in of_kind(load(ROOT / "k8s" / "secrets.yaml"), "Secret"):
        assert all(value == "" for value in secret["stringData"].values()), secret["metadata"]["name"]
    assert {"ca.crt", "client.crt", "client.key"} <= _secret_keys()["nav-adapter-kafka"]
    assert _secret_keys()["nav-adapter-kafka-sasl"] == {"password"}
