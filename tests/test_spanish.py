"""A person who writes Spanish gets the whole reply in Spanish, through Bot.handle and the
real-shaped Slack and Teams payloads: the answer's framing and labels, its buttons, the
uncertainty wording, "related", the refusal, every step of a report and its receipt, and
what a named reporter is sent later about the report (an administrator's question by
Slack or Teams message, the notice on coming back to the browser chat; the e-mail notice
is in test_alerts.py). The bulletin's clause is quoted verbatim in English, and the reply
says so in Spanish."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date

from browser.helpers import run as run_web
from slack_harness import ADMIN_CHANNEL, FORM, Slack, all_text, buttons, drive, event_payload
from teams_harness import payload
from teams_harness import run as run_teams
from test_outcomes import decided, outcome

from bot import i18n
from bot.models import Incoming
from bot.report_flow import validate
from handlers.teams_cards import LANG_FIELD
from testkit.slack_payloads import view_submission

PHOTOS = "¿Puedo publicar fotos de mis estudiantes en Instagram?"
# English framing that must never appear in a Spanish reply.
ENGLISH = re.compile(r"\b(Step \d|See also|Source|Helpful|Report it|Report a post|Cancel|Back|"
                     r"Skip|Submit|Thank you|Your report|I don't know|The policy doesn't|"
                     r"For a definite answer|Not sure|case key)\b")


def say(bot, text: str, conversation: str = "es-1", platform: str = "web", **kw):
    return bot.handle(Incoming(text, conversation, f"{platform}:maestra", platform=platform,
                               **kw))


def spanish_only(reply) -> str:
    """The reply's own words, the quoted clause taken out (it stays in English)."""
    words = "\n".join(line for line in reply.text.splitlines() if not line.startswith(">"))
    words += "\n" + "\n".join(b.label for b in reply.buttons)
    assert reply.lang == "es", reply
    assert not ENGLISH.search(words), (ENGLISH.search(words), words)
    return words


def test_a_spanish_question_is_answered_in_spanish_with_the_clause_quoted_in_english(bot):
    [reply] = say(bot, PHOTOS)
    assert reply.status == "answered", reply.text
    entry = bot.kb.get(reply.citations[0].id)
    words = spanish_only(reply)
    assert entry.answer_es in words and entry.answer not in reply.text
    assert "Las palabras del propio boletín, citadas en inglés tal como están escritas:" in words
    quoted = [line[2:] for line in reply.text.splitlines() if line.startswith("> ")]
    assert " ".join(quoted).replace("*", "") == " ".join(entry.text.split())  # verbatim
    assert {"Útil", "No fue útil"} <= {b.label for b in reply.buttons}
    assert reply.data["short_answer"] == entry.answer_es


def test_the_same_question_in_english_stays_english(bot):
    [reply] = say(bot, "Can I post photos of my students on Instagram?")
    assert reply.lang == "en" and "Helpful" in {b.label for b in reply.buttons}
    assert "quoted in English" not in reply.text


def test_related_uncertain_and_the_refusal_are_spanish(bot):
    decided(bot, outcome(bot, "related", spanish=True, topic="los mensajes de texto"))
    [related] = say(bot, "¿Puedo mandar mensajes de texto a un estudiante?")
    words = spanish_only(related)
    assert "La pauta más cercana es BUL-5688.0#1" in words
    assert "Para una respuesta definitiva, pregunte a" in words

    decided(bot, outcome(bot, "answered", "BUL-5688.0#6", spanish=True, uncertain=True,
                         offers_report=True, report_category="bullying"))
    [unsure] = say(bot, "¿Qué hago si un padre publica algo sobre mí?")
    words = spanish_only(unsure)
    assert "No estoy seguro de que esta sea la pauta que busca" in words
    assert unsure.buttons[0].label == "Denunciarla" and unsure.buttons[0].value == \
        "report bullying"  # the value stays the command the core understands

    decided(bot, outcome(bot, "no_answer", spanish=True))
    [refusal] = say(bot, "¿Puedo llevar a mi perro a la escuela?")
    words = spanish_only(refusal)
    assert words.startswith("No lo sé: las partes de la política de redes sociales")
    assert "El boletín completo podría decir más" in words


