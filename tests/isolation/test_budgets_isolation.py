"""What alpha's budgets app writes, beta can neither list, fetch, nor guess."""

from __future__ import annotations

from tenant_apps.budgets import selectors, services
from tenant_apps.budgets.models import Ballot, BudgetProcess, Project
from tenant_apps.budgets.services import Choice
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import ids, make_process


def test_alpha_budgets_are_invisible_in_beta(alpha: City, beta: City) -> None:
    with in_city(city_id=alpha.id):
        process = make_process(costs={"Alpha park": 10})
        ballot = services.ballot_cast(
            process_id=process.pk, voter=make_user(), choices=[Choice(ids(process)["Alpha park"])]
        )
    with in_city(city_id=beta.id):
        assert not BudgetProcess.objects.filter(pk=process.pk).exists()
        assert not Project.objects.filter(title="Alpha park").exists()
        assert selectors.ballot_get(receipt=ballot.receipt) is None
        assert not Ballot.objects.exists()
