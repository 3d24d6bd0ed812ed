"""deploy/k8s: the Kustomize base renders, and every object agrees with Tender itself."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.artifacts import (
    cli_command_exists,
    kubectl_kustomize,
    readme_settings,
    render_kustomization,
    setting_names,
    unknown_names,
    unserved,
)

SEED_SECRETS = {"STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                "SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY",
                "SUPABASE_JWT_SECRET", "DATABASE_URL"}  # fmt: skip
Objects = dict[tuple[str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def objects() -> Objects:
    docs = render_kustomization()
    rendered = kubectl_kustomize()
    if rendered is not None:  # kubectl's own render lists the same objects
        assert {(d["kind"], d["metadata"]["name"]) for d in rendered} == {
            (d["kind"], d["metadata"]["name"]) for d in docs
        }
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def pod(objects: Objects, kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = objects[(kind, name)]["spec"]["template"]["spec"]
    return spec


def containers(objects: Objects) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(owner, pod spec, container) for every container of every workload."""
    found = []
    for (kind, name), obj in objects.items():
        if kind in {"Deployment", "Job"}:
            spec = obj["spec"]["template"]["spec"]
            found += [(f"{kind}/{name}", spec, c) for c in spec["containers"]]
    return found


def data_keys(obj: dict[str, Any]) -> set[str]:
    return set(obj.get("data", {})) | set(obj.get("stringData", {}))


def test_the_base_holds_the_workloads(objects: Objects) -> None:
    assert set(objects) >= {
        ("Deployment", "tender-api"), ("Deployment", "tender-worker"), ("Job", "tender-migrate"),
        ("Service", "tender-api"), ("PodDisruptionBudget", "tender-api"),
        ("ConfigMap", "tender-config"), ("Secret", "tender-secrets"),
    }  # fmt: skip


def test_every_variable_is_a_setting(objects: Objects) -> None:
    names: set[str] = set()
    for (kind, _), obj in objects.items():
        if kind in {"ConfigMap", "Secret"}:
            names |= data_keys(obj)
    for owner, _, container in containers(objects):
        names |= {e["name"] for e in container.get("env", [])}
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef") or source.get("secretRef")
            kind = "ConfigMap" if "configMapRef" in source else "Secret"
            assert (kind, ref["name"]) in objects, f"{owner}: {kind} {ref['name']} missing"
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in data_keys(objects[("Secret", ref["name"])]), owner
    assert not unknown_names(names), "not a Settings field"
    tender = names & setting_names()
    assert tender <= readme_settings(), f"not in the README: {tender - readme_settings()}"


def test_secrets_use_the_seed_names(objects: Objects) -> None:
    secret_keys: set[str] = set()
    for (kind, _), obj in objects.items():
        if kind == "Secret":
            secret_keys |= data_keys(obj)
    assert secret_keys >= SEED_SECRETS
    assert "DATABASE_MIGRATION_URL" in secret_keys
    config = objects[("ConfigMap", "tender-config")]
    assert not data_keys(config) & SEED_SECRETS, "secrets belong in a Secret"


def test_api_probes_resources_and_hardening(objects: Objects) -> None:
    spec = pod(objects, "Deployment", "tender-api")
    assert spec["securityContext"]["runAsNonRoot"] is True
    (api,) = spec["containers"]
    assert api["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p["name"] for p in api["ports"]}
    paths = set()
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if probe in api:
            paths.add(api[probe]["httpGet"]["path"])
            assert api[probe]["httpGet"]["port"] in ports
    assert not unserved(paths)
    assert {"cpu", "memory"} <= set(api["resources"]["requests"])
    assert "memory" in api["resources"]["limits"]


def test_every_container_is_hardened_and_writes_only_to_empty_dirs(objects: Objects) -> None:
    config = objects[("ConfigMap", "tender-config")]["data"]
    for owner, spec, container in containers(objects):
        assert spec["securityContext"]["runAsNonRoot"] is True, owner
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, owner
        assert security["allowPrivilegeEscalation"] is False, owner
        assert security["capabilities"]["drop"] == ["ALL"], owner
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        mounted = {m["mountPath"] for m in container.get("volumeMounts", [])}
        for mount in container.get("volumeMounts", []):
            assert "emptyDir" in volumes[mount["name"]], owner
        assert "/tmp" in mounted, owner
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        if "PROMETHEUS_MULTIPROC_DIR" in env:
            assert env["PROMETHEUS_MULTIPROC_DIR"] in mounted, owner
        if owner.startswith("Deployment"):
            assert config["DATA_DIR"] in mounted, owner


def test_every_command_exists_in_the_cli(objects: Objects) -> None:
    for owner, _, container in containers(objects):
        assert "command" not in container, f"{owner}: the image's ENTRYPOINT is `tender`"
        assert cli_command_exists(container["args"]), f"{owner}: tender {container['args']}"
    job = objects[("Job", "tender-migrate")]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_service_and_disruption_budget_select_the_api_only(objects: Objects) -> None:
    api_labels = objects[("Deployment", "tender-api")]["spec"]["template"]["metadata"]["labels"]
    worker_labels = objects[("Deployment", "tender-worker")]["spec"]["template"]["metadata"][
        "labels"
    ]
    for kind in ("Service", "PodDisruptionBudget"):
        spec = objects[(kind, "tender-api")]["spec"]
        selector = spec["selector"].get("matchLabels", spec["selector"])
        assert selector.items() <= api_labels.items(), kind
        assert not selector.items() <= worker_labels.items(), kind
    (port,) = objects[("Service", "tender-api")]["spec"]["ports"]
    (api,) = pod(objects, "Deployment", "tender-api")["containers"]
    assert port["targetPort"] in {p["name"] for p in api["ports"]}
    assert (
        objects[("PodDisruptionBudget", "tender-api")]["spec"]["minAvailable"]
        < (objects[("Deployment", "tender-api")]["spec"]["replicas"])
    )


def test_a_renamed_setting_is_caught() -> None:
    """What the checks above rely on: a name Settings no longer has is reported."""
    renamed = setting_names() - {"STRIPE_SECRET_KEY"}
    assert unknown_names({"STRIPE_SECRET_KEY", "DATABASE_URL"}, renamed) == {"STRIPE_SECRET_KEY"}
    assert unknown_names({"POSTGRES_PASSWORD", "GF_SECURITY_ADMIN_PASSWORD"}, renamed) == set()