def test_a_button_press_keeps_the_conversation_in_spanish(bot):
    say(bot, PHOTOS)
    [reply] = say(bot, "feedback helpful 1", is_button=True)
    assert (reply.lang, reply.text) == ("es", "Gracias, me alegra que le haya servido.")
    [reply] = say(bot, "Can I friend a parent on Facebook?")  # an English message: English
    assert reply.lang == "en"


def test_a_whole_report_in_spanish_keeps_its_language_to_the_receipt(bot):
    def say(bot, text, **kw):  # a platform that says who the person is: 9 steps
        return globals()["say"](bot, text, platform="console", **kw)

    [intro] = say(bot, "hola")
    assert intro.lang == "es" and "Denunciar publicación" in [b.label for b in intro.buttons]
    answers = [
        ("report", "Paso 1 de 9: ¿Qué tipo de publicación está denunciando?"),
        ("acoso", "Paso 2 de 9: ¿Hay alguien en peligro inmediato"),
        ("sí", "Paso 3 de 9: ¿Dónde se publicó?"),
        ("Instagram", "Paso 4 de 9: Envíe un enlace a la publicación"),
        ("omitir", "Paso 5 de 9: ¿Cuándo se publicó o se vio?"),
        ("ayer", "Paso 6 de 9: ¿A quién va dirigida?"),
        ("Un empleado", "Paso 7 de 9: ¿Qué ocurrió?"),
        # A description in English is the person's words: the report stays Spanish.
        ("A parent keeps posting that the art teacher is a liar and should be fired.",
         "Paso 8 de 9: ¿Quiere denunciar con su nombre o de forma anónima?"),
        ("anónima", "Paso 9 de 9: Revise su denuncia."),
    ]
    seen = []
    for text, expected in answers:
        replies = say(bot, text, is_button=text == "report")
        seen += replies
        prompt = replies[-1]
        assert prompt.kind == "flow" and expected in prompt.text, (text, prompt.text)
        spanish_only(prompt)
    emergency = next(r for r in seen if r.kind == "emergency")
    assert "llame ahora al 911" in spanish_only(emergency)
    review = seen[-1]
    assert "*Tipo de publicación:* Acoso" in review.text
    assert "*Publicada o vista:*" in review.text and "*Denuncia:* Anónima" in review.text
    assert {"Enviar", "Editar enlace", "Atrás", "Cancelar"} <= {b.label for b in review.buttons}
    [receipt] = say(bot, "submit", is_button=True)
    words = spanish_only(receipt)
    assert receipt.kind == "receipt" and "Gracias. Su denuncia es el caso" in words
    assert "Está marcada como *urgente*" in words
    assert "*Guarde ahora su clave de caso: no se puede volver a mostrar.*" in words
    assert "escriba *estado* seguido de su clave" in words  # the command, in Spanish
    # An anonymous report leaves nothing of the chat behind, not even its language; the
    # Spanish command says which.
    assert bot.storage.db["conversations"].count == 0
    [status] = say(bot, f"estado {receipt.data['case_key']}")
    assert status.lang == "es" and "(Acoso), presentado el" in status.text
    assert "*nuevo*" in status.text


def test_the_reporters_commands_have_spanish_names(bot):
    [first] = say(bot, "denunciar", conversation="es-2")
    assert first.kind == "flow" and first.lang == "es" and "Paso 1 de" in first.text
    for text in ("1", "no", "1", "omitir", "omitir", "2"):
        say(bot, text, conversation="es-2")
    # A description may start with a command's Spanish name: it is still the description.
    [named] = say(bot, "Estado de cuenta publicado con el nombre de un estudiante.",
                  conversation="es-2")
    assert "¿Quiere denunciar con su nombre" in named.text
    for text in ("con mi nombre", "Ana Pérez, ana.perez@lausd.net"):
        say(bot, text, conversation="es-2")
    [receipt] = say(bot, "enviar", conversation="es-2")
    assert "escriba *mis denuncias*" in receipt.text
    [mine] = say(bot, "mis denuncias", conversation="es-2")
    assert mine.lang == "es" and "Estado de cuenta" not in mine.text  # never echoed
    number = receipt.data["case_number"]
    assert mine.text.startswith(f"Caso *{number}* (Amenazante), presentado el")
    [answered] = say(bot, f"responder {number} Fue ayer por la tarde.", conversation="es-2")
    assert answered.text == f"Gracias: su respuesta se añadió al caso *{number}*."


