"""Email delivery of published issues (a pipeline: it imports only the content core).

- ``services``: double opt-in (subscribe, confirm), unsubscribe, preferences, suppression
  after a bounce or complaint, starting a mailing (at publication, or a corrected version a
  chief editor asks for), resolving messages whose fate is unknown;
- ``sending``: the batch loop: claim one send-log row, send it through Django's email
  backend under the shared rate limit, record what the SMTP server said;
- ``content``: what a subscriber receives (the blog's text format plus a footer, a simple
  HTML layout, RFC 2369/8058 list headers);
- ``tasks``: Celery tasks (ids only, enqueued after commit, time limits);
- ``events``: bounce and complaint reports (a generic JSON shape, Amazon SES via SNS);
- ``views`` and ``urls``: the subscriber's pages (Japanese) and the provider webhook.
"""
