# fault: row_view prints bytes that are not UTF-8 and raises an exception whose message holds lone surrogates
# defence: output is decoded with replacement, exception text is escaped, so the report and results.json still write
# breaks: test_row_view
# says: ValueError
import os
import sys


def row_view(x, i):
    sys.stdout.buffer.write(b"\xff\xfe\x80 not utf-8 \xc3\x28\n")
    sys.stdout.flush()
    os.write(2, b"\xed\xa0\x80 surrogate bytes\n")
    raise ValueError(b"bad \xff bytes".decode("utf-8", "surrogateescape"))
