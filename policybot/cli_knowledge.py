"""`policybot knowledge add FILE` and `policybot knowledge list`: a thin layer over
knowledge.intake (read, split, write) and knowledge.versions (what is in force)."""

from __future__ import annotations

import json

import click

from bot.config import Settings
from infra.errors import PolicybotError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except PolicybotError as e:
        raise click.ClickException(str(e)) from None


@click.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--bulletin", help="Bulletin number, e.g. BUL-5688.1 (default: as the "
              "document states it).")
@click.option("--title", help="Bulletin title (default: as the document states it).")
@click.option("--effective", metavar="YYYY-MM-DD", help="Date the bulletin takes effect "
              "(default: the document's DATE, when it gives a day).")
@click.option("--supersedes", metavar="ID", help="The bulletin this one replaces in answers.")
@click.option("--url", help="Where employees can read the bulletin (default: LAUSD's "
              "bulletin index).")
@click.option("--dry-run", is_flag=True, help="Print the clauses it would create; change "
              "nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def knowledge_add(file: str, bulletin, title, effective, supersedes, url, dry_run: bool,
                  as_json: bool) -> None:
    """Add a bulletin from its PDF, Word (.docx), HTML, Markdown or text FILE: one entry per
    clause, quoted verbatim, written to the knowledge folder for review; then reindex."""
    from knowledge.intake import prepare, publish

    settings = _settings()
    try:
        draft = prepare(file, settings.knowledge_dir, bulletin=bulletin, title=title,
                        effective=effective, supersedes=supersedes, url=url)
        written = None if dry_run else publish(draft, settings.knowledge_dir)
    except PolicybotError as e:
        raise click.ClickException(str(e)) from None
    indexed = None
    if written is not None:
        from bot.app import build_bot

        try:  # the embeddings of the new clauses, cached for the next start
            indexed = len(build_bot(settings).retriever.items)
        except PolicybotError as e:
            raise click.ClickException(f"{written} was written, but indexing failed: {e}") from None
    if as_json:
        out = draft.to_dict()
        out.update(written=str(written) if written else None, dry_run=dry_run)
        click.echo(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return
    facts = [f"effective {draft.effective}" if draft.effective else "no effective date",
             f"supersedes {draft.supersedes}" if draft.supersedes else None]
    click.echo(f"{draft.bulletin} {draft.title} ({', '.join(f for f in facts if f)}), "
               f"from {draft.source}: {len(draft.clauses)} clauses")
    for c in draft.clauses:
        click.echo(f"  {c['id']:<24} {c['title']}")
    for note in draft.notes:
        click.echo(f"Note: {note}")
    if written is None:
        click.echo(f"Dry run: nothing written (it would be {draft.file} in "
                   f"{settings.knowledge_dir}).")
    else:
        click.echo(f"Wrote {written}; review it and commit it with your knowledge base. "
                   f"Indexed {indexed} texts; a running server picks it up by itself.")


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of bulletins.")
def knowledge_list(as_json: bool) -> None:
    """The bulletins: versions (effective, supersedes, in force or not) and clause counts."""
    from knowledge.loader import load_knowledge
    from knowledge.versions import bulletin_rows

    settings = _settings()
    try:
        rows = bulletin_rows(load_knowledge(settings.knowledge_dir))
    except PolicybotError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        versions = ", ".join(x for x in (
            f"effective {r['effective']}" if r["effective"] else None,
            f"supersedes {r['supersedes']}" if r["supersedes"] else None,
            f"superseded by {r['superseded_by']}" if r["superseded_by"] else None) if x)
        facts = ", ".join(x for x in (versions, None if r["curated"] else
                                      f"added from {r['source_file']}") if x)
        click.echo(f"{r['bulletin']:<12} {r['status']:<16} {r['clauses']:>3} clauses  "
                   f"{r['title']}" + (f" ({facts})" if facts else ""))
