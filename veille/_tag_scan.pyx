# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled twin of the hit collection of :meth:`veille.tag_match.Matcher.scan` (issue 14).

The same steps as the Python code it replaces, in the same order, over the same automaton
values: the automaton's matches become hits (C structs, not tuples), negatives take away the
hits of their group inside their span, the hits are sorted by group, start, stop and order
found, and each group's evidence is built from the outermost ones. Only the result is made of
Python objects. ``tests/test_tag_compiled.py`` checks that both give the same result; the
Python code stays the reference, and the fallback where this module is not built.
"""

from cpython.ref cimport PyObject
from libc.stdlib cimport free, malloc, qsort, realloc

# The entry kinds of veille.tag_match (PLAIN = 0 entries are stored apart).
cdef enum:
    PREFIX = 1
    CASED = 2
    NEGATIVE = 3
    NEGATIVE_PREFIX = 4
    SUFFIX = 5


cdef double WEAK_WEIGHT = 0.5  # veille.tag_score.DEFAULT_WEAK_WEIGHT


cdef struct Hit:
    Py_ssize_t group, start, stop, seq, rank
    double weight
    PyObject* shown  # borrowed: owned by the automaton's values or by ``keep`` below


cdef struct Span:
    Py_ssize_t group, start, stop


cdef int _by_position(const void* a, const void* b) noexcept nogil:
    """The order of the Python code's ``hits.sort()``: (group, start, stop, seq, rank) are
    unique per hit, so the shown text and weight never decide."""
    cdef const Hit* x = <const Hit*>a
    cdef const Hit* y = <const Hit*>b
    if x.group != y.group:
        return -1 if x.group < y.group else 1
    if x.start != y.start:
        return -1 if x.start < y.start else 1
    if x.stop != y.stop:
        return -1 if x.stop < y.stop else 1
    if x.seq != y.seq:
        return -1 if x.seq < y.seq else 1
    if x.rank != y.rank:
        return -1 if x.rank < y.rank else 1
    return 0


cdef Hit* _grow(Hit* hits, Py_ssize_t* cap) except NULL:
    cap[0] *= 2
    cdef Hit* more = <Hit*>realloc(hits, cap[0] * sizeof(Hit))
    if more is NULL:
        raise MemoryError()
    return more


def collect(automaton, str low, str cased, Py_ssize_t title_end):
    """What ``Matcher.scan`` returns for the folded text ``low`` (``cased``: the same with its
    case kept; ``title_end``: where the body starts)."""
    cdef Py_ssize_t cap = 64, n = 0, nneg = 0, negcap = 0
    cdef Py_ssize_t seq = 0, end, back, kind, start, stop, i, j, k
    cdef Py_ssize_t group, hstart, hstop
    cdef Hit* hits = <Hit*>malloc(cap * sizeof(Hit))
    cdef Span* negs = NULL
    cdef Span* more_negs
    cdef Hit* h
    cdef tuple value, e
    cdef object special, shown_obj, evidence
    cdef list keep = []  # the shown texts made here (a prefix's whole word, an INN drug)
    cdef double weight
    cdef bint drop
    if hits is NULL:
        raise MemoryError()
    try:
        for end_obj, value in automaton.iter(low):
            end = end_obj
            for e in <tuple>value[0]:  # plain: (group, back, rank, shown, weight)
                if n == cap:
                    hits = _grow(hits, &cap)
                h = &hits[n]
                h.group = e[0]
                h.start = end - <Py_ssize_t>e[1]
                h.stop = end
                h.seq = seq
                h.rank = e[2]
                h.shown = <PyObject*>e[3]
                h.weight = e[4]
                n += 1
            special = value[1]
            if special is not None:
                # (group, weight, back, kind, evidence, shown, rank)
                for e in <tuple>special:
                    kind = e[3]
                    back = e[2]
                    stop = end
                    start = end - back
                    shown_obj = e[5]
                    if kind == PREFIX:
                        stop = low.find(" ", end + 1)
                        shown_obj = low[start : stop if stop >= 0 else len(low) - 1]
                        keep.append(shown_obj)
                    elif kind == SUFFIX:
                        # A drug too new for the ATC list, known by its INN stem (-mab, -tinib).
                        k = low.rfind(" ", 0, start) + 1
                        if end - k < back + 3:
                            continue
                        evidence = e[4]
                        shown_obj = f"{low[k:end]} [INN -{evidence}]"
                        keep.append(shown_obj)
                    elif kind == CASED:
                        evidence = e[4]
                        if cased[start : start + len(evidence)] != evidence:
                            continue
                    else:
                        if kind == NEGATIVE_PREFIX:
                            stop = low.find(" ", end + 1)
                        if nneg == negcap:
                            negcap = negcap * 2 if negcap else 8
                            more_negs = <Span*>realloc(negs, negcap * sizeof(Span))
                            if more_negs is NULL:
                                raise MemoryError()
                            negs = more_negs
                        negs[nneg].group = e[0]
                        negs[nneg].start = start
                        negs[nneg].stop = stop
                        nneg += 1
                        continue
                    if n == cap:
                        hits = _grow(hits, &cap)
                    h = &hits[n]
                    h.group = e[0]
                    h.start = start
                    h.stop = stop
                    h.seq = seq
                    h.rank = e[6]
                    h.shown = <PyObject*>shown_obj
                    h.weight = e[1]
                    n += 1
            seq += 1
        if nneg:  # a negative cancels its group's hits inside its span
            j = 0
            for i in range(n):
                drop = False
                for k in range(nneg):
                    if (negs[k].group == hits[i].group and negs[k].start <= hits[i].start
                            and hits[i].stop <= negs[k].stop):
                        drop = True
                        break
                if not drop:
                    hits[j] = hits[i]
                    j += 1
            n = j
        qsort(hits, n, sizeof(Hit), _by_position)
        return _evidence(hits, n, title_end)
    finally:
        free(hits)
        free(negs)


cdef dict _evidence(Hit* hits, Py_ssize_t n, Py_ssize_t title_end):
    """veille.tag_match._evidence over the sorted hits."""
    cdef dict groups = {}
    cdef dict slot = None
    cdef Py_ssize_t group = -1, start = -1, stop = -1, i
    cdef object shown = None
    cdef object hit_shown
    cdef double weight = 0.0
    cdef list ev
    cdef Hit* h
    for i in range(n):
        h = &hits[i]
        if h.group == group:
            if h.start == start:  # same start: h is as long or longer than the kept one
                if h.stop > stop:
                    stop, shown, weight = h.stop, <object>h.shown, h.weight
                elif h.weight > weight or (
                    h.weight == weight and "[" in <str>h.shown and "[" not in <str>shown
                ):
                    stop, shown, weight = h.stop, <object>h.shown, h.weight
                continue
            if h.stop <= stop:
                continue  # inside the kept hit
            _count(slot, shown, weight, start < title_end)
        else:
            if group >= 0:
                _count(slot, shown, weight, start < title_end)
            slot = {}
            groups[h.group] = slot
            group = h.group
        start, stop, shown, weight = h.start, h.stop, <object>h.shown, h.weight
    if group >= 0:
        _count(slot, shown, weight, start < title_end)
    return groups


cdef inline void _count(dict slot, object shown, double weight, bint in_title):
    """Count a kept hit: [weight, in title (0/1), body hits]."""
    cdef object found = slot.get(shown)
    cdef list ev
    if found is None:
        slot[shown] = [weight, 1.0, 0.0] if in_title else [weight, 0.0, 1.0]
        return
    ev = <list>found
    if weight > <double>ev[0]:
        ev[0] = weight
    if in_title:
        ev[1] = 1.0
    else:
        ev[2] = <double>ev[2] + 1.0


def group_score(dict evidence, double title_weight):
    """veille.tag_score.group_score, compiled: the same arithmetic in the same order."""
    cdef double score = 0.0, weight, title, body
    cdef bint in_title = False
    cdef list ev
    if len(evidence) == 1:  # most groups: one term, scored in one step
        for found in evidence.values():
            ev = <list>found
            weight, title, body = ev[0], ev[1], ev[2]
            if weight <= WEAK_WEIGHT:
                return 0.0, False
            score = weight * title_weight if title else 0.0
            if body:
                if body > 1.0 and weight >= 1.0:
                    score += weight * (1.0 + 0.5 * min(body - 1.0, 2.0))
                else:
                    score += weight
            return score, title > 0.0
    for found in evidence.values():
        ev = <list>found
        weight, title, body = ev[0], ev[1], ev[2]
        if title:
            score += weight * title_weight
            in_title = True
        if body:
            # Repeats add up for full terms only: "PR ... (PR)" is still one weak hint.
            if body > 1.0 and weight >= 1.0:
                score += weight * (1.0 + 0.5 * min(body - 1.0, 2.0))
            else:
                score += weight
    return score, in_title
