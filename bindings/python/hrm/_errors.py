"""Python exceptions for hrm status codes.

Every failed C call raises an hrm.Error subclass chosen by the status code. The exception keeps the
code (.code, .code_name) and the C message (str(e), .message). Subclasses also derive from the
closest built-in exception, so `except ValueError` catches a malformed puzzle as Python code expects.
"""
from . import _abi


class Error(Exception):
    """A failed hrm call: .code is the HRM_E_* code, .message the C message."""

    code = _abi.HRM_E_INTERNAL
    code_name = "internal error"

    def __init__(self, message, code=None):
        # One positional argument keeps str(e) == message, also for the OSError subclass.
        super().__init__(message)
        self.message = message
        if code is not None and code != type(self).code:
            self.code = code
            self.code_name = "unknown error"   # a code this version of the bindings does not know

    def __str__(self):
        return self.message


class InvalidArgumentError(Error, ValueError):
    code, code_name = _abi.HRM_E_INVALID_ARG, "invalid argument"


class NotFoundError(Error, LookupError):
    code, code_name = _abi.HRM_E_NOT_FOUND, "not found"


class UnsupportedError(Error, NotImplementedError):
    code, code_name = _abi.HRM_E_UNSUPPORTED, "unsupported"


class VersionError(Error):
    code, code_name = _abi.HRM_E_VERSION, "version mismatch"


class PluginError(Error):
    code, code_name = _abi.HRM_E_PLUGIN, "plugin error"


class InputOutputError(Error, OSError):
    code, code_name = _abi.HRM_E_IO, "i/o error"


class FormatError(Error, ValueError):
    code, code_name = _abi.HRM_E_FORMAT, "format error"


class OutOfMemoryError(Error, MemoryError):
    code, code_name = _abi.HRM_E_OUT_OF_MEMORY, "out of memory"


class CancelledError(Error):
    """The solve was stopped by the progress callback; .results holds every result (finished ones
    complete, the others with a CancelledError in .error)."""

    code, code_name = _abi.HRM_E_CANCELLED, "cancelled"
    results = None


class InternalError(Error, RuntimeError):
    code, code_name = _abi.HRM_E_INTERNAL, "internal error"


class ClosedError(InvalidArgumentError):
    """Use of a runtime, instance, state or session after close(): a caller error caught in Python
    before it could reach freed C memory."""


class LibraryNotFoundError(Error, ImportError):
    """libhrm.so could not be found or loaded (see hrm.library_path)."""

    code, code_name = _abi.HRM_E_NOT_FOUND, "not found"


_BY_CODE = {cls.code: cls for cls in (InvalidArgumentError, NotFoundError, UnsupportedError, VersionError,
                                      PluginError, InputOutputError, FormatError, OutOfMemoryError,
                                      CancelledError, InternalError)}


def error_for(code, message):
    """The exception object for a status code and message (codes this version does not know, from
    a newer libhrm, become a plain Error that still carries the code)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        return Error(message, code)
    return cls(message)
