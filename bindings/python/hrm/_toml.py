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
