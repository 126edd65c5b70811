"""Stage configuration: one validated object per stage.

Behaviour (rules, targets, addresses) lives in `stages/<stage>.json`, reviewed
like code; what only a deployment knows (table prefix, ARNs, public URL)
comes from the environment Chalice sets per stage. Read lazily: Chalice's
test client sets the environment only while a request runs.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

PRIORITIES = ("low", "normal", "high", "urgent")  # ascending urgency
CHANNELS = ("web", "email", "chat", "phone", "social")
STAGES_DIR = Path(__file__).parent / "stages"
SCHEMAS_DIR = Path(__file__).parent / "schemas"


class ConfigError(Exception):
    """The stage's configuration is unusable; the message says where."""


@dataclass(frozen=True)
class Target:
    minutes: int


@dataclass(frozen=True)
class PriorityTargets:
    first_response: Target
    resolution: Target


@dataclass(frozen=True)
class Limit:
    requests: int
    window_minutes: int


@dataclass(frozen=True)
class Rule:
    priority: str
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    callback: bool = False
    vip: bool = False


@dataclass(frozen=True)
class Settings:
    stage: str
    brand: str
    sender: str
    support_address: str
    team_lead_address: str
    timezone: str
    cors_origins: tuple[str, ...]
    thank_you_url: str | None
    categories: tuple[str, ...]
    per_email: Limit
    per_sender: Limit
    idempotency_hours: int
    warning_percent: int
    targets: Mapping[str, PriorityTargets]
    rules: tuple[Rule, ...]
    vip_customers: tuple[str, ...]
    table_prefix: str
    scheduler_group: str
    scheduler_target_arn: str
    scheduler_role_arn: str
    public_url: str
    dev_routes: bool = field(default=False)


def load_stage_document(stage: str) -> dict:
    path = STAGES_DIR / f"{stage}.json"
    if not path.is_file():
        raise ConfigError(f"no settings for stage {stage!r} ({path.name} is missing)")
    return json.loads(path.read_text())


def settings_from(stage: str, document: dict, env: Mapping[str, str]) -> Settings:
    _validate(document)
    targets = {
        name: PriorityTargets(
            first_response=Target(spec["first_response"]["minutes"]),
            resolution=Target(spec["resolution"]["minutes"]),
        )
        for name, spec in document["sla"]["targets"].items()
    }
    _check_targets(targets)
    categories = tuple(document["categories"])
    rules = tuple(_rule(raw, categories) for raw in document["priority_rules"])

    def need(name: str, local_default: str) -> str:
        value = env.get(name)
        if value:
            return value
        if stage == "local":
            return local_default
        raise ConfigError(f"{name} must be set for stage {stage!r}")

    return Settings(
        stage=stage,
        brand=document["brand"],
        sender=document["sender"],
        support_address=document["support_address"],
        team_lead_address=document["team_lead_address"],
        timezone=document["timezone"],
        cors_origins=tuple(document["cors_origins"]),
        thank_you_url=document.get("thank_you_url"),
        categories=categories,
        per_email=Limit(**document["limits"]["per_email"]),
        per_sender=Limit(**document["limits"]["per_sender"]),
        idempotency_hours=document["idempotency_hours"],
        warning_percent=document["sla"]["warning_percent"],
        targets=targets,
        rules=rules,
        vip_customers=tuple(v.lower() for v in document.get("vip_customers", ())),
        table_prefix=env.get("CARELINE_TABLE_PREFIX") or f"careline-{stage}-",
        scheduler_group=env.get("CARELINE_SCHEDULER_GROUP") or f"careline-{stage}",
        scheduler_target_arn=need(
            "CARELINE_SCHEDULER_TARGET_ARN",
            "arn:aws:lambda:us-east-1:123456789012:function:careline-local-on_schedule"),
        scheduler_role_arn=need(
            "CARELINE_SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/careline-local-scheduler"),
        public_url=need("CARELINE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        dev_routes=stage == "local",
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    stage = env.get("CARELINE_STAGE")
    if not stage:
        raise ConfigError("CARELINE_STAGE is not set")
    return settings_from(stage, load_stage_document(stage), env)


def _validate(document: dict) -> None:
    from jsonschema import Draft202012Validator

    from .domain.formats import format_checker

    schema = json.loads((SCHEMAS_DIR / "stage.schema.json").read_text())
    validator = Draft202012Validator(schema, format_checker=format_checker())
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        raise ConfigError("; ".join(
            f"{'/'.join(map(str, p.absolute_path)) or '(root)'}: {p.message}" for p in problems))


def _check_targets(targets: Mapping[str, PriorityTargets]) -> None:
    # Customer-care practice: a reply within 24 hours for normal requests,
    # never slower for a more urgent one.
    if targets["normal"].first_response.minutes > 24 * 60:
        raise ConfigError("sla/targets/normal/first_response: must be at most 1440 minutes (24 hours)")
    for slower, faster in zip(PRIORITIES, PRIORITIES[1:]):
        for metric in ("first_response", "resolution"):
            if getattr(targets[faster], metric).minutes > getattr(targets[slower], metric).minutes:
                raise ConfigError(
                    f"sla/targets/{faster}/{metric}: must not be longer than for {slower}")
    for name, spec in targets.items():
        if spec.first_response.minutes > spec.resolution.minutes:
            raise ConfigError(f"sla/targets/{name}: first_response must not exceed resolution")


def _rule(raw: dict, categories: tuple[str, ...]) -> Rule:
    when = raw["when"]
    unknown = [c for c in when.get("category", ()) if c not in categories]
    if unknown:
        raise ConfigError(f"priority_rules: category {unknown[0]!r} is not a configured category")
    bad_channels = [c for c in when.get("channel", ()) if c not in CHANNELS]
    if bad_channels:
        raise ConfigError(f"priority_rules: channel {bad_channels[0]!r} is not a channel")
    return Rule(
        priority=raw["priority"],
        keywords=tuple(k.lower() for k in when.get("keywords", ())),
        categories=tuple(when.get("category", ())),
        channels=tuple(when.get("channel", ())),
        callback=bool(when.get("callback")),
        vip=bool(when.get("vip")),
    )
