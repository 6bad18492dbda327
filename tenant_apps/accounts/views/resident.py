"""Resident pages under /account/: register, confirm, sign-in link, profile, verification, my data."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from tenant_apps.accounts import forms, gdpr, selectors
from tenant_apps.accounts.models import Method
from tenant_apps.accounts.services import accounts as account_services
from tenant_apps.accounts.services import verification as verification_services

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _form_page(
    request: HttpRequest, form: Any, *, title: str, submit: str, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {"form": form, "title": title, "submit_label": submit, **extra}
    return render(request, "accounts/form.html", context, status=status)


def _message(request: HttpRequest, *, title: str, message: str, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "accounts/message.html", {"title": title, "message": message, **extra}, status=status)


def _error(request: HttpRequest, form: Any, exc: ApplicationError, **kwargs: Any) -> HttpResponse:
    for field, field_messages in exc.fields.items():
        if field in form.fields:
            for message in field_messages:
                form.add_error(field, message)
    status = exc.status_code if exc.status_code != 400 else 200
    return _form_page(request, form, error=exc.message, status=status, **kwargs)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    title, submit = _("Create an account"), _("Create my account")
    form = forms.RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.account_register(**form.cleaned_data)
        except ApplicationError as exc:
            return _error(request, form, exc, title=title, submit=submit)
        return redirect("accounts:register_done")
    return _form_page(request, form, title=title, submit=submit)


def register_done(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        title=_("Check your email"),
        message=_("We sent a message to the address you gave. Open its link to confirm your account."),
    )


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = account_services.email_verify(token=token)
    except ApplicationError as exc:
        return _message(request, title=_("Confirm your email address"), message=exc.message, status=400, is_error=True)
    if not request.user.is_authenticated:
        login(request, user, backend=BACKEND)
    messages.success(request, _("Your email address is confirmed."))
    return redirect("accounts:profile")


@require_http_methods(["GET", "POST"])
def login_link_request(request: HttpRequest) -> HttpResponse:
    if not selectors.accounts_settings().passwordless_login:
        return _message(request, title=_("Sign in"), message=_("Sign-in by link is not offered here."), status=404)
    form = forms.EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_services.login_link_request(email=form.cleaned_data["email"])
        return _message(
            request,
            title=_("Check your email"),
            message=_("If an account uses this address, a sign-in link is on its way."),
        )
    return _form_page(request, form, title=_("Sign in with a link"), submit=_("Send me a link"))


@require_http_methods(["GET", "POST"])
def login_link_use(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST signs in: mail scanners that open links do not use them up."""
    try:
        user = account_services.login_link_check(token=token)
    except ApplicationError as exc:
        return _message(request, title=_("Sign in"), message=exc.message, status=400, is_error=True)
    if request.method == "POST":
        login(request, user, backend=BACKEND)
        return redirect("/")
    return _message(request, title=_("Sign in"), message=user.email, confirm_label=_("Sign in"))


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    current = selectors.profile_for(user)  # type: ignore[arg-type]
    initial = {
        "display_name": user.display_name,  # type: ignore[union-attr]
        "preferred_language": user.preferred_language,  # type: ignore[union-attr]
        "postal_code": current.postal_code,
        "district": current.district,
        "birth_year": current.birth_year,
        "notify_replies": current.notify_replies,
        "notify_news": current.notify_news,
    }
    form = forms.ProfileForm(request.POST or None, initial=initial)
    links = [
        (reverse("accounts:verification"), _("Verify that you live here")),
        (reverse("accounts:my_data"), _("Download my data")),
        (reverse("accounts:delete"), _("Delete my account")),
    ]
    if current.email_verified_at is None:
        messages.warning(request, _("Your email address is not confirmed yet: follow the link we sent you."))
    if request.method == "POST" and form.is_valid():
        try:
            account_services.profile_update(user=user, **form.cleaned_data)  # type: ignore[arg-type]
        except ApplicationError as exc:
            return _error(request, form, exc, title=_("My profile"), submit=_("Save"), links=links)
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return _form_page(request, form, title=_("My profile"), submit=_("Save"), links=links)


@login_required
def verification(request: HttpRequest) -> HttpResponse:
    status = verification_services.verification_status(user=request.user)  # type: ignore[arg-type]
    urls = {
        Method.CENSUS: "accounts:verify_census",
        Method.LETTER: "accounts:verify_letter",
        Method.EMAIL_DOMAIN: "accounts:verify_email_domain",
        Method.SMS: "accounts:verify_sms",
    }
    rows = [
        {"label": Method(m).label, "done": done, "url": reverse(urls[Method(m)])}
        for m, done in status["methods"].items()
    ]
    return render(request, "accounts/verification.html", {"rows": rows, "email_verified": status["email_verified"]})


