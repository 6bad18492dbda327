"""API /api/v1/budgets/: lists, proposals, casting and revising, violations, results, isolation."""

from __future__ import annotations

from rest_framework.test import APIClient

from tenant_apps.budgets import services
from tenant_apps.budgets.models import Ballot, Project
from tenant_apps.budgets.phases import Phase
from tenants.context import in_city
from tenants.models import City
from tests.conftest import PASSWORD
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import ids, make_process


def test_lists_and_detail(in_alpha: City, alpha_api: APIClient) -> None:
    process = make_process(costs={"Park": 6000})
    listed = alpha_api.get("/api/v1/budgets/processes/").json()
    assert [p["id"] for p in listed] == [process.pk]
    assert alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/").json()["phase"] == "voting"
    projects = alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/projects/").json()
    assert projects[0]["title"] == "Park" and projects[0]["cost"] == 6000
    pid = projects[0]["id"]
    assert alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/projects/{pid}/").json()["id"] == pid


def test_cast_revise_and_status_with_a_token(in_alpha: City, alpha_api: APIClient) -> None:
    process = make_process(costs={"A": 10, "B": 10})
    p = ids(process)
    user = make_user()
    token = alpha_api.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}).json()["token"]
    alpha_api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/v1/budgets/processes/{process.pk}/ballot/"
    assert alpha_api.get(url).json() == {"has_voted": False, "receipt": None, "choices": []}
    first = alpha_api.put(url, {"choices": [{"project": p["A"]}]}, format="json")
    assert first.status_code == 200 and first.json()["has_voted"] and first.json()["receipt"]
    second = alpha_api.put(url, {"choices": [{"project": p["B"]}]}, format="json").json()
    assert second["receipt"] != first.json()["receipt"] and [c["project"] for c in second["choices"]] == [p["B"]]
    assert Ballot.objects.filter(process=process).count() == 1
    assert alpha_api.get(url).json()["receipt"] == second["receipt"]


def test_violations_in_error_fields(in_alpha: City, alpha_api: APIClient) -> None:
    process = make_process(costs={"A": 70, "B": 50}, ballot_kind="knapsack")
    p = ids(process)
    alpha_api.force_authenticate(make_user())
    response = alpha_api.put(
        f"/api/v1/budgets/processes/{process.pk}/ballot/",
        {"choices": [{"project": p["A"]}, {"project": p["B"]}]},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ballot_invalid" and "over the budget" in error["fields"]["cost"][0]


def test_anonymous_cannot_vote(in_alpha: City, alpha_api: APIClient) -> None:
    process = make_process(costs={"A": 10})
    assert alpha_api.put(
        f"/api/v1/budgets/processes/{process.pk}/ballot/", {"choices": []}, format="json"
    ).status_code in (
        401,
        403,
    )


def test_submit_a_project(in_alpha: City, alpha_api: APIClient) -> None:
    process = services.process_create(title="PB", total_budget=100)
    alpha_api.force_authenticate(make_user())
    url = f"/api/v1/budgets/processes/{process.pk}/projects/"
    created = alpha_api.post(url, {"title": "Trees", "estimated_cost": 40}, format="json")
    assert created.status_code == 201 and Project.objects.filter(process=process, title="Trees").exists()
    bad = alpha_api.post(url, {"title": "Free", "estimated_cost": 0}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"estimated_cost"}


def test_results(in_alpha: City, alpha_api: APIClient) -> None:
    process = make_process(costs={"A": 60, "B": 50})
    p = ids(process)
    assert alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/results/").status_code == 409
    for picks in ([p["A"]], [p["A"]], [p["B"]]):
        services.ballot_cast(process_id=process.pk, voter=make_user(), choices=[services.Choice(i) for i in picks])
    services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    services.results_compute(process_id=process.pk)
    (pot,) = alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/results/").json()
    assert pot["status"] == "done" and pot["selected"] == [p["A"]] and pot["votes"][str(p["A"])] == 2
    assert set(pot["what_if"]) == {"greedy", "equal-shares"} and pot["ballots_digest"]


def test_api_does_not_leak_between_cities(alpha: City, beta_api: APIClient) -> None:
    with in_city(city_id=alpha.id, city=alpha):
        process = make_process(costs={"A": 10})
    assert beta_api.get("/api/v1/budgets/processes/").json() == []
    assert beta_api.get(f"/api/v1/budgets/processes/{process.pk}/").status_code == 404
    assert beta_api.get(f"/api/v1/budgets/processes/{process.pk}/results/").status_code == 404
