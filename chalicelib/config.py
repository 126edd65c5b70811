"""Stage configuration: one validated object per stage.

Behaviour (rules, targets, addresses) lives in `stages/<stage>.json`, reviewed
like code; what only a deployment knows (table prefix, ARNs, public URL)
comes from the environment Chalice sets per stage. Read lazily: Chalice's
test client sets the environment only while a request runs.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .domain.inquiry import CHANNELS
from .domain.priority import Rule, keyword_list
from .domain.ticket import EVENT_TYPES, PRIORITIES, Rules
from .domain.webhooks import DEFAULT_TIMEOUT_SECONDS, Endpoint, url_problem
from .log import logger

if TYPE_CHECKING:
    from .domain.sla import Policy

STAGES_DIR = Path(__file__).parent / "stages"
RATE_LIMITS_SWITCH = "CARELINE_RATE_LIMITS"
SCHEMAS_DIR = Path(__file__).parent / "schemas"


class ConfigError(Exception):
    """The stage's configuration is unusable; the message says where."""


@dataclass(frozen=True)
class Limit:
    requests: int
    window_minutes: int


@dataclass(frozen=True)
class Commerce:
    """The shop's store, read for the orders beside a ticket (adapters/commerce.py)."""

    platform: str  # shopify | woocommerce
    url: str
    timeout_seconds: float = 2.5
    api_version: str | None = None


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
    sla: Policy
    close_after_hours: int
    follow_up_after_hours: int
    feedback_token_days: int
    priority_rules: tuple[Rule, ...]
    vip_customers: tuple[str, ...]
    table_prefix: str
    scheduler_group: str
    scheduler_target_arn: str
    scheduler_role_arn: str
    public_url: str
    scheduler_dead_letter_arn: str | None = None
    cognito_issuer: str | None = None
    cognito_client_id: str | None = None
    secret_arn: str | None = None
    event_bus: str = "default"
    admin_url: str = ""
    rate_limits: bool = True
    cors_loopback: bool = (
        False  # any loopback origin may call the public API (local stage: a storefront in development)
    )
    mail_configuration_set: str | None = None  # SES's: bounces and complaints reach on_mail_event
    locale: str = "en-GB"  # the shop's language: its operators' notices, and customers whose own is not offered
    tone: str = "formal"  # how customers are greeted where a language distinguishes (German: Frau Schmidt / Jürgen)
    webhooks: tuple[Endpoint, ...] = ()  # every outgoing event is POSTed to these, signed (docs/events.md)
    attachments_bucket: str = ""  # customers' and operators' files, under each ticket's id
    origin_secret: str | None = None  # CloudFront's header on each request it forwards (api/http.py source_ip)
    # The stream consumer's on-failure queue, which the reconcile job reads (services/recovery.py)
    change_failures_arn: str | None = None
    commerce: Commerce | None = None  # no store: the ticket shows no orders
    # The stage's third-party credentials (a JSON object, a part per integration); None in stage local
    integrations_secret_arn: str | None = None
    audit_retention_days: int = 400
    pending_reminder_hours: int = 72  # a ticket waiting on the customer reminds them once after this long
    pending_resolve_hours: int = 168  # ... and is resolved after this long
    status_token_days: int = 30  # how long the status page link in an email works
    shop_url: str | None = None  # the shop itself: pages link back to it

    @property
    def ticket_rules(self) -> Rules:
        """The policy as a ticket's transitions need it."""
        return Rules(
            sla=self.sla,
            follow_up_after=timedelta(hours=self.follow_up_after_hours),
            close_after=timedelta(hours=self.close_after_hours),
            team_lead=self.team_lead_address,
            pending_reminder_after=timedelta(hours=self.pending_reminder_hours),
            pending_resolve_after=timedelta(hours=self.pending_resolve_hours),
        )

    @property
    def own_addresses(self) -> tuple[str, ...]:
        """Every address Careline sends from or answers at: mail from them never opens a ticket."""
        return tuple(sorted({self.sender.lower(), self.support_address.lower(), self.team_lead_address.lower()}))


