"""Benchmark of the signed-in pages of the web mix, in-process: Python time and queries per page.

Run from the repository root: ``python benchmarks/bench_pages.py [--repeat N]``. No server and
no PostgreSQL: the Django test client on the embedded SQLite (a file under
``benchmarks/.work``), filled once by ``seed_demo``, with the local-memory cache.

For every page of ``bench_web.py``'s mix, as the role that opens it there:

- ``cold``: the cache emptied before each request (what a page costs after a change to what it
  shows, and what every request cost before the page caches);
- ``warm``: the cache kept between requests (what a page costs while nothing changes).

Each figure is the median of ``--repeat`` requests, in milliseconds, with the number of queries
of one request. The time is the whole request in this process (middleware, sessions, ORM,
templates, serializers); SQLite answers from the page cache, so it is mostly Python. Beside
the elapsed time, the processor time of this process (``cpu``): on a shared machine the
elapsed time grows with the others' load, the processor time much less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
WORK.mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'pages.sqlite3'}")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("MEDIA_ROOT", str(WORK / "media"))

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

EMAILS = {
    "customer": "alice@demo.cloudfactory.example",
    "workshop": "bob@demo.cloudfactory.example",
    "operator": "olga@demo.cloudfactory.example",
}
# The mix of benchmarks/bench_web.py; {order} is one of the customer's orders.
MIX = {
    "customer": ["/dashboard/", "/orders/", "{order}", "/network/", "/api/v1/orders/"],
    "workshop": ["/dashboard/", "/jobs/", "/api/v1/jobs/"],
    "operator": ["/dashboard/", "/network/", "/api/v1/orders/"],
}


def prepare() -> dict[str, Client]:
    """Migrates and seeds the benchmark database once; returns a signed-in client per role."""
    from accounts.models import User
    from marketplace.orders.models import Order

    call_command("migrate", "--no-input", verbosity=0)
    if not User.objects.filter(email=EMAILS["operator"]).exists():
        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    clients = {}
    for role, email in EMAILS.items():
        client = Client()
        client.force_login(User.objects.get(email=email))
        clients[role] = client
    order = Order.objects.filter(organization__memberships__user__email=EMAILS["customer"]).first()
    clients["order"] = f"/orders/{order.pk}/" if order else "/orders/"
    return clients


def measure(client: Client, path: str, *, repeat: int, cold: bool) -> tuple[float, float, int]:
    """Median elapsed and processor milliseconds of ``repeat`` requests, and the queries of
    one of them."""
    times, cpu_times = [], []
    client.get(path)  # sessions, templates and the basemap loaded once, as in a running site
    for _ in range(repeat):
        if cold:
            cache.clear()
        start, cpu_start = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu_start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return statistics.median(times), statistics.median(cpu_times), len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    clients = prepare()
    print(
        "| page | role | cold ms | cold cpu ms | cold queries "
        "| warm ms | warm cpu ms | warm queries |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for role, paths in MIX.items():
        for template in paths:
            path = template.format(order=clients["order"])
            name = "/orders/<id>/" if template == "{order}" else template
            cold = measure(clients[role], path, repeat=args.repeat, cold=True)
            warm = measure(clients[role], path, repeat=args.repeat, cold=False)
            print(
                f"| {name} | {role} | {cold[0]:.1f} | {cold[1]:.1f} | {cold[2]} "
                f"| {warm[0]:.1f} | {warm[1]:.1f} | {warm[2]} |"
            )


if __name__ == "__main__":
    main()
