"""Which addresses a port listens on, read from the kernel, and whether it accepts there."""

from __future__ import annotations

import socket
from pathlib import Path

LISTEN = "0A"


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # The kernel writes each 32-bit word in the machine's (little-endian) byte order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    family = socket.AF_INET if len(words) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words)


def listening_addresses(port: int) -> set[str]:
    """Return every local address a TCP socket listens on `port` at (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if fields[3] == LISTEN and int(port_hex, 16) == port:
                found.add(_address(address))
    return found


def accepts(host: str, port: int) -> bool:
    """Return True when a TCP connection to host:port is accepted (host on loopback)."""
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((host, port)) == 0
