"""Pure decisions of watches: the query syntax, matching through the index, mute rules, spikes."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from veille.errors import ConfigError
from veille.mute import MuteRule, mute_reason, parse_rules
from veille.query import QueryError, Text, matches, parse_query
from veille.spikes import SpikeRule, check, find_spikes, history_for, spike_sentence
from veille.watch import (
    NewItem,
    Watch,
    WatchError,
    WatchIndex,
    check_target,
    check_watch,
    match_new,
    shown_target,
    watch_matches,
)


def hit(query: str, *text: str) -> bool:
    return matches(parse_query(query), Text.of(*text))


# --- query syntax -------------------------------------------------------------------------------

@pytest.mark.parametrize("query, text, expected", [
    ("levothyrox", "Lévothyrox : la nouvelle formule", True),          # accent variant
    ("LÉVOTHYROX", "levothyrox en pharmacie", True),                   # case and accent, both ways
    ("levothyrox", "Levothyroxine sodique", False),                    # whole words only
    ("levothyr*", "Levothyroxine sodique", True),                      # prefix
    ('"rappel de lots"', "Rappel de lots de Doliprane", True),         # phrase
    ('"rappel de lots"', "Lots de rappel", False),                     # phrase order matters
    ("rougeole OR mpox", "Cas de mpox en Île-de-France", True),
    ("rougeole OU mpox", "Rougeole : épidémie", True),                 # French OR
    ("valproate -grossesse", "Valproate et grossesse", False),
    ("valproate NOT grossesse", "Valproate : nouvelle restriction", True),
    ("valproate SAUF grossesse", "Valproate et grossesse", False),
    ("(rougeole OR mpox) vaccin", "Vaccin contre la rougeole", True),
    ("(rougeole OR mpox) vaccin", "Rougeole : 3 cas", False),
    ("covid-19", "Point COVID 19 de la semaine", True),               # as the index sees it
    ("l'épidémie", "L'epidemie progresse", True),
    ("a AND b", "b puis a", True),                                    # AND is implicit
])
def test_query_semantics(query, text, expected):
    assert hit(query, text) is expected


def test_a_phrase_never_spans_two_fields():
    assert not hit('"lots doliprane"', "Rappel de lots", "Doliprane")
    assert hit("lots doliprane", "Rappel de lots", "Doliprane")


@pytest.mark.parametrize("query, message", [
    ("", "empty"),
    ("   ", "empty"),
    ('"rappel de', "quote is not closed"),
    ("(rougeole", "'(' is not closed"),
    ("rougeole)", "')' has no matching '('"),
    ("rougeole OR", "OR needs a word on each side"),
    ("OR rougeole", "OR needs a word on each side"),
    ("-vaccin", "only excludes words"),
    ("NOT vaccin", "only excludes words"),
    ("***", "not a word"),
    ("a*", "at least 2 letters"),
    ("()", "empty parentheses"),
])
def test_invalid_queries_say_why(query, message):
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_query(query)


# --- watches and the index ----------------------------------------------------------------------

def item(i: str, title: str, summary: str = "", story: str | None = None, **kw) -> NewItem:
    return NewItem(id=i, story_id=story, source_id=kw.pop("source_id", "s"), title=title, summary=summary, **kw)


def test_filters_and_query_together():
    w = Watch("r", query="rappel", specialties=("pharmacologie",), types=("recall",), tiers=("official",))
    good = item("1", "Rappel de lots", item_type="recall", tier="official", specialties=("pharmacologie", "cardiologie"))
    assert watch_matches(w, good)
    assert not watch_matches(w, item("2", "Rappel de lots", item_type="recall", tier="press", specialties=("pharmacologie",)))
    assert not watch_matches(w, item("3", "Rappel de lots", item_type="news", tier="official", specialties=("pharmacologie",)))
    assert not watch_matches(w, item("4", "Rappel de lots", item_type="recall", tier="official", specialties=("oncologie",)))


def test_one_hit_per_story_per_watch_and_muted_items_never_hit():
    watches = [Watch("levo", query="levothyrox"), Watch("rappel", query="rappel")]
    items = [
        item("a", "Rappel de Lévothyrox", story="s1"),
        item("b", "Levothyrox : rappel de lots (reprise)", story="s1"),  # same story, other carrier
        item("c", "Levothyrox en pénurie", story="s2"),
        item("d", "Rappel sponsorisé", story="s3"),
    ]
    hits = match_new(watches, items, muted={"d"})
    assert [(h.watch, h.story_key, h.item_id) for h in hits] == [
        ("levo", "s1", "a"), ("rappel", "s1", "a"), ("levo", "s2", "c"),
    ]


def test_the_index_finds_exactly_what_evaluating_every_watch_finds():
    rnd = random.Random(13)
    vocab = ["rougeole", "mpox", "vaccin", "rappel", "lots", "levothyrox", "valproate", "grossesse",
             "cardiologie", "cardiaque", "epidemie", "pénurie", "insuline", "asthme", "covid", "19"]
    queries = []
    for _ in range(300):
        a, b, c = rnd.sample(vocab, 3)
        queries.append(rnd.choice([
            a, f"{a} {b}", f"{a} OR {b}", f"{a} -{b}", f'"{a} {b}"', f"{a[:4]}*", f"({a} OR {b}) {c}",
            f"{a} OR {b[:3]}*", f"NOT {a} {b}",
        ]))
    watches = [Watch(f"w{i}", query=q, types=("recall",) if i % 7 == 0 else ()) for i, q in enumerate(queries)]
    index = WatchIndex(watches)
    for n in range(300):
        text = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(1, 8)))
        it = item(str(n), text, item_type=rnd.choice(["recall", "news"]))
        expected = [w.name for w in watches if watch_matches(w, it)]
        assert [w.name for w in index.matching(it)] == expected, text


def test_watch_validation_messages():
    with pytest.raises(WatchError, match="must be a slug"):
        check_watch(Watch("Mon Alerte", query="x"))
    with pytest.raises(WatchError, match="needs a query"):
        check_watch(Watch("x"))
    with pytest.raises(WatchError, match="unknown specialty 'cardio'"):
        check_watch(Watch("x", query="a", specialties=("cardio",)))
    check_watch(Watch("infectio", specialties=("infectiologie",), spike=True))  # a specialty's spikes


@pytest.mark.parametrize("target", ["ftp://example.org/x", "javascript:alert(1)", "mailto:", "mailto:a@b", "mailto:a@b.fr\nBcc: x@y.fr", "mailto:a@b@c.fr",
                                    "mailto:a@example.org,b@example.org", "example.org/hook", "https://"])
def test_bad_targets_are_refused(target):
    with pytest.raises(WatchError):
        check_target(target)


def test_good_targets():
    assert check_target(" mailto:pharma@chu.fr ") == "mailto:pharma@chu.fr"
    assert check_target("http://127.0.0.1:9000/hook") == "http://127.0.0.1:9000/hook"


def test_a_target_is_shown_without_the_webhook_path_that_may_hold_a_token():
    assert shown_target("mailto:pharma@chu.fr") == "mailto:pharma@chu.fr"
    assert shown_target("https://hooks.example.org/services/T0/B0/s3cr3t") == "https://hooks.example.org/…"
    assert shown_target("http://127.0.0.1:9000/hook?token=x") == "http://127.0.0.1:9000/…"


# --- mute rules -----------------------------------------------------------------------------

def test_mute_rules_name_the_rule_that_fired():
    rules = parse_rules([
        {"name": "offres-emploi", "types": ["job"]},
        {"name": "egora-sponsorise", "sources": ["egora"], "terms": ["publi-rédactionnel", "sponsorisé"]},
        {"terms": ['"jeu concours"']},
    ])
    assert mute_reason(rules, title="Poste de cardiologue", item_type="job") == "offres-emploi"
    assert mute_reason(rules, title="Publi-rédactionnel : un nouvel inhalateur", source_id="egora") == "egora-sponsorise"
    # the same words in another source are not muted: fields are AND-ed
    assert mute_reason(rules, title="Publi-rédactionnel : un nouvel inhalateur", source_id="has") is None
    # a rule on a source mutes what it carried, even when another source owns the item
    assert mute_reason(rules, title="Article SPONSORISE", source_id="has", sources=["egora"]) == "egora-sponsorise"
    assert mute_reason(rules, title="Grand jeu concours", summary="") == "mute-3"
    assert mute_reason(rules, title="Concours de l'internat") is None
    assert mute_reason((), title="anything") is None


@pytest.mark.parametrize("raw, message", [
    ("job", "must be a list"),
    ([{"types": ["jobs"]}], "unknown type 'jobs'"),
    ([{"name": "x"}], "mutes nothing"),
    ([{"terms": ['"open']}], "quote is not closed"),
    ([{"sources": "egora", "tier": "press"}], "unknown key 'tier'"),
    ([{"types": ["job"], "name": "a"}, {"types": ["event"], "name": "a"}], "used twice"),
])
def test_bad_mute_rules(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_rules(raw)


def test_mute_rule_description():
    assert MuteRule("x", terms=("a",), sources=("s",)).describe() == "termes a; sources s"


# --- spikes ----------------------------------------------------------------------------------

MONDAY = date(2026, 11, 30)


def daily(values_by_week_ago: dict[int, int], today: int, day: date = MONDAY) -> dict[date, int]:
    counts = {day - timedelta(days=7 * k): v for k, v in values_by_week_ago.items()}
    counts[day] = today
    return counts


def test_steady_counts_never_spike():
    rule = SpikeRule()
    for today in (8, 10, 12, 15, 17):
        history = (10, 9, 11, 10, 10, 9, 11, 10)
        assert check("x", MONDAY, today, history, rule) is None, today


def test_a_perfectly_flat_baseline_does_not_alarm_at_plus_one():
    assert check("x", MONDAY, 11, (10,) * 8) is None
    assert check("x", MONDAY, 3, (0,) * 8) is None  # below min_count


def test_slow_growth_is_not_a_spike():
    history = tuple(range(18, 10, -1))  # 11, 12 … 18 stories, most recent first
    assert check("x", MONDAY, 19, history) is None
    assert check("x", MONDAY, 21, history) is None


def test_one_day_burst_is_a_spike_and_says_how_much():
    history = (4, 3, 5, 4, 4, 3, 5, 4)
    spike = check("infectiologie", MONDAY, 12, history)
    assert spike is not None and spike.mean == 4.0 and spike.ratio == 3.0
    assert spike_sentence(spike, "Infectiologie") == (
        "Infectiologie : 3× plus de sujets que d'habitude (12 aujourd'hui, 4 d'habitude le lundi)"
    )


def test_burst_from_a_rare_subject():
    assert check("mpox", MONDAY, 9, (0, 1, 0, 0, 0, 1, 0, 0)) is not None


def test_new_install_or_short_history_never_alarms():
    assert check("x", MONDAY, 500, ()) is None
    assert check("x", MONDAY, 500, (1, 1, 1)) is None  # 3 weeks of history: still quiet
    assert check("x", MONDAY, 500, (1, 1, 1, 1)) is not None


def test_days_before_the_first_collect_are_no_data_not_zeros():
    counts = daily({1: 4, 2: 4, 3: 4, 4: 4, 5: 4}, today=40)
    assert history_for(counts, MONDAY, MONDAY - timedelta(days=14), 8) == (4, 4)
    assert history_for(counts, MONDAY, None, 8) == ()
    assert history_for(counts, MONDAY, MONDAY - timedelta(days=70), 8) == (4, 4, 4, 4, 4, 0, 0, 0)
    # a new install: collecting started 10 days ago, today is busy: no alarm
    assert find_spikes({"x": counts}, MONDAY, MONDAY - timedelta(days=10)) == []
    assert [s.key for s in find_spikes({"x": counts}, MONDAY, MONDAY - timedelta(days=40))] == ["x"]


def test_weekly_rhythm_a_monday_is_compared_with_mondays():
    counts: dict[date, int] = {}
    for d in range(1, 57):
        day = MONDAY - timedelta(days=d)
        counts[day] = 1 if day.weekday() >= 5 else 10  # quiet weekends
    counts[MONDAY] = 12
    assert find_spikes({"x": counts}, MONDAY, MONDAY - timedelta(days=60)) == []


def test_spike_rule_settings():
    class S:
        def section(self, name):
            return {"min_count": 3, "weeks": 6}

    assert SpikeRule.from_settings(S()) == SpikeRule(weeks=6, min_count=3)

    class Bad:
        def section(self, name):
            return {"z": "high"}

    with pytest.raises(ConfigError, match="settings.spikes.z"):
        SpikeRule.from_settings(Bad())
