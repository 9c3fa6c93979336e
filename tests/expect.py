#!/usr/bin/env python3
"""Runs a command and checks both its exit status and its output.

CTest's PASS_REGULAR_EXPRESSION replaces the exit-status check: a test
that only matches text passes whatever the status (a crash after the
text, a usage error where a finding was wanted). This wrapper checks all:

  expect.py [--status N] [--match RE]... [--no-match RE]... -- CMD [ARG...]

--status N     the exit status CMD must have (default 0)
--match RE     a regular expression (Python re, DOTALL off: use [^\\n]* to
               span lines) that must occur in CMD's stdout+stderr; each
               --match must
--no-match RE  one that must not occur

CMD's output is passed through; a failed expectation is said on the last
line, and the status is 1.
"""
import re
import subprocess
import sys


def main(argv):
    status, must, mustnt = 0, [], []
    i = 0
    while i < len(argv) and argv[i] != "--":
        opt = argv[i]
        if opt in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if opt not in ("--status", "--match", "--no-match") or i + 1 >= len(argv):
            print(f"expect.py: bad option '{opt}' (see --help)", file=sys.stderr)
            return 2
        val = argv[i + 1]
        if opt == "--status":
            status = int(val)
        else:
            (must if opt == "--match" else mustnt).append(re.compile(val))
        i += 2
    cmd = argv[i + 1:]
    if not cmd:
        print("expect.py: no command after --", file=sys.stderr)
        return 2
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode(errors="replace")
    sys.stdout.write(out)
    bad = []
    if p.returncode != status:
        bad.append(f"exit status {p.returncode}, expected {status}")
    bad += [f"no match for /{r.pattern}/" for r in must if not r.search(out)]
    bad += [f"unexpected match for /{r.pattern}/" for r in mustnt if r.search(out)]
    if bad:
        print("expect.py: " + "; ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
