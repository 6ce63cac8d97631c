"""Signals the content core sends, so the layers above can react without being imported.

Dependencies flow one way (interfaces → editorial → pipelines → core): the core and the
pipelines never import ``editorial``. When something happens below that the editors'
side records or follows up (an audit row, a re-check), the core sends a signal here and
``editorial`` connects its receivers (``editorial.receivers``).
"""

from django.dispatch import Signal

# A note's machine draft is complete and the note moved 下書き待ち → 下書き済み.
# Sent inside the transaction of the move, with ``note`` (locked) and ``source``/``target``
# states; a receiver's writes commit or roll back with it.
note_drafted = Signal()

# An issue was published by a chief editor or by its schedule (not when a back issue is
# imported). Sent inside the transaction of the publication, with ``issue``; receivers
# start follow-ups after commit (the newsletter's mailing: ``editorial.receivers``).
issue_published = Signal()

# A content model's ``QuerySet.update()`` is about to write (it sends no save signals).
# Sent with ``queryset`` and ``values`` (the keyword arguments of update()); a receiver may return a
# callable, called with the number of rows updated once the update has run.
content_rows_updating = Signal()
