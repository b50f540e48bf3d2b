"""Outbound HTTP to addresses that people typed or browsers gave: checked, then pinned.

A URL must be https (plain http only to this machine in development and tests), must carry no
user name or password, and outside development must resolve only to public addresses: never to
private, loopback, link-local or reserved ones, so nobody can point the service at its own
network. The check is made again at every send (DNS can change), and the connection then goes to
the address that was checked, so the name cannot resolve differently a moment later.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from flask import current_app

TIMEOUT = 15.0
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
USER_AGENT = "voice-delivery/1"


class Refused(Exception):
    """The URL may not be used; the message says why (no personal data)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str


def development() -> bool:
    config = current_app.config
    return bool(config.get("DEVELOPMENT") or config.get("TESTING"))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check(url: str, dev: bool | None = None) -> Target:
    """The address to connect to for url, or Refused."""
    dev = development() if dev is None else dev
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused("not a valid web address") from exc
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None:
        raise Refused("not a valid web address")
    if parts.scheme == "http":
        if not (dev and host in LOCAL_HOSTS):
            raise Refused("must start with https://")
    elif parts.scheme != "https":
        raise Refused("must start with https://")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused("the address could not be found") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise Refused("the address could not be found")
    if not dev and not all(_public(a) for a in addresses):
        raise Refused("the address is not on the public internet")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, addresses[0], path)


@dataclass
class Response:
    status_code: int
    headers: dict
    reason: str = ""
    text: str = ""  # never kept: only here because pywebpush reads it


class Client:
    """POSTs to checked addresses, keeping connections open between sends."""

    def __init__(self, dev: bool | None = None):
        self.dev = development() if dev is None else dev
        self.pools: dict[tuple, urllib3.HTTPConnectionPool] = {}

    def _pool(self, target: Target) -> urllib3.HTTPConnectionPool:
        key = (target.scheme, target.address, target.port, target.host)
        pool = self.pools.get(key)
        if pool is None:
            timeout = urllib3.Timeout(connect=TIMEOUT, read=TIMEOUT)
            if target.scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    target.address, target.port, timeout=timeout, maxsize=1, retries=False,
                    server_hostname=target.host, assert_hostname=target.host,
                    cert_reqs="CERT_REQUIRED")
            else:
                pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout,
                                                  maxsize=1, retries=False)
            self.pools[key] = pool
        return pool

    def post(self, url: str, data: bytes | None = None, headers: dict | None = None,
             timeout: float = TIMEOUT) -> Response:
        target = check(url, self.dev)
        host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
        sent = {"User-Agent": USER_AGENT, **{k: str(v) for k, v in (headers or {}).items()},
                "Host": host}
        response = self._pool(target).urlopen(
            "POST", target.path, body=data or b"", headers=sent, redirect=False, retries=False,
            preload_content=False, timeout=urllib3.Timeout(connect=timeout, read=timeout))
        try:
            # Read (a little of) the answer so the connection can be used again; it is not kept.
            if len(response.read(64 * 1024)) == 64 * 1024:
                response.close()
        finally:
            response.release_conn()
        return Response(response.status, dict(response.headers), response.reason or "")

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        self.pools.clear()
