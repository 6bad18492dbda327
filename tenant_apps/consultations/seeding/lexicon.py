"""Word lists for generated consultation texts, per language (French by default: Wallonia).

Texts are assembled from phrase lists with a seeded ``random.Random``: the same seed gives the same
texts. ``TextFactory`` builds pools of titles, sentences and comments once, then each row costs a few
``choice`` calls, which keeps a million contributions within seconds of Python.

Search needs realistic word frequencies: theme words are common, places are medium, and a few "rare"
sentences (``Lexicon.rare``, each with a distinctive word such as "géothermie") land in about one
contribution in five hundred, split between them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ThemeWords:
    name: str
    colour: str
    icon: str
    description: str
    weight: float  # share of the contributions (themes are uneven, like real consultations)
    subjects: tuple[str, ...]  # noun phrases: "les pistes cyclables"
    observations: tuple[str, ...]  # "Dans mon quartier, ..." endings


@dataclass(frozen=True)
class District:
    name: str
    postal_code: str
    latitude: float
    longitude: float
    weight: float


@dataclass(frozen=True)
class Lexicon:
    language: str
    consultation_title: str
    consultation_summary: str
    consultation_description: str  # rich text (already clean)
    other_weight: float  # share of contributions without a theme ("other")
    themes: tuple[ThemeWords, ...]
    other: ThemeWords  # phrases for the "other" bucket (never created as a theme)
    actions: tuple[str, ...]  # title verbs, capitalised: "Développer"
    openers: tuple[str, ...]  # "Je propose de"
    reasons: tuple[str, ...]  # "afin de réduire la pollution"
    observation_lead: tuple[str, ...]  # "Dans mon quartier,"
    closings: tuple[str, ...]
    rare: tuple[str, ...]
    title_suffixes: tuple[str, ...]  # "à {place}", "dans les villages"
    comment_leads: tuple[str, ...]
    comment_bodies: tuple[str, ...]  # may contain {subject}
    replies: tuple[str, ...]
    answers: dict[str, tuple[str, ...]]  # answer status -> texts
    districts: tuple[District, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    survey_texts: tuple[str, ...]  # free-text survey answers
    survey_title: str
    survey_intro: str
    hidden_reason: str
    words: dict[str, str] = field(default_factory=dict)  # misc labels used by the survey builder


FR_THEMES = (
    ThemeWords(
        "Économie et emploi",
        "#b45309",
        "economy",
        "Créer de l'activité et des emplois de qualité dans toutes les sous-régions.",
        0.27,
        (
            "les circuits courts",
            "l'aide aux indépendants",
            "les zones d'activité économique",
            "le commerce de proximité",
            "l'économie circulaire",
            "les coopératives locales",
            "l'accompagnement des jeunes entrepreneurs",
            "la reconversion des friches industrielles",
            "le télétravail dans les villages",
            "les marchés publics pour les PME",
            "l'emploi des plus de cinquante ans",
            "le tourisme de terroir",
            "les centres-villes commerçants",
            "l'accès au crédit pour les starters",
            "les démarches administratives des entreprises",
        ),
        (
            "plusieurs commerces ont fermé cette année",
            "les jeunes partent travailler à Bruxelles ou au Luxembourg",
            "il n'y a presque plus de banque ni de distributeur",
            "les artisans ne trouvent pas de repreneurs",
            "les zonings sont pleins mais les friches restent vides",
        ),
    ),
    ThemeWords(
        "Enseignement et formation",
        "#1d4ed8",
        "education",
        "De l'école maternelle à la formation continue : apprendre tout au long de la vie.",
        0.21,
        (
            "les cours de néerlandais dès la primaire",
            "la formation en alternance",
            "l'orientation des élèves",
            "les bâtiments scolaires",
            "les repas sains à la cantine",
            "le numérique à l'école",
            "la revalorisation des métiers techniques",
            "les formations pour demandeurs d'emploi",
            "l'accueil extrascolaire",
            "le transport scolaire",
            "les stages en entreprise",
            "l'apprentissage de la citoyenneté",
            "l'enseignement qualifiant",
            "les bourses d'études",
        ),
        (
            "l'école du village manque de classes",
            "les bus scolaires sont toujours bondés",
            "les professeurs ne sont pas remplacés quand ils sont malades",
            "il faut attendre des mois pour une formation qualifiante",
        ),
    ),
    ThemeWords(
        "Environnement et climat",
        "#15803d",
        "environment",
        "Préserver la nature, réduire nos émissions et s'adapter aux inondations et aux sécheresses.",
        0.19,
        (
            "les panneaux solaires sur les bâtiments publics",
            "la rénovation énergétique des logements",
            "la plantation de haies",
            "la protection des rivières",
            "le tri des déchets",
            "la prévention des inondations",
            "les communautés d'énergie renouvelable",
            "la biodiversité dans les jardins",
            "les éoliennes citoyennes",
            "le compostage de quartier",
            "l'isolation des écoles",
            "les forêts wallonnes",
            "la lutte contre les dépôts clandestins",
            "l'agriculture sans pesticides",
        ),
        (
            "la rivière a débordé deux fois depuis 2021",
            "les dépôts sauvages se multiplient le long des chemins",
            "on ne voit presque plus d'hirondelles",
            "les primes à la rénovation sont trop compliquées",
        ),
    ),
    ThemeWords(
        "Mobilité",
        "#7c3aed",
        "mobility",
        "Se déplacer facilement, en sécurité et à moindre coût, en ville comme à la campagne.",
        0.18,
        (
            "les pistes cyclables séparées",
            "les bus en zone rurale",
            "les trains le week-end",
            "le covoiturage",
            "les parkings de délestage",
            "les trottoirs pour les personnes à mobilité réduite",
            "le RAVeL",
            "les bornes de recharge électriques",
            "la sécurité routière dans les villages",
            "les abris vélo sécurisés",
            "la fréquence des bus TEC",
            "les voitures partagées",
            "les navettes vers les gares",
            "l'entretien des routes régionales",
        ),
        (
            "le dernier bus passe à 19 heures",
            "il n'y a aucune piste cyclable jusqu'à la gare",
            "les camions traversent le village à toute vitesse",
            "la gare n'est desservie qu'une fois par heure",
        ),
    ),
    ThemeWords(
        "Santé et social",
        "#be123c",
        "health",
        "Soigner, accompagner et ne laisser personne de côté.",
        0.09,
        (
            "les maisons médicales",
            "l'aide aux aînés isolés",
            "les logements publics",
            "l'accès aux soins de santé mentale",
            "les places en crèche",
            "l'aide aux aidants proches",
            "la lutte contre la précarité énergétique",
            "les médecins généralistes à la campagne",
            "l'accueil des personnes handicapées",
            "les épiceries sociales",
            "les services d'urgence",
            "le maintien à domicile",
        ),
        (
            "il faut six mois pour un rendez-vous chez un spécialiste",
            "notre médecin part à la retraite sans remplaçant",
            "les loyers ont beaucoup augmenté",
            "beaucoup de personnes âgées vivent seules",
        ),
    ),
)

FR_OTHER = ThemeWords(
    "Autre",
    "#6b7280",
    "",
    "",
    0.06,
    (
        "la participation citoyenne",
        "la transparence des décisions",
        "la simplification des démarches en ligne",
        "la culture dans les villages",
        "les clubs sportifs",
        "le bien-être animal",
        "la fusion des communes",
        "les budgets participatifs",
    ),
    (
        "on ne sait jamais ce que deviennent nos avis",
        "les démarches en ligne sont difficiles pour les aînés",
    ),
)

FR_DISTRICTS = (
    District("Liège", "4000", 50.6326, 5.5797, 0.17),
    District("Charleroi", "6000", 50.4108, 4.4446, 0.15),
    District("Namur", "5000", 50.4674, 4.8720, 0.12),
    District("Mons", "7000", 50.4542, 3.9567, 0.09),
    District("Tournai", "7500", 50.6056, 3.3879, 0.06),
    District("Verviers", "4800", 50.5891, 5.8627, 0.05),
    District("Wavre", "1300", 50.7170, 4.6010, 0.05),
    District("La Louvière", "7100", 50.4797, 4.1866, 0.05),
    District("Arlon", "6700", 49.6833, 5.8167, 0.04),
    District("Mouscron", "7700", 50.7437, 3.2140, 0.03),
    District("Ottignies-Louvain-la-Neuve", "1340", 50.6685, 4.6118, 0.04),
    District("Seraing", "4100", 50.5836, 5.4999, 0.03),
    District("Dinant", "5500", 50.2606, 4.9122, 0.02),
    District("Bastogne", "6600", 50.0037, 5.7186, 0.02),
    District("Marche-en-Famenne", "6900", 50.2269, 5.3443, 0.02),
    District("Eupen", "4700", 50.6294, 6.0356, 0.02),
    District("Durbuy", "6940", 50.3521, 5.4566, 0.01),
    District("Chimay", "6460", 50.0483, 4.3166, 0.01),
    District("Bouillon", "6830", 49.7934, 5.0670, 0.01),
    District("Stavelot", "4970", 50.3944, 5.9305, 0.01),
)

FR = Lexicon(
    language="fr",
    consultation_title="Grande consultation citoyenne",
    consultation_summary="Vos idées pour la région de demain : économie, école, climat, mobilité et santé.",
    consultation_description=(
        "<p>Pendant cinq semaines, chaque habitant peut déposer ses propositions, commenter et soutenir "
        "celles des autres.</p><p>Toutes les contributions sont lues et <strong>chaque thème</strong> "
        "reçoit une réponse publique.</p>"
    ),
    other_weight=0.06,
    themes=FR_THEMES,
    other=FR_OTHER,
    # Verbs that fit every subject below ("Financer les pistes cyclables", "Repenser l'aide aux aînés").
    actions=(
        "Développer",
        "Renforcer",
        "Soutenir",
        "Améliorer",
        "Repenser",
        "Financer",
        "Encourager",
        "Moderniser",
        "Valoriser",
        "Investir dans",
    ),
    openers=(
        "Je propose de",
        "Il faudrait",
        "Nous demandons de",
        "Pourquoi ne pas",
        "Il est urgent de",
        "La Région devrait",
        "Ce serait bien de",
        "Il serait utile de",
    ),
    reasons=(
        "afin de réduire la pollution",
        "pour que les jeunes restent dans la région",
        "pour aider les familles qui ont peu de moyens",
        "pour créer des emplois locaux",
        "pour ne plus dépendre de la voiture",
        "afin que personne ne soit laissé de côté",
        "pour faire des économies d'énergie",
        "pour rendre nos villages plus vivants",
        "afin de mieux préparer l'avenir de nos enfants",
        "pour désengorger les villes",
        "afin de rattraper notre retard",
    ),
    observation_lead=("Dans mon quartier,", "Chez nous,", "Dans ma commune,", "Aujourd'hui,", "Depuis des années,"),
    closings=(
        "Merci de nous consulter.",
        "C'est une priorité pour notre région.",
        "Cela ne coûterait pas très cher.",
        "D'autres régions le font déjà avec succès.",
        "J'espère que cette idée sera retenue.",
        "Beaucoup de voisins partagent cet avis.",
        "",
        "",
    ),
    rare=(
        "La géothermie profonde pourrait chauffer tout un quartier.",
        "Un tiers-lieu avec fablab redonnerait vie à l'ancienne gare.",
        "Les ardoisières abandonnées pourraient accueillir des chauves-souris.",
        "Un observatoire ornithologique le long de la Semois attirerait des visiteurs.",
        "La permaculture devrait être enseignée dans les écoles d'horticulture.",
        "Une ressourcerie intercommunale réparerait les électroménagers.",
        "Le houblon local pourrait relancer les brasseries artisanales.",
        "Il faut cartographier les sentiers vicinaux oubliés.",
        "Les terrils pourraient devenir des réserves naturelles.",
        "Un bibliobus desservirait les hameaux sans bibliothèque.",
    ),
    title_suffixes=(
        "",
        "",
        "",
        "dans les villages",
        "en zone rurale",
        "pour les jeunes",
        "pour les aînés",
        "partout en Wallonie",
        "dans chaque commune",
        "d'ici 2030",
    ),
    comment_leads=(
        "Tout à fait d'accord !",
        "Bonne idée.",
        "Je ne suis pas convaincu.",
        "Très juste.",
        "Attention au coût.",
        "Oui, mais",
        "Excellente proposition.",
        "Je soutiens à 100 %.",
        "Pas si simple :",
        "Question :",
    ),
    comment_bodies=(
        "Et pourquoi pas aussi {subject} ?",
        "Chez nous, {subject} fonctionne déjà très bien.",
        "Il faudrait d'abord évaluer {subject}.",
        "Cela va dans le bon sens, surtout pour {subject}.",
        "Qui va financer {subject} ?",
        "J'ajouterais {subject} à la liste.",
        "Il faut penser aux personnes âgées.",
        "Les communes n'ont pas les moyens de tout faire.",
        "C'est exactement ce qui manque dans ma commune.",
        "Une expérience pilote permettrait de tester l'idée.",
    ),
    replies=(
        "Merci pour votre retour.",
        "Je suis d'accord avec vous.",
        "Pas tout à fait : les chiffres montrent le contraire.",
        "Bonne remarque, je n'y avais pas pensé.",
        "C'est déjà prévu dans certaines communes.",
        "Exactement !",
    ),
    answers={
        "under_review": (
            "Merci pour cette proposition. Elle est à l'étude par l'administration et sera examinée lors "
            "de la préparation du prochain plan régional.",
            "Votre idée a été transmise au cabinet compétent, qui l'analyse avec les communes concernées.",
        ),
        "accepted": (
            "Votre proposition est retenue : elle sera intégrée au plan d'action et financée dès l'an prochain.",
            "Bonne nouvelle : cette mesure fera partie des priorités du gouvernement pour les cinq ans à venir.",
        ),
        "rejected": (
            "Merci pour votre contribution. Cette mesure relève d'une autre autorité (fédérale ou communale) "
            "et ne peut pas être retenue par la Région.",
            "Après analyse, le coût de cette proposition est trop élevé au regard des moyens disponibles.",
        ),
        "done": (
            "C'est fait : cette mesure est en place depuis le début de l'année.",
            "Réalisé : le projet a été lancé dans plusieurs communes pilotes.",
        ),
    },
    districts=FR_DISTRICTS,
    first_names=(
        "Marie",
        "Nathalie",
        "Isabelle",
        "Sophie",
        "Julie",
        "Camille",
        "Laura",
        "Emma",
        "Louise",
        "Chloé",
        "Anne",
        "Martine",
        "Christine",
        "Sarah",
        "Manon",
        "Jean",
        "Michel",
        "Philippe",
        "Pierre",
        "Luc",
        "Marc",
        "Thomas",
        "Nicolas",
        "Julien",
        "Antoine",
        "Maxime",
        "Louis",
        "Hugo",
        "Mehdi",
        "Youssef",
        "Fatima",
        "Giulia",
        "Olivier",
        "David",
        "Benoît",
        "Vincent",
    ),
    last_names=(
        "Dubois",
        "Lambert",
        "Dupont",
        "Martin",
        "Simon",
        "Laurent",
        "Leclercq",
        "Renard",
        "Collard",
        "Henrard",
        "Gilson",
        "Lejeune",
        "Thiry",
        "Servais",
        "Pirson",
        "Mathieu",
        "Denis",
        "François",
        "Hubert",
        "Jacquet",
        "Wauters",
        "Bertrand",
        "Rossi",
        "El Amrani",
    ),
    survey_texts=(
        "Plus de transports en commun le soir.",
        "Rénover les écoles en priorité.",
        "Aider les petits commerces.",
        "Moins de paperasse pour les citoyens.",
        "Protéger les terres agricoles.",
        "Des logements abordables pour les jeunes.",
        "Plus de médecins à la campagne.",
        "Écouter vraiment les habitants.",
        "Des pistes cyclables sûres.",
        "Rien à ajouter.",
    ),
    survey_title="Questionnaire : vos priorités",
    survey_intro="Une dizaine de minutes pour nous dire ce qui compte pour vous.",
    hidden_reason="Contenu hors sujet ou injurieux.",
    words={
        "priority": "Quelle est votre priorité pour « {theme} » ?",
        "measures": "Quelles mesures soutenez-vous en matière de « {theme} » ?",
        "satisfaction": "Êtes-vous satisfait de la situation actuelle : « {theme} » ?",
        "ranking": "Classez ces pistes pour « {theme} » par ordre de priorité.",
        "idea": "Une idée pour « {theme} » ?",
        "uses": "Êtes-vous directement concerné par « {theme} » ?",
        "uses_follow": "Qu'est-ce qui devrait changer en premier pour vous ?",
        "yes": "Oui",
        "no": "Non",
        "not_at_all": "Pas du tout",
        "completely": "Tout à fait",
        "age": "Quel âge avez-vous ?",
        "ages": "Moins de 18 ans|18-29 ans|30-44 ans|45-64 ans|65 ans et plus",
        "where": "Dans quelle province habitez-vous ?",
        "places": "Brabant wallon|Hainaut|Liège|Luxembourg|Namur",
        "heard": "Comment avez-vous entendu parler de cette consultation ?",
        "heard_choices": "Presse|Réseaux sociaux|Ma commune|Bouche à oreille|Autre",
        "overall": "Avez-vous autre chose à nous dire ?",
    },
)


EN_THEMES = (
    ThemeWords(
        "Economy and jobs",
        "#b45309",
        "economy",
        "Good jobs in every part of the region.",
        0.27,
        (
            "local shops",
            "support for small businesses",
            "short supply chains",
            "the circular economy",
            "apprenticeships",
            "empty industrial sites",
            "co-working spaces in villages",
            "local cooperatives",
            "help for young entrepreneurs",
            "tourism",
        ),
        ("several shops closed this year", "young people leave to find work"),
    ),
    ThemeWords(
        "Education and training",
        "#1d4ed8",
        "education",
        "Learning at every age.",
        0.21,
        (
            "language classes",
            "school buildings",
            "healthy school meals",
            "digital skills",
            "after-school care",
            "school transport",
            "vocational training",
            "adult education",
            "student grants",
        ),
        ("the village school lacks classrooms", "school buses are always full"),
    ),
    ThemeWords(
        "Environment and climate",
        "#15803d",
        "environment",
        "Nature, emissions and adapting to floods and droughts.",
        0.19,
        (
            "solar panels on public buildings",
            "home insulation",
            "hedgerows",
            "river protection",
            "recycling",
            "flood defences",
            "community energy",
            "urban trees",
            "wind turbines",
            "composting",
        ),
        ("the river flooded twice since 2021", "fly-tipping is getting worse"),
    ),
    ThemeWords(
        "Mobility",
        "#7c3aed",
        "mobility",
        "Getting around safely and cheaply.",
        0.18,
        (
            "protected cycle lanes",
            "rural buses",
            "weekend trains",
            "car sharing",
            "park and ride",
            "pavements for wheelchairs",
            "charging points",
            "speed limits in villages",
            "secure bike parking",
        ),
        ("the last bus leaves at 7 pm", "there is no cycle lane to the station"),
    ),
    ThemeWords(
        "Health and social care",
        "#be123c",
        "health",
        "Care and support for everyone.",
        0.09,
        (
            "community health centres",
            "help for isolated elderly people",
            "social housing",
            "mental health services",
            "childcare places",
            "support for carers",
            "rural GPs",
            "food banks",
        ),
        ("it takes six months to see a specialist", "rents have gone up a lot"),
    ),
)

EN = Lexicon(
    language="en",
    consultation_title="Big citizens' consultation",
    consultation_summary="Your ideas for the region: economy, schools, climate, mobility and health.",
    consultation_description="<p>For five weeks, everyone can post ideas, comment and support others' ideas.</p>",
    other_weight=0.06,
    themes=EN_THEMES,
    other=ThemeWords(
        "Other",
        "#6b7280",
        "",
        "",
        0.06,
        ("citizen participation", "open government", "online services", "culture", "sports clubs"),
        ("nobody knows what happens to our opinions",),
    ),
    actions=("Develop", "Improve", "Fund", "Support", "Expand", "Rethink", "Simplify", "Encourage", "Secure"),
    openers=("I suggest we improve", "We should fund", "Please invest in", "Why not expand", "It is urgent to fix"),
    reasons=(
        "to cut pollution",
        "so that young people stay",
        "to help families on low incomes",
        "to create local jobs",
        "so that nobody is left behind",
        "to save energy",
    ),
    observation_lead=("In my area,", "Where I live,", "Today,"),
    closings=("Thank you for asking.", "This is a priority.", "Other regions already do it.", "", ""),
    rare=(
        "Deep geothermal energy could heat a whole district.",
        "A makerspace could bring the old station back to life.",
        "Abandoned quarries could shelter bats.",
        "A mobile library would serve the hamlets.",
    ),
    title_suffixes=("", "", "in villages", "for young people", "for older people", "by 2030"),
    comment_leads=("Totally agree!", "Good idea.", "Not convinced.", "Yes, but", "Question:"),
    comment_bodies=(
        "What about {subject} too?",
        "Where I live, {subject} already works well.",
        "Who will pay for {subject}?",
        "Think of older people.",
    ),
    replies=("Thanks for your reply.", "I agree with you.", "Not quite.", "Good point."),
    answers={
        "under_review": ("Thank you: this proposal is being studied by our services.",),
        "accepted": ("Your proposal is accepted and will be funded next year.",),
        "rejected": ("This is not within the region's powers, so we cannot take it forward.",),
        "done": ("Done: this is in place since the beginning of the year.",),
    },
    districts=(
        District("North", "1000", 50.88, 4.35, 0.3),
        District("South", "2000", 50.80, 4.35, 0.3),
        District("East", "3000", 50.84, 4.42, 0.2),
        District("West", "4000", 50.84, 4.28, 0.2),
    ),
    first_names=("Alex", "Sam", "Jo", "Chris", "Pat", "Maria", "John", "Aisha", "Wei", "Olga", "Tom", "Lucy"),
    last_names=("Smith", "Jones", "Brown", "Taylor", "Khan", "Wilson", "Evans", "Patel"),
    survey_texts=("More buses in the evening.", "Fix the schools first.", "Help small shops.", "Nothing to add."),
    survey_title="Questionnaire: your priorities",
    survey_intro="Ten minutes to tell us what matters to you.",
    hidden_reason="Off topic or abusive.",
    words={
        "priority": "What is your priority for “{theme}”?",
        "measures": "Which measures do you support for “{theme}”?",
        "satisfaction": "How satisfied are you with “{theme}” today?",
        "ranking": "Rank these options for “{theme}”.",
        "idea": "An idea for “{theme}”?",
        "uses": "Are you directly concerned by “{theme}”?",
        "uses_follow": "What should change first for you?",
        "yes": "Yes",
        "no": "No",
        "not_at_all": "Not at all",
        "completely": "Completely",
        "age": "How old are you?",
        "ages": "Under 18|18-29|30-44|45-64|65 and over",
        "where": "Where do you live?",
        "places": "North|South|East|West",
        "heard": "How did you hear about this consultation?",
        "heard_choices": "Press|Social media|My town|Word of mouth|Other",
        "overall": "Anything else to tell us?",
    },
)

LEXICONS: dict[str, Lexicon] = {"fr": FR, "en": EN}


def lexicon_for(language: str) -> Lexicon:
    """The word lists for ``language`` ("fr", "en"); raises KeyError for any other."""
    return LEXICONS[(language or "fr")[:2].lower()]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _with_verb(opener: str, verb: str) -> str:
    """French elision: "Je propose de" + "améliorer" -> "Je propose d'améliorer"."""
    if opener.endswith(" de") and verb[:1] in "aeéèiouyh":
        return f"{opener[:-1]}'{verb}"
    return f"{opener} {verb}"


class TextFactory:
    """Titles, bodies, comments and names from one lexicon and one seeded generator.

    Pools are built once (a few thousand strings per theme); each generated row then picks and joins
    pool entries, so the cost per row stays at a handful of ``random`` calls.
    """

    TITLES_PER_THEME = 1500
    SENTENCES_PER_THEME = 2500
    COMMENTS = 3000
    RARE_SHARE = 0.002

    def __init__(self, lexicon: Lexicon, rng: random.Random) -> None:
        self.lexicon = lexicon
        self.rng = rng
        groups = [*lexicon.themes, lexicon.other]
        self._titles = [self._title_pool(group) for group in groups]
        self._sentences = [self._sentence_pool(group) for group in groups]
        subjects = [s for group in groups for s in group.subjects]
        self._comments = [self._comment(subjects) for _ in range(self.COMMENTS)]

    def _title_pool(self, group: ThemeWords) -> list[str]:
        rng, lex = self.rng, self.lexicon
        pool = []
        for _ in range(self.TITLES_PER_THEME):
            suffix = rng.choice(lex.title_suffixes)
            if suffix == "" and rng.random() < 0.25:
                suffix = f"à {rng.choice(lex.districts).name}" if lex.language == "fr" else ""
            title = f"{rng.choice(lex.actions)} {rng.choice(group.subjects)}"
            pool.append(f"{title} {suffix}".strip())
        return pool

    def _sentence_pool(self, group: ThemeWords) -> list[str]:
        rng, lex = self.rng, self.lexicon
        pool = []
        for _ in range(self.SENTENCES_PER_THEME):
            if rng.random() < 0.65:
                opener = rng.choice(lex.openers)
                if lex.language == "fr":
                    opener = _with_verb(opener, _lower_first(rng.choice(lex.actions)))
                sentence = f"{opener} {rng.choice(group.subjects)} {rng.choice(lex.reasons)}"
                sentence += "?" if opener.startswith(("Pourquoi", "Why")) else "."
            else:
                sentence = f"{rng.choice(lex.observation_lead)} {rng.choice(group.observations)}."
            pool.append(sentence[:1].upper() + sentence[1:])
        return pool

    def _comment(self, subjects: list[str]) -> str:
        rng, lex = self.rng, self.lexicon
        body = rng.choice(lex.comment_bodies).format(subject=rng.choice(subjects))
        if rng.random() < 0.3:
            return body
        lead = rng.choice(lex.comment_leads)
        # "Oui, mais" runs on into the sentence; "Bonne idée." starts a new one.
        return f"{lead} {body}" if lead[-1] in ".!?" else f"{lead} {_lower_first(body)}"

    def title(self, group: int) -> str:
        """A title for theme ``group`` (index into themes; ``len(themes)`` is "other")."""
        return self.rng.choice(self._titles[group])

    def body(self, group: int) -> str:
        rng = self.rng
        parts = rng.sample(self._sentences[group], rng.randint(1, 4))
        closing = rng.choice(self.lexicon.closings)
        if closing:
            parts.append(closing)
        if rng.random() < self.RARE_SHARE:
            parts.append(rng.choice(self.lexicon.rare))
        return " ".join(parts)

    def comment(self) -> str:
        return self.rng.choice(self._comments)

    def reply(self) -> str:
        return self.rng.choice(self.lexicon.replies)

    def answer(self, status: str) -> str:
        return self.rng.choice(self.lexicon.answers[status])

    def display_name(self) -> str:
        rng = self.rng
        return f"{rng.choice(self.lexicon.first_names)} {rng.choice(self.lexicon.last_names)[0]}."

    def survey_text(self) -> str:
        return self.rng.choice(self.lexicon.survey_texts)
