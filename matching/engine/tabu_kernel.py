"""Compiled (numba) kernel of the tabu search on the critical path; arrays in, arrays out.

The schedule is a disjunctive graph: job (precedence) arcs from the problem, machine arcs
from one sequence per machine. Heads ``r`` (earliest start) and tails ``q`` (longest path
after the end) come from one topological pass each; the makespan is ``max(r + d)``. Moves
are estimated in O(1) from heads and tails (Dell'Amico-Trubian for swaps,
Mastrolilli-Gambardella for insertions), the best admissible one is applied and the graph
re-evaluated exactly; a move that would close a cycle is undone and the next one tried.

Moves: swapping two adjacent operations of a critical block (N1 restricted to critical
arcs, which contains N5) and re-inserting a critical operation on any machine that can run
it, its own included, at any position whose heads and tails cannot close a cycle (the
machine-reassignment and N7-like moves of flexible job-shop tabu searches).

Everything random comes from a xorshift state in ``rng[0]``, so a run is a function of its
inputs: the same seed and iteration budget give the same schedule.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NONE = -1


@njit(cache=True, nogil=True)
def _rand(rng: np.ndarray, bound: int) -> int:
    """Xorshift64: a number in ``[0, bound)``; ``rng[0]`` is the state (never 0)."""
    x = rng[0]
    x ^= (x << np.uint64(13)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    x ^= x >> np.uint64(7)
    x ^= (x << np.uint64(17)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    rng[0] = x
    return int(x % np.uint64(bound))


@njit(cache=True, nogil=True)
def evaluate(
    dur, release, pred_ptr, pred_idx, succ_ptr, succ_idx, mach, mseq, mlen, pos, r, q, order
) -> int:
    """Heads, tails and the makespan of the current sequences; -1 if they contain a cycle."""
    n = dur.shape[0]
    indeg = np.zeros(n, np.int64)
    for v in range(n):
        indeg[v] = pred_ptr[v + 1] - pred_ptr[v]
        if pos[v] > 0:
            indeg[v] += 1
    head = 0
    tail = 0
    for v in range(n):
        if indeg[v] == 0:
            order[tail] = v
            tail += 1
    while head < tail:
        v = order[head]
        head += 1
        start = release[v]
        for k in range(pred_ptr[v], pred_ptr[v + 1]):
            p = pred_idx[k]
            if r[p] + dur[p] > start:
                start = r[p] + dur[p]
        m = mach[v]
        if pos[v] > 0:
            p = mseq[m, pos[v] - 1]
            if r[p] + dur[p] > start:
                start = r[p] + dur[p]
        r[v] = start
        for k in range(succ_ptr[v], succ_ptr[v + 1]):
            s = succ_idx[k]
            indeg[s] -= 1
            if indeg[s] == 0:
                order[tail] = s
                tail += 1
        if pos[v] + 1 < mlen[m]:
            s = mseq[m, pos[v] + 1]
            indeg[s] -= 1
            if indeg[s] == 0:
                order[tail] = s
                tail += 1
    if tail < n:
        return -1
    cmax = 0
    for i in range(n - 1, -1, -1):
        v = order[i]
        after = 0
        for k in range(succ_ptr[v], succ_ptr[v + 1]):
            s = succ_idx[k]
            if q[s] + dur[s] > after:
                after = q[s] + dur[s]
        m = mach[v]
        if pos[v] + 1 < mlen[m]:
            s = mseq[m, pos[v] + 1]
            if q[s] + dur[s] > after:
                after = q[s] + dur[s]
        q[v] = after
        if r[v] + dur[v] > cmax:
            cmax = r[v] + dur[v]
    return cmax


@njit(cache=True, nogil=True)
def _remove(mseq, mlen, pos, m, v) -> int:
    """Take ``v`` out of machine ``m``'s sequence; returns its former position."""
    i = pos[v]
    for k in range(i, mlen[m] - 1):
        mseq[m, k] = mseq[m, k + 1]
        pos[mseq[m, k]] = k
    mlen[m] -= 1
    return i


@njit(cache=True, nogil=True)
def _insert(mseq, mlen, pos, m, v, i) -> None:
    """Put ``v`` at position ``i`` of machine ``m``'s sequence."""
    for k in range(mlen[m], i, -1):
        mseq[m, k] = mseq[m, k - 1]
        pos[mseq[m, k]] = k
    mseq[m, i] = v
    pos[v] = i
    mlen[m] += 1


@njit(cache=True, nogil=True)
def _job_head(v, release, pred_ptr, pred_idx, r, dur) -> int:
    start = release[v]
    for k in range(pred_ptr[v], pred_ptr[v + 1]):
        p = pred_idx[k]
        if r[p] + dur[p] > start:
            start = r[p] + dur[p]
    return start


@njit(cache=True, nogil=True)
def _job_tail(v, succ_ptr, succ_idx, q, dur) -> int:
    after = 0
    for k in range(succ_ptr[v], succ_ptr[v + 1]):
        s = succ_idx[k]
        if q[s] + dur[s] > after:
            after = q[s] + dur[s]
    return after


