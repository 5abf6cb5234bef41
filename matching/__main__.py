"""Command line of the matching engine: ``python -m matching solve-fjsp FILE``.

Imports only ``matching.engine`` (no Django), so outside tools can run it on any machine with
OR-Tools. Prints one JSON object; exits 2 with a message on stderr for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

from matching.engine.fjsp import read_fjsp, to_problem
from matching.engine.problem import SolveParams
from matching.engine.solver import solve


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the return value is the exit status."""
    parser = argparse.ArgumentParser(prog="python -m matching", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fjsp = commands.add_parser(
        "solve-fjsp",
        help="solve a flexible job shop instance (.fjs) for the minimum makespan",
    )
    fjsp.add_argument("file", help="instance in the Brandimarte .fjs text format")
    fjsp.add_argument("--time-limit", type=float, default=10.0, help="seconds (default 10)")
    fjsp.add_argument("--workers", type=int, default=2, help="CPU threads to use (default 2)")
    fjsp.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if not args.time_limit > 0:  # also refuses nan
        parser.error("--time-limit must be positive")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        instance = read_fjsp(args.file)
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 2
    problem = to_problem(instance)
    plan = solve(
        problem,
        SolveParams(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed),
    )
    result = {
        "status": plan.status,
        "makespan": plan.makespan if plan.has_schedule else None,
        "lower_bound": plan.lower_bound,
        "operations": [
            {
                "job": int(a.job),
                "op": int(a.step),
                "machine": int(a.machine),
                "start": a.start,
                "end": a.end,
            }
            for a in plan.assignments
        ],
    }
    print(json.dumps(result))
    for issue in plan.issues:
        print(f"{issue.code}: {issue.message}", file=sys.stderr)
    return 0 if plan.has_schedule else 1


if __name__ == "__main__":
    sys.exit(main())
