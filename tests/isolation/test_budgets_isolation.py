"""What alpha's budgets app writes, beta can neither list, fetch, nor guess."""

from __future__ import annotations

import datetime

from django.test import Client
from rest_framework.test import APIClient

from tenant_apps.budgets import selectors, services
from tenant_apps.budgets.models import (
    Ballot,
    BudgetProcess,
    Project,
    ProjectComment,
    ProjectMilestone,
    ProjectSupport,
)
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


def test_alpha_comments_supports_and_milestones_are_404_on_beta(
    alpha: City, beta: City, alpha_api: APIClient, beta_api: APIClient, beta_client: Client
) -> None:
    with in_city(city_id=alpha.id):
        proposals = services.process_create(title="Alpha ideas", total_budget=100)
        idea = Project.objects.create(process=proposals, title="Alpha idea", estimated_cost=5, status="feasible")
        alpha_person = make_user()
        services.project_support(process_id=proposals.pk, project_id=idea.pk, user=alpha_person)
        said = services.comment_create(process_id=proposals.pk, project_id=idea.pk, author=alpha_person, body="Alpha")
        funded = make_process(costs={"Alpha park": 10})
        services.ballot_cast(process_id=funded.pk, voter=make_user(), choices=[Choice(ids(funded)["Alpha park"])])
        services.process_advance_phase(process_id=funded.pk, to="results")
        services.results_compute(process_id=funded.pk)
        park = funded.projects.get()
        alpha_staff = make_user(role="city_admin")
        milestone = services.milestone_create(
            project_id=park.pk, actor=alpha_staff, title="Alpha step", planned_date=datetime.date(2026, 3, 1)
        )
    alpha_api.force_authenticate(alpha_person)
    comments = f"/api/v1/budgets/processes/{proposals.pk}/projects/{idea.pk}/comments/"
    assert alpha_api.get(comments).json()["count"] == 1  # the URL works on its own city's host
    with in_city(city_id=beta.id):
        beta_person = make_user()
        beta_staff = make_user(role="city_admin")
        beta_client.force_login(beta_person)  # the session lives in beta's schema
        assert not ProjectComment.objects.filter(pk=said.pk, body="Alpha").exists()
        assert not ProjectSupport.objects.exists() and not ProjectMilestone.objects.exists()
    support = f"/api/v1/budgets/processes/{proposals.pk}/projects/{idea.pk}/support/"
    park_url = f"/api/v1/budgets/processes/{funded.pk}/projects/{park.pk}/"
    assert beta_api.get(comments).status_code == 404
    beta_api.force_authenticate(beta_person)
    assert beta_api.post(comments, {"body": "Guess"}, format="json").status_code == 404
    assert beta_api.put(support).status_code == 404
    assert beta_api.delete(support).status_code == 404
    assert beta_api.get(f"{park_url}milestones/").status_code == 404
    beta_api.force_authenticate(beta_staff)
    assert beta_api.put(f"{park_url}follow-up/", {"status": "done"}, format="json").status_code == 404
    assert (
        beta_api.post(f"{park_url}milestones/", {"title": "X", "planned_date": "2026-03-01"}, format="json").status_code
        == 404
    )
    assert (
        beta_api.patch(f"{park_url}milestones/{milestone.pk}/", {"title": "Stolen"}, format="json").status_code == 404
    )
    assert beta_api.delete(f"{park_url}milestones/{milestone.pk}/").status_code == 404
    assert beta_client.get(f"/budgets/{proposals.pk}/projects/{idea.pk}/").status_code == 404
    assert beta_client.post(f"/budgets/{proposals.pk}/projects/{idea.pk}/support/").status_code == 404
    with in_city(city_id=alpha.id):
        assert ProjectMilestone.objects.get(pk=milestone.pk).title == "Alpha step"
        assert Project.objects.get(pk=idea.pk).support_count == 1
        assert ProjectComment.objects.filter(project=idea).count() == 1
