"""Sign-up pages on the root host: form, "check your inbox", verification link, progress."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.api import error_body
from core.exceptions import ApplicationError
from core.http import client_ip
from shared_apps.onboarding import ratelimit, selectors, services
from shared_apps.onboarding.forms import HONEYPOT_FIELD, SignupForm, SlugCheckForm


def _apply_error(form: SignupForm, exc: ApplicationError) -> None:
    placed = False
    for field, field_messages in exc.fields.items():
        if field in form.fields:
            for message in field_messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@require_http_methods(["GET", "POST"])
def signup_start(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "onboarding/start.html", {"form": SignupForm()})
    form = SignupForm(request.POST)
    if form.is_bot:
        # Exactly what a person gets after a successful sign-up; nothing recorded, nothing sent.
        return redirect("onboarding:sent")
    if request.POST.get("slug_suggestion"):
        # "Use <suggestion>" without JavaScript: the form comes back filled in with it, not yet sent.
        initial = {key: request.POST.get(key) for key in SignupForm.base_fields if key != HONEYPOT_FIELD}
        initial["slug"] = request.POST["slug_suggestion"]
        return render(request, "onboarding/start.html", {"form": SignupForm(initial=initial)})
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.signup_submit(
                city_name=data["city_name"],
                slug=data["slug"],
                contact_email=data["contact_email"],
                country=data["country"],
                population=data["population"],
                language=data["language"],
                plan=data["plan"],
                requester_ip=client_ip(request),
            )
        except ApplicationError as exc:
            _apply_error(form, exc)
            status = exc.status_code
        else:
            return redirect("onboarding:sent")
    else:
        status = 400
    return render(request, "onboarding/start.html", {"form": form}, status=status)


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "onboarding/sent.html", {"max_age_hours": selectors.verify_max_age() // 3600})


@require_GET
@never_cache
def slug_check(request: HttpRequest) -> JsonResponse:
    """``GET /signup/check/?slug=...[&country=FR&language=fr]``: is the subdomain free, and if not, a
    free one close to it. Invalid or reserved subdomains answer 400 with the error body."""
    address = client_ip(request)
    if address and not ratelimit.hit(
        scope="signup-check",
        key=address,
        limit=int(getattr(settings, "SIGNUP_CHECK_RATE_LIMIT_PER_MINUTE", 60)),
        window_seconds=60,
    ):
        body = error_body(code="rate_limited", message=_("Too many requests. Please wait a minute."))
        return JsonResponse(body, status=429)
    form = SlugCheckForm(request.GET)
    if not form.is_valid():
        fields = {name: [str(m) for m in errors] for name, errors in form.errors.items()}
        codes = [error.code for error in form.errors.as_data().get("slug", []) if error.code]
        first = next(iter(fields.values()))[0]
        return JsonResponse(error_body(code=codes[0] if codes else "invalid", message=first, fields=fields), status=400)
    slug = form.cleaned_data["slug"]
    availability = selectors.slug_availability(
        slug=slug, country=form.cleaned_data["country"].upper(), language=form.cleaned_data["language"]
    )
    if availability.available:
        message = _("“%(slug)s” is free.") % {"slug": slug}
    else:
        message = services.slug_taken_message(slug, availability.suggestion)
    return JsonResponse(
        {
            "slug": slug,
            "host": f"{slug}.{settings.BASE_DOMAIN}",
            "available": availability.available,
            "suggestion": availability.suggestion,
            "message": message,
        }
    )


@require_GET
@never_cache
def signup_verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        result = services.signup_verify(token=token)
    except ApplicationError as exc:
        if exc.code == "link_expired":
            return render(request, "onboarding/verify_expired.html", {"token": token}, status=410)
        return render(request, "onboarding/verify_invalid.html", {"message": exc.message}, status=exc.status_code)
    if result.already_verified:
        messages.info(request, _("Your email address was already confirmed. Here is where your platform stands."))
    return redirect("onboarding:progress", public_id=result.signup.public_id)


@require_POST
def signup_resend(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    try:
        signup = services.signup_resend_verification(token=token, requester_ip=client_ip(request))
    except ApplicationError as exc:
        if exc.code in ("link_expired", "link_invalid"):
            return render(request, "onboarding/verify_invalid.html", {"message": exc.message}, status=400)
        return render(
            request,
            "onboarding/verify_expired.html",
            {"token": token, "error": exc.message, "start_again": exc.code == "slug_taken"},
            status=exc.status_code,
        )
    if signup.status != "awaiting_verification":
        return redirect("onboarding:progress", public_id=signup.public_id)
    return redirect("onboarding:sent")


@require_GET
@never_cache
def signup_progress(request: HttpRequest, public_id: uuid.UUID, as_json: bool = False) -> HttpResponse:
    signup = selectors.signup_for_progress(public_id=public_id)
    if signup is None:
        if as_json or request.GET.get("format") == "json":
            return JsonResponse(error_body(code="not_found", message=_("No sign-up has this id.")), status=404)
        raise Http404
    progress = selectors.signup_progress(signup=signup)
    if as_json or request.GET.get("format") == "json":
        return JsonResponse(progress)
    return render(
        request,
        "onboarding/progress.html",
        {"progress": progress, "signup": signup, "refresh_seconds": 2},
    )
