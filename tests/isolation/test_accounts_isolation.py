"""What alpha's accounts app writes, beta can neither list, fetch, nor use."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tenant_apps.accounts import interface
from tenant_apps.accounts.models import CensusEntry, CitySecret, LetterCode, Participation, Profile
from tenant_apps.accounts.services import verification as services
from tenants.context import in_city
from tenants.models import City
from tests.tenant_apps.accounts.conftest import make_user


def test_alpha_people_and_verification_data_are_invisible_in_beta(alpha: City, beta: City, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "plan_check", lambda method: None)
    with in_city(city_id=alpha.id):
        user = make_user(email="isolated-person@people.example")
        services.census_import(actor=None, content=b"document_number,birth_date\nISO12345,1980-01-01\n")
        batch = services.letter_batch_create(actor=None, size=1)
        code = batch.codes.get().code
        interface.participation_record(user_id=user.pk, process_key="budgets.process:iso")
        alpha_salt = CitySecret.objects.get().salt
    with in_city(city_id=beta.id):
        assert not Profile.objects.filter(user__email="isolated-person@people.example").exists()
        assert not LetterCode.objects.filter(code=code).exists()
        assert not Participation.objects.filter(process_key="budgets.process:iso").exists()
        assert CitySecret.objects.filter(salt=alpha_salt).count() == 0
        services.settings_update(enabled_methods=["letter"], requirements={})
        other = make_user()
        try:
            services.verify_with_letter_code(user=other, code=code)
            raise AssertionError("alpha's letter code worked in beta")
        except services.ApplicationError as exc:
            assert exc.code == "code_invalid"


def test_same_document_gives_different_digests_per_city(alpha: City, beta: City, monkeypatch: Any) -> None:
    content = b"document_number,birth_date\nSAME99999,1980-01-01\n"
    with in_city(city_id=alpha.id):
        services.census_import(actor=None, content=content)
        alpha_hash = CensusEntry.objects.latest("id").identity_hash
    with in_city(city_id=beta.id):
        services.census_import(actor=None, content=content)
        beta_hash = CensusEntry.objects.latest("id").identity_hash
    assert alpha_hash != beta_hash


def test_alpha_staff_cannot_open_beta_back_office(
    alpha: City, beta: Client, alpha_client: Client, beta_client: Client
) -> None:
    with in_city(city_id=alpha.id):
        staff = make_user(role="city_admin")
        alpha_client.force_login(staff)
    assert alpha_client.get("/manage/").status_code == 200
    beta_client.cookies = alpha_client.cookies
    response = beta_client.get("/manage/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]
