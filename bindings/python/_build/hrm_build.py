"""A minimal PEP 517 build backend for the pure-Python `hrm` package, standard library only.

Why not setuptools: pip builds in an isolated environment and would download setuptools, which
fails offline. This backend writes the wheel itself: the files of hrm/, plus the .dist-info
metadata (METADATA, WHEEL, RECORD) that the wheel format requires. build_editable (PEP 660)
writes a wheel with a .pth file pointing at this source folder instead.
"""
import base64
import hashlib
import io
import os
import tarfile
import zipfile

NAME = "hrm-sdk"
VERSION = "0.1.0"
SUMMARY = "Python bindings of hrm-sdk (libhrm.so): small recursive reasoning models"
REQUIRES_PYTHON = ">=3.8"

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DIST = NAME.replace("-", "_")
_DIST_INFO = "%s-%s.dist-info" % (_DIST, VERSION)
_WHEEL_NAME = "%s-%s-py3-none-any.whl" % (_DIST, VERSION)


def _metadata():
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nRequires-Python: %s\n"
            % (NAME, VERSION, SUMMARY, REQUIRES_PYTHON)).encode()


def _wheel_info():
    return b"Wheel-Version: 1.0\nGenerator: hrm_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files():
    """(archive name, path) of every .py file of the hrm package, and its py.typed marker (PEP 561:
    type checkers read the package's annotations)."""
    out = []
    for folder, _, files in os.walk(os.path.join(_ROOT, "hrm")):
        for f in sorted(files):
            if (f.endswith(".py") and f != "_source.py") or f == "py.typed":
                path = os.path.join(folder, f)
                out.append((os.path.relpath(path, _ROOT).replace(os.sep, "/"), path))
    return sorted(out)


def _write_wheel(directory, entries):
    """entries: (archive name, bytes). Adds the dist-info files and RECORD."""
    entries = list(entries) + [(_DIST_INFO + "/METADATA", _metadata()), (_DIST_INFO + "/WHEEL", _wheel_info())]
    record = []
    path = os.path.join(directory, _WHEEL_NAME)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
        record.append(_DIST_INFO + "/RECORD,,")
        z.writestr(_DIST_INFO + "/RECORD", "\n".join(record) + "\n")
    return _WHEEL_NAME


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _source_module():
    """hrm/_source.py of a wheel: the hrm-sdk tree it was built from, so that an installed package
    still finds that tree's build/lib/libhrm.so and models/ (hrm/_lib.py, repository())."""
    repo = os.path.dirname(os.path.dirname(_ROOT))   # bindings/python -> the repository
    if not os.path.isfile(os.path.join(repo, "sdk", "include", "hrm", "hrm.h")):
        repo = None   # built from an sdist: no tree to remember
    return ("# Written by _build/hrm_build.py when the wheel was built.\nREPOSITORY = %r\n" % repo).encode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = [(name, _read(path)) for name, path in _package_files()]
    return _write_wheel(wheel_directory, files + [("hrm/_source.py", _source_module())])


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth line adds this folder to sys.path: edits to hrm/ take effect without reinstalling.
    return _write_wheel(wheel_directory, [("%s.pth" % _DIST, (_ROOT + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (_DIST, VERSION)
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        files = [("pyproject.toml", os.path.join(_ROOT, "pyproject.toml")),
                 ("README.md", os.path.join(_ROOT, "README.md")),
                 ("_build/hrm_build.py", os.path.abspath(__file__))] + _package_files()
        for arc, path in files:
            tar.add(path, arcname=base + "/" + arc)
        info = tarfile.TarInfo(base + "/PKG-INFO")
        data = _metadata()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return name
