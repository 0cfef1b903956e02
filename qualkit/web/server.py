"""Running the web application: bind the address (refusing clearly when it cannot), then uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from qualkit.errors import WebServerError

if TYPE_CHECKING:
    from qualkit.web.pseudonyms import Pseudonyms

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port); WebServerError when that cannot be."""
    if not 0 <= port <= 65535:
        raise WebServerError(f"--port {port} is not a port number (0-65535; 0 picks a free one)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise WebServerError(f"--host {host!r} is not an address this machine has ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = "; choose another with --port" if exc.errno in (98, 48, 10048) else ""
        raise WebServerError(f"cannot serve on {host}:{port}: {exc.strerror}{hint}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(path: str | os.PathLike, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          secure_cookies: bool = False, proxies: Sequence[str] = (),
          on_ready: Callable[[str], None] | None = None, pseudonyms: Pseudonyms | None = None) -> None:
    """Serve the project at ``path`` until interrupted. ``proxies``: addresses of reverse proxies
    whose X-Forwarded-For/-Proto headers are believed (the client address and https behind a TLS
    proxy); ``on_ready(url)`` is called once the address is bound; ``pseudonyms``: show names as
    the pseudonym key makes them (`serve --pseudonymise`)."""
    import uvicorn

    from qualkit.web.app import create_app
    from qualkit.web.pseudonyms import AS_STORED

    sock = bind(host, port)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = uvicorn.Config(
        create_app(path, secure_cookies=secure_cookies, pseudonyms=pseudonyms or AS_STORED), log_level="warning",
        access_log=False,
        proxy_headers=bool(proxies), forwarded_allow_ips=list(proxies) or None, server_header=False,
        timeout_graceful_shutdown=5,
    )
    if on_ready is not None:
        on_ready(url_of(sock))
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
