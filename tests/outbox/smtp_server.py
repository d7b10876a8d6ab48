"""A real SMTP server on a free loopback port (aiosmtpd) that counts what it receives."""
import asyncio
from collections import Counter
from contextlib import contextmanager
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.seminars.gunicorn_server import free_port


class CountingHandler:
    """Keeps every message received; refuses recipients whose address starts with 'refused'.

    With `wait_for_senders=n`, the first MAIL command waits until n connections have each sent
    one, so n senders are certainly at work at the same moment.
    """

    def __init__(self, wait_for_senders: int = 0):
        self.messages = []
        self.sessions: set[int] = set()
        self.wait_for_senders = wait_for_senders
        self.temporary_failure = False
        self._together: asyncio.Event | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.wait_for_senders:
            self._together = self._together or asyncio.Event()
            self.sessions.add(id(session))
            if len(self.sessions) >= self.wait_for_senders:
                self._together.set()
            try:
                await asyncio.wait_for(self._together.wait(), 60)
            except TimeoutError:
                pass
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 No such mailbox here"
        if self.temporary_failure:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted"

    def subjects(self) -> Counter:
        return Counter(str(m["Subject"]) for m in self.messages)


@contextmanager
def smtp_server(**handler_options):
    handler = CountingHandler(**handler_options)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, handler
    finally:
        controller.stop()