def test_a_report_started_in_english_stays_english_when_the_person_writes_spanish(bot):
    say(bot, "report", conversation="en-1", is_button=True)
    [reply] = say(bot, "acoso de una madre en el grupo de padres", conversation="en-1")
    assert reply.lang == "en" and reply.text.startswith("Please choose one of the options")


def test_slack_shows_a_spanish_answer_with_spanish_labels_and_buttons(settings, bot):
    async def scenario(s: Slack) -> None:
        await s.event(event_payload("message_im", text=PHOTOS))
        [call] = await s.fake.wait_for("chat.postMessage")
        blocks = call.args["blocks"]
        labels = [b["text"]["text"] for b in buttons(blocks)]
        assert {"Útil", "No fue útil"} <= set(labels)
        context = [b for b in blocks if b["type"] == "context"][-1]["elements"][0]["text"]
        assert context.startswith("Confianza: ") and " · Fuente: <" in context
        assert "Source" not in json.dumps(blocks) and "Helpful" not in json.dumps(blocks)

    drive(settings, bot, scenario)


def test_teams_shows_a_spanish_answer_with_spanish_buttons(settings, bot):
    async def scenario(env):
        await env.post(payload("personal_message", text=PHOTOS))
        [card] = env.connector.cards()
        texts = [b.get("text", "") for b in card["body"]]
        note = texts.index("Las palabras del propio boletín, citadas en inglés tal como están "
                           "escritas:")
        assert card["body"][note + 1]["style"] == "emphasis"  # right above the quotation
        assert texts.count(texts[note]) == 1
        titles = [a["title"] for a in card["actions"]]
        assert {"Útil", "No fue útil"} <= set(titles) and "Leer BUL-5688.0" in titles
        assert "Helpful" not in json.dumps(card)

    run_teams(settings, bot, scenario)


def test_the_teams_report_form_follows_the_conversation_language(settings, bot):
    async def scenario(env):
        await env.post(payload("personal_message", text="hola"))
        await env.post(payload("personal_message", text="report", id="second"))
        form = env.connector.cards()[-1]
        text = json.dumps(form, ensure_ascii=False)
        assert "Enviar la denuncia" in text and "¿Dónde se publicó?" in text
        assert "Submit the report" not in text

    run_teams(settings, bot, scenario)


def test_the_teams_form_keeps_its_language_for_the_receipt(settings, bot):
    async def scenario(env):
        await env.post(payload("personal_message", text="hola"))
        await env.post(payload("personal_message", text="report", id="second"))
        form = env.connector.cards()[-1]
        data = form["actions"][0]["data"]
        submitted = payload("report_form_submit")
        submitted["value"] = {**submitted["value"], **data, "danger": "yes"}
        await env.post(submitted)
        emergency, receipt = env.connector.cards()[-2:]
        assert "llame ahora al 911" in json.dumps(emergency, ensure_ascii=False)
        text = json.dumps(receipt, ensure_ascii=False)
        assert "Gracias. Su denuncia es el caso" in text and "Thank you" not in text

    run_teams(settings, bot, scenario)


async def submit_spanish_form(s: Slack, **answers):
    """Submits the Slack report modal as opened in Spanish (FORM with `answers` changed)."""
    submission = view_submission({**FORM, **answers})
    submission["view"]["private_metadata"] = json.dumps({"lang": "es"})
    return await s.interact(submission)


async def home_text(s: Slack) -> str:
    """Opens the person's Slack Home tab; the text of the view published."""
    await s.event(event_payload("app_home_opened"))
    [home] = await s.fake.wait_for("views.publish")
    return all_text(home.args["view"]["blocks"])


def test_the_slack_report_form_opens_in_the_conversation_language(settings, bot):
    async def scenario(s: Slack) -> None:
        await s.command("command_policy", text=PHOTOS)
        await s.settled()
        await s.command("command_report")
        [call] = await s.fake.wait_for("views.open")
        view = call.args["view"]
        text = json.dumps(view, ensure_ascii=False)
        assert view["title"]["text"] == "Denunciar publicación"  # fits Slack's 24 characters
        assert view["submit"]["text"] == "Enviar la denuncia"
        assert "¿Qué tipo de publicación está denunciando?" in text and "Acoso" in text
        assert json.loads(view["private_metadata"])["lang"] == "es"
        assert "Harassing" not in text

    drive(settings, bot, scenario)


