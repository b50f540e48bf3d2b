"""Templates compiled once per test process: each test creates its own app (and with it a new Jinja
environment), and compiling every template again for each test was a large part of the suite's
time. Shared by every environment of the same settings; a template whose source changed is
compiled again (Jinja compares the source's checksum)."""
from __future__ import annotations

from jinja2 import BytecodeCache


def _settings(environment) -> tuple:
    """What a template's compiled code depends on besides its source."""
    return (environment.trim_blocks, environment.lstrip_blocks, environment.keep_trailing_newline,
            environment.newline_sequence, environment.block_start_string,
            environment.variable_start_string, environment.comment_start_string,
            environment.line_statement_prefix, environment.line_comment_prefix,
            tuple(sorted(environment.extensions)), getattr(environment, "newstyle_gettext", None),
            environment.optimized)


class CompiledTemplates(BytecodeCache):
    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket) -> None:
        checksum, code = self.code.get((bucket.key, _settings(bucket.environment)), (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket) -> None:
        self.code[(bucket.key, _settings(bucket.environment))] = (bucket.checksum, bucket.code)
