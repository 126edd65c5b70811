"""What a stage costs while no one uses it, priced from the template
CloudFormation executes at list prices (infra/costs.py): a shop on every
other free tier should not pay more than this for a waiting stage."""

import re

import pytest

from infra import build, costs
from tests.integration import packaging

BUDGET = {"dev": 1.00, "staging": 1.00, "prod": 3.00}  # dollars a month, idle


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_an_idle_stage_costs_no_more_than_its_budget(stage):
    lines = costs.idle_costs(packaging.expanded(stage))
    assert costs.total(lines) <= BUDGET[stage], "\n".join(f"{line.dollars:.2f} {line.what}" for line in lines)


def test_scheduled_jobs_are_not_traced_on_every_run():
    for stage in build.AWS_STAGES:
        lines = costs.idle_costs(packaging.expanded(stage))
        assert not [line.what for line in lines if "a trace each" in line.how], stage


def test_the_pricing_knows_every_resource_type_a_stage_has():
    for stage in build.AWS_STAGES:
        costs.idle_costs(packaging.expanded(stage))  # raises on a type neither priced nor free when idle


def test_the_operations_page_shows_the_price_table_and_its_date():
    text = (build.ROOT / "docs" / "operations.md").read_text()
    assert f"list prices, us-east-1, {costs.PRICES_DATE}" in text
    rows = dict(re.findall(r"^\| `(\w+)` \| \$([\d.]+) ", text, re.MULTILINE))
    assert {name: float(dollars) for name, dollars in rows.items()} == {
        name: dollars for name, (dollars, _, _) in costs.PRICES.items()
    }


def test_connecting_the_shops_store_costs_one_secret_and_prod_stays_in_budget(monkeypatch):
    from infra.stack import identity, naming

    plain = naming.stage_document
    monkeypatch.setattr(
        naming,
        "stage_document",
        lambda stage: plain(stage) | {"commerce": {"platform": "shopify", "url": "https://s.example"}},
    )
    template = packaging.expanded("prod")
    template["Resources"] |= identity.integrations_secret("prod")
    before = costs.total(costs.idle_costs(packaging.expanded("prod")))
    after = costs.total(costs.idle_costs(template))
    assert round(after - before, 2) == costs.price("secret") and after <= BUDGET["prod"]
