"""Census import and verification, letter codes, email domains, SMS, per-action requirements."""

from __future__ import annotations

from typing import Any

import pytest

from core.exceptions import ApplicationError
from tenant_apps.accounts import gdpr, interface
from tenant_apps.accounts.models import CensusEntry, CitySecret, LetterCode, Method, Verification
from tenant_apps.accounts.services import verification as services
from tenant_apps.accounts.verification.hashing import digest
from tenant_apps.accounts.verification.sms import DevelopmentSmsBackend
from tenants.models import City

from .conftest import enable, make_user

GOOD_CSV = (
    b"document_number;birth_date;postal_code;district\n"
    b"AB-123.456;1980-02-03;1000;Centre\n"
    b"CD 999 888;1975-12-31;1020;Nord\n"
)


def test_census_stores_only_salted_digests(in_alpha: City, any_plan: list[str]) -> None:
    services.census_import(actor=None, content=GOOD_CSV)
    entry = CensusEntry.objects.get(district="Centre")
    assert "AB123456" not in str(vars(entry)) and "123456" not in entry.identity_hash
    salt = CitySecret.objects.get().salt.encode()
    assert entry.identity_hash == digest("census", "AB123456", salt=salt)
    assert digest("census", "AB123456", salt=b"another city") != entry.identity_hash


def test_census_with_bad_rows_imports_nothing_and_says_which_lines(in_alpha: City, any_plan: list[str]) -> None:
    before = CensusEntry.objects.count()
    bad = (
        b"document_number,birth_date,district\n"
        b"ZZ000001,1980-01-01,Centre\n"
        b",1980-01-01,Centre\n"
        b"ZZ000003,not-a-date,Centre\n"
        b"ZZ000001,1981-01-01,Sud\n"
    )
    with pytest.raises(ApplicationError) as caught:
        services.census_import(actor=None, content=bad)
    assert caught.value.code == "census_invalid"
    assert set(caught.value.fields) == {"line 3", "line 4", "line 5"}
    assert "empty" in caught.value.fields["line 3"][0]
    assert "date" in caught.value.fields["line 4"][0]
    assert "line 2" in caught.value.fields["line 5"][0]
    assert CensusEntry.objects.count() == before


def test_census_missing_column_is_a_file_error(in_alpha: City) -> None:
    with pytest.raises(ApplicationError) as caught:
        services.census_import(actor=None, content=b"number,date\n1,2\n")
    assert "birth_date" in caught.value.fields["file"][0]


def test_census_verification_with_birth_date(in_alpha: City, any_plan: list[str]) -> None:
    enable(methods=[Method.CENSUS])
    services.census_import(actor=None, content=GOOD_CSV)
    user = make_user()
    with pytest.raises(ApplicationError) as caught:
        services.verify_with_census(user=user, document_number="AB123456", birth_date="1980-02-04")
    assert caught.value.code == "census_no_match"
    verification = services.verify_with_census(user=user, document_number="ab 123 456", birth_date="1980-02-03")
    assert verification.district == "Centre" and interface.verified_district(user_id=user.pk) == "Centre"
    assert any_plan.count(Method.CENSUS) >= 1


def test_census_verification_with_postal_code(in_alpha: City, any_plan: list[str]) -> None:
    enable(methods=[Method.CENSUS], census_second_factor="postal_code")
    services.census_import(actor=None, content=GOOD_CSV)
    user = make_user()
    with pytest.raises(ApplicationError):
        services.verify_with_census(user=user, document_number="CD999888", postal_code="1000")
    assert services.verify_with_census(user=user, document_number="CD999888", postal_code="1020").district == "Nord"


def test_one_census_identity_verifies_one_account(in_alpha: City, any_plan: list[str]) -> None:
    enable(methods=[Method.CENSUS])
    services.census_import(actor=None, content=GOOD_CSV)
    first, second = make_user(), make_user()
    services.verify_with_census(user=first, document_number="AB123456", birth_date="1980-02-03")
    with pytest.raises(ApplicationError) as caught:
        services.verify_with_census(user=second, document_number="AB123456", birth_date="1980-02-03")
    assert caught.value.code == "identity_taken"
    assert not Verification.objects.filter(user=second).exists()


def test_deleted_account_keeps_a_marker_so_the_same_person_cannot_vote_twice(
    in_alpha: City, any_plan: list[str]
) -> None:
    enable(methods=[Method.CENSUS], requirements={"vote_budget": [Method.CENSUS]})
    services.census_import(actor=None, content=GOOD_CSV)
    first = make_user()
    services.verify_with_census(user=first, document_number="AB123456", birth_date="1980-02-03")
    interface.participation_record(user_id=first.pk, process_key="budgets.process:1")
    gdpr.account_delete(user=first, keep_contributions=True)

    again = make_user()
    services.verify_with_census(user=again, document_number="AB123456", birth_date="1980-02-03")
    assert interface.can(again, "vote_budget").allowed
    assert interface.has_participated(user_id=again.pk, process_key="budgets.process:1")
    with pytest.raises(ApplicationError) as caught:
        interface.participation_record(user_id=again.pk, process_key="budgets.process:1")
    assert caught.value.code == "already_participated"
    # A new process is open to them.
    interface.participation_record(user_id=again.pk, process_key="budgets.process:2")


