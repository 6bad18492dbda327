"""Forms of the accounts pages (validation at the edge; services do the work)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tenant_apps.accounts.models import STAFF_ROLES, Action, Method, Role

LANGUAGE_CHOICES = [("", _("Same as the site")), *settings.LANGUAGES]


class RegisterForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=16, required=False)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    birth_year = forms.IntegerField(label=_("Year of birth (optional)"), min_value=1900, max_value=2100, required=False)


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=16, required=False)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    birth_year = forms.IntegerField(label=_("Year of birth (optional)"), min_value=1900, max_value=2100, required=False)
    notify_replies = forms.BooleanField(label=_("Email me when someone replies to me"), required=False)
    notify_news = forms.BooleanField(label=_("Email me news of consultations and budgets"), required=False)


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class CensusVerifyForm(forms.Form):
    document_number = forms.CharField(label=_("Identity document number"), max_length=64)
    birth_date = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    postal_code = forms.CharField(label=_("Postal code"), max_length=16, required=False)


class LetterCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the letter"), max_length=32, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class SmsStartForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )


class SmsConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Code received by text message"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DeleteAccountForm(forms.Form):
    keep_contributions = forms.TypedChoiceField(
        label=_("What happens to my contributions"),
        choices=[("1", _("Keep them, signed 'former participant'")), ("0", _("Remove them"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone"))


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, r.label) for r in STAFF_ROLES])


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class InvitationAcceptForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Password"), required=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class SettingsForm(forms.Form):
    enabled_methods = forms.MultipleChoiceField(
        label=_("Verification methods offered"),
        choices=Method.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    email_domains = forms.CharField(
        label=_("Allowed email domains (one per line)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    census_second_factor = forms.ChoiceField(
        label=_("Census check"), choices=[("birth_date", _("Date of birth")), ("postal_code", _("Postal code"))]
    )
    passwordless_login = forms.BooleanField(label=_("Allow sign-in by emailed link"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for action in Action:
            self.fields[f"require_{action.value}"] = forms.MultipleChoiceField(
                label=_("Required for: %(action)s") % {"action": action.label},
                choices=Method.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Any one of the checked methods is enough; none checked: an account is enough."),
            )


class CensusUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Census file (CSV)"),
        help_text=_("Columns: document_number, birth_date (YYYY-MM-DD), postal_code, district."),
    )


class LetterBatchForm(forms.Form):
    size = forms.IntegerField(label=_("Number of codes"), min_value=1, max_value=100_000)
    label = forms.CharField(label=_("Label"), max_length=200, required=False)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
