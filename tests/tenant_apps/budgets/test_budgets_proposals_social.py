"""Proposals by residents: location, images, supports and comments (services, pages, API, GDPR)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django_tenants.files.storage import TenantFileSystemStorage
from PIL import Image
from rest_framework.test import APIClient

from core.exceptions import ApplicationError
from tenant_apps.budgets import interface, services
from tenant_apps.budgets.models import (
    BudgetProcess,
    Project,
    ProjectComment,
    ProjectImage,
    ProjectStatus,
    ProjectSupport,
)
from tenant_apps.budgets.phases import Phase
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user
from tests.tenant_apps.budgets.conftest import make_process

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


# --- helpers ----------------------------------------------------------------------------------------


def proposals_process(*, status: str = ProjectStatus.FEASIBLE) -> tuple[BudgetProcess, Project]:
    """A process in the proposals phase with one public project, "Park"."""
    process = services.process_create(title="PB proposals", total_budget=100_000)
    project = Project.objects.create(process=process, title="Park", estimated_cost=6000, status=status)
    return process, project


def in_phase(process: BudgetProcess, phase: str) -> BudgetProcess:
    """Walk ``process`` (in proposals, its projects on the ballot) forward to ``phase``."""
    order = [Phase.REVIEW, Phase.VOTING, Phase.RESULTS, Phase.FOLLOW_UP]
    if phase != Phase.PROPOSALS:
        process.projects.update(status=ProjectStatus.SELECTED_FOR_BALLOT)
        for step in order[: order.index(phase) + 1]:
            services.process_advance_phase(process_id=process.pk, to=step)
    process.refresh_from_db()
    return process


def support(process: BudgetProcess, project: Project, user: Any) -> services.SupportState:
    return services.project_support(process_id=process.pk, project_id=project.pk, user=user)


def comment(process: BudgetProcess, project: Project, user: Any, body: str, parent: int | None = None) -> Any:
    return services.comment_create(
        process_id=process.pk, project_id=project.pk, author=user, body=body, parent_id=parent
    )


def refused(call: Any, *args: Any, **kwargs: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        call(*args, **kwargs)
    return error.value


def png_bytes(size: tuple[int, int] = (4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#2a7ab0").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def media(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Files under a temporary MEDIA_ROOT (a fresh storage: django-tenants caches the root it read)."""
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(default_storage, "_wrapped", TenantFileSystemStorage())
    return tmp_path


def logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


# --- supports ---------------------------------------------------------------------------------------


def test_support_is_one_per_person_and_the_counter_follows(in_alpha: City, resident: Any) -> None:
    process, project = proposals_process()
    assert support(process, project, resident) == services.SupportState(project.pk, True, 1)
    assert support(process, project, resident).support_count == 1  # twice: still one
    assert ProjectSupport.objects.filter(project=project).count() == 1
    assert support(process, project, make_user()).support_count == 2
    state = services.project_unsupport(process_id=process.pk, project_id=project.pk, user=resident)
    assert state == services.SupportState(project.pk, False, 1)
    again = services.project_unsupport(process_id=process.pk, project_id=project.pk, user=resident)
    assert again.support_count == 1 and ProjectSupport.objects.filter(project=project).count() == 1


def test_the_database_refuses_a_second_support_row(in_alpha: City, resident: Any) -> None:
    _process, project = proposals_process()
    ProjectSupport.objects.create(project=project, user=resident)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectSupport.objects.create(project=project, user=resident)


@pytest.mark.parametrize("phase", [Phase.REVIEW, Phase.VOTING, Phase.RESULTS, Phase.FOLLOW_UP])
def test_supports_refused_outside_the_proposals_phase(in_alpha: City, resident: Any, phase: str) -> None:
    process, project = proposals_process()
    support(process, project, resident)
    in_phase(process, phase)
    error = refused(support, process, project, make_user())
    assert (error.code, error.status_code) == ("supports_closed", 409)
    assert error.message == "Supports are only taken while proposals are open."
    withdraw = refused(services.project_unsupport, process_id=process.pk, project_id=project.pk, user=resident)
    assert withdraw.code == "supports_closed"
    assert Project.objects.get(pk=project.pk).support_count == 1


def test_support_needs_a_person_accounts_allows(in_alpha: City) -> None:
    from django.contrib.auth.models import AnonymousUser

    process, project = proposals_process()
    assert refused(support, process, project, make_user(verified=False)).code == "email_unverified"
    assert refused(support, process, project, AnonymousUser()).code == "login_required"
    assert Project.objects.get(pk=project.pk).support_count == 0


