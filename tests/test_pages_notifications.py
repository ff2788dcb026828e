"""The Notifications screen and the unread count beside the menu, through AppTest: each person sees
only their own items, opening one marks it read and goes to its record, "mark all as read" clears the
count, and someone else's notification id is "not found"."""

from db.engine import session_scope
from db.reflection import EntryKind
from pages import _registry as screens
from qa.notifications import inbox
from qa.notifications.notify import notify
from qa.records import RecordKind, RecordRef
from qa.reflection import sharing
from tests.test_pages import texts, titles
from tests.test_pages_learn import signed_in
from tests.test_reflection import SECRET, write_note

PAGE = screens.NOTIFICATIONS.file


def links(at):
    """(label, page) of every page link on screen, sidebar included."""
    return [(e.proto.label, e.proto.page) for e in at.get("page_link")] + [
        (e.proto.label, e.proto.page) for e in at.sidebar.get("page_link")
    ]


def labels(at):
    return [label for label, _page in links(at)]


def tell(user_id, count, record=None):
    with session_scope() as session:
        for i in range(count):
            notify(
                session,
                kind="feedback_ready",
                recipient_ids=[user_id],
                record=record or RecordRef(RecordKind.FEEDBACK_SHEET, 1),
                occasion=f"page-test:{i}",
            )


def test_the_unread_count_is_beside_the_menu_on_every_page(app, org):
    tell(org.practitioner_id, 2)
    for page in (screens.HOME_PRACTITIONER.file, screens.MY_ACCOUNT.file, PAGE):
        at = signed_in(app, "pat@example.org", page)
        assert not at.exception
        assert "Notifications (2 unread)" in labels(at)
    assert "Notifications (0 unread)" in labels(signed_in(app, "pip@example.org", screens.MY_ACCOUNT.file))


def test_the_inbox_lists_my_items_newest_first_without_private_text(app, org):
    note_id = write_note(org)
    sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.peer_id)
    tell(org.peer_id, 1)
    at = signed_in(app, "pip@example.org", PAGE)
    assert not at.exception
    assert titles(at) == ["Notifications"]
    items = [label for label in labels(at) if label.startswith("**New:**")]
    assert items == ["**New:** Audit feedback is ready on a case", "**New:** A note has been shared with you"]
    shown = texts(at) + " ".join(labels(at))
    assert "2 unread" in shown and "only you" in shown
    assert SECRET not in shown and "After the home visit" not in shown and "Pat" not in shown


def test_opening_an_item_marks_it_read_and_goes_to_its_record(app, org):
    note_id = write_note(org)
    sharing.share(org.actor(org.practitioner_id), EntryKind.NOTE, note_id, org.peer_id)
    item = inbox.inbox(org.actor(org.peer_id)).items[0]
    at = signed_in(app, "pip@example.org", PAGE, open=item.id)
    assert not at.exception
    assert "Shared with you by Pat Practitioner" in texts(at)  # the shared note's own screen
    assert inbox.my_unread_count(org.actor(org.peer_id)) == 0
    assert "Notifications (0 unread)" in labels(at)


def test_someone_elses_notification_is_not_found_and_stays_unread(app, org):
    tell(org.peer_id, 1)
    theirs = inbox.inbox(org.actor(org.peer_id)).items[0].id
    at = signed_in(app, "pat@example.org", PAGE, open=theirs)
    assert not at.exception
    assert "That notification could not be found." in texts(at)
    assert inbox.my_unread_count(org.actor(org.peer_id)) == 1


def test_mark_all_as_read_clears_the_count(app, org):
    tell(org.practitioner_id, 3)
    at = signed_in(app, "pat@example.org", PAGE)
    at.button(key="notifications_mark_all").click().run()
    assert not at.exception
    assert "Marked 3 notifications as read." in texts(at)
    assert "Notifications (0 unread)" in labels(at)
    assert at.button(key="notifications_mark_all").disabled


def test_with_nothing_waiting_the_page_says_so(app, org):
    at = signed_in(app, "pip@example.org", PAGE)
    assert "Nothing here yet." in texts(at)
