"""Resident and staff pages: phases x roles, the booth end to end over HTTP, results, isolation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tenant_apps.budgets import services, tasks
from tenant_apps.budgets.models import Ballot, BudgetProcess, Project, ProjectStatus, Result
from tenant_apps.budgets.phases import Phase
from tenant_apps.budgets.services import Choice
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import ids, make_process


def logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def process_in(phase: str) -> BudgetProcess:
    process = make_process(costs={"Park": 6000, "Library": 5000, "Bikes": 3000}, budget=10000)
    if phase in (Phase.RESULTS, Phase.FOLLOW_UP):
        services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
        if phase == Phase.FOLLOW_UP:
            services.process_advance_phase(process_id=process.pk, to=Phase.FOLLOW_UP)
    if phase in (Phase.PROPOSALS, Phase.REVIEW):
        process = services.process_create(title="PB " + phase, total_budget=10000)
        Project.objects.create(process=process, title="Park", estimated_cost=6000, status=ProjectStatus.FEASIBLE)
        if phase == Phase.REVIEW:
            services.process_advance_phase(process_id=process.pk, to=Phase.REVIEW)
    process.refresh_from_db()
    return process


@pytest.mark.parametrize("phase", Phase.values)
@pytest.mark.parametrize("role", ["anonymous", "resident", "staff"])
def test_public_pages_render_for_each_phase_and_role(
    in_alpha: City, alpha_client: Client, phase: str, role: str
) -> None:
    process = process_in(phase)
    if role != "anonymous":
        logged_in(alpha_client, make_user(role="resident" if role == "resident" else "city_admin"))
    listing = alpha_client.get("/budgets/")
    assert listing.status_code == 200 and process.title in listing.content.decode()
    page = alpha_client.get(f"/budgets/{process.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and "Park" in body
    assert ("/vote/" in body) == (phase == Phase.VOTING)
    assert ("/propose/" in body) == (phase == Phase.PROPOSALS)
    results = alpha_client.get(f"/budgets/{process.pk}/results/")
    assert results.status_code == (200 if phase in (Phase.RESULTS, Phase.FOLLOW_UP) else 404)


def test_booth_select_review_confirm_receipt_and_revise(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = make_process(costs={"Park": 6000, "Library": 5000, "Bikes": 3000}, budget=10000)
    p = ids(process)
    logged_in(alpha_client, resident)
    url = f"/budgets/{process.pk}/vote/"
    booth = alpha_client.get(url).content.decode()
    assert f'id="project-{p["Park"]}"' in booth and f'<label for="project-{p["Park"]}">' in booth
    review = alpha_client.post(url, {"project": [p["Park"], p["Bikes"]], "action": "review"})
    body = review.content.decode()
    assert review.status_code == 200 and "Review your ballot" in body and re.search(r"90[.,]00", body)
    assert Ballot.objects.filter(process=process).count() == 0  # reviewing records nothing
    confirm = alpha_client.post(url, {"project": [p["Park"], p["Bikes"]], "action": "confirm"})
    assert confirm.status_code == 302 and confirm["Location"].endswith("/vote/receipt/")
    ballot = Ballot.objects.get(process=process)
    receipt = alpha_client.get(confirm["Location"]).content.decode()
    assert ballot.receipt in receipt
    # Revision: the booth is pre-filled, a new confirm replaces the choices; still one ballot.
    assert "checked" in alpha_client.get(url).content.decode()
    alpha_client.post(url, {"project": [p["Library"]], "action": "confirm"})
    assert Ballot.objects.filter(process=process).count() == 1
    assert list(Ballot.objects.get(process=process).choices.values_list("project_id", flat=True)) == [p["Library"]]


def test_booth_edit_step_goes_back_with_the_choices(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = make_process(costs={"Park": 6000, "Library": 5000})
    p = ids(process)
    logged_in(alpha_client, resident)
    body = alpha_client.post(
        f"/budgets/{process.pk}/vote/", {"project": [p["Park"]], "action": "edit"}
    ).content.decode()
    assert f'value="{p["Park"]}" id="project-{p["Park"]}" checked' in body


def test_booth_violations_are_listed_and_linked(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = make_process(
        costs={"A": 7000, "B": 5000, "C": 1000}, budget=10000, ballot_kind="knapsack", max_projects=1
    )
    p = ids(process)
    logged_in(alpha_client, resident)
    response = alpha_client.post(f"/budgets/{process.pk}/vote/", {"project": [p["A"], p["B"]], "action": "confirm"})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="error-summary"' in body
    assert "Choose at most 1 project." in body and "1 projects" not in body and "over the budget" in body
    assert 'href="#booth-projects"' in body and 'aria-describedby="booth-rules booth-errors"' in body
    assert Ballot.objects.filter(process=process).count() == 0


def test_cumulative_booth_flags_the_bad_input(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = make_process(costs={"A": 10, "B": 10}, ballot_kind="cumulative", points_total=5)
    p = ids(process)
    logged_in(alpha_client, resident)
    url = f"/budgets/{process.pk}/vote/"
    body = alpha_client.post(url, {f"points-{p['A']}": "x", "action": "review"}).content.decode()
    assert f'href="#points-{p["A"]}"' in body and f"project-{p['A']}-error" in body and 'aria-invalid="true"' in body
    body = alpha_client.post(
        url, {f"points-{p['A']}": "4", f"points-{p['B']}": "3", "action": "review"}
    ).content.decode()
    assert "Spread at most 5 points" in body
    done = alpha_client.post(url, {f"points-{p['A']}": "3", f"points-{p['B']}": "2", "action": "confirm"})
    assert done.status_code == 302


def test_ranked_booth_records_the_order(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = make_process(costs={"A": 10, "B": 10, "C": 10}, ballot_kind="ranked", ranks=2)
    p = ids(process)
    logged_in(alpha_client, resident)
    url = f"/budgets/{process.pk}/vote/"
    assert f'<select name="rank-{p["A"]}" id="rank-{p["A"]}"' in alpha_client.get(url).content.decode()
    alpha_client.post(url, {f"rank-{p['B']}": "1", f"rank-{p['A']}": "2", "action": "confirm"})
    ballot = Ballot.objects.get(process=process)
    assert list(ballot.choices.order_by("rank").values_list("project_id", flat=True)) == [p["B"], p["A"]]


def test_booth_needs_sign_in_and_open_voting(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = process_in(Phase.RESULTS)
    assert alpha_client.get(f"/budgets/{process.pk}/vote/")["Location"].startswith("/account/login/")
    logged_in(alpha_client, resident)
    assert alpha_client.get(f"/budgets/{process.pk}/vote/").status_code == 409


def test_unverified_resident_sees_the_reason(in_alpha: City, alpha_client: Client) -> None:
    process = make_process(costs={"A": 10})
    logged_in(alpha_client, make_user(verified=False))
    response = alpha_client.get(f"/budgets/{process.pk}/vote/")
    assert response.status_code == 403 and 'role="alert"' in response.content.decode()


def test_proposal_form_submits_a_project(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = process_in(Phase.PROPOSALS)
    logged_in(alpha_client, resident)
    url = f"/budgets/{process.pk}/propose/"
    bad = alpha_client.post(url, {"title": "", "estimated_cost": "-1"})
    assert bad.status_code == 200 and 'id="error-summary"' in bad.content.decode()
    ok = alpha_client.post(url, {"title": "Trees", "estimated_cost": "1500.50"})
    assert ok.status_code == 302
    project = Project.objects.get(process=process, title="Trees")
    assert project.estimated_cost == 150050 and project.author_id == resident.pk
    assert "Trees" in alpha_client.get(f"/budgets/{process.pk}/").content.decode()


def test_results_page_shows_bars_rule_what_if_and_downloads(in_alpha: City, alpha_client: Client) -> None:
    process = make_process(costs={"Park": 6000, "Library": 5000, "Bikes": 3000}, budget=10000)
    p = ids(process)
    for picks in ([p["Park"]], [p["Park"], p["Bikes"]], [p["Library"]]):
        services.ballot_cast(process_id=process.pk, voter=make_user(), choices=[Choice(i) for i in picks])
    services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    services.results_compute(process_id=process.pk)
    body = alpha_client.get(f"/budgets/{process.pk}/results/").content.decode()
    assert "Method of Equal Shares" in body and "What if another rule" in body
    assert 'class="bar' in body and "Greedy" in body
    assert f"/budgets/{process.pk}/results/city.pb" in body
    pb = alpha_client.get(f"/budgets/{process.pk}/results/city.pb")
    assert pb.status_code == 200 and b"PROJECTS" in pb.content and b"VOTES" in pb.content
    digest = alpha_client.get(f"/budgets/{process.pk}/results/digest.txt").content.decode()
    assert Result.objects.get(process=process).ballots_digest in digest


@pytest.mark.parametrize(
    "url", ["/manage/budgets/", "/manage/budgets/new/", "/manage/budgets/import/", "/manage/budgets/{id}/"]
)
def test_staff_pages_refuse_residents_and_anonymous(
    in_alpha: City, alpha_client: Client, resident: Any, url: str
) -> None:
    process = make_process(costs={"A": 10})
    url = url.format(id=process.pk)
    assert alpha_client.get(url)["Location"].startswith("/account/login/")
    logged_in(alpha_client, resident)
    assert alpha_client.get(url).status_code == 404


def test_staff_create_rules_review_advance(in_alpha: City, alpha_client: Client) -> None:
    staff = make_user(role="city_admin")
    logged_in(alpha_client, staff)
    assert alpha_client.get("/manage/budgets/").status_code == 200
    created = alpha_client.post(
        "/manage/budgets/new/",
        {
            "title": "Budget 2027",
            "total_budget": "100000",
            "currency": "EUR",
            "ballot_kind": "approval",
            "results_rule": "equal-shares",
            "min_projects": "0",
            "min_share_spent": "0",
            "districts": "N; North; 20000\nS; South; 30000",
            "citywide_budget": "50000",
        },
    )
    assert created.status_code == 302
    process = BudgetProcess.objects.get(title="Budget 2027")
    assert process.total_budget == 10_000_000 and process.districts.count() == 2
    project = Project.objects.create(process=process, title="Benches", estimated_cost=1000)
    page = alpha_client.get(f"/manage/budgets/{process.pk}/").content.decode()
    assert "Benches" in page
    prefix = f"p{project.pk}"
    alpha_client.post(
        f"/manage/budgets/{process.pk}/projects/{project.pk}/review/",
        {
            f"{prefix}-decision": "selected_for_ballot",
            f"{prefix}-official_cost": "12.50",
            f"{prefix}-public_reason": "",
        },
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.SELECTED_FOR_BALLOT and project.official_cost == 1250
    for phase in (Phase.REVIEW, Phase.VOTING):
        alpha_client.post(f"/manage/budgets/{process.pk}/phase/", {"to": phase})
    process.refresh_from_db()
    assert process.phase == Phase.VOTING
    refused = alpha_client.post(
        f"/manage/budgets/{process.pk}/rules/",
        {"ballot_kind": "knapsack", "results_rule": "greedy", "min_projects": "0", "min_share_spent": "0"},
    )
    assert refused.status_code == 409 and "frozen" in refused.content.decode()


def test_staff_paper_double_entry_and_compute(
    in_alpha: City, alpha_client: Client, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = make_process(costs={"A": 10, "B": 10}, paper_double_entry=True)
    p = ids(process)
    first, second = make_user(role="city_admin"), make_user(role="moderator")
    url = f"/manage/budgets/{process.pk}/paper/"
    logged_in(alpha_client, first).post(url, {"paper_ref": "S-1", "project": [p["A"]]})
    assert Ballot.objects.filter(process=process).count() == 0
    other = Client(HTTP_HOST=alpha_client.defaults["HTTP_HOST"])
    logged_in(other, second).post(url, {"paper_ref": "S-1", "project": [p["A"]]})
    assert Ballot.objects.filter(process=process, paper_ref="S-1").count() == 1
    services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    queued: list[int] = []
    monkeypatch.setattr(tasks.results_compute_task, "delay", lambda *, process_id: queued.append(process_id))
    with django_capture_on_commit_callbacks(execute=True):
        alpha_client.post(f"/manage/budgets/{process.pk}/results/compute/")
    assert queued == [process.pk]


def test_staff_imports_a_pabulib_file(in_alpha: City, alpha_client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        "META\nkey;value\ndescription;Tiny\nnum_projects;2\nnum_votes;2\nbudget;100\nvote_type;approval\n"
        "PROJECTS\nproject_id;cost;name\n1;60;Park\n2;50;Pool\n"
        "VOTES\nvoter_id;vote\n1;1\n2;1,2\n"
    )
    logged_in(alpha_client, make_user(role="city_admin"))
    response = alpha_client.post(
        "/manage/budgets/import/", {"file": SimpleUploadedFile("tiny.pb", text.encode()), "title": "Tiny"}
    )
    assert response.status_code == 302
    imported = BudgetProcess.objects.get(title="Tiny")
    assert imported.ballots.count() == 2 and imported.phase == Phase.RESULTS


def test_pages_do_not_leak_between_cities(alpha: City, beta_client: Client) -> None:
    from tenants.context import in_city

    with in_city(city_id=alpha.id, city=alpha):
        process = make_process(costs={"Secret alpha project": 10})
    assert "Secret alpha project" not in beta_client.get("/budgets/").content.decode()
    assert beta_client.get(f"/budgets/{process.pk}/").status_code == 404


def test_city_home_lists_open_budgets(alpha: City) -> None:
    from tenants.context import in_city

    home = Client(HTTP_HOST="alpha.fluicity.test").get("/").content.decode()
    assert 'href="/budgets/"' not in home and "There is no open consultation or budget" in home
    with in_city(city_id=alpha.id):
        process = make_process(costs={"Bike racks": 40})
    page = Client(HTTP_HOST="alpha.fluicity.test").get("/").content.decode()
    assert 'href="/budgets/"' in page and f'href="/budgets/{process.pk}/"' in page
    assert "There is no open consultation or budget" not in page