def test_the_slack_form_keeps_its_language_for_the_receipt(settings, bot):
    async def scenario(s: Slack) -> None:
        body = await (await submit_spanish_form(s, danger="yes")).json()
        shown = all_text(body["view"]["blocks"])
        assert "Peligro inmediato" in shown and "Gracias. Su denuncia es el caso" in shown
        assert body["view"]["title"]["text"] == "Denuncia recibida"
        dms = await s.fake.wait_for("chat.postMessage", 2, where=lambda c: c.args["channel"]
                                    == "UTEACHER1")
        assert "llame ahora al 911" in dms[0].args["text"]
        assert "Gracias. Su denuncia es el caso" in dms[1].args["text"]

    drive(settings, bot, scenario)


# ------------------------------------------------------------------ after the report
# An administrator's question reaches a named reporter in the language they reported in,
# whatever language the administrator works in; the administrator's words are quoted as
# they were written.

ASKED_ES = "Un administrador tiene una pregunta sobre su denuncia, caso *{number}*:"
# A named report in the browser chat in Spanish, every step to the receipt.
NAMED_WEB_REPORT = ("denunciar", "1", "no", "1", "omitir", "omitir", "2",
                    "Una madre publicó la dirección de una maestra.", "con mi nombre",
                    "Ana Pérez, ana.perez@lausd.net", "enviar")


def only_case(bot) -> str:
    return bot.storage.db.execute("SELECT number FROM cases").fetchone()[0]


def test_a_spanish_slack_reporter_gets_the_administrators_question_in_spanish(settings, bot):
    async def scenario(s: Slack) -> None:
        await submit_spanish_form(s)  # a named report, from a form opened in Spanish
        to_reporter = lambda c: c.args["channel"] == "UTEACHER1"  # noqa: E731
        await s.fake.wait_for("chat.postMessage", where=to_reporter)  # the receipt
        number = only_case(bot)
        await asyncio.to_thread(bot.cases.ask_reporter, number, "Which account posted it?",
                                "slack:UADMIN")
        dm = (await s.fake.wait_for("chat.postMessage", 2, where=to_reporter))[1]
        text = dm.args["text"]
        assert text.startswith(ASKED_ES.format(number=number)), text
        assert "> Which account posted it?" in text
        assert f"Responda aquí con `responder {number} su respuesta`." in text
        assert "An administrator" not in all_text(dm.args["blocks"])

    drive(settings, bot, scenario)


def test_an_anonymous_spanish_report_reaches_the_admin_channel_in_english(settings, bot):
    # The admin channel's post is for administrators: English, whoever reported, so it
    # does not tell them what language an anonymous reporter wrote in.
    async def scenario(s: Slack) -> None:
        await submit_spanish_form(s, identity="anonymous")
        [admin] = await s.fake.wait_for("chat.postMessage",
                                        where=lambda c: c.args["channel"] == ADMIN_CHANNEL)
        posted = json.dumps(admin.args, ensure_ascii=False)
        assert "Harassing" in posted and "anonymous" in posted.lower(), posted
        assert "Acoso" not in posted and "Nuevo caso" not in posted and "anónimo" not in posted

    drive(settings, bot, scenario)


def test_a_spanish_teams_reporter_gets_the_administrators_question_in_spanish(settings, bot):
    async def scenario(env):
        submitted = payload("report_form_submit")  # named, from a form in Spanish
        submitted["value"] = {**submitted["value"], LANG_FIELD: "es"}
        await env.post(submitted)
        number = only_case(bot)
        before = len(env.connector.sent)
        await asyncio.to_thread(bot.cases.ask_reporter, number, "Which school is it?",
                                "teams:admin-1")
        await asyncio.sleep(0)
        await env.front.drain()
        [sent] = env.connector.sent[before:]
        card = json.dumps(sent.cards[0], ensure_ascii=False)
        assert ASKED_ES.format(number=number) in card and "Which school is it?" in card
        assert "Su respuesta" in card  # the card's own answer box, in Spanish too
        assert "An administrator" not in card and "Your answer" not in card

    run_teams(settings, bot, scenario)


