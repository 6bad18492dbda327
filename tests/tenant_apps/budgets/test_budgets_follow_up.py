"""Follow-up of funded projects: status, note and milestones, written by staff once results are out and
shown to residents; plus the demo's supports, comments and follow-up."""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from core.exceptions import ApplicationError
from tenant_apps.budgets import demo, selectors, services
from tenant_apps.budgets.models import (
    BudgetProcess,
    FollowUpStatus,
    Project,
    ProjectComment,
    ProjectMilestone,
    ProjectSupport,
)
from tenant_apps.budgets.phases import Phase
from tenant_apps.budgets.services import Choice
from tenants.context import current_city
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import ids, make_process

DAY = datetime.date(2026, 3, 1)


def funded_process(phase: str = Phase.RESULTS) -> tuple[BudgetProcess, Project, Project]:
    """Results computed on three ballots that all pick Park: Park is funded, Library is not."""
    process = make_process(costs={"Park": 6000, "Library": 5000}, budget=10000)
    p = ids(process)
    for _ in range(3):
        services.ballot_cast(process_id=process.pk, voter=make_user(), choices=[Choice(p["Park"])])
    services.process_advance_phase(process_id=process.pk, to=Phase.RESULTS)
    services.results_compute(process_id=process.pk)
    if phase == Phase.FOLLOW_UP:
        services.process_advance_phase(process_id=process.pk, to=Phase.FOLLOW_UP)
    process.refresh_from_db()
    return process, Project.objects.get(pk=p["Park"]), Project.objects.get(pk=p["Library"])


