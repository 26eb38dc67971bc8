"""The Teams app package: manifest.json plus color and outline icons, zipped for upload.

`policybot teams-package --app-id ID [--out FILE]` (click command `teams_package`).
The icons are drawn here with the standard library (zlib + struct), so building the
package needs nothing but Python.
"""

from __future__ import annotations

import json
import re
import struct
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

import click

MANIFEST_VERSION = "1.17"
SCHEMA = ("https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/"
          "MicrosoftTeams.schema.json")
ACCENT = (0x1F, 0x4E, 0x79)  # dark blue
WHITE = (255, 255, 255)
VERSION = re.compile(r"(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})")
DOMAIN = re.compile(r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(:\d{1,5})?",
                    re.IGNORECASE)
COMMANDS = (
    ("help", "What I can do, with example questions"),
    ("report", "Report an inappropriate post (you can stay anonymous)"),
    ("my reports", "The status of your named reports"),
    ("status KEY", "Check an anonymous report with its case key"),
    ("cases", "Administrators: list cases"),
)
# The message extension's one command: an action on a message's … menu that opens the
# report form in a dialog fetched from the bot (handlers.teams_extension answers it).
# Teams allows a title of 32 characters and a description of 128.
REPORT_MESSAGE = {
    "id": "reportMessage", "type": "action", "title": "Report to policybot",
    "description": "Report this message to the case administrators (you can stay anonymous)",
    "context": ["message"], "fetchTask": True,
}


# ------------------------------------------------------------------ icons

def png(width: int, height: int, pixel) -> bytes:
    """An RGBA PNG; `pixel(x, y)` returns (r, g, b, a)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows += bytes(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def _bubble(x: float, y: float) -> bool:
    """A speech bubble with a tail, in unit coordinates (0..1)."""
    body = 0.2 <= x <= 0.8 and 0.22 <= y <= 0.62
    tail = 0.3 <= x <= 0.45 and 0.62 <= y <= 0.8 and (y - 0.62) <= (0.45 - x) * 1.2
    return body or tail


def _lines(x: float, y: float) -> bool:
    return 0.3 <= x <= 0.7 and any(abs(y - c) <= 0.025 for c in (0.34, 0.42, 0.5))


def color_icon(size: int = 192) -> bytes:
    def pixel(x: int, y: int):
        u, v = (x + 0.5) / size, (y + 0.5) / size
        if _bubble(u, v) and not _lines(u, v):
            return (*WHITE, 255)
        return (*ACCENT, 255)

    return png(size, size, pixel)


def outline_icon(size: int = 32) -> bytes:
    """White on transparent, as Teams requires for the outline icon."""
    def pixel(x: int, y: int):
        u, v = (x + 0.5) / size, (y + 0.5) / size
        edge = 1.5 / size
        inside = _bubble(u, v)
        near_out = any(not _bubble(u + dx, v + dy)
                       for dx, dy in ((edge, 0), (-edge, 0), (0, edge), (0, -edge)))
        return (*WHITE, 255) if inside and (near_out or _lines(u, v)) else (0, 0, 0, 0)

    return png(size, size, pixel)


# ------------------------------------------------------------------ manifest

def manifest(app_id: str, version: str = "1.0.0", website: str = "https://www.lausd.org",
             privacy: str | None = None, terms: str | None = None,
             domain: str | None = None) -> dict[str, Any]:
    manifest_: dict[str, Any] = {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {"name": "LAUSD policybot", "websiteUrl": website,
                      "privacyUrl": privacy or website, "termsOfUseUrl": terms or website},
        "name": {"short": "policybot", "full": "policybot: LAUSD social media policy"},
        "description": {
            "short": "Social media policy answers, post reports and case review",
            "full": ("Ask policybot about LAUSD's social media policy for employees "
                     "(BUL-5688.0 and related bulletins): it quotes the clause where it "
                     "holds the bulletin's words, says so where it holds only a summary, "
                     "and links to the bulletin. Report an inappropriate post with a short "
                     "form, named or anonymously. Case administrators receive new cases "
                     "(masked) in a channel they choose and review them in chat.")},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [{
            "botId": app_id,
            "scopes": ["personal", "team", "groupChat"],
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": ["personal", "team", "groupChat"],
                              "commands": [{"title": t, "description": d}
                                           for t, d in COMMANDS]}],
        }],
        # "Report to policybot" on a message's … menu (handlers.teams_extension).
        "composeExtensions": [{"botId": app_id, "commands": [REPORT_MESSAGE]}],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [domain] if domain else [],
    }
    return manifest_


def build_package(app_id: str, out: str | Path, **kw: Any) -> Path:
    """Write the zip (manifest.json, color.png, outline.png at its root) and return its path."""
    try:
        app_id = str(uuid.UUID(app_id.strip()))
    except (ValueError, AttributeError) as e:
        raise ValueError(f"--app-id must be the bot's Microsoft App ID (a GUID like "
                         f"00000000-0000-0000-0000-000000000000), got {app_id!r}") from e
    version = kw.get("version", "1.0.0")
    if not VERSION.fullmatch(version):
        raise ValueError(f"--version must be three numbers like 1.0.0 (Teams requires "
                         f"MAJOR.MINOR.PATCH), got {version!r}")
    domain = kw.get("domain")
    if domain is not None and not DOMAIN.fullmatch(domain):
        raise ValueError(f"--domain must be a host name only, like policybot.example.org "
                         f"(no https://, no path), got {domain!r}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest(app_id, **kw), indent=2))
        z.writestr("color.png", color_icon())
        z.writestr("outline.png", outline_icon())
    return out


@click.command("teams-package")
@click.option("--app-id", required=True, envvar="MicrosoftAppId",
              help="The bot's Microsoft App ID (Azure Bot registration); default $MicrosoftAppId.")
@click.option("--out", default="policybot-teams.zip", show_default=True,
              type=click.Path(dir_okay=False), help="Where to write the zip.")
@click.option("--version", "app_version", default="1.0.0", show_default=True,
              help="App version; raise it for every upload of a changed package.")
@click.option("--website", default="https://www.lausd.org", show_default=True,
              help="Developer website (also used for the privacy and terms links).")
@click.option("--domain", default=None, help="The bot's public host name, e.g. "
              "policybot.example.org (added to validDomains).")
def teams_package(app_id: str, out: str, app_version: str, website: str,
                  domain: str | None) -> None:
    """Build the Teams app package (manifest and icons, zipped) to upload in Teams."""
    try:
        path = build_package(app_id, out, version=app_version, website=website, domain=domain)
    except ValueError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"Wrote {path}: upload it in Teams (Apps → Manage your apps → Upload an app) "
               "or in the Teams admin center.")
