"""Links this test can cut: a network namespace per server, joined to the root namespace by a veth pair.

Each link takes a free ``10.231.N.0/30``: ``.1`` on the root side (where the service and the test
run), ``.2`` on the server's side. Nothing is routed beyond the pair: the root namespace is the
only neighbour. Cutting a link loads an nftables table in the server's namespace that drops
every packet on its end of the pair, both ways: no reset, no ICMP, the partition a dead switch
or a firewall makes. Healing deletes that table. Names carry this process's id, and ``close``
(always called by the fixtures) deletes the namespace, its processes' sockets and the pair.
"""

import os
import shutil
import subprocess
import uuid

SUBNET = "10.231"


def namespaces_unavailable() -> str | None:
    """Why this machine cannot run the partition tests, or None when it can."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add); run `make faults` as root"
    missing = [tool for tool in ("ip", "nft", "setpriv") if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)} (scripts/ensure-netns-tools.sh installs them)"
    probe = f"orders-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"this machine cannot make a network namespace: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "delete", probe], check=False)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _free_third_octet() -> int:
    """A 10.231.N.0/30 no interface of the root namespace uses yet (parallel runs each take their own)."""
    used = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True).stdout
    start = os.getpid() % 250
    for step in range(250):
        octet = (start + step) % 250 + 1
        if f" {SUBNET}.{octet}." not in used:
            return octet
    raise RuntimeError(f"no free {SUBNET}.N.0/30 left")


class Link:
    """A namespace for one server and the veth pair that is its only way out."""

    def __init__(self, role: str) -> None:
        tag = uuid.uuid4().hex[:4]
        self.netns = f"orders-{role}-{os.getpid()}-{tag}"
        self._root_end = f"o{os.getpid() % 100000}{tag}r"[:15]
        self._server_end = f"o{os.getpid() % 100000}{tag}s"[:15]
        octet = _free_third_octet()
        self.root_address = f"{SUBNET}.{octet}.1"
        self.server_address = f"{SUBNET}.{octet}.2"
        self.cut_now = False
        _ip("netns", "add", self.netns)
        try:
            _ip("link", "add", self._root_end, "type", "veth", "peer", "name", self._server_end)
            _ip("link", "set", self._server_end, "netns", self.netns)
            _ip("addr", "add", f"{self.root_address}/30", "dev", self._root_end)
            _ip("link", "set", self._root_end, "up")
            _ip("-n", self.netns, "addr", "add", f"{self.server_address}/30", "dev", self._server_end)
            _ip("-n", self.netns, "link", "set", self._server_end, "up")
            _ip("-n", self.netns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    def cut(self) -> None:
        """Drop every packet on the link, both ways, from now on."""
        rules = (
            "table inet partition {\n"
            f'  chain inbound {{ type filter hook input priority -300; iifname "{self._server_end}" drop; }}\n'
            f'  chain outbound {{ type filter hook output priority -300; oifname "{self._server_end}" drop; }}\n'
            "}\n"
        )
        subprocess.run(["ip", "netns", "exec", self.netns, "nft", "-f", "-"], input=rules, text=True, check=True)
        self.cut_now = True

    def heal(self) -> None:
        if self.cut_now:
            subprocess.run(
                ["ip", "netns", "exec", self.netns, "nft", "delete", "table", "inet", "partition"], check=True
            )
            self.cut_now = False

    def close(self) -> None:
        """Delete the pair (its root end goes with it) and the namespace; safe to call twice."""
        subprocess.run(["ip", "link", "delete", self._root_end], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "delete", self.netns], capture_output=True, check=False)
