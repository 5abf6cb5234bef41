#!/usr/bin/env python3
"""A minimal shop-floor client for Cloud Factory: what a workshop's MES or a cron script runs.

Standard library only, so it can be copied onto any machine with Python 3.9 or newer.

Environment:
    CLOUD_FACTORY_URL           the site, e.g. https://cloudfactory.example (no /api/v1)
    CLOUD_FACTORY_TOKEN         an API token of a member of the workshop
    CLOUD_FACTORY_ORGANIZATION  optional: the workshop's id or slug, for members of several

Usage:
    mes_client.py machines
    mes_client.py status MACHINE_ID up|down|maintenance [--until ISO] [--note TEXT]
    mes_client.py close MACHINE_ID FROM TO [--kind holiday|maintenance|other] [--note TEXT]
    mes_client.py capacity MACHINE_ID

Exit status: 0 on success, 1 when the API refuses or cannot be reached, 2 on bad usage.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

STATUSES = {"up": "available", "down": "down", "maintenance": "maintenance"}


class ApiError(Exception):
    """The API said no; the message is the API's own, written for the person who acted."""


class Client:
    def __init__(self, url: str, token: str, organization: str = "") -> None:
        self.base = url.rstrip("/") + "/api/v1"
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        if organization:
            self.headers["X-Organization"] = organization

    def request(self, method: str, path: str, body=None, query=None):
        url = path if path.startswith("http") else self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        headers = dict(self.headers)
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise ApiError(_describe(error.code, error.read())) from None
        except urllib.error.URLError as error:
            raise ApiError(f"cannot reach {self.base}: {error.reason}") from None
        return json.loads(raw) if raw else None

    def all_pages(self, path: str, query=None) -> list:
        page = self.request("GET", path, query=query)
        rows = list(page["results"])
        while page.get("next"):
            page = self.request("GET", page["next"])
            rows += page["results"]
        return rows


def _describe(status: int, raw: bytes) -> str:
    """The API's error body `{"error": {"code", "message", "fields"?}}` as readable lines."""
    try:
        error = json.loads(raw)["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}: {raw[:200].decode(errors='replace')}"
    lines = [f"{error.get('message', 'request refused')} ({error.get('code', status)})"]
    for field, problems in (error.get("fields") or {}).items():
        text = "; ".join(problems) if isinstance(problems, list) else json.dumps(problems)
        lines.append(f"  {field}: {text}")
    return "\n".join(lines)


def cmd_machines(client: Client, args) -> None:
    workshop = client.request("GET", "/workshops/mine/")
    machines = client.all_pages("/machines/", {"workshop": workshop["id"]})
    print(f"{workshop['name']} — {len(machines)} machine(s)")
    for m in machines:
        until = f" until {m['status_until']}" if m["status_until"] else ""
        print(f"{m['id']:>6}  {m['status'] + until:<40}  {m['process']:<16}  {m['name']}")


def cmd_status(client: Client, args) -> None:
    body = {"status": STATUSES[args.state], "note": args.note}
    if args.until:
        body["until"] = args.until
    machine = client.request("POST", f"/machines/{args.machine}/status/", body)
    until = f" until {machine['status_until']}" if machine["status_until"] else ""
    print(f"Machine {machine['id']} ({machine['name']}) is now {machine['status']}{until}.")


def cmd_close(client: Client, args) -> None:
    body = {
        "machine": args.machine,
        "starts_at": args.start,
        "ends_at": args.end,
        "kind": args.kind,
        "note": args.note,
    }
    closure = client.request("POST", "/capacity/closures/", body)
    print(
        f"Closure {closure['id']}: machine {closure['machine']} closed for {closure['kind']} "
        f"from {closure['starts_at']} to {closure['ends_at']}."
    )


def cmd_capacity(client: Client, args) -> None:
    capacity = client.request("GET", "/capacity/", query={"machine": args.machine})
    print(
        f"Machine {capacity['machine']}, {capacity['start']} to {capacity['end']}: "
        f"{capacity['open_hours']:.1f} h open, {capacity['booked_hours']:.1f} h booked, "
        f"{capacity['free_hours']:.1f} h free"
    )
    for interval in capacity["free"]:
        print(f"  free    {interval['starts_at']}  ->  {interval['ends_at']}")
    for closure in capacity["closures"]:
        print(f"  closed  {closure['starts_at']}  ->  {closure['ends_at']}  {closure['kind']}")
    for booking in capacity["bookings"]:
        print(f"  booked  {booking['starts_at']}  ->  {booking['ends_at']}  {booking['reference']}")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(description="Cloud Factory shop-floor client.")
    commands = root.add_subparsers(dest="command", required=True)

    commands.add_parser("machines", help="list your workshop's machines").set_defaults(
        run=cmd_machines
    )

    status = commands.add_parser("status", help="report a machine up, down or in maintenance")
    status.add_argument("machine", type=int)
    status.add_argument("state", choices=sorted(STATUSES))
    status.add_argument("--until", help="ISO 8601 time the machine is expected back")
    status.add_argument("--note", default="")
    status.set_defaults(run=cmd_status)

    close = commands.add_parser("close", help="close a machine for a while")
    close.add_argument("machine", type=int)
    close.add_argument("start", metavar="FROM", help="ISO 8601 start")
    close.add_argument("end", metavar="TO", help="ISO 8601 end")
    close.add_argument("--kind", choices=["holiday", "maintenance", "other"], default="holiday")
    close.add_argument("--note", default="")
    close.set_defaults(run=cmd_close)

    capacity = commands.add_parser("capacity", help="free time of a machine, next four weeks")
    capacity.add_argument("machine", type=int)
    capacity.set_defaults(run=cmd_capacity)
    return root


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    url, token = os.environ.get("CLOUD_FACTORY_URL"), os.environ.get("CLOUD_FACTORY_TOKEN")
    if not url or not token:
        print("error: set CLOUD_FACTORY_URL and CLOUD_FACTORY_TOKEN", file=sys.stderr)
        return 2
    client = Client(url, token, os.environ.get("CLOUD_FACTORY_ORGANIZATION", ""))
    try:
        args.run(client, args)
    except ApiError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
