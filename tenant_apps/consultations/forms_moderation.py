"""Forms of the moderation back-office: a bulk decision on the queue, and the city's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings as django_settings
from django.utils.translation import gettext_lazy as _

from tenant_apps.consultations.models import ModerationAction, ModerationSettings
from tenant_apps.consultations.services import moderation

ANY_LANGUAGE = "*"


class IdListField(forms.Field):
    """Checked rows: several values of one name, each a positive id."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        ids: list[int] = []
        for raw in values:
            try:
                number = int(str(raw).strip())
            except ValueError:
                number = 0
            if number <= 0:
                raise forms.ValidationError(_("The selection is not valid."), code="invalid")
            ids.append(number)
        return ids


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ModerationAction.PUBLISH.value, _("Publish")),
            (ModerationAction.HIDE.value, _("Hide")),
            (ModerationAction.DISMISS_REPORTS.value, _("Dismiss the reports")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason (the authors are told)"),
        required=False,
        max_length=moderation.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    contribution = IdListField(required=False)
    comment = IdListField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("contribution") and not data.get("comment") and not self.errors:
            raise forms.ValidationError(_("Select at least one contribution or comment."), code="nothing_selected")
        if data.get("action") == ModerationAction.HIDE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the content is hidden: the author is told."))
        return data


def language_field_name(code: str) -> str:
    return "words_any" if code == ANY_LANGUAGE else f"words_{code}"


def language_codes(current: ModerationSettings) -> list[str]:
    """The site's languages, then any other language that already has a list, then "*"."""
    codes = [code for code, _name in django_settings.LANGUAGES]
    codes += sorted(k for k in (current.word_lists or {}) if k not in codes and k != ANY_LANGUAGE)
    return [*codes, ANY_LANGUAGE]


class SettingsForm(forms.Form):
    auto_hide_threshold = forms.IntegerField(
        label=_("Hide content after this many reports"),
        min_value=0,
        max_value=moderation.MAX_THRESHOLD,
        help_text=_("Reported content is hidden until a moderator decides. 0: never hide automatically."),
    )
    max_links = forms.IntegerField(
        label=_("Links allowed in one text"),
        min_value=0,
        max_value=moderation.MAX_LINKS_SETTING,
        help_text=_("A text with more links than this waits for a moderator (link spam)."),
    )

    def __init__(self, *args: Any, current: ModerationSettings, **kwargs: Any) -> None:
        lists = current.word_lists or {}
        kwargs.setdefault(
            "initial",
            {
                "auto_hide_threshold": current.auto_hide_threshold,
                "max_links": current.max_links,
                **{language_field_name(code): "\n".join(words) for code, words in lists.items()},
            },
        )
        super().__init__(*args, **kwargs)
        names = dict(django_settings.LANGUAGES)
        self.languages = language_codes(current)
        for code in self.languages:
            label: Any
            if code == ANY_LANGUAGE:
                label = _("Blocked words in every language")
            else:
                label = _("Blocked words in %(language)s") % {"language": names.get(code, code)}
            self.fields[language_field_name(code)] = forms.CharField(
                label=label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
                help_text=_("One word or phrase per line (at most %(max)d). Texts containing one wait for a moderator.")
                % {"max": moderation.MAX_WORDS_PER_LANGUAGE},
            )

    def word_lists(self) -> dict[str, list[str]]:
        lists: dict[str, list[str]] = {}
        for code in self.languages:
            lines = [line.strip() for line in (self.cleaned_data.get(language_field_name(code)) or "").splitlines()]
            words = [line for line in lines if line]
            if words:
                lists[code] = words
        return lists

    def field_for_error(self, key: str) -> str | None:
        """The form field for a service error key ("word_lists.fr" -> "words_fr")."""
        if key in self.fields:
            return key
        if key.startswith("word_lists."):
            name = language_field_name(key.split(".", 1)[1])
            return name if name in self.fields else None
        return None
