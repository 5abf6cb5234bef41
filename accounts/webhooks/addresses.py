"""Where a webhook may be sent: resolve once, refuse private networks, pin the address.

A partner's URL is input from outside. Unless private addresses are allowed (development,
tests), a host that resolves to a loopback, private, link-local, multicast, reserved or
unspecified address is refused, and the request then goes to the address that was checked,
so a second DNS answer (rebinding) cannot point it inside our network.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class AddressRefused(ValueError):
    """The URL is not one a webhook may be sent to; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string
    address: str  # the checked IP address the request connects to


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def split(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of an http(s) URL, or AddressRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(f"The URL is not valid: {error}.") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("Only http and https URLs can receive webhooks.")
    if not parts.hostname:
        raise AddressRefused("The URL names no host.")
    if parts.username or parts.password:
        raise AddressRefused("Put no user name or password in the URL; check the signature.")
    default = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or default, path


def check_literal(url: str, *, allow_private: bool) -> None:
    """A quick check when an endpoint is saved: the URL's shape, and a literal private IP."""
    _, host, _, _ = split(url)
    if allow_private:
        return
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise AddressRefused("Webhooks cannot be sent to localhost.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    if not is_public(host):
        raise AddressRefused(f"Webhooks cannot be sent to the private address {host}.")


def resolve(url: str, *, allow_private: bool) -> Target:
    """The URL's target with the one address the request will use, checked."""
    scheme, host, port, path = split(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"The host {host} cannot be resolved ({error}).") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise AddressRefused(f"The host {host} has no address.")
    if not allow_private:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise AddressRefused(
                f"The host {host} resolves to a private or reserved address ({refused[0]})."
            )
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
