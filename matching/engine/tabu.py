"""Tabu search on the critical path for makespan problems, beside CP-SAT (``tabu_kernel``).

It applies to problems whose only rules are precedence and one-at-a-time machines: a
makespan objective, no calendars or bookings, no transport, no deadlines (the classical
flexible job shop, and any marketplace problem of that shape). ``improve`` starts from a
complete schedule, never returns a worse one, and every schedule it returns is
semi-active (each step starts as soon as its predecessors and its machine allow).

Determinism: the kernel draws from its own seeded generator, and ``improve`` with
``iterations`` (and no time limit) runs exactly that many iterations, so the same seed
gives the same schedule. With a time limit the search runs in chunks between clock checks,
which is only as reproducible as the clock.

Cost: numba is imported on the first call only (0.4 s). The kernel is compiled once per
installation and cached next to the source (``cache=True``; numba falls back to a per-user
cache directory when that is read-only, and ``NUMBA_CACHE_DIR`` moves it): the compile
took 15-85 s on the 2-core reference machine depending on load, loading the cached kernel
in a new process 1.8-3.4 s under a load average of 11.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from matching.engine.compiled import Compiled
from matching.engine.greedy import Choice
from matching.engine.tabu_scope import tabu_applies

__all__ = ["TabuState", "build", "improve", "makespan_of", "tabu_applies"]

CHUNK = 2_000  # iterations between clock checks, at most
CHUNK_S = 0.1  # with a time limit: seconds between clock checks, about
FIRST_CHUNK = 50  # with a time limit: iterations before the first measurement


@dataclass
class TabuState:
    """The arrays the kernel works on, built once per compiled problem and reused."""

    alt_ptr: np.ndarray
    alt_machine: np.ndarray
    alt_dur: np.ndarray
    release: np.ndarray
    pred_ptr: np.ndarray
    pred_idx: np.ndarray
    succ_ptr: np.ndarray
    succ_idx: np.ndarray


def build(compiled: Compiled) -> TabuState:
    """Flatten the compiled problem into CSR arrays (alternatives, predecessors, successors)."""
    ops = compiled.ops
    alt_ptr = np.zeros(len(ops) + 1, np.int64)
    alt_machine: list[int] = []
    alt_dur: list[int] = []
    pred_ptr = np.zeros(len(ops) + 1, np.int64)
    succ_ptr = np.zeros(len(ops) + 1, np.int64)
    preds: list[int] = []
    succs: list[int] = []
    for op in ops:
        alt_machine += [a.machine for a in op.alts]
        alt_dur += [a.duration for a in op.alts]
        alt_ptr[op.index + 1] = len(alt_machine)
        preds += op.preds
        pred_ptr[op.index + 1] = len(preds)
        succs += op.succs
        succ_ptr[op.index + 1] = len(succs)
    return TabuState(
        alt_ptr,
        np.array(alt_machine, np.int64),
        np.array(alt_dur, np.int64),
        np.array([op.release for op in ops], np.int64),
        pred_ptr,
        np.array(preds, np.int64),
        succ_ptr,
        np.array(succs, np.int64),
    )


def makespan_of(compiled: Compiled, choice: Choice) -> int:
    """The makespan of a complete schedule (no transport: latest end)."""
    return max(start + compiled.ops[i].alts[ai].duration for i, (ai, start) in enumerate(choice))


def improve(
    compiled: Compiled,
    choice: Choice,
    *,
    seed: int = 0,
    time_limit_s: float | None = None,
    iterations: int | None = None,
    target: int = 0,
    state: TabuState | None = None,
) -> Choice:
    """A schedule no longer than ``choice`` (machines kept or changed, steps re-sequenced).

    Runs until ``time_limit_s`` or ``iterations`` (whichever is given; both: the first
    reached) or until the makespan reaches ``target`` (a proven lower bound).
    """
    if time_limit_s is None and iterations is None:
        raise ValueError("give a time limit or an iteration budget")
    # numba loads only here: solves the tabu search does not apply to never pay for it
    from matching.engine.tabu_kernel import search

    started = time.perf_counter()
    st = state or build(compiled)
    n = len(compiled.ops)
    n_machines = len(compiled.machine_ids)
    alt = np.array([st.alt_ptr[i] + ai for i, (ai, _) in enumerate(choice)], np.int64)
    mseq = np.full((n_machines, n + 1), -1, np.int64)
    mlen = np.zeros(n_machines, np.int64)
    # machine sequences in order of the given starts: consistent with precedence, so acyclic
    for i in sorted(range(n), key=lambda i: (choice[i][1], i)):
        m = int(st.alt_machine[alt[i]])
        mseq[m, mlen[m]] = i
        mlen[m] += 1
    best_alt = alt.copy()
    best_mseq = mseq.copy()
    best_mlen = mlen.copy()
    tabu_pair = np.zeros((n, n), np.int64)
    tabu_mach = np.zeros((n, n_machines), np.int64)
    rng = np.array([(seed * 0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D) % 2**64 or 1], np.uint64)
    tenure = max(4, min(12, n // 20))
    stall_limit = max(500, 20 * n)
    done = 0
    best_value = makespan_of(compiled, choice)
    best_arrays = None
    # With a clock, chunks are sized to CHUNK_S: on large instances (thousands of steps) one
    # iteration takes milliseconds, and CHUNK of them overran a 2 s budget by 2.5 s.
    chunk = FIRST_CHUNK if time_limit_s is not None else CHUNK
    while True:
        if iterations is not None:
            chunk = min(chunk, iterations - done)
        if chunk <= 0:
            break
        chunk_started = time.perf_counter()
        value = search(
            st.alt_ptr,
            st.alt_machine,
            st.alt_dur,
            st.release,
            st.pred_ptr,
            st.pred_idx,
            st.succ_ptr,
            st.succ_idx,
            alt,
            mseq,
            mlen,
            best_alt,
            best_mseq,
            best_mlen,
            tabu_pair,
            tabu_mach,
            rng,
            done,
            chunk,
            stall_limit,
            tenure,
            target,
        )
        done += chunk
        if value < best_value:
            best_value = value
            best_arrays = (best_alt.copy(), best_mseq.copy(), best_mlen.copy())
        if best_value <= target:
            break
        if time_limit_s is not None:
            now = time.perf_counter()
            left = time_limit_s - (now - started)
            if left <= 0:
                break
            per_iteration = max(now - chunk_started, 1e-9) / chunk
            chunk = max(1, min(CHUNK, int(min(CHUNK_S, left) / per_iteration)))
    if best_arrays is None:
        return choice
    return _schedule(st, *best_arrays)


def _schedule(st: TabuState, alt: np.ndarray, mseq: np.ndarray, mlen: np.ndarray) -> Choice:
    """Semi-active starts (the heads) of a machine assignment and sequences."""
    from matching.engine.tabu_kernel import evaluate

    n = len(alt)
    dur = st.alt_dur[alt]
    mach = st.alt_machine[alt]
    pos = np.zeros(n, np.int64)
    for m in range(mseq.shape[0]):
        for k in range(mlen[m]):
            pos[mseq[m, k]] = k
    r = np.zeros(n, np.int64)
    q = np.zeros(n, np.int64)
    order = np.empty(n, np.int64)
    value = evaluate(
        dur,
        st.release,
        st.pred_ptr,
        st.pred_idx,
        st.succ_ptr,
        st.succ_idx,
        mach,
        mseq,
        mlen,
        pos,
        r,
        q,
        order,
    )
    if value < 0:  # the kernel keeps only acyclic states; this would be a bug
        raise RuntimeError("tabu search produced a cyclic schedule")
    return [(int(alt[i] - st.alt_ptr[i]), int(r[i])) for i in range(n)]
