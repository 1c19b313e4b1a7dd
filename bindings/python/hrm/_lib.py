"""Finding and loading libhrm.so, the prototypes of its functions, and status checking.

The library is loaded on first use, not at import, so `import hrm` works (and the struct mirrors
can be tested) on a machine where libhrm is not installed yet.
"""
import ctypes
import ctypes.util
import os
import sys
import threading
from ctypes import POINTER, c_char_p, c_int32, c_int64, c_size_t, c_uint32, c_void_p

from . import _abi
from ._errors import InvalidArgumentError, LibraryNotFoundError, VersionError, error_for

# The soname first (libhrm.so.1 = ABI major 1, what the mirrors describe); the unversioned name is
# a development symlink that runtime-only installations may not have.
_NAMES = ("libhrm.so.%d" % _abi.ABI_MAJOR, "libhrm.so")

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def repository():
    """The hrm-sdk source tree these bindings come from, or None. A wheel built by _build/hrm_build.py
    records it in hrm/_source.py (an installed package no longer sits in the tree); a package run
    from the tree finds it from its own location."""
    try:
        from ._source import REPOSITORY   # written into wheels only
    except ImportError:
        REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(_PACKAGE_DIR)))   # bindings/python/hrm
    return REPOSITORY if REPOSITORY and os.path.isfile(os.path.join(REPOSITORY, "CMakeLists.txt")) else None


def _install_dirs():
    """Library folders of installation trees, most specific first."""
    dirs = []
    # A package installed into <prefix>/lib/pythonX.Y/site-packages/hrm: <prefix>/lib and lib64.
    prefix = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(_PACKAGE_DIR))))
    for base in (prefix, sys.prefix, sys.base_prefix, "/usr/local", "/usr"):
        for lib in ("lib", "lib64", os.path.join("lib", "x86_64-linux-gnu")):
            d = os.path.join(base, lib)
            if d not in dirs:
                dirs.append(d)
    return dirs


def _build_dirs():
    """Library folders of build trees: $HRM_BUILD_DIR, else <repository>/build (also for a package
    pip-installed from the repository: the wheel remembers where it was built)."""
    build = os.environ.get("HRM_BUILD_DIR")
    if not build:
        repo = repository()
        if not repo:
            return []
        build = os.path.join(repo, "build")
    return [os.path.join(build, "lib")]


def candidates():
    """Every path tried, in order: $HRM_LIBRARY, installation trees, the system loader's cache,
    build trees. Useful to explain a LibraryNotFoundError."""
    paths = []
    env = os.environ.get("HRM_LIBRARY")
    if env:
        paths.append(env)
    for d in _install_dirs():
        paths.extend(os.path.join(d, n) for n in _NAMES)
    found = ctypes.util.find_library("hrm")   # ldconfig's cache: custom prefixes in ld.so.conf
    if found:
        paths.append(found)
    for d in _build_dirs():
        paths.extend(os.path.join(d, n) for n in _NAMES)
    return paths


def _find():
    env = os.environ.get("HRM_LIBRARY")
    if env:
        # An explicit choice is never second-guessed: if it is wrong, say so.
        if not os.path.exists(env):
            raise LibraryNotFoundError("HRM_LIBRARY=%s: no such file" % env)
        return env
    for path in candidates():
        if os.path.isabs(path) and os.path.exists(path):
            return path
        if not os.path.isabs(path):   # a bare soname from find_library: the loader resolves it
            return path
    raise LibraryNotFoundError(
        "libhrm.so not found; set HRM_LIBRARY to its path (e.g. build/lib/libhrm.so) or HRM_BUILD_DIR to a "
        "build tree (e.g. build). Looked in:\n  "
        + "\n  ".join(candidates()))


# name -> (restype, argtypes). Only functions of hrm.h; sessions are looked up separately because
# a libhrm built without the scheduler does not export them.
_PROTOTYPES = {
    "hrm_api_version": (c_uint32, []),
    "hrm_abi_major": (c_uint32, []),
    "hrm_version_string": (c_char_p, []),
    "hrm_status_code": (c_int32, [c_void_p]),
    "hrm_status_message": (c_char_p, [c_void_p]),
    "hrm_status_free": (None, [c_void_p]),
    "hrm_code_name": (c_char_p, [c_int32]),
    "hrm_free": (None, [c_void_p]),
    "hrm_runtime_params_init": (None, [POINTER(_abi.RuntimeParams), c_size_t]),
    "hrm_runtime_create": (c_void_p, [POINTER(_abi.RuntimeParams), POINTER(c_void_p)]),
    "hrm_runtime_free": (None, [c_void_p]),
    "hrm_runtime_load_plugin": (c_void_p, [c_void_p, c_char_p]),
    "hrm_runtime_load_dir": (c_void_p, [c_void_p, c_char_p, POINTER(c_int32)]),
    "hrm_runtime_load_default": (c_void_p, [c_void_p, POINTER(c_int32)]),
    "hrm_runtime_plugin_count": (c_int32, [c_void_p]),
    "hrm_runtime_plugin": (c_void_p, [c_void_p, c_int32, POINTER(_abi.PluginRecord)]),
    "hrm_runtime_class_count": (c_int32, [c_void_p]),
    "hrm_runtime_class": (POINTER(_abi.Descriptor), [c_void_p, c_int32, POINTER(c_int32)]),
    "hrm_instance_create": (c_void_p, [c_void_p, c_int32, c_char_p, POINTER(_abi.InstanceParams),
                                       POINTER(c_void_p)]),
    "hrm_instance_free": (None, [c_void_p]),
    "hrm_instance_kind": (c_int32, [c_void_p]),
    "hrm_instance_model": (POINTER(_abi.Model), [c_void_p]),
    "hrm_instance_encoder": (POINTER(_abi.Encoder), [c_void_p]),
    "hrm_instance_policy": (POINTER(_abi.Policy), [c_void_p]),
}

