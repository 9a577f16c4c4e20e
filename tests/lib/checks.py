"""The assertion helper every Python test shares (standard library only).

check(cond, what) records one assertion and prints "ok" or "FAIL" with what it
asserted; a failed check does not stop the test, so one run shows every
failure. finish() prints the closing "checks: N passed, N failed" line and
exits non-zero when any check failed. Import it with
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
"""
import sys

_passes = [0]
_failures = []


def log(*args):
    print(*args, flush=True)


def check(cond, what):
    """Record an assertion; returns cond."""
    if cond:
        _passes[0] += 1
        log("ok   ", what)
    else:
        log("FAIL ", what)
        _failures.append(what)
    return cond


def failed():
    """The assertions that failed so far."""
    return list(_failures)


def finish():
    log("checks: %d passed, %d failed" % (_passes[0], len(_failures)))
    for what in _failures:
        log("  failed:", what)
    sys.exit(1 if _failures else 0)
