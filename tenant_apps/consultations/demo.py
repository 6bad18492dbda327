"""Demo consultations for `make run`: idempotent (a second run changes nothing).

* demo (Belleville-sur-Meuse, a small town): "Cœur de ville 2030", open, 5 themes + other, 40 hand-written
  contributions from 24 residents, a few comments, supports and official answers, one contribution
  waiting in the moderation queue, and a 5-question survey (one question shown only after "Non");
* region (Région wallonne): a Wallonia-sized consultation modelled on "Get up Wallonia!" (2020): 5
  themes + other, 17,461 contributions from 9,370 residents, comments, supports, a 34-question survey
  with about 3,100 responses and several official answers; closed, results published. Written with
  ``seeding`` (PostgreSQL COPY) in a few seconds.

Each consultation is created in one transaction and found again by its slug afterwards, so a run that
fails half-way leaves nothing and the next run starts over. Demo residents have made-up
``@demo.example`` addresses and unusable passwords.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from tenant_apps.consultations.models import (
    AnswerStatus,
    Consultation,
    ContributionStatus,
    ModerationAction,
    ModerationDecision,
    QuestionKind,
)
from tenant_apps.consultations.phases import Phase
from tenant_apps.consultations.seeding import (
    QuestionSpec,
    SeedSpec,
    TextFactory,
    consultation_ensure,
    lexicon_for,
    residents_create,
    seed_consultation,
    survey_build,
    survey_fill,
)
from tenant_apps.consultations.seeding.batches import COMMENT_COLUMNS, CONTRIBUTION_COLUMNS, between
from tenant_apps.consultations.seeding.copy import copy_rows, next_ids
from tenant_apps.consultations.seeding.fill import city_admin_id, counters_refresh
from tenant_apps.consultations.seeding.lexicon import ThemeWords
from tenants.context import CityRef

TOWN_SLUG = "coeur-de-ville-2030"
REGION_SLUG = "wallonie-2030"

# Wallonia 2020 ("Get up Wallonia!"): 17,461 contributions from 9,370 people.
REGION_CONTRIBUTIONS = 17_461
REGION_RESIDENTS = 9_370
REGION_COMMENTS = 5_200
REGION_REACTIONS = 41_000
REGION_SURVEY_RESPONSES = 3_100
REGION_SURVEY_QUESTIONS = 34


def seed(*, city: CityRef) -> None:
    if city.slug == "demo":
        seed_town()
    elif city.slug == "region":
        seed_region()


# --- region ---------------------------------------------------------------------------------------------


def seed_region(*, scale: float = 1.0) -> Consultation:
    """The Wallonia-sized consultation (``scale`` shrinks every count, for tests)."""
    existing = Consultation.objects.filter(slug=REGION_SLUG).first()
    if existing is not None:
        return existing
    lexicon = lexicon_for("fr")
    now = timezone.now()
    opens_at = (now - datetime.timedelta(weeks=9)).replace(hour=9, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        consultation = consultation_ensure(
            slug=REGION_SLUG,
            lexicon=lexicon,
            title="Wallonie 2030 : relançons la région ensemble",
            summary="Cinq semaines pour dire ce qui doit changer en Wallonie : économie, école, climat, "
            "mobilité, santé.",
            description=(
                "<p>Après la crise sanitaire et les inondations, le Gouvernement wallon a invité chaque "
                "habitant à proposer des idées pour relancer la région.</p>"
                "<ul><li>Économie et emploi</li><li>Enseignement et formation</li>"
                "<li>Environnement et climat</li><li>Mobilité</li><li>Santé et social</li></ul>"
                "<p>La consultation est clôturée : découvrez <strong>ce que nous avons entendu</strong> et "
                "les réponses de l'administration.</p>"
            ),
            phase=Phase.RESULTS,
            opens_at=opens_at,
            closes_at=opens_at + datetime.timedelta(weeks=5),
        )
        seed_consultation(
            consultation=consultation,
            spec=SeedSpec(
                contributions=round(REGION_CONTRIBUTIONS * scale),
                comments=round(REGION_COMMENTS * scale),
                reactions=round(REGION_REACTIONS * scale),
                survey_responses=round(REGION_SURVEY_RESPONSES * scale),
                users=max(2, round(REGION_RESIDENTS * scale)),
                seed=2020,
                answered_share=0.003,
                email_prefix="habitant",
                email_domain="demo.example",
                survey_questions=REGION_SURVEY_QUESTIONS,
            ),
            survey_title="Questionnaire : vos priorités pour la Wallonie",
        )
    return consultation


# --- demo town ------------------------------------------------------------------------------------------

TOWN_THEMES = (
    ThemeWords("Place du Marché", "#b45309", "urban_planning", "Le cœur historique et ses usages.", 0, (), ()),
    ThemeWords("Bords de Meuse", "#0369a1", "culture", "Les quais, la promenade et la baignade.", 0, (), ()),
    ThemeWords("Commerces et animation", "#7c3aed", "economy", "Faire vivre le centre.", 0, (), ()),
    ThemeWords("Circulation et stationnement", "#475569", "mobility", "Se garer, traverser, livrer.", 0, (), ()),
    ThemeWords("Nature en ville", "#15803d", "environment", "Arbres, ombre et jardins.", 0, (), ()),
)

PEOPLE = (
    "Claire Martin",
    "Julien Lefèvre",
    "Sophie Bernard",
    "Karim Haddad",
    "Élodie Petit",
    "Marc Rousseau",
    "Nadia Benali",
    "Thomas Girard",
    "Anne-Sophie Moreau",
    "Lucas Fontaine",
    "Isabelle Roux",
    "Pierre Lambert",
    "Camille Dupuis",
    "Hugo Marchal",
    "Fatou Diallo",
    "Bernard Collin",
    "Léa Perrin",
    "Mathieu Caron",
    "Sandrine Michel",
    "Antoine Leroy",
    "Yasmine Amrani",
    "Nicolas Faure",
    "Monique Henry",
    "Théo Gauthier",
)


@dataclass(frozen=True)
class Idea:
    theme: int | None  # index in TOWN_THEMES; None = other
    district: str
    title: str
    body: str
    author: int  # index in PEOPLE
    supports: int


# fmt: off
IDEAS = (
    Idea(0, "Centre-ville", "Rendre la place du Marché piétonne le samedi",
         "Le samedi matin, le marché est coincé entre les voitures. Fermer la place à la circulation de 7 h à "
         "14 h laisserait de la place aux étals et aux familles.", 0, 18),
    Idea(0, "Centre-ville", "Des bancs et de l'ombre autour de la fontaine",
         "Il n'y a que deux bancs sur toute la place et aucun arbre. Les personnes âgées ne peuvent pas "
         "s'asseoir en attendant le bus.", 22, 15),
    Idea(0, "Centre-ville", "Une halle couverte pour le marché",
         "Quand il pleut, la moitié des maraîchers ne viennent pas. Une halle couverte, comme à Dinant, "
         "permettrait d'avoir un marché toute l'année et des concerts en été.", 5, 12),
    Idea(0, "Centre-ville", "Rénover les pavés de la place",
         "Les pavés sont déchaussés devant la mairie : on s'y tord les chevilles et c'est impraticable avec "
         "une poussette ou un fauteuil roulant.", 10, 9),
    Idea(0, "Centre-ville", "Un marché du soir en été",
         "Un marché de producteurs le jeudi soir, de juin à septembre, avec quelques food-trucks : de quoi "
         "faire revenir les jeunes au centre.", 13, 11),
    Idea(0, "Saint-Martin", "Des toilettes publiques accessibles",
         "Les seules toilettes publiques sont fermées depuis deux ans. C'est un vrai problème les jours de "
         "marché.", 15, 8),
    Idea(1, "Bords de Meuse", "Prolonger la promenade jusqu'à l'écluse",
         "La promenade s'arrête net après le pont. La prolonger de 800 mètres jusqu'à l'écluse ferait une "
         "belle boucle pour les joggeurs et les familles.", 1, 16),
    Idea(1, "Bords de Meuse", "Une guinguette sur les quais",
         "Une buvette saisonnière avec des transats, gérée par une association locale, animerait les quais "
         "l'été.", 6, 13),
    Idea(1, "Bords de Meuse", "Éclairer le chemin de halage",
         "Le soir, le chemin de halage est complètement noir. Un éclairage doux, qui respecte les chauves-"
         "souris, rassurerait ceux qui rentrent à pied.", 2, 10),
    Idea(1, "Bords de Meuse", "Un ponton pour les kayaks",
         "Le club de kayak met ses bateaux à l'eau sur la berge boueuse. Un ponton simple servirait aussi "
         "aux pêcheurs.", 17, 6),
    Idea(1, "Quartier de la Gare", "Nettoyer les berges deux fois par an",
         "Après chaque crue, des déchets restent accrochés aux branches. Une journée citoyenne de nettoyage "
         "au printemps et à l'automne, avec le matériel prêté par la commune ?", 8, 9),
    Idea(1, "Bords de Meuse", "Des panneaux sur l'histoire de la batellerie",
         "Belleville a été un port important. Quelques panneaux avec des photos d'archives le long des quais "
         "raconteraient cette histoire.", 21, 5),
    Idea(2, "Centre-ville", "Aider les commerces vides à rouvrir",
         "Sept vitrines sont vides rue Haute. La commune pourrait louer ces cellules et les proposer à prix "
         "réduit à des jeunes commerçants pendant un an.", 3, 17),
    Idea(2, "Centre-ville", "Une boutique éphémère pour les artisans",
         "Un local partagé où les artisans de la région exposent à tour de rôle, un mois chacun.", 12, 8),
    Idea(2, "Centre-ville", "Un cinéma en plein air sur la place",
         "Trois soirées de cinéma en plein air en août, avec des films choisis par les habitants.", 19, 12),
    Idea(2, "Saint-Martin", "Garder le bureau de poste",
         "On parle de fermer le bureau de poste. Pour les personnes âgées, c'est le dernier service du "
         "quartier.", 22, 14),
    Idea(2, "Centre-ville", "Une carte de fidélité commune à tous les commerces",
         "Une seule carte pour tous les commerçants du centre, avec un bon d'achat tous les 10 passages.", 9, 7),
    Idea(2, "Les Hauts", "Un lieu pour les ados",
         "Les jeunes n'ont nulle part où aller après l'école à part l'abribus. Une salle avec un animateur, "
         "même deux soirs par semaine, changerait beaucoup.", 14, 13),
    Idea(2, "Centre-ville", "Une fête de quartier au printemps",
         "Une grande tablée dans la rue Haute, chacun apporte un plat : ça existait dans les années 90 et "
         "tout le monde s'en souvient.", 16, 10),
    Idea(3, "Centre-ville", "Zone 30 dans tout le centre",
         "Les voitures traversent la rue Haute à 50 km/h alors qu'elle est étroite et pleine d'enfants à la "
         "sortie de l'école.", 4, 15),
    Idea(3, "Quartier de la Gare", "Un parking relais près de la gare",
         "Le terrain vague derrière la gare pourrait accueillir 80 places. Les navetteurs ne se gareraient "
         "plus dans les rues du centre.", 7, 11),
    Idea(3, "Centre-ville", "Des arceaux vélo devant les commerces",
         "Impossible d'attacher son vélo devant la boulangerie ou la pharmacie. Quelques arceaux ne coûtent "
         "presque rien.", 11, 14),
    Idea(3, "Les Hauts", "Sécuriser le passage piéton de l'école Jules-Ferry",
         "Le passage est juste après un virage : les voitures voient les enfants trop tard. Un plateau "
         "ralentisseur et un éclairage s'imposent.", 18, 19),
    Idea(3, "Centre-ville", "Livraisons avant 10 h seulement",
         "Les camions de livraison bloquent la rue Haute toute la journée. Des horaires fixes le matin "
         "régleraient le problème.", 20, 6),
    Idea(3, "Saint-Martin", "Une navette gratuite le samedi",
         "Une petite navette entre Saint-Martin, les Hauts et le centre les jours de marché, pour ceux qui "
         "n'ont pas de voiture.", 23, 12),
    Idea(3, "Centre-ville", "Stationnement gratuit 30 minutes",
         "Une zone bleue de 30 minutes gratuites devant les commerces, pour faire une course rapide.", 9, 9),
    Idea(4, "Centre-ville", "Planter des arbres rue Haute",
         "La rue Haute est un four en été. Des arbres en bacs ou en pleine terre apporteraient de l'ombre et "
         "de la fraîcheur.", 2, 16),
    Idea(4, "Les Hauts", "Un jardin partagé aux Hauts",
         "Le terrain communal derrière l'église est en friche. Un potager partagé avec des bacs accessibles "
         "rassemblerait les voisins.", 6, 12),
    Idea(4, "Saint-Martin", "Végétaliser la cour de l'école",
         "La cour de l'école Saint-Martin est entièrement goudronnée. Une cour « oasis » avec de la terre et "
         "des arbres, ouverte le week-end.", 18, 14),
    Idea(4, "Centre-ville", "Des fleurs aux balcons des bâtiments communaux",
         "Quelques jardinières aux fenêtres de la mairie et de la bibliothèque, ce serait plus accueillant.",
         16, 4),
    Idea(4, "Quartier de la Gare", "Un verger près de la gare",
         "Planter une vingtaine d'arbres fruitiers de variétés anciennes, en libre cueillette.", 8, 8),
    Idea(4, "Bords de Meuse", "Protéger les martins-pêcheurs",
         "Un couple niche près de l'écluse. Il faudrait éviter de faucher la berge entre avril et juillet.",
         17, 7),
    Idea(4, "Les Hauts", "Moins de tontes, plus de prairies fleuries",
         "Laisser pousser certains espaces verts et ne les faucher que deux fois par an : moins de travail "
         "pour les ouvriers communaux et plus d'insectes.", 11, 9),
    Idea(None, "Centre-ville", "Publier le compte rendu du conseil communal en ligne",
         "Les comptes rendus ne sont affichés qu'à la mairie. Les mettre sur le site permettrait à tous de "
         "suivre les décisions.", 3, 10),
    Idea(None, "Saint-Martin", "Rouvrir la bibliothèque le samedi",
         "La bibliothèque est fermée le samedi, le seul jour où beaucoup de familles peuvent y aller.", 13, 11),
    Idea(None, "Les Hauts", "Un budget participatif pour les quartiers",
         "Chaque quartier pourrait décider de l'usage d'une petite enveloppe chaque année.", 5, 9),
    Idea(None, "Centre-ville", "Un forum des associations en septembre",
         "Réunir toutes les associations sur la place un dimanche de rentrée pour que les nouveaux habitants "
         "les découvrent.", 21, 8),
    Idea(None, "Quartier de la Gare", "Des cours d'informatique pour les aînés",
         "Beaucoup de démarches se font en ligne. Des ateliers à la bibliothèque aideraient nos aînés.", 15, 7),
    Idea(None, "Centre-ville", "Un concours photo « Belleville d'hier et d'aujourd'hui »",
         "Les habitants comparent des photos anciennes et récentes des mêmes lieux ; exposition à la mairie.",
         10, 5),
    Idea(3, "Les Hauts", "Un trottoir continu jusqu'au centre",
         "Depuis les Hauts, le trottoir s'arrête à mi-côte : avec une poussette, il faut marcher sur la route "
         "pendant deux cents mètres.", 4, 10),
)
# fmt: on

PENDING = Idea(
    2,
    "Centre-ville",
    "Promotion pour mon garage",
    "Vidange à prix cassé : www.garage-exemple.example, www.promo-exemple.example et www.autre-exemple.example !",
    19,
    0,
)
PENDING_REASON = "Votre texte contient beaucoup de liens : un modérateur doit d'abord le vérifier."

COMMENTS = (  # (idea index, author index, text, reply to comment index in this list or None)
    (0, 3, "Oui ! Et on pourrait installer des tables pour pique-niquer avec les produits du marché.", None),
    (0, 20, "Les commerçants de la place risquent de perdre des clients qui viennent en voiture.", None),
    (0, 0, "Le parking de la gare est à cinq minutes à pied, ce n'est pas si loin.", 1),
    (6, 9, "Il faudrait aussi des poubelles et un point d'eau le long de la promenade.", None),
    (6, 1, "Bonne idée, je l'ajoute à la proposition.", 3),
    (12, 16, "À Huy, la commune l'a fait et quatre boutiques ont ouvert en un an.", None),
    (17, 4, "Mes enfants seraient ravis. Pourquoi pas à la maison de quartier ?", None),
    (19, 18, "Avec des contrôles de vitesse, sinon personne ne respectera la limite.", None),
    (22, 7, "Le plateau ralentisseur est urgent : il y a déjà eu deux accidents.", None),
    (22, 18, "Merci ! J'ai aussi écrit à l'école pour qu'elle soutienne la demande.", 8),
    (26, 12, "Les tilleuls sont une bonne option : ils donnent beaucoup d'ombre.", None),
    (27, 22, "Je veux bien donner un coup de main pour le potager.", None),
    (34, 14, "Oui, le samedi matin serait parfait.", None),
)

OFFICIAL = (  # (idea index, status, text)
    (
        22,
        AnswerStatus.ACCEPTED,
        "Le plateau ralentisseur et un nouvel éclairage seront installés pendant les vacances de printemps. "
        "Merci pour votre vigilance.",
    ),
    (
        0,
        AnswerStatus.UNDER_REVIEW,
        "Un essai de place piétonne le samedi matin est à l'étude avec les commerçants et les maraîchers ; "
        "une réunion publique aura lieu le mois prochain.",
    ),
    (
        15,
        AnswerStatus.REJECTED,
        "La fermeture du bureau de poste est une décision de bpost que la commune ne peut pas empêcher ; "
        "nous négocions un point poste chez un commerçant du quartier.",
    ),
)

TOWN_SURVEY = (
    QuestionSpec(
        QuestionKind.MULTIPLE,
        "Quelles sont vos deux priorités pour le centre-ville ?",
        ("Plus de verdure", "Moins de voitures", "Plus de commerces", "Des lieux pour les jeunes", "Plus de bancs"),
        required=True,
        max_choices=2,
    ),
    QuestionSpec(
        QuestionKind.RANKING,
        "Classez ces trois projets par ordre de préférence.",
        ("Rénover la place du Marché", "Aménager les quais de Meuse", "Créer une halle couverte"),
    ),
    QuestionSpec(
        QuestionKind.SCALE,
        "Aimez-vous venir au centre-ville aujourd'hui ?",
        scale_min=1,
        scale_max=5,
        scale_min_label="Pas du tout",
        scale_max_label="Beaucoup",
    ),
    QuestionSpec(QuestionKind.SINGLE, "Venez-vous au marché du samedi ?", ("Oui", "Non"), required=True),
    QuestionSpec(QuestionKind.TEXT, "Qu'est-ce qui vous donnerait envie d'y venir ?", show_if=(3, 1)),
)
TOWN_SURVEY_RESPONSES = 18


def seed_town() -> Consultation:
    """The small town's open consultation (see the module docstring)."""
    existing = Consultation.objects.filter(slug=TOWN_SLUG).first()
    if existing is not None:
        return existing
    lexicon = lexicon_for("fr")
    rng = random.Random(2030)  # noqa: S311 (made-up data)
    texts = TextFactory(lexicon, rng)
    now = timezone.now()
    opens_at = (now - datetime.timedelta(days=12)).replace(hour=8, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        consultation = consultation_ensure(
            slug=TOWN_SLUG,
            lexicon=lexicon,
            title="Cœur de ville 2030 : imaginons ensemble le centre de Belleville",
            summary="Place du Marché, bords de Meuse, commerces, circulation, nature : vos idées pour le centre.",
            description=(
                "<p>Le conseil communal prépare le réaménagement du centre-ville. Avant de dessiner les plans, "
                "nous voulons connaître <strong>vos idées</strong>.</p><p>Déposez vos propositions, soutenez "
                "celles des autres et répondez à notre court questionnaire. Chaque proposition recevra une "
                "réponse.</p>"
            ),
            phase=Phase.OPEN,
            opens_at=opens_at,
            closes_at=opens_at + datetime.timedelta(weeks=5),
            themes=TOWN_THEMES,
        )
        people = _town_residents(texts, opens_at)
        themes = list(consultation.themes.order_by("position", "id").values_list("pk", flat=True))
        ideas = (*IDEAS, PENDING)
        ids = next_ids("consultations_contribution", len(ideas))
        span = now - opens_at
        created = sorted(opens_at + span * rng.random() * 0.95 for _ in ideas)
        answers = {index: (status, text) for index, status, text in OFFICIAL}
        copy_rows(
            "consultations_contribution",
            CONTRIBUTION_COLUMNS,
            (
                (
                    ids[i],
                    consultation.pk,
                    None if idea.theme is None else themes[idea.theme],
                    people[idea.author],
                    idea.title,
                    idea.body,
                    ContributionStatus.PENDING.value if idea is PENDING else ContributionStatus.PUBLISHED.value,
                    PENDING_REASON if idea is PENDING else "",
                    None,
                    None,
                    idea.district,
                    0,  # counters: counters_refresh() below counts the rows
                    0,
                    0,
                    0,
                    0,
                    0,
                    answers[i][0].value if i in answers else "",
                    consultation.search_config,
                    created[i],
                    created[i],
                )
                for i, idea in enumerate(ideas)
            ),
        )
        ModerationDecision.objects.create(
            contribution_id=ids[-1],
            action=ModerationAction.AUTO_PENDING,
            previous_status="",
            new_status=ContributionStatus.PENDING,
            reason=PENDING_REASON,
        )
        _town_reactions(rng, ids, created, people, now)
        _town_comments(rng, ids, created, people, now)
        admin = city_admin_id()
        copy_rows(
            "consultations_officialanswer",
            ("contribution_id", "status", "text", "answered_by_id", "answered_at", "updated_at"),
            (
                (ids[i], status.value, text, admin, moment, moment)
                for i, (status, text) in answers.items()
                for moment in [between(rng, created[i], now)]
            ),
        )
        counters_refresh(consultation_id=consultation.pk)
        survey = survey_build(
            consultation_id=consultation.pk,
            title="Votre centre-ville en 5 questions",
            introduction="Deux minutes pour nous aider à choisir les priorités.",
            questions=TOWN_SURVEY,
        )
        survey_fill(
            survey=survey,
            respondent_ids=rng.sample(people, TOWN_SURVEY_RESPONSES),
            rng=rng,
            texts=texts,
            when=lambda: between(rng, opens_at, now),
        )
    return consultation


def _town_residents(texts: TextFactory, opens_at: datetime.datetime) -> list[int]:
    """The 24 residents, in PEOPLE order, with their real-looking names (the made-up part is the email)."""
    return residents_create(
        count=len(PEOPLE),
        texts=texts,
        email_prefix="belleville",
        email_domain="demo.example",
        joined_before=opens_at,
        names=PEOPLE,
    )


def _town_reactions(
    rng: random.Random, ids: list[int], created: list[datetime.datetime], people: list[int], now: datetime.datetime
) -> None:
    rows = []
    for i, idea in enumerate(IDEAS):  # never on the pending one
        author = people[idea.author]
        voters = [p for p in rng.sample(people, min(len(people), idea.supports + 1)) if p != author][: idea.supports]
        for voter in voters:
            moment = between(rng, created[i], now)
            rows.append((ids[i], voter, "support", moment, moment))
    copy_rows("consultations_reaction", ("contribution_id", "user_id", "kind", "created_at", "updated_at"), rows)


def _town_comments(
    rng: random.Random, ids: list[int], created: list[datetime.datetime], people: list[int], now: datetime.datetime
) -> None:
    comment_ids = next_ids("consultations_comment", len(COMMENTS))
    moments: list[datetime.datetime] = []
    rows = []
    for n, (idea, author, text, reply_to) in enumerate(COMMENTS):
        after = created[idea] if reply_to is None else moments[reply_to]
        moment = between(rng, after, now)
        moments.append(moment)
        parent = None if reply_to is None else comment_ids[reply_to]
        depth = 0 if reply_to is None else 1
        author_id = people[author]
        rows.append((comment_ids[n], ids[idea], parent, depth, author_id, text, "published", "", 0, moment, moment))
    copy_rows("consultations_comment", COMMENT_COLUMNS, rows)


__all__ = ["REGION_SLUG", "TOWN_SLUG", "seed", "seed_region", "seed_town"]
