"""Moderation services: reports and auto-hide, bulk decisions with the audit log and the authors'
notices, the comment counter, the settings and the automatic filter."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import ApplicationError
from tenant_apps.consultations.models import (
    Comment,
    Consultation,
    Contribution,
    DigestFrequency,
    Follow,
    ModerationDecision,
    Notification,
    Report,
)
from tenant_apps.consultations.services import moderation
from tenant_apps.consultations.services.comments import comment_create
from tenant_apps.consultations.services.contributions import contribution_create
from tests.tenant_apps.consultations.conftest import make_consultation, make_user

pytestmark = pytest.mark.django_db


def make_contribution(consultation: Consultation, author: Any, **fields: Any) -> Contribution:
    fields.setdefault("title", "More bike lanes")
    fields.setdefault("body", "Along the river, please.")
    return Contribution.objects.create(consultation=consultation, author=author, **fields)


def make_comment(contribution: Contribution, author: Any, **fields: Any) -> Comment:
    """A comment written to the database, keeping ``comment_count`` right as comment_create does."""
    fields.setdefault("body", "I agree.")
    comment = Comment.objects.create(contribution=contribution, author=author, **fields)
    if comment.status == "published":
        Contribution.objects.filter(pk=contribution.pk).update(comment_count=contribution.comment_count + 1)
        contribution.refresh_from_db()
    return comment


def published_comments(contribution: Contribution) -> int:
    return Comment.objects.filter(contribution=contribution, status="published").count()


def set_threshold(n: int, **extra: Any) -> None:
    moderation.settings_update(
        auto_hide_threshold=n, word_lists=extra.get("word_lists", {}), max_links=extra.get("max_links", 2)
    )


def moderation_notices(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="moderation").order_by("id"))


# --- Reports and auto-hide ---------------------------------------------------------------------------------


def test_third_report_hides_at_threshold_three_logs_and_tells_the_author(consultation: Consultation) -> None:
    set_threshold(3)
    author = make_user()
    contribution = make_contribution(consultation, author)
    for reason in ("spam", "offensive"):
        moderation.report_create(target=contribution, reporter=make_user(), reason=reason)
    contribution.refresh_from_db()
    assert contribution.status == "published" and contribution.report_count == 2
    assert not ModerationDecision.objects.filter(contribution=contribution).exists()
    assert moderation_notices(author) == []

    moderation.report_create(target=contribution, reporter=make_user(), reason="spam", note="Ads for pills")
    assert contribution.status == "hidden" and contribution.report_count == 3  # the instance is refreshed
    assert "3" in contribution.moderation_reason and "Spam" in contribution.moderation_reason
    line = ModerationDecision.objects.get(contribution=contribution)
    assert (line.action, line.previous_status, line.new_status, line.actor_id) == (
        "auto_hide",
        "published",
        "hidden",
        None,
    )
    assert line.reason == contribution.moderation_reason
    (notice,) = moderation_notices(author)
    assert notice.contribution_id == contribution.pk and notice.consultation_id == consultation.pk
    assert notice.payload["action"] == "auto_hide" and notice.payload["reason"] == contribution.moderation_reason
    assert notice.payload["report_reasons"] == ["offensive", "spam"]


def test_threshold_zero_never_hides(consultation: Consultation) -> None:
    set_threshold(0)
    contribution = make_contribution(consultation, make_user())
    for _ in range(6):
        moderation.report_create(target=contribution, reporter=make_user(), reason="offensive")
    contribution.refresh_from_db()
    assert contribution.status == "published" and contribution.report_count == 6
    assert not ModerationDecision.objects.exists()


def test_a_second_report_by_the_same_person_is_refused(consultation: Consultation, resident: Any) -> None:
    contribution = make_contribution(consultation, make_user())
    moderation.report_create(target=contribution, reporter=resident, reason="spam")
    with pytest.raises(ApplicationError) as refused:
        moderation.report_create(target=contribution, reporter=resident, reason="offensive")
    assert refused.value.code == "already_reported" and refused.value.status_code == 409
    contribution.refresh_from_db()
    assert contribution.report_count == 1 and Report.objects.filter(contribution=contribution).count() == 1


def test_one_cannot_report_ones_own_content(consultation: Consultation, resident: Any) -> None:
    contribution = make_contribution(consultation, resident)
    comment = make_comment(make_contribution(consultation, make_user()), resident)
    for target in (contribution, comment):
        with pytest.raises(ApplicationError) as refused:
            moderation.report_create(target=target, reporter=resident, reason="spam")
        assert refused.value.code == "own_content" and refused.value.status_code == 400
    assert not Report.objects.exists()


def test_unknown_reason_and_long_note_are_refused(consultation: Consultation, resident: Any) -> None:
    contribution = make_contribution(consultation, make_user())
    with pytest.raises(ApplicationError) as bad_reason:
        moderation.report_create(target=contribution, reporter=resident, reason="boring")
    assert bad_reason.value.fields["reason"]
    with pytest.raises(ApplicationError) as long_note:
        moderation.report_create(target=contribution, reporter=resident, reason="other", note="x" * 501)
    assert long_note.value.fields["note"]
    assert not Report.objects.exists()


def test_reported_comment_hidden_at_threshold_leaves_the_comment_count(consultation: Consultation) -> None:
    set_threshold(2)
    contribution = make_contribution(consultation, make_user())
    author = make_user()
    comment = make_comment(contribution, author, body="Rude words")
    make_comment(contribution, make_user())
    assert contribution.comment_count == 2
    moderation.report_create(target=comment, reporter=make_user(), reason="offensive")
    moderation.report_create(target=comment, reporter=make_user(), reason="offensive")
    comment.refresh_from_db()
    contribution.refresh_from_db()
    assert comment.status == "hidden" and comment.report_count == 2
    assert contribution.comment_count == 1 == published_comments(contribution)
    (notice,) = moderation_notices(author)
    assert notice.payload["target"] == "comment" and notice.payload["comment_id"] == comment.pk
    assert notice.contribution_id == contribution.pk
    assert ModerationDecision.objects.get(comment=comment).action == "auto_hide"


def test_reports_on_hidden_content_are_kept_but_hide_nothing_more(consultation: Consultation) -> None:
    set_threshold(1)
    contribution = make_contribution(consultation, make_user(), status="pending")
    moderation.report_create(target=contribution, reporter=make_user(), reason="spam")
    contribution.refresh_from_db()
    assert contribution.status == "pending" and contribution.report_count == 1
    assert not ModerationDecision.objects.exists()


# --- Decisions ---------------------------------------------------------------------------------------------


def test_bulk_hide_then_publish_logs_every_item_and_tells_each_author(
    consultation: Consultation, moderator: Any
) -> None:
    authors = [make_user() for _ in range(3)]
    contributions = [make_contribution(consultation, a, title=f"Idea {i}") for i, a in enumerate(authors)]
    ids = [c.pk for c in contributions]
    changed = moderation.moderate(action="hide", contribution_ids=ids, reason="Advertising", actor_id=moderator.pk)
    assert changed == 3
    assert set(Contribution.objects.filter(pk__in=ids).values_list("status", "moderation_reason")) == {
        ("hidden", "Advertising")
    }
    lines = ModerationDecision.objects.filter(contribution_id__in=ids, action="hide")
    assert {(d.contribution_id, d.previous_status, d.new_status, d.reason, d.actor_id) for d in lines} == {
        (pk, "published", "hidden", "Advertising", moderator.pk) for pk in ids
    }
    for author, contribution in zip(authors, contributions, strict=True):
        (notice,) = moderation_notices(author)
        assert notice.contribution_id == contribution.pk
        assert notice.payload["action"] == "hide" and notice.payload["reason"] == "Advertising"

    assert moderation.moderate(action="publish", contribution_ids=ids, actor_id=moderator.pk) == 3
    assert set(Contribution.objects.filter(pk__in=ids).values_list("status", "moderation_reason")) == {
        ("published", "")
    }
    assert (
        ModerationDecision.objects.filter(contribution_id__in=ids, action="publish", new_status="published").count()
        == 3
    )
    assert all(len(moderation_notices(a)) == 2 for a in authors)
    # Nothing left to do: a second publish changes nothing and logs nothing.
    assert moderation.moderate(action="publish", contribution_ids=ids, actor_id=moderator.pk) == 0
    assert ModerationDecision.objects.filter(contribution_id__in=ids).count() == 6


def test_hide_requires_a_reason_and_staff(consultation: Consultation, moderator: Any, resident: Any) -> None:
    contribution = make_contribution(consultation, make_user())
    with pytest.raises(ApplicationError) as no_reason:
        moderation.moderate(action="hide", contribution_ids=[contribution.pk], reason="  ", actor_id=moderator.pk)
    assert no_reason.value.code == "reason_required" and "reason" in no_reason.value.fields
    with pytest.raises(ApplicationError) as not_staff:
        moderation.moderate(action="hide", contribution_ids=[contribution.pk], reason="No", actor_id=resident.pk)
    assert not_staff.value.status_code == 403
    with pytest.raises(ApplicationError) as unknown:
        moderation.moderate(action="delete", contribution_ids=[contribution.pk], actor_id=moderator.pk)
    assert unknown.value.code == "invalid_action"
    with pytest.raises(ApplicationError) as missing:
        moderation.moderate(action="publish", contribution_ids=[contribution.pk, 987654], actor_id=moderator.pk)
    assert missing.value.status_code == 404 and "987654" in missing.value.message
    with pytest.raises(ApplicationError) as empty:
        moderation.moderate(action="publish", actor_id=moderator.pk)
    assert empty.value.code == "nothing_selected"
    contribution.refresh_from_db()
    assert contribution.status == "published" and not ModerationDecision.objects.exists()


def test_dismiss_reports_resets_the_count_and_keeps_the_status(consultation: Consultation, moderator: Any) -> None:
    set_threshold(2)
    contribution = make_contribution(consultation, make_user())
    for _ in range(2):
        moderation.report_create(target=contribution, reporter=make_user(), reason="off_topic")
    assert contribution.status == "hidden"
    changed = moderation.moderate(action="dismiss_reports", contribution_ids=[contribution.pk], actor_id=moderator.pk)
    contribution.refresh_from_db()
    assert changed == 1 and contribution.status == "hidden" and contribution.report_count == 0
    assert not Report.objects.filter(contribution=contribution, resolved_at__isnull=True).exists()
    line = ModerationDecision.objects.get(action="dismiss_reports")
    assert (line.previous_status, line.new_status, line.actor_id) == ("hidden", "hidden", moderator.pk)
    # Nothing open any more: dismissing again changes nothing.
    assert moderation.moderate(action="dismiss_reports", contribution_ids=[contribution.pk], actor_id=moderator.pk) == 0


def test_publishing_answers_the_reports_so_old_reports_do_not_hide_again(
    consultation: Consultation, moderator: Any
) -> None:
    set_threshold(2)
    contribution = make_contribution(consultation, make_user())
    for _ in range(2):
        moderation.report_create(target=contribution, reporter=make_user(), reason="spam")
    moderation.moderate(action="publish", contribution_ids=[contribution.pk], actor_id=moderator.pk)
    moderation.report_create(target=contribution, reporter=make_user(), reason="spam")
    contribution.refresh_from_db()
    assert contribution.status == "published" and contribution.report_count == 1


def test_comment_counter_follows_hide_and_publish(consultation: Consultation, moderator: Any) -> None:
    contribution = make_contribution(consultation, make_user())
    other = make_contribution(consultation, make_user(), title="Another")
    published = [make_comment(contribution, make_user()) for _ in range(3)]
    pending = make_comment(contribution, make_user(), status="pending")
    elsewhere = make_comment(other, make_user())
    moderation.moderate(
        action="hide",
        comment_ids=[published[0].pk, published[1].pk, pending.pk, elsewhere.pk],
        reason="Insults",
        actor_id=moderator.pk,
    )
    contribution.refresh_from_db()
    other.refresh_from_db()
    assert contribution.comment_count == 1 == published_comments(contribution)
    assert other.comment_count == 0 == published_comments(other)
    moderation.moderate(
        action="publish", comment_ids=[published[0].pk, pending.pk, published[2].pk], actor_id=moderator.pk
    )
    contribution.refresh_from_db()
    assert contribution.comment_count == 3 == published_comments(contribution)


def test_comment_counter_stays_right_through_the_real_comment_service(
    consultation: Consultation, moderator: Any
) -> None:
    contribution = make_contribution(consultation, make_user())
    comments = [comment_create(contribution=contribution, author=make_user(), body=f"Nice {i}") for i in range(3)]
    moderation.moderate(action="hide", comment_ids=[comments[1].pk], reason="Off topic", actor_id=moderator.pk)
    contribution.refresh_from_db()
    assert contribution.comment_count == 2 == published_comments(contribution)


def test_bulk_decision_costs_the_same_queries_for_3_or_30_items(consultation: Consultation, moderator: Any) -> None:
    def hide(n: int) -> int:
        items = [make_contribution(consultation, make_user()) for _ in range(n)]
        comments = [make_comment(items[0], make_user()) for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            moderation.moderate(
                action="hide",
                contribution_ids=[c.pk for c in items],
                comment_ids=[c.pk for c in comments],
                reason="Spam",
                actor_id=moderator.pk,
            )
        return len(queries)

    assert hide(3) == hide(30)


def test_authors_with_a_daily_digest_get_the_notice_in_the_digest(consultation: Consultation, moderator: Any) -> None:
    daily, immediate = make_user(), make_user()
    Follow.objects.create(consultation=consultation, user=daily, frequency=DigestFrequency.DAILY)
    ids = [make_contribution(consultation, daily).pk, make_contribution(consultation, immediate).pk]
    moderation.moderate(action="hide", contribution_ids=ids, reason="Duplicate", actor_id=moderator.pk)
    assert [n.digest for n in moderation_notices(daily)] == [True]
    assert [n.digest for n in moderation_notices(immediate)] == [False]


# --- Settings ----------------------------------------------------------------------------------------------


def test_settings_update_cleans_and_stores_the_lists(in_alpha: Any) -> None:
    saved = moderation.settings_update(
        auto_hide_threshold=4,
        word_lists={"FR": ["  Idiot ", "idiot", "gros   mot"], "*": ["casino"], "en": []},
        max_links=1,
    )
    assert (saved.auto_hide_threshold, saved.max_links) == (4, 1)
    assert saved.word_lists == {"fr": ["Idiot", "gros mot"], "*": ["casino"]}
    assert moderation.settings_get().word_lists == saved.word_lists


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"auto_hide_threshold": -1}, "auto_hide_threshold"),
        ({"max_links": "many"}, "max_links"),
        ({"word_lists": {"french": ["x"]}}, "word_lists.french"),
        ({"word_lists": {"fr": [""]}}, "word_lists.fr"),
        ({"word_lists": {"fr": "idiot"}}, "word_lists.fr"),
        ({"word_lists": {"fr": [f"w{i}" for i in range(1001)]}}, "word_lists.fr"),
        ({"word_lists": ["idiot"]}, "word_lists"),
    ],
)
def test_settings_update_refuses_bad_values(in_alpha: Any, values: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"auto_hide_threshold": 5, "word_lists": {}, "max_links": 2, **values}
    with pytest.raises(ApplicationError) as refused:
        moderation.settings_update(**arguments)
    assert field in refused.value.fields
    assert moderation.settings_get().auto_hide_threshold == 5  # the default, untouched


# --- The automatic filter ----------------------------------------------------------------------------------


def test_screen_text_uses_the_language_list_and_the_star_list(in_alpha: Any) -> None:
    set_threshold(5, word_lists={"fr": ["idiot", "gros mot"], "en": ["moron"], "*": ["casino"]})
    assert moderation.screen_text(text="Quel IDIOT !", language="fr")
    assert moderation.screen_text(text="un  gros\nmot ici", language="fr-BE")
    assert moderation.screen_text(text="Quel idiot", language="en") is None  # not in the English list
    assert moderation.screen_text(text="you moron", language="en")
    assert moderation.screen_text(text="Visit the Casino", language="nl")  # "*" applies everywhere
    assert moderation.screen_text(text="idiotie et casinos", language="fr") is None  # whole words only
    assert moderation.screen_text(text="ｉｄｉｏｔ", language="fr")  # full-width letters fold


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("See https://example.com and http://x.org/a?b=1", 2),
        ("www.example.com, www.other.net", 2),
        ("buy at cheap-pills.example/offer now", 1),
        ("cheap-pills.com cheap-pills.com", 2),
        ("Write to jean@mairie.fr, e.g. about etc. or report.pdf", 0),
        ("Speed: 30 km/h, 1.5/2 of the road", 0),
    ],
)
def test_link_heuristic_counts_links_and_bare_domains(text: str, links: int) -> None:
    assert moderation.count_links(text) == links


def test_link_spam_over_the_limit_is_flagged(in_alpha: Any) -> None:
    set_threshold(5, max_links=2)
    assert moderation.screen_text(text="a.com/x b.com/y", language="en") is None
    assert moderation.screen_text(text="a.com/x b.com/y https://c.org", language="en")


def test_filtered_contribution_waits_as_pending_with_the_reason(consultation: Consultation, resident: Any) -> None:
    consultation.language = "fr"
    consultation.save(update_fields=["language"])
    set_threshold(5, word_lists={"fr": ["arnaque"]}, max_links=1)
    caught = contribution_create(consultation=consultation, author=resident, title="Super arnaque", body="Texte.")
    spam = contribution_create(
        consultation=consultation, author=resident, title="Liens", body="https://a.example/1 https://b.example/2"
    )
    clean = contribution_create(consultation=consultation, author=resident, title="Un banc", body="Près de l'école.")
    assert caught.status == "pending" and "moderator" in caught.moderation_reason
    assert spam.status == "pending" and "links" in spam.moderation_reason
    assert clean.status == "published"
    assert set(ModerationDecision.objects.values_list("contribution_id", "action")) == {
        (caught.pk, "auto_pending"),
        (spam.pk, "auto_pending"),
    }


def test_premoderation_holds_every_new_contribution(in_alpha: Any, resident: Any, moderator: Any) -> None:
    consultation = make_consultation(premoderation=True)
    contribution = contribution_create(consultation=consultation, author=resident, title="A bench", body="Near school.")
    assert contribution.status == "pending" and contribution.moderation_reason
    assert ModerationDecision.objects.get(contribution=contribution).action == "premoderation"
    page = moderation.queue_page(filters=moderation.QueueFilters(status="pending"))
    assert [i.target.pk for i in page.items] == [contribution.pk]
    moderation.moderate(action="publish", contribution_ids=[contribution.pk], actor_id=moderator.pk)
    contribution.refresh_from_db()
    assert contribution.status == "published"
    (notice,) = moderation_notices(resident)
    assert notice.payload["action"] == "publish" and notice.payload["previous_status"] == "pending"


def test_filtered_comment_is_pending_and_publishing_counts_it(consultation: Consultation, moderator: Any) -> None:
    set_threshold(5, word_lists={"en": ["scam"]})
    contribution = make_contribution(consultation, make_user())
    comment = comment_create(contribution=contribution, author=make_user(), body="What a scam")
    contribution.refresh_from_db()
    assert comment.status == "pending" and contribution.comment_count == 0
    owner = contribution.author
    assert not Notification.objects.filter(recipient=owner, kind="comment").exists()  # held: nobody told
    moderation.moderate(action="publish", comment_ids=[comment.pk], actor_id=moderator.pk)
    contribution.refresh_from_db()
    assert contribution.comment_count == 1 == published_comments(contribution)
    # Published by a moderator: now the contribution's author hears of it, once.
    assert Notification.objects.filter(recipient=owner, kind="comment").count() == 1
    moderation.moderate(action="hide", comment_ids=[comment.pk], reason="rude", actor_id=moderator.pk)
    moderation.moderate(action="publish", comment_ids=[comment.pk], actor_id=moderator.pk)
    assert Notification.objects.filter(recipient=owner, kind="comment").count() == 1


# --- The queue ---------------------------------------------------------------------------------------------


def test_queue_lists_pending_hidden_and_reported_with_filters(consultation: Consultation) -> None:
    set_threshold(0)
    other = make_consultation(title="Parks")
    pending = make_contribution(consultation, make_user(), status="pending", title="Pending idea")
    hidden = make_contribution(other, make_user(), status="hidden", title="Hidden idea")
    reported = make_contribution(consultation, make_user(), title="Reported idea")
    make_contribution(consultation, make_user(), title="Fine idea")  # not in the queue
    comment = make_comment(reported, make_user(), body="A reported comment")
    moderation.report_create(target=reported, reporter=make_user(), reason="spam")
    moderation.report_create(target=comment, reporter=make_user(), reason="offensive")

    def keys(**filters: Any) -> set[tuple[str, int]]:
        page = moderation.queue_page(filters=moderation.QueueFilters(**filters))
        return {(i.kind, i.target.pk) for i in page.items}

    everything = {("contribution", pending.pk), ("contribution", hidden.pk), ("contribution", reported.pk)}
    assert keys() == everything | {("comment", comment.pk)}
    assert keys(kind="comment") == {("comment", comment.pk)}
    assert keys(status="hidden") == {("contribution", hidden.pk)}
    assert keys(status="reported") == {("contribution", reported.pk), ("comment", comment.pk)}
    assert keys(reason="offensive") == {("comment", comment.pk)}
    assert keys(consultation_id=other.pk) == {("contribution", hidden.pk)}
    assert keys(q="reported comment") == {("comment", comment.pk)}
    assert keys(q="PENDING") == {("contribution", pending.pk)}
    item = next(i for i in moderation.queue_page(filters=moderation.QueueFilters(kind="comment")).items)
    assert [r.reason for r in item.reports] == ["offensive"] and item.contribution == reported


def test_queue_pages_without_overlap(consultation: Consultation) -> None:
    made = {make_contribution(consultation, make_user(), status="pending").pk for _ in range(5)}
    first = moderation.queue_page(filters=moderation.QueueFilters(), page=1, page_size=2)
    second = moderation.queue_page(filters=moderation.QueueFilters(), page=2, page_size=2)
    third = moderation.queue_page(filters=moderation.QueueFilters(), page=3, page_size=2)
    seen = [i.target.pk for p in (first, second, third) for i in p.items]
    assert sorted(seen) == sorted(made) and first.has_next and second.has_next and not third.has_next


def test_queue_filters_refuse_unknown_values() -> None:
    for params in ({"status": "deleted"}, {"kind": "reaction"}, {"reason": "ugly"}, {"consultation": "x"}):
        with pytest.raises(ApplicationError) as refused:
            moderation.parse_queue_filters(params)
        assert refused.value.code == "invalid_filter" and set(refused.value.fields) == set(params)
