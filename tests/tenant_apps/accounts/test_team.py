"""A city admin manages the team's roles from /manage/; nobody else can, and the last admin stays."""

from __future__ import annotations

from django.test import Client

from tenant_apps.accounts.models import Profile, Role
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user


def _client_for(city: City, user: object) -> Client:
    client = Client(HTTP_HOST=f"{city.slug}.fluicity.test")
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_admin_changes_roles_and_cannot_drop_the_last_admin(alpha: City) -> None:
    with in_city(city_id=alpha.id):
        Profile.objects.filter(role=Role.CITY_ADMIN).update(role=Role.RESIDENT)  # start from one known admin
        admin = make_user(role=Role.CITY_ADMIN)
        moderator = make_user(role=Role.MODERATOR)
        client = _client_for(alpha, admin)
    page = client.get("/manage/").content.decode()
    assert f'action="/manage/team/{moderator.pk}/role/"' in page

    client.post(f"/manage/team/{moderator.pk}/role/", {"role": Role.CITY_ADMIN})
    with in_city(city_id=alpha.id):
        assert Profile.objects.get(user=moderator).role == Role.CITY_ADMIN
    client.post(f"/manage/team/{moderator.pk}/role/", {"role": Role.RESIDENT})
    with in_city(city_id=alpha.id):
        moderator.refresh_from_db()
        assert Profile.objects.get(user=moderator).role == Role.RESIDENT and not moderator.is_staff

    response = client.post(f"/manage/team/{admin.pk}/role/", {"role": Role.MODERATOR}, follow=True)
    assert "at least one administrator" in response.content.decode()
    with in_city(city_id=alpha.id):
        assert Profile.objects.get(user=admin).role == Role.CITY_ADMIN


def test_moderators_and_residents_cannot_change_roles(alpha: City) -> None:
    with in_city(city_id=alpha.id):
        moderator = make_user(role=Role.MODERATOR)
        resident = make_user()
        target = make_user(role=Role.MODERATOR)
        clients = [_client_for(alpha, user) for user in (moderator, resident)]  # sessions live in alpha
    for client in clients:
        response = client.post(f"/manage/team/{target.pk}/role/", {"role": Role.CITY_ADMIN})
        assert response.status_code == 404
    with in_city(city_id=alpha.id):
        assert Profile.objects.get(user=target).role == Role.MODERATOR
