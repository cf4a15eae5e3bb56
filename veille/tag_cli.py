"""`veille tag` (a dry run for tuning the taxonomy) and `veille retag` (recompute the archive)."""

from __future__ import annotations

import json
import sys

import click

from veille.cli import CONTEXT, Env, pass_env, user_errors
from veille.stories import write_tags
from veille.tag import SpecialtyTag, Tagger, default_tagger
from veille.tag_context import RULE_PREFIX

BATCH = 2000


def _tagger(taxonomy: str | None) -> Tagger:
    return Tagger.load(taxonomy) if taxonomy else default_tagger()


def explain(tag: SpecialtyTag) -> list[str]:
    """Readable evidence: "rétrécissement mitral (CIM-10 I05.0 → cardiologie)", and a rule as
    "rule epidemic-response: contact tracing"."""
    out: list[str] = []
    evidence = list(tag.evidence)
    if evidence and evidence[0].startswith(RULE_PREFIX):
        return [f"rule {evidence[0][len(RULE_PREFIX):]}: {', '.join(evidence[1:])}"]
    for ev in evidence:
        term, sep, code = ev.partition(" [")
        out.append(f"{term} ({code.rstrip(']')} → {tag.specialty})" if sep else ev)
    return out


@click.command(context_settings=CONTEXT)
@click.argument("text", required=False)
@click.option("--title", help="Title (weighs more than the text).")
@click.option("--specialty", "source_specialties", multiple=True, metavar="SLUG",
              help="A source specialty to add, as feeds.yaml would.")
@click.option("--taxonomy", type=click.Path(exists=True), help="Another taxonomy directory or file.")
@click.option("--list", "list_slugs", is_flag=True, help="List the specialty slugs and labels.")
@click.option("--source", "source_id", metavar="ID", help="The source it comes from (for settings.mute rules).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@user_errors
def tag_command(
    text: str | None, title: str | None, source_specialties: tuple[str, ...], taxonomy: str | None,
    list_slugs: bool, as_json: bool, source_id: str | None,
) -> None:
    """Show the specialties and type Veille gives a text, and why (a dry run).

    With no --title, the first line of TEXT is the title.

    Also says when settings.mute in feeds.yaml would hide such an item, and by which rule.

    \b
    Example:
        veille tag "Rappel de lots de Doliprane : défaut de dissolution"
        veille tag --source egora "Publi-rédactionnel : un nouvel inhalateur"
        veille tag --title "Insuffisance cardiaque" "Nouvelles recommandations de la HAS"
    """
    tagger = _tagger(taxonomy)
    if list_slugs:
        for slug, spec in sorted(tagger.specialties.items()):
            click.echo(f"{slug:26} {spec.label_fr} / {spec.label_en}")
        return
    if text is None and title is None:
        if sys.stdin.isatty():
            raise click.UsageError("give a text to tag, e.g. veille tag \"Épidémie de grippe\"")
        text = sys.stdin.read()
    text = text or ""
    if title is None:
        title, _, text = text.partition("\n")
    result = tagger.tag(title, text, source_specialties)
    muted = _muted_by(title, text, source_id, result.item_type)
    if as_json:
        click.echo(json.dumps({
            "item_type": result.item_type,
            "type_evidence": list(result.type_evidence),
            "specialties": [
                {"specialty": t.specialty, "score": t.score, "evidence": list(t.evidence)}
                for t in result.specialties
            ],
            "muted_by": muted[0] if muted else None,
        }, ensure_ascii=False, indent=2))
        return
    evidence = f" ({', '.join(result.type_evidence)})" if result.type_evidence else ""
    click.echo(f"type: {result.item_type}{evidence}")
    if not result.specialties:
        click.echo("specialties: none")
    for t in result.specialties:
        label = tagger.specialties[t.specialty].label_fr if t.specialty in tagger.specialties else t.specialty
        click.echo(f"{t.specialty:26} {t.score:5.1f}  {label}: {', '.join(explain(t))}")
    if muted:
        click.echo(f"muted by rule {muted[0]!r} of settings.mute ({muted[1]}): hidden from La une, "
                   "the digest and watches")


def _muted_by(title: str, text: str, source_id: str | None, item_type: str) -> tuple[str, str] | None:
    """(rule name, what it matches) when settings.mute of feeds.yaml would hide this item. The
    text is read as an item's summary; without a feeds.yaml there are no rules."""
    import os

    from veille.config import load_config
    from veille.mute import mute_reason, rules_from_settings

    env = click.get_current_context().find_object(Env)
    if env is None or not os.path.exists(env.config_path):
        return None
    rules = rules_from_settings(load_config(env.config_path).settings)
    name = mute_reason(rules, title=title, summary=text, source_id=source_id, item_type=item_type)
    if name is None:
        return None
    rule = next(r for r in rules if r.name == name)
    return name, rule.describe()


@click.command(context_settings=CONTEXT)
@click.option("--taxonomy", type=click.Path(exists=True), help="Another taxonomy directory or file.")
@pass_env
@user_errors
def retag_command(env: Env, taxonomy: str | None) -> None:
    """Recompute specialties and types of every stored item (after a taxonomy change).

    Running it twice gives the same tags.

    \b
    Example:
        veille retag
    """
    tagger = _tagger(taxonomy)
    config = env.config()
    source_specialties = {s.id: s.specialties for s in config.sources}
    store = env.store()
    try:
        db = store.db
        carried: dict[str, set[str]] = {}
        for item_id, source_id in db.execute("select item_id, source_id from item_sources"):
            carried.setdefault(item_id, set()).add(source_id)
        total = db.execute("select count(*) from items").fetchone()[0]
        changed = 0
        last_rowid = 0
        with click.progressbar(length=total, label="retagging", file=sys.stderr) as bar:
            while True:
                rows = db.execute(
                    "select rowid, id, source_id, title, summary, content, item_type from items "
                    "where rowid > ? order by rowid limit ?",
                    [last_rowid, BATCH],
                ).fetchall()
                if not rows:
                    break
                last_rowid = rows[-1][0]
                with store.immediate():
                    for _, item_id, source_id, title, summary, content, old_type in rows:
                        slugs: list[str] = []
                        for sid in sorted(carried.get(item_id, {source_id})):
                            slugs.extend(s for s in source_specialties.get(sid, ()) if s not in slugs)
                        result = tagger.tag(title, f"{summary or ''}\n{content or ''}", tuple(slugs))
                        before = db.execute(
                            "select specialty, score, evidence from item_specialties where item_id = ? "
                            "order by specialty", [item_id]).fetchall()
                        write_tags(db, item_id, result)
                        after = db.execute(
                            "select specialty, score, evidence from item_specialties where item_id = ? "
                            "order by specialty", [item_id]).fetchall()
                        changed += before != after or old_type != result.item_type
                bar.update(len(rows))
    finally:
        store.close()
    click.echo(f"retagged {total} items: {changed} changed")
