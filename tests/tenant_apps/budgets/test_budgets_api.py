"""API /api/v1/budgets/: paginated lists, proposals, casting and revising, violations, results, isolation."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tenant_apps.budgets import services
from tenant_apps.budgets.models import Ballot, BudgetProcess, Category, Project, ProjectStatus
from tenant_apps.budgets.phases import Phase
from tenants.context import in_city
from tenants.models import City
from tests.conftest import PASSWORD
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import ids, make_process


def test_lists_and_detail(in_alpha: City, alpha_api: APIClient) -> None:
    process = make_process(costs={"Park": 6000})
    listed = alpha_api.get("/api/v1/budgets/processes/").json()
    assert listed["count"] == 1 and listed["next"] is None and listed["previous"] is None
    assert [p["id"] for p in listed["results"]] == [process.pk]
    assert alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/").json()["phase"] == "voting"
    projects = alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/projects/").json()["results"]
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
    assert beta_api.get("/api/v1/budgets/processes/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    assert beta_api.get(f"/api/v1/budgets/processes/{process.pk}/").status_code == 404
    assert beta_api.get(f"/api/v1/budgets/processes/{process.pk}/results/").status_code == 404


def test_process_list_pages_default_20_and_at_most_100(in_alpha: City, alpha_api: APIClient) -> None:
    BudgetProcess.objects.bulk_create(BudgetProcess(title=f"PB {n:03}", total_budget=1) for n in range(120))
    first = alpha_api.get("/api/v1/budgets/processes/").json()
    assert first["count"] == 120 and len(first["results"]) == 20 and first["previous"] is None
    assert "page=2" in first["next"]
    second = alpha_api.get(first["next"]).json()
    assert len(second["results"]) == 20 and second["previous"] is not None
    assert not {p["id"] for p in first["results"]} & {p["id"] for p in second["results"]}  # no overlap
    capped = alpha_api.get("/api/v1/budgets/processes/?page_size=500").json()
    assert len(capped["results"]) == 100 and capped["count"] == 120
    last = alpha_api.get("/api/v1/budgets/processes/?page_size=100&page=2").json()
    assert len(last["results"]) == 20 and last["next"] is None


def test_project_list_pages_keep_pending_proposals_private(in_alpha: City, alpha_api: APIClient) -> None:
    process = services.process_create(title="PB", total_budget=100)
    author, other = make_user(), make_user()
    Project.objects.bulk_create(
        Project(process=process, title=f"P{n}", estimated_cost=10, status=ProjectStatus.FEASIBLE) for n in range(7)
    )
    Project.objects.create(process=process, title="Mine", estimated_cost=5, author=author)  # submitted, not reviewed
    url = f"/api/v1/budgets/processes/{process.pk}/projects/?page_size=5"
    anonymous = alpha_api.get(url).json()
    assert anonymous["count"] == 7 and len(anonymous["results"]) == 5
    alpha_api.force_authenticate(other)
    assert alpha_api.get(url).json()["count"] == 7
    alpha_api.force_authenticate(author)
    page = alpha_api.get(url + "&page=2").json()
    assert page["count"] == 8 and [p["title"] for p in page["results"]] == ["P5", "P6", "Mine"]
    mine = Project.objects.get(title="Mine")
    assert alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/projects/{mine.pk}/").status_code == 200
    alpha_api.force_authenticate(other)
    assert alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/projects/{mine.pk}/").status_code == 404


def _projects_with_relations(count: int) -> BudgetProcess:
    process = services.process_create(title="PB", total_budget=100, districts=[("n", "North", 50)], citywide_budget=50)
    north = process.districts.get()
    green = Category.objects.create(process=process, name="Green")
    Project.objects.bulk_create(
        Project(
            process=process,
            title=f"P{n}",
            estimated_cost=10,
            district=north if n % 2 else None,
            category=green,
            status=ProjectStatus.SELECTED_FOR_BALLOT,
        )
        for n in range(count)
    )
    return process


@pytest.mark.parametrize("listing", ["processes", "projects"])
def test_list_queries_do_not_grow_with_the_page_size(in_alpha: City, alpha_api: APIClient, listing: str) -> None:
    process = _projects_with_relations(60)
    BudgetProcess.objects.bulk_create(BudgetProcess(title=f"PB {n}", total_budget=1) for n in range(59))
    url = (
        "/api/v1/budgets/processes/" if listing == "processes" else f"/api/v1/budgets/processes/{process.pk}/projects/"
    )
    alpha_api.get(url)  # warm the host -> city lookup, which is cached
    queries: dict[int, int] = {}
    for size in (5, 50):
        with CaptureQueriesContext(connection) as captured:
            body = alpha_api.get(f"{url}?page_size={size}").json()
        assert len(body["results"]) == size and body["count"] == 60
        queries[size] = len(captured)
    assert queries[5] == queries[50], queries
    if listing == "projects":
        assert {p["district"] for p in body["results"]} == {"n", None} and body["results"][0]["category"] == "Green"


def test_openapi_documents_the_paginated_lists(alpha: City) -> None:
    client = APIClient()
    client.defaults["HTTP_HOST"] = "alpha.fluicity.test"
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/v1/budgets/processes/", "/api/v1/budgets/processes/{process_id}/projects/"):
        operation = schema["paths"][path]["get"]
        assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}
        reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        envelope = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
        assert set(envelope["properties"]) == {"count", "next", "previous", "results"}
        assert envelope["properties"]["results"]["type"] == "array"
    post = schema["paths"]["/api/v1/budgets/processes/{process_id}/projects/"]["post"]
    assert "page" not in {p["name"] for p in post.get("parameters", [])}
