"""Each log line is written whole: the workers of `serve` share one stderr, and a line written in
two pieces (the message, then its newline) could be cut by another worker's line, leaving two JSON
objects on one line that no log shipper parses (seen in test_serve_stop's log)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

LINES = 3000
WRITERS = 4

_WRITER = textwrap.dedent(
    """
    import sys
    import structlog
    from ledger.logs import configure
    configure("json", "info")
    log = structlog.get_logger("t")
    for i in range(int(sys.argv[1])):
        log.info("line", writer=sys.argv[2], i=i)
    """
)


def test_lines_from_processes_sharing_stderr_never_interleave(tmp_path):
    out = tmp_path / "shared.log"
    with out.open("wb") as shared:  # (one open file, inherited by every writer, as granian's workers do)
        writers = [
            subprocess.Popen([sys.executable, "-c", _WRITER, str(LINES), str(w)], stderr=shared) for w in range(WRITERS)
        ]
        for writer in writers:
            assert writer.wait(120) == 0
    seen = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(seen) == LINES * WRITERS
    for w in range(WRITERS):
        assert [e["i"] for e in seen if e["writer"] == str(w)] == list(range(LINES))