def refused(call: Any, **kwargs: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        call(**kwargs)
    return error.value


def logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


# --- services -------------------------------------------------------------------------------------------


def test_funded_projects_come_from_the_stored_result(in_alpha: City) -> None:
    process, park, _library = funded_process()
    assert selectors.funded_project_ids(process=process) == {park.pk}
    park.external_id = "P-7"  # imported projects: the result holds their Pabulib id
    park.save(update_fields=["external_id"])
    assert selectors.funded_project_ids(process=process) == set()


def test_staff_set_the_status_and_the_milestones(in_alpha: City, staff_pair: tuple[Any, Any]) -> None:
    _process, park, _library = funded_process()
    admin, moderator = staff_pair
    updated = services.project_follow_up_set(
        project_id=park.pk, actor=moderator, status=FollowUpStatus.IN_PROGRESS, note="  Works started.  "
    )
    assert (updated.follow_up_status, updated.follow_up_note) == ("in_progress", "Works started.")
    assert updated.follow_up_updated_at is not None
    study = services.milestone_create(project_id=park.pk, actor=admin, title="Study", planned_date=DAY)
    works = services.milestone_create(
        project_id=park.pk, actor=admin, title="Works", planned_date=DAY, description="Three weeks."
    )
    assert (study.position, works.position) == (0, 1)
    services.milestone_update(
        milestone_id=study.pk,
        actor=moderator,
        title="Study and quotes",
        planned_date=DAY,
        description="",
        done_date=DAY,
        position=0,
    )
    study.refresh_from_db()
    assert (study.title, study.done_date) == ("Study and quotes", DAY)
    services.milestone_delete(milestone_id=works.pk, actor=admin)
    assert list(park.milestones.values_list("title", flat=True)) == ["Study and quotes"]


def test_follow_up_only_for_funded_projects(in_alpha: City, staff_pair: tuple[Any, Any]) -> None:
    _process, _park, library = funded_process()
    error = refused(services.project_follow_up_set, project_id=library.pk, actor=staff_pair[0], status="planned")
    assert (error.code, error.status_code) == ("not_funded", 409)
    error = refused(
        services.milestone_create, project_id=library.pk, actor=staff_pair[0], title="Study", planned_date=DAY
    )
    assert error.code == "not_funded" and not ProjectMilestone.objects.exists()


def test_follow_up_only_by_staff(in_alpha: City, resident: Any) -> None:
    _process, park, _library = funded_process()
    for actor in (resident, None):
        error = refused(services.project_follow_up_set, project_id=park.pk, actor=actor, status="done")
        assert error.status_code == 403
        assert (
            refused(
                services.milestone_create, project_id=park.pk, actor=actor, title="Study", planned_date=DAY
            ).status_code
            == 403
        )
    park.refresh_from_db()
    assert park.follow_up_status == ""


@pytest.mark.parametrize("phase", [Phase.PROPOSALS, Phase.VOTING])
def test_follow_up_only_once_results_are_out(in_alpha: City, staff_pair: tuple[Any, Any], phase: str) -> None:
    if phase == Phase.VOTING:
        process = make_process(costs={"Park": 10})
    else:
        process = services.process_create(title="PB", total_budget=10)
        Project.objects.create(process=process, title="Park", estimated_cost=10)
    project = process.projects.get()
    error = refused(services.project_follow_up_set, project_id=project.pk, actor=staff_pair[0], status="planned")
    assert (error.code, error.status_code) == ("follow_up_closed", 409)


def test_follow_up_checks_its_input(in_alpha: City, staff_pair: tuple[Any, Any]) -> None:
    _process, park, _library = funded_process(Phase.FOLLOW_UP)
    staff = staff_pair[0]
    assert "status" in refused(services.project_follow_up_set, project_id=park.pk, actor=staff, status="late").fields
    cancelled = refused(services.project_follow_up_set, project_id=park.pk, actor=staff, status="cancelled")
    assert cancelled.fields["note"] == ["Say publicly why the project is cancelled."]
    tomorrow = timezone.now().date() + datetime.timedelta(days=2)
    future = refused(
        services.milestone_create, project_id=park.pk, actor=staff, title="Works", planned_date=DAY, done_date=tomorrow
    )
    assert future.fields == {"done_date": ["A milestone cannot be done in the future."]}
    untitled = refused(services.milestone_create, project_id=park.pk, actor=staff, title="  ", planned_date=DAY)
    assert list(untitled.fields) == ["title"]
    done = services.project_follow_up_set(project_id=park.pk, actor=staff, status="cancelled", note="Site unsafe.")
    assert done.follow_up_status == FollowUpStatus.CANCELLED


# --- pages -----------------------------------------------------------------------------------------------


def test_residents_see_the_status_and_milestones(
    in_alpha: City, alpha_client: Client, staff_pair: tuple[Any, Any]
) -> None:
    process, park, library = funded_process(Phase.FOLLOW_UP)
    services.project_follow_up_set(project_id=park.pk, actor=staff_pair[0], status="in_progress", note="<b>Soon</b>")
    services.milestone_create(
        project_id=park.pk, actor=staff_pair[0], title="Study done", planned_date=DAY, done_date=DAY
    )
    services.milestone_create(project_id=park.pk, actor=staff_pair[0], title="Planting", planned_date=DAY)
    page = alpha_client.get(f"/budgets/{process.pk}/").content.decode()
    assert "Follow-up of the funded projects" in page and "Status: In progress" in page
    assert page.index("Study done") < page.index("Planting") and "&lt;b&gt;Soon&lt;/b&gt;" in page
    project_page = alpha_client.get(f"/budgets/{process.pk}/projects/{park.pk}/").content.decode()
    assert 'id="follow-up"' in project_page and "Planting" in project_page and "planned for" in project_page
    assert "done on" in project_page
    assert 'id="follow-up"' not in alpha_client.get(f"/budgets/{process.pk}/projects/{library.pk}/").content.decode()


def test_process_page_in_results_shows_the_follow_up_once_reported(
    in_alpha: City, alpha_client: Client, staff_pair: tuple[Any, Any]
) -> None:
    process, park, _library = funded_process(Phase.RESULTS)
    assert "Follow-up of the funded projects" not in alpha_client.get(f"/budgets/{process.pk}/").content.decode()
    services.project_follow_up_set(project_id=park.pk, actor=staff_pair[0], status="planned")
    page = alpha_client.get(f"/budgets/{process.pk}/").content.decode()
    assert "Follow-up of the funded projects" in page and "Status: Planned" in page and "No milestone yet." in page


def test_staff_follow_up_pages(
    in_alpha: City, alpha_client: Client, resident: Any, staff_pair: tuple[Any, Any]
) -> None:
    process, park, library = funded_process()
    base = f"/manage/budgets/{process.pk}/projects/{park.pk}/follow-up/"
    assert logged_in(alpha_client, resident).get(base).status_code == 404
    logged_in(alpha_client, staff_pair[1])
    staff_page = alpha_client.get(f"/manage/budgets/{process.pk}/").content.decode()
    assert base in staff_page and f"/projects/{library.pk}/follow-up/" not in staff_page
    assert alpha_client.get(base).status_code == 200
    refused_page = alpha_client.get(f"/manage/budgets/{process.pk}/projects/{library.pk}/follow-up/")
    assert refused_page.status_code == 409 and "Only funded projects" in refused_page.content.decode()
    bad = alpha_client.post(base, {"status": "cancelled", "note": ""})
    assert bad.status_code == 200 and "Say publicly why" in bad.content.decode()
    assert alpha_client.post(base, {"status": "in_progress", "note": "Started"}).status_code == 302
    added = alpha_client.post(
        f"{base}milestones/", {"new-title": "Study", "new-planned_date": "2026-03-01", "new-description": ""}
    )
    assert added.status_code == 302
    milestone = ProjectMilestone.objects.get(project=park)
    edit_url = f"{base}milestones/{milestone.pk}/"
    prefix = f"m{milestone.pk}"
    alpha_client.post(
        edit_url,
        {
            "action": "save",
            f"{prefix}-title": "Study v2",
            f"{prefix}-planned_date": "2026-03-02",
            f"{prefix}-position": "0",
        },
    )
    milestone.refresh_from_db()
    assert (milestone.title, milestone.planned_date) == ("Study v2", datetime.date(2026, 3, 2))
    future = (timezone.now().date() + datetime.timedelta(days=3)).isoformat()
    bad_edit = alpha_client.post(
        edit_url,
        {
            "action": "save",
            f"{prefix}-title": "Study",
            f"{prefix}-planned_date": "2026-03-02",
            f"{prefix}-done_date": future,
        },
    )
    assert bad_edit.status_code == 200 and "cannot be done in the future" in bad_edit.content.decode()
    alpha_client.post(edit_url, {"action": "delete"})
    assert not ProjectMilestone.objects.exists()
    park.refresh_from_db()
    assert (park.follow_up_status, park.follow_up_note) == ("in_progress", "Started")


# --- API -----------------------------------------------------------------------------------------------------


def test_api_staff_write_the_follow_up_and_residents_read_it(
    in_alpha: City, alpha_api: APIClient, resident: Any, staff_pair: tuple[Any, Any]
) -> None:
    process, park, library = funded_process()
    base = f"/api/v1/budgets/processes/{process.pk}/projects/{park.pk}/"
    alpha_api.force_authenticate(resident)
    forbidden = alpha_api.put(f"{base}follow-up/", {"status": "done"}, format="json")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert (
        alpha_api.post(f"{base}milestones/", {"title": "X", "planned_date": "2026-03-01"}, format="json").status_code
        == 403
    )
    alpha_api.force_authenticate(staff_pair[0])
    status_set = alpha_api.put(f"{base}follow-up/", {"status": "in_progress", "note": "Started"}, format="json")
    assert status_set.status_code == 200 and status_set.json()["status"] == "in_progress"
    created = alpha_api.post(f"{base}milestones/", {"title": "Study", "planned_date": "2026-03-01"}, format="json")
    assert created.status_code == 201 and created.json()["position"] == 0
    mid = created.json()["id"]
    patched = alpha_api.patch(f"{base}milestones/{mid}/", {"done_date": "2026-03-05"}, format="json")
    assert patched.status_code == 200 and patched.json() | {"id": 0} == {
        "id": 0,
        "title": "Study",
        "description": "",
        "planned_date": "2026-03-01",
        "done_date": "2026-03-05",
        "position": 0,
    }
    second = alpha_api.post(
        f"{base}milestones/", {"title": "Works", "planned_date": "2026-04-01"}, format="json"
    ).json()
    assert alpha_api.delete(f"{base}milestones/{second['id']}/").status_code == 204
    unfunded = alpha_api.put(
        f"/api/v1/budgets/processes/{process.pk}/projects/{library.pk}/follow-up/", {"status": "done"}, format="json"
    )
    assert unfunded.status_code == 409 and unfunded.json()["error"]["code"] == "not_funded"
    invalid = alpha_api.put(f"{base}follow-up/", {"status": "cancelled"}, format="json")
    assert invalid.status_code == 400 and "note" in invalid.json()["error"]["fields"]
    alpha_api.force_authenticate(None)
    detail = alpha_api.get(base).json()
    assert detail["follow_up"]["funded"] is True and detail["follow_up"]["status"] == "in_progress"
    assert [m["title"] for m in detail["follow_up"]["milestones"]] == ["Study"]
    assert [m["title"] for m in alpha_api.get(f"{base}milestones/").json()] == ["Study"]
    other = alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/projects/{library.pk}/").json()
    assert other["follow_up"] == {"funded": False, "status": "", "note": "", "updated_at": None, "milestones": []}


def test_api_milestone_of_another_project_is_not_found(
    in_alpha: City, alpha_api: APIClient, staff_pair: tuple[Any, Any]
) -> None:
    process, park, library = funded_process()
    milestone = services.milestone_create(project_id=park.pk, actor=staff_pair[0], title="Study", planned_date=DAY)
    alpha_api.force_authenticate(staff_pair[0])
    wrong = f"/api/v1/budgets/processes/{process.pk}/projects/{library.pk}/milestones/{milestone.pk}/"
    assert alpha_api.patch(wrong, {"title": "Moved"}, format="json").status_code == 404
    assert alpha_api.delete(wrong).status_code == 404
    assert ProjectMilestone.objects.get(pk=milestone.pk).title == "Study"


# --- demo ------------------------------------------------------------------------------------------------------


def demo_counts() -> tuple[int, ...]:
    return (
        ProjectSupport.objects.count(),
        ProjectComment.objects.count(),
        ProjectMilestone.objects.count(),
        Project.objects.exclude(follow_up_status="").count(),
    )


def test_demo_supports_comments_and_follow_up_are_idempotent(in_alpha: City) -> None:
    city = replace(current_city(), slug="demo")
    for name in demo.DEMO_RESIDENTS:
        make_user(email=f"{name}@demo.fluicity.example")
    demo.seed(city=city)
    first = demo_counts()
    snapshot = list(
        Project.objects.order_by("id").values_list("support_count", "comment_count", "follow_up_updated_at")
    )
    demo.seed(city=city)
    assert demo_counts() == first
    assert (
        list(Project.objects.order_by("id").values_list("support_count", "comment_count", "follow_up_updated_at"))
        == snapshot
    )
    supports, comments, milestones, followed = first
    assert supports > 0 and comments > 0 and milestones > 0 and followed > 0
    for project in Project.objects.all():
        assert project.support_count == project.supports.count()
        assert project.comment_count == project.comments.count()
    results = BudgetProcess.objects.get(title=demo.RESULTS_TITLE)
    funded = selectors.funded_project_ids(process=results)
    assert funded and set(Project.objects.exclude(follow_up_status="").values_list("pk", flat=True)) == funded
    for project in Project.objects.filter(pk__in=funded):
        assert 2 <= project.milestones.count() <= 3
    voting = BudgetProcess.objects.get(title=demo.VOTING_TITLE)
    assert not voting.projects.exclude(follow_up_status="").exists()


def test_demo_without_residents_adds_no_supports(in_alpha: City) -> None:
    demo.seed(city=replace(current_city(), slug="demo"))
    assert not ProjectSupport.objects.exists() and not ProjectComment.objects.exists()
    assert ProjectMilestone.objects.exists()