@njit(cache=True, nogil=True)
def search(
    alt_ptr,
    alt_machine,
    alt_dur,
    release,
    pred_ptr,
    pred_idx,
    succ_ptr,
    succ_idx,
    alt,
    mseq,
    mlen,
    best_alt,
    best_mseq,
    best_mlen,
    tabu_pair,
    tabu_mach,
    rng,
    first_iteration,
    iterations,
    stall_limit,
    tenure,
    target,
):
    """Run ``iterations`` tabu iterations from (``alt``, ``mseq``); keep the best in ``best_*``.

    ``alt[v]`` is the chosen alternative of op ``v`` (global index into ``alt_*``).
    ``tabu_pair[u, v] > it``: ``u`` may not be put right before ``v``; ``tabu_mach[v, m] >
    it``: ``v`` may not go back to machine ``m``. Stops early at ``target`` (a lower bound).
    Iterations are numbered from ``first_iteration`` so that tabu marks survive a
    later call. Returns the best makespan. The current state is left where the search
    ended, so a later call continues it.
    """
    n = release.shape[0]
    n_machines = mseq.shape[0]
    dur = np.empty(n, np.int64)
    mach = np.empty(n, np.int64)
    pos = np.empty(n, np.int64)
    for v in range(n):
        dur[v] = alt_dur[alt[v]]
        mach[v] = alt_machine[alt[v]]
    for m in range(n_machines):
        for k in range(mlen[m]):
            pos[mseq[m, k]] = k
    r = np.zeros(n, np.int64)
    q = np.zeros(n, np.int64)
    order = np.empty(n, np.int64)
    cmax = evaluate(
        dur, release, pred_ptr, pred_idx, succ_ptr, succ_idx, mach, mseq, mlen, pos, r, q, order
    )
    best = cmax
    for v in range(n):
        best_alt[v] = alt[v]
    best_mseq[:, :] = mseq
    best_mlen[:] = mlen
    # candidate moves: kind 0 swap (a = u, b = v), kind 1 insertion (a = v, b = alt, c = position)
    cap = 64 + 4 * n
    kind = np.empty(cap, np.int64)
    ca = np.empty(cap, np.int64)
    cb = np.empty(cap, np.int64)
    cc = np.empty(cap, np.int64)
    est = np.empty(cap, np.int64)
    stall = 0
    for it in range(first_iteration, first_iteration + iterations):
        if best <= target:
            break
        count = 0
        # swaps of adjacent ops on critical machine arcs
        for m in range(n_machines):
            for k in range(mlen[m] - 1):
                u = mseq[m, k]
                v = mseq[m, k + 1]
                if r[u] + dur[u] != r[v] or r[u] + dur[u] + dur[v] + q[v] != cmax:
                    continue
                if count >= cap:
                    break
                before = 0
                if k > 0:
                    w = mseq[m, k - 1]
                    before = r[w] + dur[w]
                after = 0
                if k + 2 < mlen[m]:
                    w = mseq[m, k + 2]
                    after = q[w] + dur[w]
                rv = max(_job_head(v, release, pred_ptr, pred_idx, r, dur), before)
                ru = max(_job_head(u, release, pred_ptr, pred_idx, r, dur), rv + dur[v])
                qu = max(_job_tail(u, succ_ptr, succ_idx, q, dur), after)
                qv = max(_job_tail(v, succ_ptr, succ_idx, q, dur), qu + dur[u])
                e = max(rv + dur[v] + qv, ru + dur[u] + qu)
                if tabu_pair[v, u] > it and e >= best:
                    continue
                kind[count] = 0
                ca[count] = u
                cb[count] = v
                est[count] = e
                count += 1
        # re-insertion of critical ops, on any of their machines
        for v in range(n):
            if r[v] + dur[v] + q[v] != cmax or count >= cap:
                continue
            jh = _job_head(v, release, pred_ptr, pred_idx, r, dur)
            jt = _job_tail(v, succ_ptr, succ_idx, q, dur)
            for a in range(alt_ptr[v], alt_ptr[v + 1]):
                m = alt_machine[a]
                if tabu_mach[v, m] > it and m != mach[v]:
                    continue
                d = alt_dur[a]
                best_e = 1 << 60
                best_i = -1
                i = 0  # insertion index in the sequence without v
                prev = NONE
                for k in range(mlen[m] + 1):
                    w = NONE
                    if k < mlen[m]:
                        w = mseq[m, k]
                        if w == v:
                            continue
                    # u = prev before, w after: no cycle if prev is no descendant of v and
                    # w no ancestor of v (heads and tails of the current graph tell)
                    ok = True
                    if prev != NONE and r[prev] >= r[v] + dur[v]:
                        ok = False
                    if w != NONE and q[w] >= q[v] + dur[v]:
                        ok = False
                    if ok and m == mach[v] and prev != NONE and tabu_pair[prev, v] > it:
                        ok = False
                    if ok and not (m == mach[v] and (k == pos[v] or k == pos[v] + 1)):
                        hv = jh
                        if prev != NONE and r[prev] + dur[prev] > hv:
                            hv = r[prev] + dur[prev]
                        tv = jt
                        if w != NONE and q[w] + dur[w] > tv:
                            tv = q[w] + dur[w]
                        e = hv + d + tv
                        if e < best_e:
                            best_e = e
                            best_i = i
                    if w != NONE:
                        prev = w
                        i += 1
                if best_i < 0 or count >= cap:
                    continue
                kind[count] = 1
                ca[count] = v
                cb[count] = a
                cc[count] = best_i
                est[count] = best_e
                count += 1
        applied = False
        while count > 0 and not applied:
            # best estimate, ties broken at random
            pick = -1
            ties = 0
            for k in range(count):
                if pick < 0 or est[k] < est[pick]:
                    pick = k
                    ties = 1
                elif est[k] == est[pick]:
                    ties += 1
                    if _rand(rng, ties) == 0:
                        pick = k
            if kind[pick] == 0:
                u = ca[pick]
                v = cb[pick]
                m = mach[u]
                pu = pos[u]
                mseq[m, pu] = v
                mseq[m, pu + 1] = u
                pos[v] = pu
                pos[u] = pu + 1
                new = evaluate(
                    dur,
                    release,
                    pred_ptr,
                    pred_idx,
                    succ_ptr,
                    succ_idx,
                    mach,
                    mseq,
                    mlen,
                    pos,
                    r,
                    q,
                    order,
                )
                if new < 0:
                    mseq[m, pu] = u
                    mseq[m, pu + 1] = v
                    pos[u] = pu
                    pos[v] = pu + 1
                else:
                    tabu_pair[u, v] = it + tenure + _rand(rng, tenure + 1)
                    applied = True
                    cmax = new
            else:
                v = ca[pick]
                a = cb[pick]
                old_m = mach[v]
                old_a = alt[v]
                old_i = _remove(mseq, mlen, pos, old_m, v)
                before = NONE
                if old_i > 0:
                    before = mseq[old_m, old_i - 1]
                m = alt_machine[a]
                _insert(mseq, mlen, pos, m, v, cc[pick])
                alt[v] = a
                mach[v] = m
                dur[v] = alt_dur[a]
                new = evaluate(
                    dur,
                    release,
                    pred_ptr,
                    pred_idx,
                    succ_ptr,
                    succ_idx,
                    mach,
                    mseq,
                    mlen,
                    pos,
                    r,
                    q,
                    order,
                )
                if new < 0:
                    _remove(mseq, mlen, pos, m, v)
                    _insert(mseq, mlen, pos, old_m, v, old_i)
                    alt[v] = old_a
                    mach[v] = old_m
                    dur[v] = alt_dur[old_a]
                else:
                    t = it + tenure + _rand(rng, tenure + 1)
                    if m != old_m:
                        tabu_mach[v, old_m] = t
                    elif before != NONE:
                        tabu_pair[before, v] = t
                    applied = True
                    cmax = new
            if not applied:
                count -= 1
                kind[pick] = kind[count]
                ca[pick] = ca[count]
                cb[pick] = cb[count]
                cc[pick] = cc[count]
                est[pick] = est[count]
        if not applied:
            stall = stall_limit  # nothing admissible: restart from the best
        elif cmax < best:
            best = cmax
            stall = 0
            for v in range(n):
                best_alt[v] = alt[v]
            best_mseq[:, :] = mseq
            best_mlen[:] = mlen
        else:
            stall += 1
        if stall >= stall_limit:
            stall = 0
            for v in range(n):
                alt[v] = best_alt[v]
                dur[v] = alt_dur[alt[v]]
                mach[v] = alt_machine[alt[v]]
            mseq[:, :] = best_mseq
            mlen[:] = best_mlen
            for m in range(n_machines):
                for k in range(mlen[m]):
                    pos[mseq[m, k]] = k
            tabu_pair[:, :] = 0
            tabu_mach[:, :] = 0
            # perturb: a few random swaps of adjacent ops on a machine, kept if acyclic
            for _ in range(2 + _rand(rng, 4)):
                m = _rand(rng, n_machines)
                if mlen[m] < 2:
                    continue
                k = _rand(rng, mlen[m] - 1)
                u = mseq[m, k]
                v = mseq[m, k + 1]
                mseq[m, k] = v
                mseq[m, k + 1] = u
                pos[v] = k
                pos[u] = k + 1
                if (
                    evaluate(
                        dur,
                        release,
                        pred_ptr,
                        pred_idx,
                        succ_ptr,
                        succ_idx,
                        mach,
                        mseq,
                        mlen,
                        pos,
                        r,
                        q,
                        order,
                    )
                    < 0
                ):
                    mseq[m, k] = u
                    mseq[m, k + 1] = v
                    pos[u] = k
                    pos[v] = k + 1
            cmax = evaluate(
                dur,
                release,
                pred_ptr,
                pred_idx,
                succ_ptr,
                succ_idx,
                mach,
                mseq,
                mlen,
                pos,
                r,
                q,
                order,
            )
    return best
