"""hrm: Python bindings of hrm-sdk (libhrm.so) over ctypes.

    import hrm
    with hrm.Runtime() as rt:
        with rt.session(model=hrm.bundled_model("sudoku"), task="sudoku", policy="q-halt") as s:
            for r in s.solve(open("puzzles.txt").read().splitlines()):
                print(r.solution, r.verified, r.segments)

libhrm.so is found through $HRM_LIBRARY, then installation trees, then the build tree
($HRM_BUILD_DIR, else <repository>/build). Plugins through the runtime's plugin_path, then
$HRM_PLUGIN_PATH, then the plugins installed next to libhrm.
"""
from ._abi import ABI_MAJOR, API_VERSION
from ._errors import (CancelledError, ClosedError, Error, FormatError, InputOutputError, InternalError,
                      InvalidArgumentError, LibraryNotFoundError, NotFoundError, OutOfMemoryError, PluginError,
                      UnsupportedError, VersionError)
from ._instances import (Caps, Encoded, EncodedBatch, Encoder, EncoderSpec, Instance, Kind, Level, Model,
                         ModelSpec, ModelState, Policy, PolicySpec, Precision, Readout, RenderFormat, SolveStats)
from ._lib import has_sessions, library_path
from ._runtime import ClassInfo, PluginInfo, Result, Runtime, Session, bundled_model
from ._tensor import numpy_enabled

__version__ = "0.1.0"


def version() -> str:
    """The release version of the loaded libhrm ("0.1.0")."""
    from ._lib import lib
    return lib().hrm_version_string().decode()


__all__ = [
    "ABI_MAJOR", "API_VERSION", "CancelledError", "Caps", "ClassInfo", "ClosedError", "Encoded", "EncodedBatch",
    "Encoder", "EncoderSpec", "Error", "FormatError", "InputOutputError", "Instance", "InternalError",
    "InvalidArgumentError", "Kind", "Level", "LibraryNotFoundError", "Model", "ModelSpec", "ModelState",
    "NotFoundError", "OutOfMemoryError", "PluginError", "PluginInfo", "Policy", "PolicySpec", "Precision",
    "Readout", "RenderFormat", "Result", "Runtime", "Session", "SolveStats", "UnsupportedError", "VersionError",
    "bundled_model", "has_sessions", "library_path", "numpy_enabled", "version",
]