def _verify_page(request: HttpRequest, form_class: type, *, title: str, action: Any, intro: str = "") -> HttpResponse:
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            return _error(request, form, exc, title=title, submit=_("Verify"), intro=intro)
        messages.success(request, _("Thank you: your account is verified."))
        return redirect("accounts:verification")
    return _form_page(request, form, title=title, submit=_("Verify"), intro=intro)


@login_required
@require_http_methods(["GET", "POST"])
def verify_census(request: HttpRequest) -> HttpResponse:
    def action(*, user: Any, document_number: str, birth_date: Any, postal_code: str) -> None:
        verification_services.verify_with_census(
            user=user,
            document_number=document_number,
            birth_date=birth_date.isoformat() if birth_date else "",
            postal_code=postal_code,
        )

    second = selectors.accounts_settings().census_second_factor
    intro = (
        _("Enter the number of your identity document and your postal code.")
        if second == "postal_code"
        else _("Enter the number of your identity document and your date of birth.")
    )
    return _verify_page(
        request, forms.CensusVerifyForm, title=_("Verify with the population register"), action=action, intro=intro
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify_letter(request: HttpRequest) -> HttpResponse:
    return _verify_page(
        request,
        forms.LetterCodeForm,
        title=_("Verify with the code from your letter"),
        action=verification_services.verify_with_letter_code,
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify_email_domain(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            verification_services.verify_with_email_domain(user=request.user)  # type: ignore[arg-type]
        except ApplicationError as exc:
            return _message(
                request,
                title=_("Verify with your email address"),
                message=exc.message,
                status=exc.status_code,
                is_error=True,
            )
        messages.success(request, _("Thank you: your account is verified."))
        return redirect("accounts:verification")
    return _message(
        request,
        title=_("Verify with your email address"),
        message=_("If your email address belongs to an allowed organisation, this verifies your account."),
        confirm_label=_("Verify"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify_sms(request: HttpRequest) -> HttpResponse:
    title = _("Verify with your mobile phone")
    if "code" in request.POST:
        confirm = forms.SmsConfirmForm(request.POST)
        if confirm.is_valid():
            try:
                verification_services.sms_challenge_confirm(user=request.user, code=confirm.cleaned_data["code"])  # type: ignore[arg-type]
            except ApplicationError as exc:
                return _error(request, confirm, exc, title=title, submit=_("Verify"))
            messages.success(request, _("Thank you: your account is verified."))
            return redirect("accounts:verification")
        return _form_page(request, confirm, title=title, submit=_("Verify"))
    form = forms.SmsStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification_services.sms_challenge_start(user=request.user, phone=form.cleaned_data["phone"])  # type: ignore[arg-type]
        except ApplicationError as exc:
            return _error(request, form, exc, title=title, submit=_("Send me a code"))
        return _form_page(
            request, forms.SmsConfirmForm(), title=title, submit=_("Verify"), intro=_("We sent you a code.")
        )
    return _form_page(request, form, title=title, submit=_("Send me a code"))


@login_required
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        gdpr.export_request(user=request.user)  # type: ignore[arg-type]
        messages.success(request, _("We are preparing your data; we will email you a download link."))
        return redirect("accounts:my_data")
    exports = selectors.exports_of(user_id=int(request.user.pk or 0))[:10]
    return render(request, "accounts/my_data.html", {"exports": exports})


@login_required
def export_download(request: HttpRequest, export_id: int, token: str) -> HttpResponse:
    try:
        content = gdpr.export_download(user=request.user, export_id=export_id, token=token)  # type: ignore[arg-type]
    except ApplicationError as exc:
        return _message(request, title=_("Download my data"), message=exc.message, status=404, is_error=True)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="my-data.zip"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = forms.DeleteAccountForm(request.POST or None)
    title = _("Delete my account")
    intro = _(
        "Your name, email address and profile are erased. Your votes stay counted, anonymously. "
        "Choose what happens to your contributions."
    )
    if request.method == "POST" and form.is_valid():
        gdpr.account_delete(user=request.user, keep_contributions=form.cleaned_data["keep_contributions"])  # type: ignore[arg-type]
        from django.contrib.auth import logout

        logout(request)
        return _message(request, title=title, message=_("Your account is deleted."))
    return _form_page(request, form, title=title, submit=_("Delete my account"), intro=intro)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    title = _("Join the team")
    try:
        invitation = account_services.invitation_get(token=token)
    except ApplicationError as exc:
        return _message(request, title=title, message=exc.message, status=400, is_error=True)
    form = forms.InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.invitation_accept(token=token, **form.cleaned_data)
        except ApplicationError as exc:
            return _error(request, form, exc, title=title, submit=_("Accept"))
        login(request, user, backend=BACKEND)
        return redirect("manage:dashboard")
    intro = _("Invitation for %(email)s.") % {"email": invitation.email}
    return _form_page(request, form, title=title, submit=_("Accept"), intro=intro)
