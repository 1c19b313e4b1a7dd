"""A small TOML writer for instance configs given as dicts: {"segments": 2} or
{"model": {"hidden_size": 64, ...}}. Python 3.11 reads TOML (tomllib) but cannot write it."""
import math

from ._errors import InvalidArgumentError


def _key(k):
    k = str(k)
    if k and all(c.isalnum() or c in "-_" for c in k):
        return k
    return _string(k)


def _string(s):
    escaped = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return '"%s"' % escaped


def _value(v, where):
    if isinstance(v, bool):   # before int: bool is an int
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x, where) for x in v) + "]"
    raise InvalidArgumentError("config %s: cannot write a %s as TOML" % (where, type(v).__name__))


def dumps(table):
    """TOML text of a dict of scalars, lists and nested dicts (tables)."""
    lines = []

    def emit(t, path):
        subtables = []
        for k, v in t.items():
            if isinstance(v, dict):
                subtables.append((k, v))
            else:
                lines.append("%s = %s" % (_key(k), _value(v, ".".join(path + [str(k)]))))
        for k, v in subtables:
            sub = path + [str(k)]
            lines.append("")
            lines.append("[%s]" % ".".join(_key(p) for p in sub))
            emit(v, sub)

    emit(table, [])
    return "\n".join(lines).lstrip("\n") + "\n"


try:
    import tomllib   # Python >= 3.11
except ImportError:  # pragma: no cover - older interpreters
    tomllib = None


def section(text, name):
    """The table `name` of TOML text, as TOML text holding just that table ("[task]\\ncanvas = 11\\n"),
    or None when there is none. Without tomllib (Python < 3.11) the section's lines are cut out
    as written: enough for the flat tables checkpoints store."""
    if tomllib is not None:
        try:
            table = tomllib.loads(text).get(name)
        except tomllib.TOMLDecodeError:
            return None
        return dumps({name: table}) if isinstance(table, dict) else None
    lines, inside = [], False
    for line in text.splitlines():
        header = line.strip()
        if header.startswith("["):
            inside = header == "[%s]" % name or header.startswith("[%s." % name)
        if inside:
            lines.append(line)
    return "\n".join(lines) + "\n" if lines else None


def value(text, table, key):
    """table.key of TOML text (a string value), or None. Without tomllib a regular expression finds
    `key = "..."` inside [table]: all the bindings need (model.arch)."""
    if tomllib is not None:
        try:
            v = tomllib.loads(text).get(table, {}).get(key)
        except (tomllib.TOMLDecodeError, AttributeError):
            return None
        return v if isinstance(v, str) else None
    import re
    m = re.search(r'^\[%s\][^\[]*?^\s*%s\s*=\s*["\']([^"\']*)["\']' % (re.escape(table), re.escape(key)), text,
                  re.M | re.S)
    return m.group(1) if m else None
