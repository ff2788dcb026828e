"""Notifications: telling people that something is waiting for them, in the portal and by email (issue 14).

Front door: ``qa.notifications.notify`` (services call ``notify()`` inside their own transaction);
``qa.notifications.inbox`` is one person's inbox (the unread count, the list, marking read) and
``qa.notifications.kinds`` the catalogue of kinds and their plain wording. Email delivery (the sender,
the email text, time-based reminders and each person's choices) lives beside them.
"""
