"""The "what we heard" page (figures, charts with their tables, cache) and the list page's query budget."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tenant_apps.consultations.models import (
    Comment,
    Consultation,
    Contribution,
    OfficialAnswer,
    Reaction,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.views.common import day_chart
from tenants.models import City
from tests.tenant_apps.consultations.conftest import make_consultation, make_user


def bulk_contributions(consultation: Consultation, n: int, *, author: Any = None) -> list[Contribution]:
    themes = list(consultation.themes.all())
    return Contribution.objects.bulk_create(
        [
            Contribution(
                consultation=consultation,
                theme=themes[i % len(themes)] if i % 4 else None,
                author=author,
                title=f"Idea {i}",
                body=f"Text of idea {i}",
                district=f"D{i % 3}",
                support_count=i,
                comment_count=i % 5,
                answer_status="accepted" if i % 7 == 0 else "",
                search_config=consultation.search_config,
            )
            for i in range(n)
        ]
    )


def sql_for(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    # Host routing (public tables) is re-read whenever any process changes a city, e.g. a test running
    # next to this one: not the page's doing, so not counted.
    return [q["sql"] for q in ctx.captured_queries if '"tenants_' not in q["sql"]]


def queries_for(client: Client, url: str) -> int:
    return len(sql_for(client, url))


def same_count(*runs: list[str]) -> bool:
    """All runs have as many queries; the first differing pair is printed to explain a failure."""
    for other in runs[1:]:
        if len(other) != len(runs[0]):
            print("\n".join(runs[0]), "\n----\n", "\n".join(other))
            return False
    return True


# --- Query budget -----------------------------------------------------------------------------------------


def test_list_page_queries_do_not_grow_with_page_size_or_data(in_alpha: City, alpha_client: Client) -> None:
    resident = make_user()
    author = make_user()
    big, small = make_consultation(), make_consultation()
    reacted: set[int] = set()
    for consultation, n in ((big, 60), (small, 10)):
        rows = bulk_contributions(consultation, n, author=author)
        # The viewer reacted to some of them: their own reactions are shown on each item.
        Reaction.objects.bulk_create([Reaction(contribution=c, user=resident, kind="support") for c in rows[::3]])
        reacted |= {c.pk for c in rows[::3]}
    alpha_client.force_login(resident)
    big_url, small_url = f"/consultations/{big.slug}/", f"/consultations/{small.slug}/"
    queries_for(alpha_client, big_url)  # warm-up: session, per-process caches
    page_5 = sql_for(alpha_client, f"{big_url}?size=5")
    page_50 = sql_for(alpha_client, f"{big_url}?size=50")
    small_50 = sql_for(alpha_client, f"{small_url}?size=50")
    filtered = f"{big_url}?sort=supported&theme=other&answered=no&q=idea"
    filtered_5 = sql_for(alpha_client, f"{filtered}&size=5")
    filtered_50 = sql_for(alpha_client, f"{filtered}&size=50")
    assert same_count(page_5, page_50, small_50)
    # A search picks the page's ids first, then joins themes and authors for those rows: one query more,
    # still the same whatever the page size.
    assert same_count(filtered_5, filtered_50) and len(filtered_50) == len(page_50) + 1
    assert len(page_50) <= 20, page_50
    html = alpha_client.get(f"{big_url}?size=50").content.decode()
    shown = {int(pk) for pk in re.findall(r'<li class="contribution-item" id="c-(\d+)">', html)}
    assert len(shown) == 50 and html.count('aria-pressed="true"') == len(shown & reacted) > 0


def test_contribution_page_queries_do_not_grow_with_comments(in_alpha: City, alpha_client: Client) -> None:
    consultation = make_consultation()
    few, many = bulk_contributions(consultation, 2, author=make_user())
    commenter = make_user()
    Comment.objects.bulk_create([Comment(contribution=few, author=commenter, body="c") for _ in range(2)])
    Comment.objects.bulk_create([Comment(contribution=many, author=make_user(), body="c") for _ in range(30)])
    alpha_client.force_login(make_user())
    base = f"/consultations/{consultation.slug}/contributions/"
    queries_for(alpha_client, f"{base}{few.pk}/")
    assert queries_for(alpha_client, f"{base}{few.pk}/") == queries_for(alpha_client, f"{base}{many.pk}/")


# --- Results ----------------------------------------------------------------------------------------------


@pytest.fixture
def heard(in_alpha: City) -> Consultation:
    """A closed consultation: 3 contributions in Mobility, 1 in Housing, 1 without a theme, by 3 people."""
    consultation = make_consultation(phase=Phase.CLOSED)
    mobility, _environment, housing = consultation.themes.all()
    anna, bert, cleo = make_user(), make_user(), make_user()
    rows = [
        Contribution.objects.create(
            consultation=consultation,
            theme=mobility,
            author=anna,
            title="Bus",
            body="b",
            support_count=12,
            answer_status="accepted",
        ),
        Contribution.objects.create(
            consultation=consultation, theme=mobility, author=anna, title="Tram", body="b", support_count=30
        ),
        Contribution.objects.create(
            consultation=consultation, theme=mobility, author=bert, title="Bikes", body="b", support_count=5
        ),
        Contribution.objects.create(consultation=consultation, theme=housing, author=cleo, title="Flats", body="b"),
        Contribution.objects.create(consultation=consultation, theme=None, author=cleo, title="Music", body="b"),
        Contribution.objects.create(
            consultation=consultation, theme=None, author=cleo, title="Gone", body="b", status="hidden"
        ),
    ]
    OfficialAnswer.objects.create(contribution=rows[0], status="accepted", text="A new line in 2031.")
    Comment.objects.create(contribution=rows[1], author=bert, body="Yes")
    Reaction.objects.create(contribution=rows[1], user=bert, kind="support")
    return consultation


def test_results_page_shows_the_figures_charts_and_answers(heard: Consultation, alpha_client: Client) -> None:
    response = alpha_client.get(f"/consultations/{heard.slug}/results/")
    html = response.content.decode()
    assert response.status_code == 200

    def figure(label: str) -> str:
        return re.search(rf"<li><strong>(\d+)</strong> {label}</li>", html).group(1)

    assert figure("contributions") == "5" and figure("participants") == "3"  # the hidden one does not count
    assert figure("comment") == "1" and figure("reaction") == "1" and figure("answered by the city") == "1"
    # The chart's figures are in a table too.
    for theme, n, share in (("Mobility", 3, 60), ("Environment", 0, 0), ("Housing", 1, 20), ("Other", 1, 20)):
        assert f'<tr><th scope="row">{theme}</th><td>{n}</td><td>{share}%</td></tr>' in html
    assert '<svg class="chart-svg"' in html and 'role="img"' in html
    assert re.search(r"<th scope=\"row\"><time datetime=\"\d{4}-\d\d-\d\d\">[^<]+</time></th><td>5</td>", html)
    supported = html.split('id="supported-title"')[1].split("</section>")[0]
    assert supported.index("Tram") < supported.index("Bus") < supported.index("Bikes")
    assert "Gone" not in html
    answers = html.split('id="answers-title"')[1]
    assert "Bus" in answers and "A new line in 2031." in answers


def test_results_wait_for_the_closing_except_for_staff(in_alpha: City, alpha_client: Client) -> None:
    consultation = make_consultation()  # open
    response = alpha_client.get(f"/consultations/{consultation.slug}/results/")
    assert response.status_code == 404 and "once the consultation closes" in response.content.decode()
    assert (
        f"/consultations/{consultation.slug}/results/"
        not in alpha_client.get(f"/consultations/{consultation.slug}/").content.decode()
    )
    alpha_client.force_login(make_user(role="moderator"))
    preview = alpha_client.get(f"/consultations/{consultation.slug}/results/")
    assert preview.status_code == 200 and "Staff preview" in preview.content.decode()


def test_results_figures_are_cached_until_the_consultation_changes(heard: Consultation, alpha_client: Client) -> None:
    url = f"/consultations/{heard.slug}/results/"
    cold = queries_for(alpha_client, url)
    warm = queries_for(alpha_client, url)
    assert warm <= cold - 5  # the GROUP BYs are not run again
    Contribution.objects.create(consultation=heard, title="Late", body="b")
    assert "<li><strong>5</strong> contributions</li>" in alpha_client.get(url).content.decode()
    # Publishing the results changes the consultation's row, hence the cache key.
    Consultation.objects.filter(pk=heard.pk).update(phase=Phase.RESULTS)
    heard.refresh_from_db()
    heard.save(update_fields=["updated_at"])
    assert "<li><strong>6</strong> contributions</li>" in alpha_client.get(url).content.decode()


def test_day_chart_shows_quiet_days_as_gaps() -> None:
    first = datetime.date(2031, 3, 1)
    chart = day_chart([(first, 2), (first + datetime.timedelta(days=3), 4)])
    assert chart is not None and chart.top == 4
    assert [bar["count"] for bar in chart.bars] == [2, 0, 0, 4]
    heights = [bar["h"] for bar in chart.bars]
    assert heights[3] == chart.height - 24 and heights[0] == heights[3] // 2 and heights[1] == 0
    assert day_chart([]) is None
