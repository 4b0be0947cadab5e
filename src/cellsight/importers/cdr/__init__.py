"""Operator call records (CDRs) in whatever layout the network sends them.

No two operators lay records out alike and each drifts over time, so columns
are recognised by meaning: a wide vocabulary of header words (calling, called,
A/B party, originating, terminating, other party, target, event type, direction,
first/last cell, LAC and CI, eNodeB and sector, IMEI, IMSI, date and time
together or apart, start and end, duration) and, where the header gives no
clue, by what the values look like. A template fixes a layout the vocabulary
cannot read alone.

Everything is decided once per column and done once per distinct value, never
row by row: the date format is chosen from a sample and applied by pyarrow's
strptime over the whole column; numbers, cells and event codes are worked out
per distinct string. Rows that cannot be used (no readable time, no party where
the kind needs one) are rejected with the row number a person would look for;
title, blank, repeated-header and totals rows are listed as skipped.

The package's parts: ``vocabulary`` (the header words as an ordered table of
rules), ``titles`` (what a file states above its rows), ``times``,
``durations``, ``codes`` (event codes and directions), ``parties`` (the party
layouts and who called whom), ``columns`` (roles by header and by values, and
the columns left out), ``context`` (one table's columns as the parts read
them), ``events``, ``sites`` (serving sites stated on the rows) and ``reader``
(the importer itself).
"""

from cellsight.importers.cdr.codes import decode_code
from cellsight.importers.cdr.columns import UNUSED_COLUMN, unused_columns
from cellsight.importers.cdr.context import _cells, _Context, _normalised, _text
from cellsight.importers.cdr.durations import parse_durations
from cellsight.importers.cdr.events import NO_DIRECTION, NO_EVENT_TYPE
from cellsight.importers.cdr.reader import read, sniff
from cellsight.importers.cdr.times import (_localise, _sample, _time_reasons, _times, localize_by_hour,
                                           parse_times)
from cellsight.importers.cdr.titles import title_target, title_zone
from cellsight.importers.cdr.vocabulary import (SERIAL_ROLES, TIME_ROLES, column_role, header_groups,
                                                header_score, map_columns, site_role, volume_role)

# The underscored names are the parts the tower-dump reader shares with this importer.
__all__ = ["NO_DIRECTION", "NO_EVENT_TYPE", "SERIAL_ROLES", "TIME_ROLES", "UNUSED_COLUMN", "_Context",
           "_cells", "_localise", "_normalised", "_sample", "_text", "_time_reasons", "_times", "column_role",
           "decode_code", "header_groups", "header_score", "localize_by_hour", "map_columns",
           "parse_durations", "parse_times", "read", "site_role", "sniff", "title_target", "title_zone",
           "unused_columns", "volume_role"]
