"""What alpha's consultations app holds, beta can neither list, fetch, search, nor guess.

Every route of the consultations URL namespaces (API, pages, back-office, surveys, moderation, exports)
is found from the city URLconf, so a route added later is covered without editing this file; a route
whose parameters this file cannot fill makes the test fail and says which value to add.

Each route is requested on beta's host by one of beta's administrators, in three ways:

* with alpha's consultation slug (and alpha's ids): every method answers 404 (or 405);
* with beta's own consultation and alpha's ids (the ids exist in alpha's schema only): 404 (or 405);
* routes naming no object of alpha's are read (GET) and must not show anything of alpha's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from rest_framework.test import APIClient

from tenant_apps.consultations.models import (
    Answer,
    Attachment,
    Choice,
    Comment,
    Consultation,
    Contribution,
    ExportJob,
    ExportStatus,
    Follow,
    ModerationDecision,
    Notification,
    OfficialAnswer,
    Question,
    QuestionKind,
    Reaction,
    Report,
    Survey,
    SurveyResponse,
    Theme,
)
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

URLCONF = "fluicity.urls_city"
NAMESPACE_PREFIX = "consultations"
METHODS = ("get", "post", "put", "patch", "delete")
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    namespace: str
    name: str
    route: str  # e.g. "api/v1/consultations/<slug:slug>/contributions/<int:contribution_id>/"

    @property
    def params(self) -> list[str]:
        return [m.group("name") for m in _PARAM.finditer(self.route)]

    def path(self, values: dict[str, Any]) -> str:
        return "/" + _PARAM.sub(lambda m: str(values[m.group("name")]), self.route)

    def __str__(self) -> str:
        return f"{self.namespace}:{self.name} /{self.route}"


def consultation_routes() -> list[Route]:
    """Every route under a namespace starting with "consultations" in the city URLconf."""
    found: list[Route] = []

    def walk(patterns: list[URLPattern | URLResolver], namespace: str, prefix: str) -> None:
        for pattern in patterns:
            if not isinstance(pattern.pattern, RoutePattern):
                raise AssertionError(f"{pattern!r}: only path() routes are understood here; use path().")
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace, route)
            elif namespace.startswith(NAMESPACE_PREFIX):
                found.append(Route(namespace, pattern.name or "<unnamed>", route))

    walk(get_resolver(URLCONF).url_patterns, "", "")
    return found


def _in(city: City) -> Any:
    return in_city(city_id=city.id, city=city)


@dataclass
class AlphaWorld:
    marker: str  # a word in every text alpha writes; beta must never show it
    values: dict[str, Any]  # route parameter -> alpha's value
    ids: dict[type[models.Model], int]  # alpha's objects named by id in routes (consultations go by slug)


def _alpha_world(alpha: City) -> AlphaWorld:
    marker = f"alphasecret{uuid.uuid4().hex[:8]}"
    with _in(alpha):
        from tenant_apps.consultations.services import exports

        consultation = make_consultation(title=f"Consultation {marker}", themes=(f"Theme {marker}",))
        theme = Theme.objects.get(consultation=consultation)
        author, staff = make_user(), make_user(role="city_admin")
        contribution = Contribution.objects.create(
            consultation=consultation,
            theme=theme,
            author=author,
            title=f"Contribution {marker}",
            body=f"Body {marker} bicycle lanes",
            search_config=consultation.search_config,
            report_count=1,
        )
        comment = Comment.objects.create(contribution=contribution, author=author, body=f"Comment {marker}")
        reaction = Reaction.objects.create(contribution=contribution, user=staff, kind="support")
        Follow.objects.create(consultation=consultation, user=author)
        OfficialAnswer.objects.create(contribution=contribution, status="accepted", text=f"Answer {marker}")
        attachment = Attachment.objects.create(
            contribution=contribution, file="consultations/attachments/x.png", kind="image",
            content_type="image/png", size=1, original_name=f"{marker}.png",
        )  # fmt: skip
        report = Report.objects.create(contribution=contribution, reporter=staff, reason="spam", note=marker)
        decision = ModerationDecision.objects.create(contribution=contribution, action="hide", reason=marker)
        survey = Survey.objects.create(consultation=consultation, title=f"Survey {marker}")
        question = Question.objects.create(survey=survey, kind=QuestionKind.SINGLE, label=f"Question {marker}")
        choice = Choice.objects.create(question=question, label=f"Choice {marker}")
        response = SurveyResponse.objects.create(survey=survey, respondent=author)
        answer = Answer.objects.create(response=response, question=question, choice=choice)
        job = ExportJob.objects.create(
            consultation=consultation, kind="contributions", format="csv", status=ExportStatus.DONE,
            requested_by=staff, file=f"consultations/exports/{marker}.csv", finished_at=timezone.now(),
        )  # fmt: skip
        notification = Notification.objects.create(recipient=author, kind="comment", consultation=consultation)
        token = exports.download_token(job=job)
    ids: dict[type[models.Model], int] = {
        Theme: theme.pk, Contribution: contribution.pk, Comment: comment.pk,
        Reaction: reaction.pk, Attachment: attachment.pk, Report: report.pk, ModerationDecision: decision.pk,
        Survey: survey.pk, Question: question.pk, Choice: choice.pk, SurveyResponse: response.pk,
        Answer: answer.pk, ExportJob: job.pk, Notification: notification.pk,
    }  # fmt: skip
    values = {
        "slug": consultation.slug,
        "theme_id": theme.pk,
        "contribution_id": contribution.pk,
        "comment_id": comment.pk,
        "attachment_id": attachment.pk,
        "report_id": report.pk,
        "decision_id": decision.pk,
        "survey_id": survey.pk,
        "question_id": question.pk,
        "choice_id": choice.pk,
        "response_id": response.pk,
        "job_id": job.pk,
        "token": token,
        "notification_id": notification.pk,
    }
    return AlphaWorld(marker=marker, values=values, ids=ids)


@pytest.fixture
def world(alpha: City, beta: City) -> Iterator[tuple[AlphaWorld, Consultation, APIClient]]:
    """Alpha's objects, beta's consultation (no themes, nothing in it) and a client signed in as one of
    beta's administrators on beta's host."""
    alpha_world = _alpha_world(alpha)
    with _in(beta):
        beta_consultation = make_consultation(title="Beta's own", themes=())
        # The ids used below exist in alpha's schema only: otherwise "404" would prove nothing.
        for model, pk in alpha_world.ids.items():
            assert not model._default_manager.filter(pk=pk).exists(), f"{model.__name__} {pk} also exists in beta"
        client = APIClient(HTTP_HOST="beta.fluicity.test")
        client.force_login(make_user(role="city_admin"))
    yield alpha_world, beta_consultation, client


def _request(client: APIClient, method: str, path: str) -> Any:
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, {}, format="json")


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _values_for(route: Route, known: dict[str, Any]) -> dict[str, Any]:
    missing = [p for p in route.params if p not in known]
    assert not missing, (
        f"{route}: no alpha value for {missing}; add it to _alpha_world's values so that this route's "
        "isolation is tested"
    )
    return {p: known[p] for p in route.params}


def test_the_consultation_routes_are_found() -> None:
    routes = {f"{r.namespace}:{r.name}" for r in consultation_routes()}
    assert {"consultations-api:contributions", "consultations-api:comments", "consultations-api:figures"} <= routes


@pytest.mark.django_db
def test_alpha_objects_are_not_found_from_beta_on_any_consultation_route(
    world: tuple[AlphaWorld, Consultation, APIClient],
) -> None:
    alpha_world, beta_consultation, client = world
    failures: list[str] = []
    checked = 0
    for route in consultation_routes():
        values = _values_for(route, alpha_world.values)
        variants: list[tuple[str, dict[str, Any]]] = []
        if "slug" in values:
            variants.append(("alpha's slug", values))
        if set(values) - {"slug"}:
            variants.append(("beta's slug, alpha's ids", {**values, "slug": beta_consultation.slug}))
        for label, params in variants:
            path = route.path(params)
            for method in METHODS:
                response = _request(client, method, path)
                checked += 1
                allowed = {404, 405} | ({403} if "token" in params else set())
                if response.status_code not in allowed or alpha_world.marker in _body(response):
                    failures.append(f"{method.upper()} {path} ({route}, {label}) -> {response.status_code}")
    assert checked > 0
    assert not failures, "alpha's objects reachable from beta:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_beta_lists_pages_and_exports_never_show_alpha(
    world: tuple[AlphaWorld, Consultation, APIClient],
) -> None:
    alpha_world, beta_consultation, client = world
    failures: list[str] = []
    for route in consultation_routes():
        if set(route.params) - {"slug"}:
            continue  # names one of alpha's objects: covered above
        path = route.path({"slug": beta_consultation.slug})
        response = client.get(path)
        if response.status_code >= 500 or alpha_world.marker in _body(response):
            failures.append(f"GET {path} ({route}) -> {response.status_code}")
    assert not failures, "beta shows alpha's data:\n" + "\n".join(failures)
    listed = client.get("/api/v1/consultations/").json()["results"]
    assert [c["slug"] for c in listed] == [beta_consultation.slug]


@pytest.mark.django_db
def test_a_search_on_beta_never_returns_alpha_contributions(
    world: tuple[AlphaWorld, Consultation, APIClient], beta: City
) -> None:
    alpha_world, beta_consultation, client = world
    with _in(beta):
        own = Contribution.objects.create(
            consultation=beta_consultation,
            author=make_user(),
            title="Bicycle lanes for beta",
            body="Beta's own bicycle idea",
            search_config=beta_consultation.search_config,
        )
    url = f"/api/v1/consultations/{beta_consultation.slug}/contributions/"
    for q in (alpha_world.marker, "bicycle", "lanes"):
        for status in ("", "published", "pending", "hidden"):
            response = client.get(url, {"q": q, "status": status})
            assert response.status_code == 200, response.content
            assert alpha_world.marker not in _body(response)
            assert {i["id"] for i in response.json()["results"]} <= {own.pk}
    assert [i["id"] for i in client.get(url, {"q": "bicycle"}).json()["results"]] == [own.pk]
    # The residents' page of beta's consultation, searched for words alpha's contribution holds too.
    page = client.get(f"/consultations/{beta_consultation.slug}/", {"q": "bicycle lanes"})
    assert page.status_code == 200 and "Bicycle lanes for beta" in _body(page)
    assert alpha_world.marker not in _body(page)