def test_support_refused_on_set_aside_and_private_proposals(in_alpha: City, resident: Any) -> None:
    process, project = proposals_process(status=ProjectStatus.NOT_FEASIBLE)
    assert refused(support, process, project, resident).code == "not_supportable"
    pending = Project.objects.create(process=process, title="Mine", estimated_cost=5, author=make_user())
    error = refused(support, process, pending, resident)
    assert (error.code, error.status_code) == ("project_not_found", 404)
    assert not ProjectSupport.objects.exists()


# --- concurrency (committed data, real sessions) -------------------------------------------------------


@pytest.fixture
def committed_proposal(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[City, BudgetProcess, Any]]:
    with django_db_blocker.unblock():
        city = City.objects.get(slug="alpha")
        with in_city(city_id=city.id, city=city):
            process, _project = proposals_process()
            person = make_user()
        try:
            yield city, process, person
        finally:
            with in_city(city_id=city.id, city=city):
                ProjectSupport.objects.filter(project__process=process).delete()
                process.delete()
                from django.apps import apps

                apps.get_model("accounts", "Profile").objects.filter(user_id=person.pk).delete()
                person.delete()
            connection.set_schema_to_public()


def test_twenty_concurrent_supports_by_one_person_make_one_row(
    committed_proposal: tuple[City, BudgetProcess, Any], django_db_blocker: Any
) -> None:
    city, process, person = committed_proposal
    with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
        project = process.projects.get()
    barrier = threading.Barrier(20, timeout=30)
    counts: list[int] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
                barrier.wait()
                counts.append(support(process, project, person).support_count)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors[:3]
    assert counts == [1] * 20
    with django_db_blocker.unblock(), in_city(city_id=city.id, city=city):
        assert ProjectSupport.objects.filter(project=project).count() == 1
        assert Project.objects.get(pk=project.pk).support_count == 1


# --- comments ---------------------------------------------------------------------------------------


def test_comments_and_one_level_of_replies(in_alpha: City, resident: Any) -> None:
    process, project = proposals_process()
    first = comment(process, project, resident, "  Lovely idea.\r\nWith trees?  ")
    assert first.body == "Lovely idea.\nWith trees?" and first.parent_id is None
    reply = comment(process, project, make_user(), "Yes, oaks.", parent=first.pk)
    deeper = comment(process, project, resident, "Even better.", parent=reply.pk)
    assert reply.parent_id == first.pk and deeper.parent_id == first.pk  # one level: same thread
    assert Project.objects.get(pk=project.pk).comment_count == 3
    other = Project.objects.create(process=process, title="Pool", estimated_cost=5, status=ProjectStatus.FEASIBLE)
    error = refused(comment, process, other, resident, "Misplaced", parent=first.pk)
    assert "parent" in error.fields


@pytest.mark.parametrize(
    ("body", "accepted"), [("", False), (" \n\t ", False), ("x" * 3000, True), ("x" * 3001, False)]
)
def test_comment_length_is_checked(in_alpha: City, resident: Any, body: str, accepted: bool) -> None:
    process, project = proposals_process()
    if accepted:
        assert len(comment(process, project, resident, body).body) == 3000
    else:
        error = refused(comment, process, project, resident, body)
        assert error.code == "invalid" and "body" in error.fields
        assert not ProjectComment.objects.exists()


@pytest.mark.parametrize(("phase", "open_"), [(Phase.REVIEW, True), (Phase.VOTING, False), (Phase.RESULTS, False)])
def test_comments_only_while_proposals_are_made_and_reviewed(
    in_alpha: City, resident: Any, phase: str, open_: bool
) -> None:
    process, project = proposals_process()
    in_phase(process, phase)
    if open_:
        assert comment(process, project, resident, "Still time to say it.").pk
    else:
        error = refused(comment, process, project, resident, "Too late?")
        assert (error.code, error.status_code) == ("comments_closed", 409)
        assert "Comments are closed" in error.message


def test_comment_needs_a_person_accounts_allows(in_alpha: City) -> None:
    process, project = proposals_process()
    assert refused(comment, process, project, make_user(verified=False), "Hi").code == "email_unverified"


