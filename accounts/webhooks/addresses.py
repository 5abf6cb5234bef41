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
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 (mapped, 6to4, Teredo) is judged as itself.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo and ip.teredo[1])
        if embedded is not None and not is_public(str(embedded)):
            return False
        if ip.ipv4_mapped is not None:
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
    if any(
        character.isspace() or ord(character) < 32 or ord(character) == 127 for character in url
    ):
        raise AddressRefused("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(f"The URL is not valid: {error}.") from None
    if port == 0:
        raise AddressRefused("The URL's port must be between 1 and 65535.")
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
    name = host.lower().rstrip(".")  # "localhost." is localhost
    if name == "localhost" or name.endswith(".localhost"):
        raise AddressRefused("Webhooks cannot be sent to localhost.")
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        address = _legacy_ipv4(name)
        if address is None:
            return
    if not is_public(address):
        raise AddressRefused(f"Webhooks cannot be sent to the private address {host}.")


def _legacy_ipv4(name: str) -> str | None:
    """The address of "127.1", "0x7f000001", "2130706433" and other forms resolvers accept."""
    if not name.isascii() or not name[:1].isdigit():
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(name))
    except OSError:
        return None


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
