"""Reading a message: its question sentences, the words it turns on, and a wish to have
something done about someone else's post. Pure text, no model."""

from knowledge import focus

STORY = (
    "I have taught fourth grade for eleven years and I love my class this year. Last week "
    "the mother of one of my students started a group chat with the other families, and "
    "yesterday somebody showed me a screenshot of it. She wrote that I play favourites and "
    "that I should be removed from the classroom, and several other parents agreed with "
    "her. I am hurt and embarrassed. Can I ask her to delete it? Who should I tell?")


def test_a_short_question_is_read_whole():
    assert focus.question_parts("Can I friend a parent?") == []


def test_a_long_story_yields_the_sentences_that_ask():
    assert focus.question_parts(STORY) == ["Can I ask her to delete it?", "Who should I tell?"]


def test_a_long_message_that_asks_nothing_is_read_whole():
    statement = " ".join(["We had a lovely assembly today and the children sang."] * 6)
    assert focus.question_parts(statement) == []


def test_wanting_someone_elses_post_dealt_with_is_recognised():
    assert focus.wants_report(STORY)
    assert focus.wants_report("A student made a fake account in my name. Can I get it taken down?")
    assert focus.wants_report("Un padre publicó mentiras sobre mí, ¿a quién le aviso?")
    assert focus.wants_report(
        "My co-worker keeps posting photos of the kids in her class on Facebook without "
        "permission. What should I do?")



def test_someone_elses_online_act_and_a_request_for_what_to_do_is_a_report_wish():
    # no word of harm or upset: who acts (not the writer) and the request for what to do
    assert focus.wants_report(
        "Our new aide set up a class account and she keeps posting the children's "
        "artwork with their full names on it. How should we handle this?")
    assert not focus.wants_report(
        "I set up a class account and I keep posting the children's artwork with their "
        "full names on it. How should we handle this?")


def test_asking_about_ones_own_conduct_is_not_a_report():
    for q in ("Can I friend a parent?", "Is it ok to post pictures of my own kids?",
              "A student sent me a friend request. Should I accept it?",
              "Does the district monitor my email?"):
        assert not focus.wants_report(q), q


def test_focus_words_leave_out_stop_words_and_words_every_question_carries():
    words = [w for w, _ in focus.focus_words("Can a teacher text a student on her phone?")]
    assert words == ["text", "student", "phone"]


def test_focus_words_skip_words_the_model_does_not_know():
    known = frozenset({"photos", "students"})
    words = [w for w, _ in focus.focus_words("photos of studnets", known)]
    assert words == ["photos"]


def test_thesaurus_groups_join_a_platform_with_social_networking():
    assert focus.concepts(focus.stem("instagram")) & focus.concepts(focus.stem("networking"))
    assert not focus.concepts(focus.stem("phone")) & focus.concepts(focus.stem("networking"))


def test_a_platform_name_the_model_does_not_know_stays_a_focus_word():
    words = [w for w, _ in focus.focus_words("field trip photos on instagram",
                                             frozenset({"field", "trip", "photos"}))]
    assert words == ["field", "trip", "photos", "instagram"]
