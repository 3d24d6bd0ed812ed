"""deploy/compose.yaml and the files it mounts: parsed and checked against Tender itself."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.artifacts import (
    DEPLOY,
    INTERPOLATION,
    cli_command_exists,
    readme_settings,
    setting_names,
    unknown_names,
    unserved,
)

COMPOSE = DEPLOY / "compose.yaml"
TENDER_SERVICES = ("migrate", "api-1", "api-2", "worker", "backup")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: str(v) for k, v in env.items()}


def mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of each bind mount (named volumes left out)."""
    found: dict[str, Path] = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            found[target] = (DEPLOY / source).resolve()
    return found


def test_services_and_their_roles(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "api-1", "api-2", "worker",
                             "prometheus", "alertmanager", "grafana"}  # fmt: skip
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate", "upgrade"]
    assert migrate["restart"] == "no"
    for name in ("api-1", "api-2", "worker"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy"
    ports = [services[n]["ports"][0] for n in ("api-1", "api-2")]
    assert len(set(ports)) == 2
    assert all(p.endswith(":" + environment(services["api-1"])["PORT"]) for p in ports)


def test_tender_commands_exist_in_the_cli(compose: dict[str, Any]) -> None:
    for name in TENDER_SERVICES:
        command = compose["services"][name]["command"]
        assert cli_command_exists(command), f"{name}: tender {' '.join(command)} does not exist"


def test_every_variable_is_a_setting_or_the_images_own(compose: dict[str, Any]) -> None:
    used: set[str] = set(INTERPOLATION.findall(COMPOSE.read_text()))
    for service in compose["services"].values():
        used |= set(environment(service))
    example = (DEPLOY / "tender.env.example").read_text()
    used |= set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert not unknown_names(used), "not a Settings field, POSTGRES_* or GF_*"
    tender_env: set[str] = set()
    for name in TENDER_SERVICES:
        tender_env |= set(environment(compose["services"][name]))
    assert tender_env <= setting_names(), tender_env - setting_names()
    assert {"DATABASE_URL", "DATABASE_MIGRATION_URL", "REDIS_URL", "STRIPE_SECRET_KEY",
            "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"} <= tender_env  # fmt: skip
    documented = readme_settings()
    assert tender_env <= documented, f"not in the README: {tender_env - documented}"


def test_the_app_login_is_created_with_the_password_compose_gives_it(
    compose: dict[str, Any],
) -> None:
    postgres = compose["services"]["postgres"]
    script = mounts(postgres)["/docker-entrypoint-initdb.d/10-tender-app-role.sh"]
    text = script.read_text()
    assert "$POSTGRES_APP_PASSWORD" in text
    assert "tender_app LOGIN NOINHERIT" in text
    assert "POSTGRES_APP_PASSWORD" in environment(postgres)
    app_url = environment(compose["services"]["api-1"])["DATABASE_URL"]
    assert app_url.startswith("postgresql://tender_app:${POSTGRES_APP_PASSWORD")
    owner = environment(postgres)["POSTGRES_USER"]
    assert environment(compose["services"]["migrate"])["DATABASE_MIGRATION_URL"].startswith(
        f"postgresql://{owner}:"
    )


def test_prometheus_loads_the_alert_rules_and_scrapes_every_tender_process(
    compose: dict[str, Any],
) -> None:
    prometheus = compose["services"]["prometheus"]
    mounted = mounts(prometheus)
    config_path = next(v for k, v in mounted.items() if k.endswith("prometheus.yml"))
    config = yaml.safe_load(config_path.read_text())
    (rules_at,) = config["rule_files"]
    assert mounted[rules_at] == (DEPLOY / "prometheus" / "alerts.yml").resolve()
    rules = yaml.safe_load(mounted[rules_at].read_text())
    assert sum(len(g["rules"]) for g in rules["groups"]) >= 8  # the seed's eight rules
    (am,) = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert am.split(":")[0] in compose["services"]
    (job,) = config["scrape_configs"]
    assert not unserved([job["metrics_path"]])
    targets = {t.split(":")[0] for t in job["static_configs"][0]["targets"]}
    assert targets == {"api-1", "api-2"}  # `tender worker` serves no HTTP
    alertmanager = compose["services"]["alertmanager"]
    am_config = yaml.safe_load(next(iter(mounts(alertmanager).values())).read_text())
    receivers = {r["name"] for r in am_config["receivers"]}
    assert am_config["route"]["receiver"] in receivers
    assert {r["receiver"] for r in am_config["route"]["routes"]} <= receivers


def test_grafana_is_provisioned_with_the_dashboard(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounted = mounts(grafana)
    provisioning = mounted["/etc/grafana/provisioning"]
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "tender.yml").read_text())[
        "providers"
    ]
    folder = provider["options"]["path"]
    dashboard = mounted[f"{folder}/tender-payments.json"]
    assert dashboard == (DEPLOY / "grafana" / "tender-payments.json").resolve()
    assert json.loads(dashboard.read_text())["uid"] == "tender-payments"
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert source["type"] == "prometheus"
    assert source["url"].split("//")[1].split(":")[0] in compose["services"]


def test_every_bind_mount_exists(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for target, source in mounts(service).items():
            assert source.exists(), f"{name}: {source} (mounted at {target}) does not exist"