_SESSION_PROTOTYPES = {
    "hrm_session_params_init": (None, [POINTER(_abi.SessionParams), c_size_t]),
    "hrm_session_create": (c_void_p, [c_void_p, c_void_p, c_void_p, POINTER(_abi.SessionParams),
                                      POINTER(c_void_p)]),
    "hrm_session_free": (None, [c_void_p]),
    "hrm_result_clear": (None, [POINTER(_abi.Result)]),
    "hrm_session_solve": (c_void_p, [c_void_p, POINTER(_abi.Blob), c_int64, POINTER(_abi.Result), c_size_t,
                                     _abi.PROGRESS_FN, c_void_p]),
}

_lock = threading.Lock()
_lib = None
_path = None


def lib():
    """The loaded libhrm with prototypes set (loaded and version-checked on the first call)."""
    global _lib, _path
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            path = _find()
            try:
                handle = ctypes.CDLL(path)
            except OSError as e:
                raise LibraryNotFoundError("cannot load %s: %s" % (path, e)) from None
            for name, (restype, argtypes) in _PROTOTYPES.items():
                try:
                    fn = getattr(handle, name)
                except AttributeError:
                    raise LibraryNotFoundError("%s is not libhrm: it lacks %s" % (path, name)) from None
                fn.restype, fn.argtypes = restype, argtypes
            for name, (restype, argtypes) in _SESSION_PROTOTYPES.items():
                fn = getattr(handle, name, None)
                if fn is not None:
                    fn.restype, fn.argtypes = restype, argtypes
            major, api = handle.hrm_abi_major(), handle.hrm_api_version()
            # The mirrors are of ABI major 1; a newer API version only appended members, which the
            # C side never writes past our struct_size.
            if major != _abi.ABI_MAJOR or api < 1:
                raise VersionError("%s speaks ABI major %d (API %d); these bindings need ABI major %d"
                                   % (path, major, api, _abi.ABI_MAJOR))
            _path = path
            _lib = handle
    return _lib


def library_path():
    """The path libhrm was loaded from (loading it if needed)."""
    lib()
    return _path


def has_sessions():
    """Whether the loaded libhrm has the session API (it is built from sdk/sched)."""
    return hasattr(lib(), "hrm_session_solve")


def status_error(status):
    """Turn a non-NULL hrm_status* into an exception object and free the status."""
    l = lib()
    code = l.hrm_status_code(status)
    message = (l.hrm_status_message(status) or b"").decode("utf-8", "replace")
    l.hrm_status_free(status)
    return error_for(code, message)


def check(status):
    """Raise the status as an hrm.Error subclass unless it is NULL (None from ctypes)."""
    if status:
        raise status_error(status)


def integer(value, name, ctype, minimum=None):
    """value as a Python int that fits ctype (c_int32, c_int64, c_uint64, ...): ctypes would wrap
    2**32 + 1 to 1 silently. bool and float are refused too: threads=2.5 is a mistake, not 2.
    minimum raises the lower end where the C call refuses less, so the message names the range the
    call accepts, not the C type's."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError("%s must be an integer, not %s" % (name, type(value).__name__))
    value = value.__index__()
    bits = 8 * ctypes.sizeof(ctype)
    signed = ctype(-1).value < 0
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if minimum is not None:
        lo = max(lo, minimum)
    if not lo <= value <= hi:
        raise InvalidArgumentError("%s = %d is out of range [%d, %d]" % (name, value, lo, hi))
    return value


def choice(enum_type, value, name):
    """A member of enum_type from its name (any case) or its value; a bad one is a ValueError
    (hrm.InvalidArgumentError) naming the valid names, not a KeyError."""
    try:
        if isinstance(value, str):
            return enum_type[value.upper()]
        return enum_type(value)
    except (KeyError, ValueError):
        names = ", ".join(repr(m.name.lower()) for m in enum_type)
        raise InvalidArgumentError("%s must be one of %s, not %r" % (name, names, value)) from None


def text(s):
    """A str/bytes/PathLike argument as NUL-terminated UTF-8 bytes for a const char* parameter."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    return os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode("utf-8")


class Closing:
    """close() on leaving a `with` block and when garbage collected (base of Runtime, Session,
    Instance and ModelState). A subclass defines close() and names in _open_attr the attribute
    that holds what close() frees (None once closed)."""

    _open_attr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def closed(self):
        """True once close() has run."""
        return not getattr(self, self._open_attr, None)

    def __del__(self):
        # Only reached when nothing refers to this object any more. At interpreter exit module
        # globals may already be gone: then the process is ending anyway.
        try:
            if getattr(self, self._open_attr, None):
                self.close()
        except Exception:
            pass
