"""Sign-in, sign-out, password reset and setting a password from an emailed link, on both host kinds.

The same views serve the root host (platform operators) and every city host (that city's staff and
residents): the active schema decides whose accounts they read, so a city's link or password means
nothing on another city. Throttle counters live in the cache, whose keys carry the schema.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.http import client_ip
from core.mail import send_mail_on_commit

# Failed sign-ins allowed per window, per client address and per account (settings may override).
LOGIN_THROTTLE_WINDOW = 900
LOGIN_THROTTLE_PER_IP = 20
LOGIN_THROTTLE_PER_ACCOUNT = 5


def _throttle_key(scope: str, value: str) -> str:
    # The cache key function adds the schema: counters of one city never count in another.
    return f"login-throttle:{scope}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _limits() -> tuple[int, int, int]:
    return (
        int(getattr(settings, "LOGIN_THROTTLE_PER_IP", LOGIN_THROTTLE_PER_IP)),
        int(getattr(settings, "LOGIN_THROTTLE_PER_ACCOUNT", LOGIN_THROTTLE_PER_ACCOUNT)),
        int(getattr(settings, "LOGIN_THROTTLE_WINDOW", LOGIN_THROTTLE_WINDOW)),
    )


def login_throttled(*, ip: str, email: str) -> bool:
    """True when this address or this account already used up its failed attempts of the window."""
    per_ip, per_account, _window = _limits()
    ip_count = cache.get(_throttle_key("ip", ip), 0)
    account_count = cache.get(_throttle_key("account", email.strip().lower()), 0) if email else 0
    return ip_count >= per_ip or account_count >= per_account


def login_failure_record(*, ip: str, email: str) -> None:
    """Count one failed attempt for the address and the account (atomic INCR in Redis)."""
    _per_ip, _per_account, window = _limits()
    keys = [_throttle_key("ip", ip)]
    if email:
        keys.append(_throttle_key("account", email.strip().lower()))
    for key in keys:
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=window)


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-in attempts. Wait a few minutes, then try again."),
    }

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        email = str(self.cleaned_data.get("username") or "")
        ip = (client_ip(self.request) or "unknown") if self.request is not None else "unknown"
        # Over the limit, no authentication is attempted at all: not even the right password gets in.
        if login_throttled(ip=ip, email=email):
            self.throttled = True
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            login_failure_record(ip=ip, email=email)
            raise


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if getattr(form, "throttled", False):
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's own rule): a link or an image cannot sign anyone out."""


class EmailPasswordResetForm(PasswordResetForm):
    """Sends the reset link through the ``email`` queue. Says the same whether or not the account exists."""

    email = forms.EmailField(
        label=_("Email address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email: str) -> Any:
        # Accounts without a usable password (invited staff, passwordless residents) may set one too.
        return get_user_model()._default_manager.filter(email__iexact=email.strip(), is_active=True)

    def save_and_send(self, *, request: HttpRequest) -> None:
        email = self.cleaned_data["email"]
        for user in self.get_users(email):
            path = reverse(
                "account:set_password",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            )
            context = {"user": user, "link": request.build_absolute_uri(path)}
            send_mail_on_commit(
                to=[user.email],
                subject=gettext("Reset your password"),
                body=render_to_string("registration/password_reset_email.txt", context, request=request),
            )


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset.html"
    form_class = EmailPasswordResetForm
    success_url = reverse_lazy("account:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        ip = client_ip(self.request) or "unknown"
        key = _throttle_key("reset", ip)
        _per_ip, _per_account, window = _limits()
        if not cache.add(key, 1, timeout=window):
            try:
                count = cache.incr(key)
            except ValueError:
                count = 1
            if count > int(getattr(settings, "PASSWORD_RESET_PER_IP", 10)):
                # Same answer as a success: no hint either way, and no mail sent.
                return super(auth_views.PasswordResetView, self).form_valid(form)
        form.save_and_send(request=self.request)
        return super(auth_views.PasswordResetView, self).form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class SetPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "registration/set_password.html"
    success_url = reverse_lazy("account:set_password_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["account_email"] = self.user.email if self.user is not None else ""
        return context


class SetPasswordDoneView(auth_views.PasswordResetCompleteView):
    template_name = "registration/set_password_done.html"