def test_staff_hide_a_comment_with_a_reason(in_alpha: City, resident: Any, staff_pair: tuple[Any, Any]) -> None:
    process, project = proposals_process()
    rude = comment(process, project, resident, "Rude words")
    assert refused(services.comment_hide, comment_id=rude.pk, moderator=resident, reason="No").status_code == 403
    assert refused(services.comment_hide, comment_id=rude.pk, moderator=staff_pair[1], reason=" ").fields["reason"]
    hidden = services.comment_hide(comment_id=rude.pk, moderator=staff_pair[1], reason="Insults")
    assert hidden.hidden_at is not None and hidden.hidden_reason == "Insults"
    assert Project.objects.get(pk=project.pk).comment_count == 0
    services.comment_hide(comment_id=rude.pk, moderator=staff_pair[0], reason="Insults, again")
    assert Project.objects.get(pk=project.pk).comment_count == 0  # hiding twice counts once
    assert "parent" in refused(comment, process, project, make_user(), "Reply", parent=rude.pk).fields


# --- location and images ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        (Decimal("90.5"), Decimal("0"), "latitude"),
        (Decimal("-91"), Decimal("0"), "latitude"),
        (Decimal("0"), Decimal("180.000001"), "longitude"),
        (Decimal("0"), Decimal("-181"), "longitude"),
        ("NaN", Decimal("1"), "latitude"),
        (None, Decimal("2.35"), "latitude"),
        (Decimal("48.85"), None, "longitude"),
    ],
)
def test_location_range_checks(in_alpha: City, resident: Any, latitude: Any, longitude: Any, field: str) -> None:
    process = services.process_create(title="PB", total_budget=100)
    error = refused(
        services.project_submit,
        process_id=process.pk,
        author=resident,
        title="Bench",
        estimated_cost=5,
        latitude=latitude,
        longitude=longitude,
    )
    assert list(error.fields) == [field]
    assert not Project.objects.exists()


def test_location_is_stored_rounded_and_the_database_checks_ranges(in_alpha: City, resident: Any) -> None:
    process = services.process_create(title="PB", total_budget=100)
    project = services.project_submit(
        process_id=process.pk,
        author=resident,
        title="Bench",
        estimated_cost=5,
        latitude="48.8566134",
        longitude=Decimal("-2.35222195"),
    )
    project.refresh_from_db()
    assert (project.latitude, project.longitude) == (Decimal("48.856613"), Decimal("-2.352222"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(process=process, title="Off", estimated_cost=1, latitude=91, longitude=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(process=process, title="Half", estimated_cost=1, latitude=10)


def submit_with_images(process: BudgetProcess, author: Any, *uploads: SimpleUploadedFile) -> Project:
    return services.project_submit(
        process_id=process.pk, author=author, title="Mural", estimated_cost=500, images=list(uploads)
    )


def test_real_png_is_accepted_and_stored_under_a_random_name(in_alpha: City, resident: Any, media: Path) -> None:
    process = services.process_create(title="PB", total_budget=100)
    project = submit_with_images(process, resident, SimpleUploadedFile("../../etc/My photo.PNG", png_bytes()))
    image = ProjectImage.objects.get(project=project)
    name = Path(image.file.name)
    assert image.content_type == "image/png" and image.size == len(png_bytes())
    assert name.parent.as_posix() == "budgets/projects" and name.suffix == ".png" and len(name.stem) == 32
    assert "photo" not in image.file.name
    assert (media / connection.schema_name / image.file.name).read_bytes() == png_bytes()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("fake.png", b"<svg onload=alert(1)></svg>", content_type="image/png"), "not a JPEG"),
        (SimpleUploadedFile("cut.png", png_bytes((64, 64))[:60], content_type="image/png"), "not a JPEG"),
        (
            SimpleUploadedFile("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", content_type="image/gif"),
            "not a JPEG",
        ),
        (SimpleUploadedFile("huge.png", png_bytes() + b"\0" * (5 * 1024 * 1024), content_type="image/png"), "5 MB"),
    ],
    ids=["fake", "truncated", "gif", "too-big"],
)
def test_bad_images_are_refused_and_nothing_is_stored(
    in_alpha: City, resident: Any, media: Path, upload: SimpleUploadedFile, message: str
) -> None:
    process = services.process_create(title="PB", total_budget=100)
    error = refused(submit_with_images, process, resident, upload)
    assert error.code == "invalid" and message in error.fields["images"][0]
    assert not Project.objects.exists() and not ProjectImage.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