def load_stage_document(stage: str) -> dict[str, Any]:
    path = STAGES_DIR / f"{stage}.json"
    if not path.is_file():
        raise ConfigError(f"no settings for stage {stage!r} ({path.name} is missing)")
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def settings_from(stage: str, document: dict[str, Any], env: Mapping[str, str], *, validate: bool = True) -> Settings:
    if validate:
        _validate(document)
    policy = _policy(document["sla"])
    categories = tuple(document["categories"])
    rules = tuple(_rule(raw, categories) for raw in document["priority_rules"])

    def need(name: str, local_default: str) -> str:
        value = env.get(name)
        if value:
            return value
        if stage == "local":
            return local_default
        raise ConfigError(f"{name} must be set for stage {stage!r}")

    public_url = need("CARELINE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    lifecycle = document.get("lifecycle", {})
    reminder, resolve = lifecycle.get("pending_reminder_hours", 72), lifecycle.get("pending_resolve_hours", 168)
    if reminder >= resolve:
        raise ConfigError("lifecycle/pending_reminder_hours: must be less than pending_resolve_hours")
    shop_url = document.get("shop_url")
    return Settings(
        stage=stage,
        brand=document["brand"],
        sender=document["sender"],
        support_address=document["support_address"],
        team_lead_address=document["team_lead_address"],
        timezone=document["timezone"],
        locale=document.get("locale", "en-GB"),
        tone=document.get("tone", "formal"),
        cors_origins=tuple(document["cors_origins"]),
        thank_you_url=document.get("thank_you_url"),
        categories=categories,
        per_email=Limit(**document["limits"]["per_email"]),
        per_sender=Limit(**document["limits"]["per_sender"]),
        idempotency_hours=document["idempotency_hours"],
        sla=policy,
        close_after_hours=lifecycle.get("close_after_hours", 72),
        follow_up_after_hours=lifecycle.get("follow_up_after_hours", 48),
        feedback_token_days=lifecycle.get("feedback_token_days", 30),
        pending_reminder_hours=reminder,
        pending_resolve_hours=resolve,
        status_token_days=lifecycle.get("status_token_days", 30),
        # A path is the local API's own (its example shop), following PORT.
        shop_url=public_url + shop_url if shop_url and shop_url.startswith("/") else shop_url,
        priority_rules=rules,
        vip_customers=tuple(v.lower() for v in document.get("vip_customers", ())),
        table_prefix=env.get("CARELINE_TABLE_PREFIX") or f"careline-{stage}-",
        scheduler_group=env.get("CARELINE_SCHEDULER_GROUP") or f"careline-{stage}",
        scheduler_target_arn=need(
            "CARELINE_SCHEDULER_TARGET_ARN", "arn:aws:lambda:us-east-1:123456789012:function:careline-local-on_schedule"
        ),
        scheduler_role_arn=need(
            "CARELINE_SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/careline-local-scheduler"
        ),
        public_url=public_url,
        scheduler_dead_letter_arn=env.get("CARELINE_SCHEDULER_DLQ_ARN"),
        cognito_issuer=env.get("CARELINE_COGNITO_ISSUER"),
        cognito_client_id=env.get("CARELINE_COGNITO_CLIENT_ID"),
        secret_arn=None if stage == "local" else need("CARELINE_SECRET_ARN", ""),
        mail_configuration_set=env.get("CARELINE_MAIL_CONFIGURATION_SET") or None,
        event_bus=env.get("CARELINE_EVENT_BUS") or f"careline-{stage}",
        admin_url=env.get("CARELINE_ADMIN_URL") or f"{public_url}/admin/index.html",
        rate_limits=rate_limits_enabled(stage, env),
        cors_loopback=bool(document.get("cors_loopback", False)),
        webhooks=_webhooks(stage, document.get("webhooks", ()), public_url),
        attachments_bucket=need("CARELINE_ATTACHMENTS_BUCKET", "careline-local-attachments-local"),
        origin_secret=env.get("CARELINE_ORIGIN_SECRET") or None,
        change_failures_arn=env.get("CARELINE_CHANGE_FAILURES_ARN")
        or (f"arn:aws:sqs:us-east-1:123456789012:careline-{stage}-on_change-failures" if stage == "local" else None),
        commerce=_commerce(stage, document.get("commerce"), public_url),
        integrations_secret_arn=env.get("CARELINE_INTEGRATIONS_SECRET_ARN") or None,
        audit_retention_days=document.get("audit_retention_days", 400),
    )


def rate_limits_enabled(stage: str, env: Mapping[str, str]) -> bool:
    """The `CARELINE_RATE_LIMITS` switch (contract, section 1): `off` turns the
    per-sender and per-address intake limits off so a load test from one machine
    is possible. Honoured in the local stage only; anywhere else it is ignored
    with a warning, so a stray variable can never open a deployed stage to floods."""
    value = (env.get(RATE_LIMITS_SWITCH) or "").strip().lower()
    if value in ("", "on"):
        return True
    if value == "off" and stage == "local":
        return False
    logger(__name__).warning(
        "%s=%s ignored: only 'off' in stage local turns the rate limits off (stage %s)",
        RATE_LIMITS_SWITCH,
        env.get(RATE_LIMITS_SWITCH),
        stage,
    )
    return True


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The running stage's settings. The stage documents ship with the code
    and are validated against their schema by the tests, so a cold start
    does not validate them again; the rules that need code still run here."""
    env = os.environ if env is None else env
    stage = env.get("CARELINE_STAGE")
    if not stage:
        raise ConfigError("CARELINE_STAGE is not set")
    return settings_from(stage, load_stage_document(stage), env, validate=False)


def _validate(document: dict[str, Any]) -> None:
    from .domain.validation import validator

    problems = sorted(validator("stage").iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    if problems:
        raise ConfigError(
            "; ".join(f"{'/'.join(map(str, p.absolute_path)) or '(root)'}: {p.message}" for p in problems)
        )


def _policy(raw: dict[str, Any]) -> Policy:
    from .domain.calendar import BusinessCalendar, calendar_from_config
    from .domain.sla import METRICS, Policy, Target, Warning

    targets = {
        priority: {
            metric: Target(spec[metric]["minutes"], spec[metric].get("clock") == "business") for metric in METRICS
        }
        for priority, spec in raw["targets"].items()
    }
    if "calendar" in raw:
        try:
            calendar = calendar_from_config(raw["calendar"])
        except ValueError as error:
            raise ConfigError(f"sla/calendar: {error}") from None
    elif any(t.business for spec in targets.values() for t in spec.values()):
        raise ConfigError("sla/calendar: business-time targets need a calendar")
    else:
        calendar = BusinessCalendar.always()
    # Customer-care practice: a reply within 24 hours for normal requests, never
    # slower for a more urgent one (compared where both count the same time).
    normal = targets["normal"]["first_response"]
    if not normal.business and normal.minutes > 24 * 60:
        raise ConfigError("sla/targets/normal/first_response: must be at most 1440 minutes (24 hours)")
    for slower, faster in itertools.pairwise(PRIORITIES):
        for metric in METRICS:
            a, b = targets[slower][metric], targets[faster][metric]
            if a.business == b.business and b.minutes > a.minutes:
                raise ConfigError(f"sla/targets/{faster}/{metric}: must not be longer than for {slower}")
    escalation = raw.get("escalation", {})
    warning = Warning(percent=raw["warning"].get("percent"), minutes_before=raw["warning"].get("minutes_before"))
    return Policy(
        calendar=calendar,
        targets=targets,
        warning=warning,
        escalation_raise_priority=bool(escalation.get("raise_priority")),
        escalation_reassign_to=escalation.get("reassign_to"),
    )


def _webhooks(stage: str, raws: list[dict[str, Any]], public_url: str) -> tuple[Endpoint, ...]:
    names = [raw["name"] for raw in raws]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"webhooks: the name {repeated[0]!r} is used twice")
    return tuple(_webhook(stage, raw, public_url) for raw in raws)


def _webhook(stage: str, raw: dict[str, Any], public_url: str) -> Endpoint:
    """A webhook as the stage names it, held to the rules the schema cannot
    say: https to a public host (domain/webhooks.py url_problem). The local
    stage alone may name its own API (a path) or another loopback address:
    its endpoints carry that allowance to the delivery, no other stage's do."""
    where = f"webhooks/{raw['name']}"
    url, local = raw["url"], stage == "local"
    if url.startswith("/"):  # the local API itself: follows PORT
        if not local:
            raise ConfigError(f"{where}/url: must be an https:// URL")
        url = public_url + url
    problem = url_problem(url, loopback=local)
    if problem:
        raise ConfigError(f"{where}/url: {problem}")
    unknown = [e for e in raw.get("events", ()) if e not in EVENT_TYPES]
    if unknown:
        raise ConfigError(f"{where}/events: {unknown[0]!r} is not an event type ({', '.join(EVENT_TYPES)})")
    prefix = f"careline/{stage}/webhooks/"  # what the delivering function may read (infra/build.py)
    if stage != "local" and not raw["secret"].startswith(prefix):
        raise ConfigError(f"{where}/secret: must name a Secrets Manager secret under {prefix}")
    return Endpoint(
        raw["name"],
        url,
        raw["secret"],
        tuple(raw.get("events", ())),
        float(raw.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)),
        loopback=local,
    )


