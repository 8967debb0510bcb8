"""Reading an HR export (花名册) into normalised person rows, as a mapping file describes it.

The mapping file names the export's format, which source column feeds which person field, how coded values
translate (``在职`` → ``active``) and which rows are in scope (a SCIM filter, RFC 7644 §3.4.2.2)::

    source: {format: csv, encoding: auto}      # csv | xlsx (with `sheet:`) | json | jsonl; serial_dates: [...]
    key: employee_id
    columns: {employee_id: 工号, name: 姓名, phone: 手机, start_date: 入职日期, status: 在职状态, ...}
    values: {status: {在职: active, 离职: terminated, 待入职: pending}}
    scope: 'employment_type ne "实习"'

Only mapped columns are read into the result: an export often carries columns such as 身份证号 (national ID)
that must never be copied anywhere. Each data row becomes a :class:`~groupid.sources.SourceRow` (every value
normalised), a :class:`~groupid.sources.Rejection` (with every reason, nothing half-normalised) or an
:class:`~groupid.sources.OutOfScope` row: the export is a :class:`~groupid.sources.PeopleSource` named ``hr``,
registered as such (``source_reader("hr")`` is :func:`read_people`). Nothing is
guessed: a value that could be read two ways, holds a control character or is longer than Keycloak stores
rejects its row; a file that cannot be read is a :class:`~groupid.errors.SourceError` naming it.

The package follows the reading: ``tables`` reads the export whatever its format, ``normalise`` turns cells into
values, ``scope`` compiles the filter, ``mapping`` loads the mapping file, ``rows`` puts it all together.
"""

from groupid.sources import register_source
from groupid.sources.hr.mapping import Mapping, Source, load_mapping
from groupid.sources.hr.normalise import (
    DATE_FIELDS,
    FIELDS,
    clean_text,
    excel_date,
    normalise_email,
    normalise_phone,
    parse_date,
    to_half_width,
    translate,
)
from groupid.sources.hr.rows import HR, SourceRows, read_people
from groupid.sources.hr.scope import Scope
from groupid.sources.hr.tables import cell_text

__all__ = [
    "DATE_FIELDS", "FIELDS", "HR", "Mapping", "Scope", "Source", "SourceRows",
    "cell_text", "clean_text", "excel_date", "load_mapping", "normalise_email", "normalise_phone", "parse_date",
    "read_people", "to_half_width", "translate",
]

register_source(HR, read_people)