def test_letter_code_is_single_use(in_alpha: City, any_plan: list[str]) -> None:
    enable(methods=[Method.LETTER])
    batch = services.letter_batch_create(actor=None, size=3, district="Sud")
    code = LetterCode.objects.filter(batch=batch).first()
    assert code is not None
    first, second = make_user(), make_user()
    verification = services.verify_with_letter_code(user=first, code=code.code.lower().replace("-", " "))
    assert verification.district == "Sud"
    with pytest.raises(ApplicationError) as caught:
        services.verify_with_letter_code(user=second, code=code.code)
    assert caught.value.code == "code_invalid"
    code.refresh_from_db()
    assert code.redeemed_by_id == first.pk


def test_letter_batch_exports_csv_and_pdf(in_alpha: City, any_plan: list[str]) -> None:
    from tenant_apps.accounts.verification import letters

    batch = services.letter_batch_create(actor=None, size=2)
    rows = [(c, "") for c in batch.codes.values_list("code", flat=True)]
    assert letters.codes_csv(rows).decode().count("\n") == 3
    assert letters.codes_pdf(codes=rows, city_name="Alphaville", url="http://x", intro="Hello").startswith(b"%PDF")


def test_email_domain_allow_list(in_alpha: City, any_plan: list[str]) -> None:
    enable(methods=[Method.EMAIL_DOMAIN], email_domains=["@School.example"])
    pupil, outsider = make_user(email="pupil-x1@school.example"), make_user()
    assert services.verify_with_email_domain(user=pupil).method == Method.EMAIL_DOMAIN
    with pytest.raises(ApplicationError) as caught:
        services.verify_with_email_domain(user=outsider)
    assert caught.value.code == "domain_not_allowed"


def test_sms_code_through_the_development_backend(
    in_alpha: City, any_plan: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    enable(methods=[Method.SMS])
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        services.sms_challenge_start(user=user, phone="+32 470 12 34 56")
    to, body = DevelopmentSmsBackend.outbox[-1]
    assert to == "+32470123456"
    code = body.rsplit(" ", 1)[-1]
    with pytest.raises(ApplicationError):
        services.sms_challenge_confirm(user=user, code="000000" if code != "000000" else "111111")
    assert services.sms_challenge_confirm(user=user, code=code).method == Method.SMS
    # The same phone cannot verify another account.
    other = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        services.sms_challenge_start(user=other, phone="0032470123456")
    code = DevelopmentSmsBackend.outbox[-1][1].rsplit(" ", 1)[-1]
    with pytest.raises(ApplicationError) as caught:
        services.sms_challenge_confirm(user=other, code=code)
    assert caught.value.code == "identity_taken"


def test_disabled_method_is_refused(in_alpha: City, any_plan: list[str]) -> None:
    enable(methods=[])
    with pytest.raises(ApplicationError) as caught:
        services.verify_with_letter_code(user=make_user(), code="AAAA-BBBB-CCCC")
    assert caught.value.code == "method_disabled"


def test_method_outside_the_plan_is_refused(in_alpha: City) -> None:
    from shared_apps.billing.models import Plan, Subscription

    # On the Village plan: email-domain lists and letter codes, but no census and no SMS.
    Subscription.objects.filter(city_id=in_alpha.id).update(plan=Plan.objects.get(code="village"))
    for method in (Method.CENSUS, Method.SMS):
        with pytest.raises(ApplicationError) as caught:
            enable(methods=[method])
        assert caught.value.code == "plan_limit"
    enable(methods=[Method.LETTER, Method.EMAIL_DOMAIN])


@pytest.mark.parametrize(
    ("holds", "action", "allowed", "code"),
    [
        ([], "comment", True, "ok"),
        ([], "vote_budget", False, "verification_required"),
        ([Method.EMAIL_DOMAIN], "vote_budget", False, "verification_required"),
        ([Method.LETTER], "vote_budget", True, "ok"),
        ([Method.CENSUS], "vote_budget", True, "ok"),
        ([Method.EMAIL_DOMAIN], "propose_project", True, "ok"),
    ],
)
def test_per_action_requirements(
    in_alpha: City, any_plan: list[str], holds: list[str], action: str, allowed: bool, code: str
) -> None:
    enable(
        methods=[Method.CENSUS, Method.LETTER, Method.EMAIL_DOMAIN],
        requirements={"vote_budget": [Method.CENSUS, Method.LETTER], "propose_project": [Method.EMAIL_DOMAIN]},
    )
    user = make_user()
    for n, method in enumerate(holds):
        Verification.objects.create(user=user, method=method, identity_hash=f"{user.pk}-{n}-{method}")
    decision = interface.can(user, action)
    assert (decision.allowed, decision.code) == (allowed, code)
    if not allowed:
        assert decision.reason and set(decision.methods) == {Method.CENSUS, Method.LETTER}


def test_can_refuses_anonymous_and_unconfirmed(in_alpha: City) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert interface.can(AnonymousUser(), "comment").code == "login_required"
    assert interface.can(make_user(verified=False), "comment").code == "email_unverified"


def test_can_api_gives_the_reason(alpha: City, alpha_api: Any) -> None:
    body = alpha_api.get("/api/v1/accounts/can/comment/").json()
    assert body["allowed"] is False and body["code"] == "login_required" and body["reason"]
    assert alpha_api.get("/api/v1/accounts/can/fly/").status_code == 404
