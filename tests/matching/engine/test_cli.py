"""The ``python -m matching solve-fjsp`` contract, run as outside tools run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from matching.engine.fjsp import read_fjsp, to_problem
from matching.engine.problem import Assignment, Plan
from matching.engine.validate import validate

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "matching", "solve-fjsp", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_cli_solves_kacem1_to_optimality_and_prints_one_json_object(data_dir: Path) -> None:
    path = data_dir / "kacem" / "Kacem1.fjs"
    result = run_cli(str(path), "--time-limit", "5", "--workers", "2", "--seed", "1")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"status", "makespan", "lower_bound", "operations"}
    assert out["status"] == "optimal"
    assert out["makespan"] == 11
    assert out["lower_bound"] == 11
    ops = out["operations"]
    assert [(o["job"], o["op"]) for o in ops][:4] == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert len(ops) == 12
    problem = to_problem(read_fjsp(path))
    plan = Plan(
        "feasible",
        "cp-sat",
        assignments=tuple(
            Assignment(str(o["job"]), str(o["op"]), str(o["machine"]), o["start"], o["end"])
            for o in ops
        ),
        makespan=11,
        objective=11,
    )
    assert validate(problem, plan) == []
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines()]
    assert not any(name == "django" or name.startswith("django.") for name in imported)


def test_cli_refuses_a_malformed_file_with_the_line_number(tmp_path: Path) -> None:
    bad = tmp_path / "bad.fjs"
    bad.write_text("2 3\n1 1 1 5\n1 2 1 5\n")
    result = run_cli(str(bad))
    assert result.returncode != 0
    assert result.stdout == ""
    assert "line 3" in result.stderr
    assert "fewer than 2 machines" in result.stderr


def test_cli_refuses_a_missing_file(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path / "nope.fjs"))
    assert result.returncode != 0
    assert "cannot read" in result.stderr


def _instance(tmp_path: Path, text: str) -> str:
    path = tmp_path / "instance.fjs"
    path.write_text(text)
    return str(path)


def test_cli_refuses_a_time_limit_that_is_not_a_number(tmp_path: Path) -> None:
    result = run_cli(_instance(tmp_path, "2 2\n1 1 1 5\n1 1 2 3\n"), "--time-limit", "nan")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "--time-limit must be positive" in result.stderr


def test_cli_says_why_an_instance_has_no_plan(tmp_path: Path) -> None:
    result = run_cli(_instance(tmp_path, "1 1\n1 1 1 99999999999999999999\n"), "--time-limit", "1")
    assert result.returncode == 1
    assert json.loads(result.stdout)["status"] == "infeasible"
    assert "longer than the planning horizon" in result.stderr
