"""The deploy files parse and agree with the code: commands, ports, probes, settings."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ledger.cli import parser
from ledger.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
KNOWN_ENV = set(re.findall(r'"(LEDGER_[A-Z_]+)"', (DEPLOY.parent / "ledger" / "config.py").read_text()))
EXTERNAL_ENV = {"PROMETHEUS_MULTIPROC_DIR"}


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _commands() -> set[str]:
    sub = next(a for a in parser()._actions if a.dest == "command")
    return set(sub.choices)


def test_dockerfile_is_multi_stage_non_root_pinned_with_a_healthcheck():
    text = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) == 2
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.M).group(1)
    assert re.match(r"python:3\.11\.\d+-slim", base), "the base image is pinned to a patch release"
    assert re.search(r"^USER 10001", text, re.M)
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert re.search(r'^ENTRYPOINT \["crisis-ledger"\]', text, re.M) and re.search(r'^CMD \["serve"\]', text, re.M)
    assert "requirements.lock" in text
    lock = (DEPLOY / "requirements.lock").read_text().splitlines()
    pins = [line for line in lock if line and not line.startswith("#")]
    assert pins and all(re.match(r"^[A-Za-z0-9_.-]+==[\w.+-]+$", p) for p in pins)
    for dep in ("litestar", "msgspec", "asyncpg", "structlog", "granian", "prometheus_client", "standardwebhooks"):
        assert any(p.lower().startswith(dep.lower() + "==") for p in pins), dep
    for env in re.findall(r"\b(LEDGER_[A-Z_]+)=", text):
        assert env in KNOWN_ENV, env


def test_compose_has_postgres_with_a_volume_a_one_shot_migration_and_a_healthy_api():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    pg = services["postgres"]
    assert re.match(r"postgres:1[6-9]", pg["image"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in pg["volumes"]) and "pgdata" in compose["volumes"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    migrate, api = services["migrate"], services["api"]
    assert migrate["command"] == ["migrate"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["command"][0] == "serve" and "--workers" in api["command"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert any(str(p).endswith(":8000") for p in api["ports"])
    for command in (migrate["command"][0], api["command"][0]):
        assert command in _commands()
    for service in (migrate, api):
        for env in service["environment"]:
            assert env in KNOWN_ENV, env


def test_kubernetes_manifests_reference_the_right_commands_ports_and_probes():
    docs = {
        (d["kind"], d.get("metadata", {}).get("name")): d
        for f in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
        for d in _docs(f)
    }
    kinds = {k for k, _ in docs}
    assert kinds >= {"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "Job", "Kustomization"}
    kustomized = set(docs[("Kustomization", None)]["resources"]) if ("Kustomization", None) in docs else set()
    assert kustomized == {f.name for f in (DEPLOY / "kubernetes").glob("*.yaml")} - {"kustomization.yaml"}

    deployment = docs[("Deployment", "crisis-ledger")]
    pod = deployment["spec"]["template"]["spec"]
    (api,) = pod["containers"]
    assert api["args"] == ["serve"] and api["args"][0] in _commands()
    port = api["ports"][0]["containerPort"]
    config = docs[("ConfigMap", "crisis-ledger")]["data"]
    assert int(config["LEDGER_PORT"]) == port == Settings().port
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["securityContext"]["readOnlyRootFilesystem"] is True and pod["securityContext"]["runAsNonRoot"]
    assert deployment["spec"]["replicas"] >= 2
    for env in config:
        assert env in KNOWN_ENV | EXTERNAL_ENV, env
    secret_keys = set(docs[("Secret", "crisis-ledger")]["stringData"])
    assert {e["valueFrom"]["secretKeyRef"]["key"] for e in api["env"]} <= secret_keys

    service = docs[("Service", "crisis-ledger")]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == api["ports"][0]["name"]
    pdb = docs[("PodDisruptionBudget", "crisis-ledger")]
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]

    job = docs[("Job", "crisis-ledger-migrate")]
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == ["migrate"] and migrate["image"] == api["image"]