def test_at_most_three_images(in_alpha: City, resident: Any, media: Path) -> None:
    process = services.process_create(title="PB", total_budget=100)
    uploads = [SimpleUploadedFile(f"{n}.png", png_bytes()) for n in range(4)]
    assert refused(submit_with_images, process, resident, *uploads).fields["images"] == ["Add at most 3 images."]
    project = submit_with_images(process, resident, *uploads[:3])
    assert list(project.images.order_by("position").values_list("position", flat=True)) == [0, 1, 2]


def test_proposal_form_takes_location_and_images(
    in_alpha: City, alpha_client: Client, resident: Any, media: Path
) -> None:
    process = services.process_create(title="PB", total_budget=100_000)
    logged_in(alpha_client, resident)
    url = f"/budgets/{process.pk}/propose/"
    form = alpha_client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="latitude"' in form and 'name="images"' in form
    bad = alpha_client.post(url, {"title": "Mural", "estimated_cost": "50", "latitude": "95", "longitude": "2"})
    assert bad.status_code == 200 and "between -90 and 90" in bad.content.decode()
    ok = alpha_client.post(
        url,
        {
            "title": "Mural",
            "estimated_cost": "50",
            "latitude": "48.85",
            "longitude": "2.35",
            "images": [SimpleUploadedFile("a.png", png_bytes()), SimpleUploadedFile("b.png", png_bytes())],
        },
    )
    assert ok.status_code == 302
    project = Project.objects.get(title="Mural")
    assert project.latitude == Decimal("48.85") and project.images.count() == 2
    page = alpha_client.get(f"/budgets/{process.pk}/projects/{project.pk}/").content.decode()
    first = project.images.order_by("position").first()
    assert first is not None and f'src="{first.file.url}"' in page and "openstreetmap.org" in page


# --- pages --------------------------------------------------------------------------------------------


