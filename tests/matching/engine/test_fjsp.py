"""The .fjs reader: real files, header pitfalls, and clear errors on malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.engine.fjsp import parse_fjsp, read_fjsp, to_problem


def test_kacem1_parses_into_four_jobs_on_five_machines(data_dir: Path) -> None:
    instance = read_fjsp(data_dir / "kacem" / "Kacem1.fjs")
    assert instance.n_machines == 5
    assert [len(ops) for ops in instance.jobs] == [3, 3, 4, 2]
    assert instance.jobs[0][0][0] == (0, 2)  # machine 1 -> 0, time 2
    assert instance.jobs[1][2][3] == (3, 54)  # the famous 54 is kept as is


def test_machine_count_is_the_larger_of_header_and_indices_used() -> None:
    assert parse_fjsp("1 2\n1 1 3 7\n").n_machines == 3
    assert parse_fjsp("1 9 1.5\n1 1 3 7\n").n_machines == 9


def test_crlf_tabs_and_blank_lines_are_tolerated() -> None:
    instance = parse_fjsp("2\t2  1.5\r\n\r\n 1 2 1 3 2 4 \r\n\r\n2 1 2 5 1 1 6\r\n\r\n")
    assert instance.jobs == (((((0, 3), (1, 4))),), (((1, 5),), ((0, 6),)))


def test_every_brandimarte_file_parses_with_its_operation_count(data_dir: Path) -> None:
    expected = [55, 58, 150, 90, 106, 150, 100, 225, 240, 240]
    counts = [
        read_fjsp(data_dir / "brandimarte" / f"Mk{i:02d}.fjs").n_operations for i in range(1, 11)
    ]
    assert counts == expected


def test_problem_ids_are_zero_based_indices_in_file_order() -> None:
    problem = to_problem(parse_fjsp("1 2\n2 1 2 5 2 1 3 2 4\n"))
    job = problem.jobs[0]
    assert job.id == "0"
    assert [s.id for s in job.steps] == ["0", "1"]
    assert [a.machine for a in job.steps[1].alternatives] == ["0", "1"]
    assert problem.objective.is_makespan_only()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("3\n1 1 1 1\n", "line 1: header"),
        ("1 x\n1 1 1 1\n", "line 1: number of machines 'x'"),
        ("2 2\n1 1 1 1\n", "announces 2 jobs"),
        ("1 2\n\n2 1 1 5\n", "line 3: operation 2 of 2 is missing"),
        ("1 2\n1 2 1 5\n", "line 2: operation 1 lists fewer than 2 machines"),
        ("1 2\n1 1 1 5 9\n", "line 2: 1 extra values"),
        ("1 2\n1 0\n", "line 2: operation 1 has no eligible machine"),
        ("1 2\n1 1 0 5\n", "line 2: machine 0"),
        ("1 2\n1 1 1 -5\n", "line 2: negative processing time"),
        ("1 2\n1 1 1 2.5\n", "line 2: value '2.5' is not an integer"),
        ("1 2\n1 2 1 5 1 6\n", "lists machine 1 twice"),
    ],
)
def test_malformed_input_is_refused_with_the_line_number(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fjsp(text)
