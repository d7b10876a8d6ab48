"""The e-mail outbox: messages written in the same transaction as the change that causes them,
delivered after commit by SMTP when a mail server is configured, readable by admins otherwise."""
from app.outbox import models  # noqa: F401
