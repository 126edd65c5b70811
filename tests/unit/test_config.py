"""Every stage's settings validate; a broken one fails loudly, naming the place."""

import copy

import pytest

from chalicelib.config import ConfigError, load_stage_document, settings_from

AWS_ENV = {
    "CARELINE_SCHEDULER_TARGET_ARN": "arn:t",
    "CARELINE_SCHEDULER_ROLE_ARN": "arn:r",
    "CARELINE_PUBLIC_URL": "https://api.example",
    "CARELINE_ATTACHMENTS_BUCKET": "careline-test-attachments-1",
    "CARELINE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:careline/test/signing-secret-AbCdEf",
}


@pytest.mark.parametrize("stage", ["local", "dev", "staging", "prod"])
def test_every_stage_is_valid(stage):
    settings = settings_from(stage, load_stage_document(stage), AWS_ENV)
    assert settings.sla.target("normal", "first_response").minutes <= 24 * 60
    assert settings.table_prefix == f"careline-{stage}-"
    switched = settings_from(stage, load_stage_document(stage), AWS_ENV | {"CARELINE_RATE_LIMITS": "off"})
    assert switched.rate_limits is (stage != "local")  # load tests may switch them off locally, nowhere else


def broken(change):
    document = copy.deepcopy(load_stage_document("prod"))
    change(document)
    with pytest.raises(ConfigError) as raised:
        settings_from("prod", document, AWS_ENV)
    return str(raised.value)


def test_normal_first_response_may_not_exceed_24_hours():
    def slow(d):
        d["sla"]["targets"]["normal"]["first_response"]["minutes"] = 1500
        d["sla"]["targets"]["low"]["first_response"]["minutes"] = 1500

    assert "normal/first_response" in broken(slow)


def test_urgent_may_not_be_slower_than_high():
    assert "urgent/first_response" in broken(
        lambda d: d["sla"]["targets"]["urgent"]["first_response"].update(minutes=300)
    )


def test_schema_errors_name_the_path():
    assert "timezone" in broken(lambda d: d.update(timezone="Mars/Olympus"))
    assert "sender" in broken(lambda d: d.update(sender="nobody"))
    assert "limits/per_email/requests" in broken(lambda d: d["limits"]["per_email"].update(requests=0))
    # A pattern's $ ends the string (ECMA-262), not before a final line break (Python's re).
    assert broken(lambda d: d.update(locale="de-DE\n")).startswith("locale: 'de-DE\\n' does not match")


def test_rules_may_only_name_configured_categories():
    assert "'vip-lounge'" in broken(
        lambda d: d["priority_rules"].append({"when": {"category": ["vip-lounge"]}, "priority": "high"})
    )


def test_business_targets_need_a_calendar():
    def drop_calendar(d):
        del d["sla"]["calendar"]

    assert "business-time targets need a calendar" in broken(drop_calendar)


def test_bad_business_hours_are_named():
    assert "sla/calendar/hours" in broken(lambda d: d["sla"]["calendar"]["hours"].update(mon=["9-5"]))


def test_aws_stages_need_their_deployment_values():
    for missing in ("CARELINE_PUBLIC_URL", "CARELINE_SCHEDULER_TARGET_ARN"):
        with pytest.raises(ConfigError, match=f"{missing} must be set for stage 'prod'"):
            settings_from("prod", load_stage_document("prod"), {k: v for k, v in AWS_ENV.items() if k != missing})


def test_unknown_stage_is_named():
    with pytest.raises(ConfigError, match="'qa'"):
        load_stage_document("qa")
