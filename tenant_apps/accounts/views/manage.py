"""Staff back-office under /manage/: moderators and city admins only (others get 404 or the login page)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from tenant_apps.accounts import forms, selectors
from tenant_apps.accounts.models import Action, LetterBatch, Role
from tenant_apps.accounts.services import accounts as account_services
from tenant_apps.accounts.services import verification as verification_services
from tenant_apps.accounts.services.links import city_url
from tenant_apps.accounts.verification import letters
from tenant_apps.accounts.views.resident import _error, _form_page
from tenants.context import current_city

View = Callable[..., HttpResponse]


def staff_only(admin: bool = False) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = selectors.is_city_admin(request.user) if admin else selectors.is_staff_member(request.user)
            if not allowed:
                raise Http404  # the back-office is not even shown to residents
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@staff_only()
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "is_admin": selectors.is_city_admin(request.user),
        "staff": selectors.staff_list()[:50],
        "roles": Role.choices,
        "batches": LetterBatch.objects.order_by("-created_at")[:20],
    }
    return render(request, "accounts/manage/dashboard.html", context)


@staff_only(admin=True)
def staff_invite(request: HttpRequest) -> HttpResponse:
    form = forms.InviteForm(request.POST or None)
    title, submit = _("Invite a team member"), _("Send the invitation")
    if request.method == "POST" and form.is_valid():
        try:
            account_services.staff_invite(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ApplicationError as exc:
            return _error(request, form, exc, title=title, submit=submit)
        messages.success(request, _("The invitation is sent."))
        return redirect("manage:dashboard")
    return _form_page(request, form, title=title, submit=submit)


@staff_only(admin=True)
@require_POST
def team_role(request: HttpRequest, user_id: int) -> HttpResponse:
    """A city admin changes a team member's role (back to resident removes them from the team)."""
    member = get_object_or_404(get_user_model(), pk=user_id)
    role = request.POST.get("role", "")
    try:
        account_services.role_set(actor=request.user, user=member, role=role)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(email)s is now %(role)s.") % {"email": member.email, "role": Role(role).label})
    return redirect("manage:dashboard")


@staff_only(admin=True)
def settings_page(request: HttpRequest) -> HttpResponse:
    config = selectors.accounts_settings()
    initial: dict[str, Any] = {
        "enabled_methods": config.enabled_methods,
        "email_domains": "\n".join(config.email_domains),
        "census_second_factor": config.census_second_factor,
        "passwordless_login": config.passwordless_login,
    }
    initial.update({f"require_{a}": config.requirements.get(a, []) for a in Action.values})
    form = forms.SettingsForm(request.POST or None, initial=initial)
    title, submit = _("Accounts and verification"), _("Save")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            verification_services.settings_update(
                enabled_methods=data["enabled_methods"],
                requirements={a: data[f"require_{a}"] for a in Action.values},
                email_domains=data["email_domains"].split(),
                census_second_factor=data["census_second_factor"],
                passwordless_login=data["passwordless_login"],
            )
        except ApplicationError as exc:
            return _error(request, form, exc, title=title, submit=submit, error_fields=exc.fields)
        messages.success(request, _("Saved."))
        return redirect("manage:settings")
    return _form_page(request, form, title=title, submit=submit)


@staff_only(admin=True)
def census_upload(request: HttpRequest) -> HttpResponse:
    form = forms.CensusUploadForm(request.POST or None, request.FILES or None)
    title, submit = _("Upload the census"), _("Import")
    intro = _("Document numbers and dates are stored only as salted digests. A file with errors imports nothing.")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = verification_services.census_import(actor=request.user, content=upload.read(), filename=upload.name)  # type: ignore[arg-type]
        except ApplicationError as exc:
            return _form_page(
                request,
                form,
                title=title,
                submit=submit,
                intro=intro,
                multipart=True,
                error=exc.message,
                error_fields=exc.fields,
                status=400,
            )
        messages.success(request, _("%(count)s residents imported.") % {"count": batch.row_count})
        return redirect("manage:dashboard")
    return _form_page(request, form, title=title, submit=submit, intro=intro, multipart=True)


@staff_only(admin=True)
def letter_batch_create(request: HttpRequest) -> HttpResponse:
    form = forms.LetterBatchForm(request.POST or None)
    title, submit = _("Generate letter codes"), _("Generate")
    if request.method == "POST" and form.is_valid():
        try:
            verification_services.letter_batch_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ApplicationError as exc:
            return _error(request, form, exc, title=title, submit=submit)
        return redirect("manage:dashboard")
    return _form_page(request, form, title=title, submit=submit)


@staff_only(admin=True)
def letter_batch_download(request: HttpRequest, batch_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "pdf"):
        raise Http404
    batch = get_object_or_404(LetterBatch, pk=batch_id)
    codes = list(batch.codes.filter(redeemed_at__isnull=True).order_by("id").values_list("code", flat=True))
    rows = [(code, batch.district) for code in codes]
    if fmt == "csv":
        response = HttpResponse(letters.codes_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        intro = _(
            "To take part in votes, create an account on the platform,\n"
            "then enter this code under 'Verify that you live here'."
        )
        pdf = letters.codes_pdf(
            codes=rows, city_name=current_city().name, url=city_url(reverse("accounts:verify_letter")), intro=intro
        )
        response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="letter-codes-{batch.pk}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_only()
def demographics(request: HttpRequest) -> HttpResponse:
    threshold = selectors.k_anonymity_threshold()
    return render(
        request, "accounts/manage/demographics.html", {"rows": selectors.demographics(k=threshold), "k": threshold}
    )