def test_support_button_works_without_javascript(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process, project = proposals_process()
    url = f"/budgets/{process.pk}/projects/{project.pk}/"
    anonymous = alpha_client.get(url).content.decode()
    assert "0 people support this project." in anonymous and "Sign in to support this project." in anonymous
    logged_in(alpha_client, resident)
    assert f'action="{url}support/"' in alpha_client.get(url).content.decode()
    done = alpha_client.post(f"{url}support/", {"action": "support"})
    assert done.status_code == 302 and done["Location"] == f"{url}#support"
    page = alpha_client.get(url).content.decode()
    assert "1 person supports this project." in page and "Withdraw my support" in page
    alpha_client.post(f"{url}support/", {"action": "unsupport"})
    assert "0 people support this project." in alpha_client.get(url).content.decode()
    assert ProjectSupport.objects.count() == 0


def test_support_outside_proposals_shows_the_reason(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process, project = proposals_process()
    in_phase(process, Phase.VOTING)
    logged_in(alpha_client, resident)
    url = f"/budgets/{process.pk}/projects/{project.pk}/"
    page = alpha_client.get(url).content.decode()
    assert "Support this project" not in page and "Supports are taken while proposals are open." in page
    followed = alpha_client.post(f"{url}support/", {"action": "support"}, follow=True).content.decode()
    assert "Supports are only taken while proposals are open." in followed
    assert not ProjectSupport.objects.exists()


def test_comments_are_escaped_on_the_page(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process, project = proposals_process()
    logged_in(alpha_client, resident)
    url = f"/budgets/{process.pk}/projects/{project.pk}/"
    posted = alpha_client.post(f"{url}comments/", {"body": XSS})
    created = ProjectComment.objects.get(project=project)
    assert posted.status_code == 302 and posted["Location"] == f"{url}#comment-{created.pk}"
    alpha_client.post(f"{url}comments/", {"body": "Agreed", "parent": str(created.pk)})
    body = Client(HTTP_HOST=alpha_client.defaults["HTTP_HOST"]).get(url).content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body and "Agreed" in body
    assert "2 comments" in body
    empty = alpha_client.post(f"{url}comments/", {"body": "   "})
    assert empty.status_code == 200 and 'id="error-summary"' in empty.content.decode()


def test_comment_form_refused_after_review(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process, project = proposals_process()
    in_phase(process, Phase.VOTING)
    logged_in(alpha_client, resident)
    url = f"/budgets/{process.pk}/projects/{project.pk}/"
    assert "Comments are closed." in alpha_client.get(url).content.decode()
    response = alpha_client.post(f"{url}comments/", {"body": "Late"})
    assert response.status_code == 409 and "Comments are closed" in response.content.decode()
    assert not ProjectComment.objects.exists()


def test_staff_hide_a_comment_from_the_page(
    in_alpha: City, alpha_client: Client, resident: Any, staff_pair: tuple[Any, Any]
) -> None:
    process, project = proposals_process()
    rude = comment(process, project, resident, "Rude words here")
    hide_url = f"/manage/budgets/{process.pk}/projects/{project.pk}/comments/{rude.pk}/hide/"
    page_url = f"/budgets/{process.pk}/projects/{project.pk}/"
    logged_in(alpha_client, resident)
    assert hide_url not in alpha_client.get(page_url).content.decode()
    assert alpha_client.post(hide_url, {"reason": "Mine"}).status_code == 404  # residents never see the back-office
    logged_in(alpha_client, staff_pair[1])
    assert hide_url in alpha_client.get(page_url).content.decode()
    response = alpha_client.post(hide_url, {"reason": "Personal attacks"})
    assert response.status_code == 302 and response["Location"] == f"{page_url}#comment-{rude.pk}"
    body = Client(HTTP_HOST=alpha_client.defaults["HTTP_HOST"]).get(page_url).content.decode()
    assert "Rude words here" not in body and "hidden by the moderators: Personal attacks" in body


def test_unreviewed_proposal_page_is_private(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process = services.process_create(title="PB", total_budget=100)
    mine = Project.objects.create(process=process, title="Mine", estimated_cost=5, author=resident)
    url = f"/budgets/{process.pk}/projects/{mine.pk}/"
    assert alpha_client.get(url).status_code == 404
    assert logged_in(alpha_client, resident).get(url).status_code == 200


def test_staff_page_shows_supports_and_comments_counts(
    in_alpha: City, alpha_client: Client, resident: Any, staff_pair: tuple[Any, Any]
) -> None:
    process, project = proposals_process()
    support(process, project, resident)
    support(process, project, make_user())
    comment(process, project, resident, "One")
    body = logged_in(alpha_client, staff_pair[0]).get(f"/manage/budgets/{process.pk}/").content.decode()
    assert "2 supports" in body and "1 comment" in body and "1 comments" not in body


def test_process_page_links_projects_with_their_counts(in_alpha: City, alpha_client: Client, resident: Any) -> None:
    process, project = proposals_process()
    support(process, project, resident)
    body = alpha_client.get(f"/budgets/{process.pk}/").content.decode()
    assert f'href="/budgets/{process.pk}/projects/{project.pk}/"' in body and "<td>1</td>" in body


# --- API ------------------------------------------------------------------------------------------------


def test_api_support_put_and_delete(in_alpha: City, alpha_api: APIClient, resident: Any) -> None:
    process, project = proposals_process()
    url = f"/api/v1/budgets/processes/{process.pk}/projects/{project.pk}/support/"
    assert alpha_api.put(url).status_code in (401, 403)
    alpha_api.force_authenticate(resident)
    assert alpha_api.put(url).json() == {"supported": True, "support_count": 1}
    assert alpha_api.put(url).json() == {"supported": True, "support_count": 1}
    detail = alpha_api.get(f"/api/v1/budgets/processes/{process.pk}/projects/{project.pk}/").json()
    assert detail["supported"] is True and detail["support_count"] == 1
    assert alpha_api.delete(url).json() == {"supported": False, "support_count": 0}
    in_phase(process, Phase.REVIEW)
    closed = alpha_api.put(url)
    assert closed.status_code == 409
    assert closed.json()["error"]["code"] == "supports_closed" and closed.json()["error"]["message"]
    missing = alpha_api.put(f"/api/v1/budgets/processes/{process.pk}/projects/{project.pk + 999}/support/")
    assert missing.status_code == 404 and "error" in missing.json()


def test_api_comments_list_and_post(
    in_alpha: City, alpha_api: APIClient, resident: Any, staff_pair: tuple[Any, Any]
) -> None:
    process, project = proposals_process()
    url = f"/api/v1/budgets/processes/{process.pk}/projects/{project.pk}/comments/"
    assert alpha_api.post(url, {"body": "Hi"}, format="json").status_code in (401, 403)
    alpha_api.force_authenticate(resident)
    created = alpha_api.post(url, {"body": XSS}, format="json")
    assert created.status_code == 201 and created.json()["body"] == XSS  # stored as plain text, as typed
    first = created.json()["id"]
    reply = alpha_api.post(url, {"body": "Reply", "parent": first}, format="json").json()
    assert reply["parent"] == first and reply["author"]
    bad = alpha_api.post(url, {"body": "  "}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]
    services.comment_hide(comment_id=first, moderator=staff_pair[0], reason="Scripts")
    alpha_api.force_authenticate(None)
    listed = alpha_api.get(url).json()
    assert listed["count"] == 2 and [c["id"] for c in listed["results"]] == [first, reply["id"]]
    assert listed["results"][0] | {"created_at": None, "author": None} == {
        "id": first,
        "parent": None,
        "author": None,
        "body": "",
        "hidden": True,
        "hidden_reason": "Scripts",
        "removed": False,
        "created_at": None,
    }
    in_phase(process, Phase.VOTING)
    alpha_api.force_authenticate(resident)
    late = alpha_api.post(url, {"body": "Late"}, format="json")
    assert late.status_code == 409 and late.json()["error"]["code"] == "comments_closed"


def test_api_proposal_with_location_and_image(in_alpha: City, alpha_api: APIClient, resident: Any, media: Path) -> None:
    process = services.process_create(title="PB", total_budget=100_000)
    alpha_api.force_authenticate(resident)
    url = f"/api/v1/budgets/processes/{process.pk}/projects/"
    bad = alpha_api.post(
        url, {"title": "Mural", "estimated_cost": 50, "latitude": "91", "longitude": "0"}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"latitude"}
    created = alpha_api.post(
        url,
        {
            "title": "Mural",
            "estimated_cost": 50,
            "latitude": "45.5",
            "longitude": "-73.25",
            "images": [SimpleUploadedFile("a.png", png_bytes())],
        },
        format="multipart",
    )
    assert created.status_code == 201 and created.json()["latitude"] == "45.500000"
    detail = alpha_api.get(f"{url}{created.json()['id']}/").json()
    assert len(detail["images"]) == 1 and detail["images"][0]["content_type"] == "image/png"
    assert detail["images"][0]["url"].endswith(".png") and detail["follow_up"]["funded"] is False


# --- GDPR ----------------------------------------------------------------------------------------------


def test_gdpr_export_and_erase_keeping_contributions(in_alpha: City, resident: Any) -> None:
    process, project = proposals_process()
    support(process, project, resident)
    support(process, project, make_user())
    mine = comment(process, project, resident, "My words")
    exported = interface.gdpr_export(user_id=resident.pk)
    assert [c["body"] for c in exported["budget_comments"]] == ["My words"]
    assert [s["project"] for s in exported["budget_supports"]] == ["Park"]
    erased = interface.gdpr_erase(user_id=resident.pk, keep_contributions=True)
    assert erased["supports_deleted"] == 1 and erased["comments_anonymised"] == 1 and erased["comments_deleted"] == 0
    project.refresh_from_db()
    assert project.support_count == 1 and ProjectSupport.objects.filter(project=project).count() == 1
    mine.refresh_from_db()
    assert mine.author_id is None and mine.body == "My words" and project.comment_count == 1
    assert interface.gdpr_export(user_id=resident.pk) == {
        "budget_projects": [],
        "budget_comments": [],
        "budget_supports": [],
    }


def test_gdpr_erase_without_keeping_contributions(in_alpha: City, resident: Any) -> None:
    process, project = proposals_process()
    other = make_user()
    alone = comment(process, project, resident, "Alone")
    answered = comment(process, project, resident, "Answered")
    their_reply = comment(process, project, other, "A reply", parent=answered.pk)
    erased = interface.gdpr_erase(user_id=resident.pk, keep_contributions=False)
    assert erased["comments_deleted"] == 1
    assert not ProjectComment.objects.filter(pk=alone.pk).exists()
    answered.refresh_from_db()
    assert answered.body == "" and answered.removed_at is not None and answered.author_id is None
    assert ProjectComment.objects.get(pk=their_reply.pk).body == "A reply"
    project.refresh_from_db()
    assert project.comment_count == 1  # only the other person's reply is still readable


def test_voting_process_pages_still_render(in_alpha: City, alpha_client: Client) -> None:
    process = make_process(costs={"Park": 10})
    project = process.projects.get()
    page = alpha_client.get(f"/budgets/{process.pk}/projects/{project.pk}/")
    assert page.status_code == 200 and "Park" in page.content.decode()