def test_the_slack_home_tab_lists_the_reports_in_the_language_of_the_persons_messages(
        settings, bot):
    async def scenario(s: Slack) -> None:
        await submit_spanish_form(s)
        await s.event(event_payload("message_im", text=PHOTOS))  # the DM is in Spanish
        await s.settled()
        text = await home_text(s)
        assert "*Sus denuncias*" in text and "Mis denuncias" in text
        assert f"*{only_case(bot)}* Acoso, presentado el " in text and ": *nuevo*" in text
        assert "Your reports" not in text and ", filed " not in text

    drive(settings, bot, scenario)


def test_the_slack_home_tab_of_a_reporter_who_never_wrote_follows_their_named_report(
        settings, bot):
    # Reported through the Spanish modal opened from a channel, never a word in the DM:
    # the DM has no language, so the Home tab takes the latest named report's.
    async def scenario(s: Slack) -> None:
        await submit_spanish_form(s)
        await s.settled()
        text = await home_text(s)
        assert "*Sus denuncias*" in text and f"*{only_case(bot)}* Acoso, presentado el " in text
        assert "Your reports" not in text and ", filed " not in text

    drive(settings, bot, scenario)


def test_the_slack_home_tab_after_an_anonymous_spanish_report_stays_english(settings, bot):
    # An anonymous report keeps no language and is not the person's: nothing to follow.
    async def scenario(s: Slack) -> None:
        await submit_spanish_form(s, identity="anonymous")
        await s.settled()
        text = await home_text(s)
        assert "*Your reports*" in text and "You have no named reports" in text
        assert "Sus denuncias" not in text and only_case(bot) not in text

    drive(settings, bot, scenario)


async def web_say(client, text: str) -> dict:
    response = await client.post("/chat/api", json={"text": text})
    assert response.status == 200, await response.text()
    return await response.json()


def test_a_spanish_browser_reporter_coming_back_reads_the_question_notice_in_spanish(
        settings, bot):
    async def scenario(client):
        await client.get("/")
        for text in NAMED_WEB_REPORT:
            data = await web_say(client, text)
        receipt = data["replies"][-1]
        assert receipt["kind"] == "receipt" and receipt["lang"] == "es"
        number = receipt["data"]["case_number"]
        await asyncio.to_thread(bot.cases.ask_reporter, number, "Do you have a screenshot?",
                                "web:admin")
        html = await (await client.get("/")).text()
        assert "Un administrador le ha hecho una pregunta sobre su denuncia" in html
        assert "Leerla y responder" in html and '<html lang="es"' in html
        assert "asked you a question" not in html and "Read and answer it" not in html

    run_web(bot, settings, scenario)


def test_a_refused_message_leaves_no_trace_not_even_its_language(bot):
    [reply] = say(bot, "¿Puedo publicar fotos? " * 600, conversation="long")
    assert reply.kind == "error" and reply.lang == "es" and "No se guardó nada" in reply.text
    assert bot.storage.db["conversations"].count == 0


def test_language_is_the_conversations_for_a_short_command(bot):
    assert i18n.detect("skip") is None and i18n.detect("2026-03-05") is None
    assert i18n.detect("status 7K3Q-M2XD-W9PF-RT4H-C") is None
    assert i18n.detect("hola") == "es" and i18n.detect(PHOTOS) == "es"
    assert i18n.detect("Can I post photos of my students?") == "en"


def test_the_date_step_reads_spanish_days():
    thursday = date(2026, 3, 5)
    for said, day in (("hoy", "2026-03-05"), ("ayer", "2026-03-04"),
                      ("hace 3 días", "2026-03-02"), ("hace una semana", "2026-02-26"),
                      ("la semana pasada", "2026-02-26"), ("el martes pasado", "2026-03-03"),
                      ("el jueves pasado", "2026-02-26"), ("el sábado pasado", "2026-02-28")):
        assert validate("when", said, thursday) == (day, None), said
    with i18n.language("es"):
        value, error = validate("when", "el mes que viene", thursday)
    assert value is None and error.startswith("No pude entender esa fecha")
    assert "*el martes pasado*" in error