def _commerce(stage: str, raw: dict[str, Any] | None, public_url: str) -> Commerce | None:
    if raw is None:
        return None
    url = raw["url"]
    if url.startswith("/"):  # the local store the local API serves: follows PORT
        if stage != "local":
            raise ConfigError("commerce/url: must be an https:// URL")
        url = public_url + url
    elif not url.startswith("https://") and stage != "local":
        raise ConfigError("commerce/url: must be an https:// URL (the credentials travel with every call)")
    return Commerce(raw["platform"], url.rstrip("/"), float(raw.get("timeout_seconds", 2.5)), raw.get("api_version"))


def _rule(raw: dict[str, Any], categories: tuple[str, ...]) -> Rule:
    when = raw["when"]
    unknown = [c for c in when.get("category", ()) if c not in categories]
    if unknown:
        raise ConfigError(f"priority_rules: category {unknown[0]!r} is not a configured category")
    bad_channels = [c for c in when.get("channel", ()) if c not in CHANNELS]
    if bad_channels:
        raise ConfigError(f"priority_rules: channel {bad_channels[0]!r} is not a channel")
    return Rule(
        priority=raw["priority"],
        keywords=keyword_list(when.get("keywords", ())),
        categories=tuple(when.get("category", ())),
        channels=tuple(when.get("channel", ())),
        callback=bool(when.get("callback")),
        vip=bool(when.get("vip")),
    )
