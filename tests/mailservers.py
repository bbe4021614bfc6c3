"""Local mail servers for the e-mail channel tests.

IMAP is Debian's dovecot (installed by tests/services.sh), started per test with
its own configuration, port and maildir under the test's temporary directory;
mails are put into it with IMAP APPEND. SMTP is a small sink speaking RFC 5321
that keeps what it receives.
"""

import imaplib
import os
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

USER, PASSWORD = "care@example.com", "imap-pass"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    def __init__(self) -> None:
        # Its own directory, readable by dovecot's unprivileged auth and mail processes
        # (pytest's tmp_path is private to root).
        root = Path(tempfile.mkdtemp(prefix="desk-dovecot-"))
        root.chmod(0o755)
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not Path(binary).exists():
            pytest.fail("dovecot is missing: `bash tests/services.sh` installs Debian's "
                        "dovecot-imapd", pytrace=False)
        self.root = root
        self.port = free_port()
        home = root / "home"
        home.mkdir(parents=True)
        os.chown(home, 65534, 65534)
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (root / "dovecot.conf").write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={home}/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1000
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
        self.process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        pytest.fail(f"dovecot did not start: {log}", pytrace=False)

    @property
    def url(self) -> str:
        return f"imap://care%40example.com:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def client(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(USER, PASSWORD)
        connection.select("INBOX")
        return connection

    def deliver(self, raw: bytes) -> None:
        connection = self.client()
        connection.append("INBOX", None, None, raw)
        connection.logout()

    def flags(self) -> list[str]:
        connection = self.client()
        _, data = connection.uid("FETCH", "1:*", "(FLAGS)")
        connection.logout()
        return [item.decode() for item in data if item]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


class SmtpSink:
    """Accepts every mail (or refuses recipients in `refuse`) and keeps the raw bytes."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 sink ESMTP")
                sender, recipients = "", []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode(errors="replace").strip()
                    verb = command[:4].upper()
                    if verb in ("HELO", "EHLO"):
                        self.reply("250 sink")
                    elif verb == "MAIL":
                        sender, recipients = command[10:].strip("<>"), []
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        address = command[8:].strip().strip("<>")
                        if address in sink.refuse:
                            self.reply("550 no such user")
                        else:
                            recipients.append(address)
                            self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 go on")
                        data = b""
                        while True:
                            chunk = self.rfile.readline()
                            if chunk in (b".\r\n", b".\n", b""):
                                break
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        sink.received.append((sender, recipients, data))
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
