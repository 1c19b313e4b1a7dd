"""The runtime (plugin loading, class listing, instance creation) and sessions (batch solving)."""
from __future__ import annotations

import json
import os
import queue
import struct
import threading
from collections import namedtuple
from ctypes import byref, c_int32, c_int64, c_uint64, c_void_p, sizeof, string_at
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Union

from . import _abi, _lib, _toml
from ._errors import ClosedError, InvalidArgumentError, NotFoundError, UnsupportedError, error_for
from ._instances import Encoder, Kind, Model, Policy, _list_of_instances, as_bytes, blob_of, precision_of

PluginInfo = namedtuple("PluginInfo", "id version path api_version abi_major")
ClassInfo = namedtuple("ClassInfo", "kind id name version vendor description url features plugin")

_LOG_LEVELS = {"debug": _abi.HRM_LOG_DEBUG, "info": _abi.HRM_LOG_INFO, "warn": _abi.HRM_LOG_WARN,
               "warning": _abi.HRM_LOG_WARN, "error": _abi.HRM_LOG_ERROR}

# An instance config: TOML text, a dict written as TOML, or the path of a TOML file.
Config = Union[str, Dict[str, Any], "os.PathLike[str]", None]


def _config_text(config: Config) -> Optional[str]:
    """Instance config as TOML text: str is TOML text, a dict is written as TOML, a path-like
    object names a file to read."""
    if config is None or isinstance(config, str):
        return config
    if isinstance(config, dict):
        return _toml.dumps(config)
    if isinstance(config, os.PathLike):
        with open(config, encoding="utf-8") as f:
            return f.read()
    raise TypeError("config must be TOML text (str), a dict or a path, not %s" % type(config).__name__)


def _checkpoint_config(path):
    """The TOML config stored in a safetensors checkpoint's metadata, or None when the file is not
    a readable checkpoint (the model plugin then says what is wrong with it)."""
    try:
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(min(n, 1 << 26)))
        config = header.get("__metadata__", {}).get("config")
        return config if isinstance(config, str) else None
    except (OSError, ValueError, struct.error, AttributeError):
        return None


def _model_search_dirs():
    """Where bundled models are, in the runner's order (hosts/hrm/model_file.cpp): the installed
    <prefix>/share/hrm/models of the loaded libhrm, then the source tree's models/ (the tree of
    the build libhrm was loaded from, else the tree these bindings come from)."""
    dirs = []
    libdir = os.path.dirname(os.path.abspath(_lib.library_path()))
    prefix = os.path.dirname(libdir)
    if os.path.basename(prefix).startswith("lib"):   # <prefix>/lib/x86_64-linux-gnu
        prefix = os.path.dirname(prefix)
    dirs.append(os.path.join(prefix, "share", "hrm", "models"))
    cache = os.path.join(os.path.dirname(libdir), "CMakeCache.txt")   # <build>/lib/libhrm.so
    try:
        with open(cache, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("CMAKE_HOME_DIRECTORY:"):
                    dirs.append(os.path.join(line.split("=", 1)[1].strip(), "models"))
    except OSError:
        pass
    repo = _lib.repository()
    if repo:
        dirs.append(os.path.join(repo, "models"))
    return list(dict.fromkeys(dirs))


def bundled_model(task: "str | Encoder") -> str:
    """The path of the bundled model of a task ("sudoku", "maze", "gridnav", or an Encoder), found
    where `hrm solve` finds it; raises hrm.NotFoundError naming the places it looked."""
    name = task.name if isinstance(task, Encoder) else str(task)
    looked = []
    for d in _model_search_dirs():
        path = os.path.join(d, name + ".safetensors")
        if os.path.isfile(path):
            return path
        looked.append(path)
    raise NotFoundError("no bundled model for task %r (looked in: %s)" % (name, ", ".join(looked)))


class Runtime(_lib.Closing):
    """Loads plugins and creates instances of their classes.

    Runtime(plugin_path=None, n_threads=0, log=None, log_level="warn", load=True)
      plugin_path  folders searched before $HRM_PLUGIN_PATH and the installed plugins: a str with
                   ':'-separated folders, a path, or a list of them. Each must exist.
      n_threads    scheduler worker threads (0 = all cores)
      log          callable(level: int, message: str) receiving plugin and library messages, from
                   any thread (None = warnings and errors to stderr)
      load         load plugins from the search path now (else call load_default/load_dir/load_plugin)
    """

    _open_attr = "_runtime"

    def __init__(self, plugin_path: "str | os.PathLike | Iterable[str | os.PathLike] | None" = None,
                 n_threads: int = 0, log: Optional[Callable[[int, str], None]] = None,
                 log_level: "str | int" = "warn", load: bool = True):
        l = _lib.lib()
        self._runtime = None
        paths = self._plugin_path(plugin_path)
        params = _abi.RuntimeParams()
        l.hrm_runtime_params_init(byref(params), sizeof(params))
        # 0 (all cores) .. 2**31 - 1: checked here, since hrm_runtime_create only says "negative".
        params.n_threads = _lib.integer(n_threads, "n_threads", c_int32, minimum=0)
        self._path_bytes = _lib.text(os.pathsep.join(paths)) if paths else None
        params.plugin_path = self._path_bytes
        self._log_fn = None
        if log is not None:
            def on_log(level, message, user_data):
                try:
                    log(level, message.decode("utf-8", "replace"))
                except Exception:   # an exception cannot travel back into a C thread
                    pass
            self._log_fn = _abi.LOG_FN(on_log)
            params.log_fn = self._log_fn
        if isinstance(log_level, str):
            if log_level.lower() not in _LOG_LEVELS:
                raise InvalidArgumentError("log_level must be one of %s, not %r"
                                           % (", ".join(map(repr, _LOG_LEVELS)), log_level))
            params.log_level = _LOG_LEVELS[log_level.lower()]
        else:
            params.log_level = _lib.integer(log_level, "log_level", c_int32)
        out = c_void_p()
        _lib.check(l.hrm_runtime_create(byref(params), byref(out)))
        self._runtime = out.value
        if load:
            self.load_default()

    @staticmethod
    def _plugin_path(plugin_path):
        if plugin_path is None:
            return []
        items = [plugin_path] if isinstance(plugin_path, (str, bytes, os.PathLike)) else list(plugin_path)
        paths = []
        for item in items:
            paths.extend(p for p in os.fsdecode(item).split(os.pathsep) if p)
        for p in paths:
            # libhrm skips missing folders of its search path; an explicit argument that names one
            # is more likely a typo than a wish, so say so.
            if not os.path.isdir(p):
                raise NotFoundError("plugin_path: %s is not a folder" % p)
        return paths

    # -- lifetime ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Free the runtime. Instances created from it stay usable until they are closed."""
        runtime, self._runtime = self._runtime, None
        if runtime:
            _lib.lib().hrm_runtime_free(runtime)

    def _rt(self):
        if not self._runtime:
            raise ClosedError("the runtime is closed")
        return self._runtime

    # -- plugins ----------------------------------------------------------------------------------
    def load_default(self) -> int:
        """Load plugins from the search path; returns the number loaded."""
        n = c_int32(0)
        _lib.check(_lib.lib().hrm_runtime_load_default(self._rt(), byref(n)))
        return n.value

    def load_dir(self, folder: "str | os.PathLike") -> int:
        """Load every *.so of folder (broken ones are skipped with a logged warning)."""
        n = c_int32(0)
        _lib.check(_lib.lib().hrm_runtime_load_dir(self._rt(), _lib.text(folder), byref(n)))
        return n.value

    def load_plugin(self, path: "str | os.PathLike") -> None:
        """Load one plugin library; raises naming the file and the reason."""
        _lib.check(_lib.lib().hrm_runtime_load_plugin(self._rt(), _lib.text(path)))

    def plugins(self) -> List[PluginInfo]:
        """The loaded plugin libraries, as PluginInfo(id, version, path, api_version, abi_major)."""
        l, rt = _lib.lib(), self._rt()
        out = []
        for i in range(l.hrm_runtime_plugin_count(rt)):
            r = _abi.sized(_abi.PluginRecord)
            _lib.check(l.hrm_runtime_plugin(rt, i, byref(r)))
            out.append(PluginInfo(r.id.decode(), r.version.decode(), r.path.decode(), r.api_version, r.abi_major))
        return out

    def classes(self, kind: Optional[Kind] = None) -> List[ClassInfo]:
        """The classes of the loaded plugins (optionally of one Kind), as ClassInfo records."""
        l, rt = _lib.lib(), self._rt()
        plugins = self.plugins()
        out = []
        for i in range(l.hrm_runtime_class_count(rt)):
            index = c_int32(-1)
            d = l.hrm_runtime_class(rt, i, byref(index))
            if not d:
                continue
            d = d.contents
            if kind is not None and d.kind != kind:
                continue
            features = []
            j = 0
            while d.features and d.features[j]:
                features.append(d.features[j].decode())
                j += 1
            s = lambda b: (b or b"").decode("utf-8")
            out.append(ClassInfo(Kind(d.kind), s(d.id), s(d.name), s(d.version), s(d.vendor), s(d.description),
                                 s(d.url), tuple(features), plugins[index.value] if index.value >= 0 else None))
        return out

    # -- instances --------------------------------------------------------------------------------
    def _create(self, kind, name, config, weights=None, seed=0):
        params = _abi.InstanceParams()
        params.struct_size = sizeof(params)
        config_bytes, weights_bytes = _lib.text(config), _lib.text(weights)
        params.config, params.weights = config_bytes, weights_bytes
        params.seed = _lib.integer(seed, "seed", c_uint64)
        out = c_void_p()
        _lib.check(_lib.lib().hrm_instance_create(self._rt(), int(kind), _lib.text(name), byref(params), byref(out)))
        return out.value

    def encoder(self, name: str, config: Config = None, seed: int = 0) -> Encoder:
        """An Encoder (task) by class name or id; config is TOML text, a dict or a path."""
        return Encoder(self._create(Kind.ENCODER, name, _config_text(config), seed=seed), self._log_fn)

    task = encoder

    def policy(self, name: str, config: Config = None, seed: int = 0) -> Policy:
        """A Policy by class name or id: "q-halt", "fixed", "verify", "stable", "multi-start", ..."""
        return Policy(self._create(Kind.POLICY, name, _config_text(config), seed=seed), self._log_fn)

    def model(self, path_or_name: "str | os.PathLike | None" = None, *, config: Config = None,
              weights: "str | os.PathLike | None" = None, arch: "str | None" = None, seed: int = 0) -> Model:
        """A Model.

          rt.model("runs/x/model.safetensors")   a checkpoint (class and config from its metadata)
          rt.model(hrm.bundled_model("maze"))    the bundled model of a task
          rt.model("configs/models/small.toml")  a config file: fresh weights from seed
          rt.model(config={...})                 a config (TOML text, dict or path): fresh weights
          rt.model("hrm", weights="ckpt.safetensors", config=...)   a class name, explicitly

        The class is arch, else the name given, else model.arch of the config or checkpoint,
        else "hrm". A config given with a checkpoint replaces the one stored in it. A checkpoint's
        stored task table (e.g. a maze canvas) is model.task_config."""
        name = None
        if path_or_name is not None:
            p = os.fspath(path_or_name)
            is_path = isinstance(path_or_name, os.PathLike) or os.sep in p or p.endswith((".toml", ".safetensors"))
            if is_path and p.endswith(".toml"):
                if config is not None:
                    raise InvalidArgumentError("model: give a config file or config=, not both")
                with open(p, encoding="utf-8") as f:
                    config = f.read()
            elif is_path:
                if weights is not None:
                    raise InvalidArgumentError("model: give a checkpoint path or weights=, not both")
                weights = p
            else:
                name = p
        if weights is None and config is None:
            # A class name alone would make random weights of its default size: never what a
            # caller who forgot the checkpoint meant.
            raise InvalidArgumentError("model: give a checkpoint (a path, or hrm.bundled_model(task)), a config "
                                       "file or config=")
        text = _config_text(config)
        stored = None
        if weights is not None:
            weights = os.fspath(weights)
            if not os.path.exists(weights):
                raise NotFoundError("model: no checkpoint at %s" % weights)
            stored = _checkpoint_config(weights)
        cls = (arch or name or (text and _toml.value(text, "model", "arch"))
               or (stored and _toml.value(stored, "model", "arch")) or "hrm")
        model = Model(self._create(Kind.MODEL, cls, text, weights=weights, seed=seed), self._log_fn)
        model.path = weights
        model.task_config = _toml.section(stored, "task") if stored else None
        return model

    # -- sessions ---------------------------------------------------------------------------------
    def session(self, model: "Model | str | os.PathLike", task: "Encoder | str", policy: "Policy | str" = "q-halt",
                batch_size: int = 64, threads: int = 0, shard_size: int = 0, precision: "str | int | None" = None,
                seed: int = 0, task_config: Config = None, policy_config: Config = None) -> "Session":
        """A Session solving instances of task with model under policy.

        model, task and policy are instances, or names/paths the session creates (and then owns
        and closes with itself) via model(), encoder() and policy(). A task given by name without
        task_config gets the task table stored in the model's checkpoint, as `hrm solve` does:
        the bundled maze model needs its canvas (11), the gridnav model its window."""
        if not _lib.has_sessions():
            raise UnsupportedError("%s has no session API (built without sdk/sched)" % _lib.library_path())
        if model is None:
            raise InvalidArgumentError("session: model is required: a Model, a checkpoint path or "
                                       "hrm.bundled_model(%r)" % (task.name if isinstance(task, Encoder) else task))
        owned = []
        try:
            if not isinstance(model, Model):
                model = self.model(model)
                owned.append(model)
            if not isinstance(task, Encoder):
                if task_config is None:
                    task_config = model.task_config
                task = self.encoder(task, config=task_config)
                owned.append(task)
            if not isinstance(policy, Policy):
                policy = self.policy(policy, config=policy_config)
                owned.append(policy)
            return Session(model, task, policy, owned, batch_size=batch_size, threads=threads,
                           shard_size=shard_size, precision=precision, seed=seed)
        except BaseException:
            for inst in owned:
                inst.close()
            raise


class Result(namedtuple("Result", "instance solution segments q verified error seconds start index")):
    """The outcome of one instance of Session.solve.

    solution  the decoded answer in the task's format (None when error is set)
    segments  ACT segments run
    q         (q_halt, q_continue) logits at the halt
    verified  True/False by the task's verifier, None when not checkable
    error     an hrm.Error (not raised) when this instance failed, e.g. a malformed puzzle
    seconds   wall time from the row's first segment to its halt
    start     the start chosen by a multi-start policy, else 0
    index     the instance's position in the list given to solve()/solve_iter()
    """

    @property
    def ok(self) -> bool:
        return self.error is None


Progress = Optional[Callable[[int, int], Optional[bool]]]


class Session(_lib.Closing):
    """Continuous-batching solver over a model, a task and a policy (rt.session(...)).

    The C solve runs on a worker thread while the calling thread waits, so Ctrl-C (SIGINT, which
    Python handles on the main thread only) raises KeyboardInterrupt at once and stops the C solve
    at its next segment. solve() is serial per session: calls from several threads, or from inside
    a progress callback, raise InvalidArgumentError instead of racing."""

    _open_attr = "_session"

    def __init__(self, model: Model, task: Encoder, policy: Policy, owned=(), batch_size: int = 64,
                 threads: int = 0, shard_size: int = 0, precision: "str | int | None" = None, seed: int = 0):
        l = _lib.lib()
        self.model, self.task, self.policy = model, task, policy
        self._owned = list(owned)
        self._session = None
        self._busy = False
        self._lock = threading.Lock()
        params = _abi.SessionParams()
        l.hrm_session_params_init(byref(params), sizeof(params))
        params.n_threads = _lib.integer(threads, "threads", c_int32)
        params.batch_size = _lib.integer(batch_size, "batch_size", c_int64)
        params.shard_size = _lib.integer(shard_size, "shard_size", c_int64)
        prec = precision_of(precision)
        if prec is not None:
            params.precision = int(prec)
        params.seed = _lib.integer(seed, "seed", c_uint64)
        acquired = []
        try:
            for inst in (model, task, policy):   # they must outlive the C session
                inst._acquire()
                acquired.append(inst)
            out = c_void_p()
            status = l.hrm_session_create(model.handle, task.handle, policy.handle, byref(params), byref(out))
            if status:
                error = _lib.status_error(status)
                stored = getattr(model, "task_config", None)
                if stored:
                    # A mismatch with a checkpoint trained on another task config: say which one.
                    error = type(error)("%s (the model was trained with the task config %r: create the encoder "
                                        "with config=model.task_config, or pass the task by name)"
                                        % (error, stored.strip()), error.code)
                raise error
            self._session = out.value
        except BaseException:
            for inst in acquired:
                inst._release()
            raise

    def close(self) -> None:
        """Free the session, then the instances it created itself."""
        with self._lock:
            if self._busy:
                raise InvalidArgumentError("the session is solving: close it after solve() returns")
            session, self._session = self._session, None
        if not session:
            return
        _lib.lib().hrm_session_free(session)
        for inst in (self.model, self.task, self.policy):
            inst._release()
        for inst in self._owned:
            inst.close()

    def solve(self, instances: Iterable["str | bytes"], progress: Progress = None) -> List[Result]:
        """Solve instances (str or bytes each); returns one Result per instance, in order.

        progress(done, total) is called after every segment on this thread; returning False stops
        the solve (hrm.CancelledError). Ctrl-C, or any exception in progress, stops it too and is
        re-raised. Either way the exception's .results holds every Result: finished instances
        complete, the others carrying a CancelledError."""
        items = _list_of_instances(instances)
        out = [None] * len(items)
        rows = self._rows(items, progress)
        try:
            for r in rows:
                out[r.index] = r
        finally:
            rows.close()   # a Ctrl-C between two rows: stop and join the solve now, not at garbage collection
        return out

    def solve_iter(self, instances: Iterable["str | bytes"], progress: Progress = None) -> Iterator[Result]:
        """Like solve(), but yields each Result as soon as its row finishes (in finishing order; see
        Result.index). Leaving the loop early (break, an exception) cancels the rest of the solve."""
        return self._rows(_list_of_instances(instances), progress)

    def _rows(self, items, progress):
        data = [as_bytes(x) for x in items]   # type errors before anything starts
        with self._lock:
            if not self._session:
                raise ClosedError("the session is closed")
            if self._busy:
                raise InvalidArgumentError("the session is already solving (solve() is serial per session)")
            self._busy = True
        try:
            yield from self._solve(items, data, progress)
        finally:
            with self._lock:
                self._busy = False

    def _solve(self, items, data, progress):
        l = _lib.lib()
        n = len(data)
        blobs = (_abi.Blob * max(1, n))(*(blob_of(d) for d in data))
        results = (_abi.Result * max(1, n))()
        events = queue.Queue()    # worker -> caller: ("rows", [Result]), ("progress", ...), ("end",)
        stop = threading.Event()  # caller -> worker: return False from the next progress call
        outcome = {}
        pending = list(range(n))  # instances not yet reported; touched by the worker only
        seen = [0]

        def finished_rows(done):
            # The scheduler writes an instance's result before the progress call that counts it in
            # `done` (hrm.h). Slots are filled in order, so the new ones are near the front.
            want, rows, keep = done - seen[0], [], []
            for k, i in enumerate(pending):
                if len(rows) == want:
                    keep.extend(pending[k:])
                    break
                r = results[i]
                if r.segments > 0 or r.error:
                    rows.append(self._result(i, items[i], r))
                else:
                    keep.append(i)
            pending[:] = keep
            seen[0] = done
            return rows

        def on_progress(done, total, user_data):
            # On the worker thread. Nothing may escape into C ("Exception ignored on calling ctypes
            # callback"): a failure here stops the solve and is re-raised by the caller.
            try:
                if stop.is_set():
                    return False
                rows = finished_rows(done) if done > seen[0] else []
                if progress is None:
                    if rows:
                        events.put(("rows", rows))
                    return True
                # progress runs on the caller's thread; the solve waits for its verdict, so
                # returning False stops it right there, as documented.
                turn = threading.Event()
                events.put(("progress", rows, done, total, turn))
                while not turn.wait(0.05):
                    if stop.is_set():
                        return False
                return not stop.is_set()
            except BaseException as e:
                outcome.setdefault("exception", e)
                stop.set()
                return False

        callback = _abi.PROGRESS_FN(on_progress)

        def work():
            try:
                outcome["status"] = l.hrm_session_solve(self._session, blobs, n, results, sizeof(_abi.Result),
                                                        callback, None)
            except BaseException as e:   # pragma: no cover - ctypes itself failing
                outcome.setdefault("exception", e)
            finally:
                events.put(("end",))

        reported = {}
        interrupted = None
        worker = threading.Thread(target=work, name="hrm-session-solve", daemon=True)
        worker.start()
        try:
            while True:
                event = _get(events)
                if event[0] == "end":
                    break
                for r in event[1]:
                    reported[r.index] = r
                if event[0] == "progress":
                    try:
                        if progress(event[2], event[3]) is False:
                            stop.set()
                    except BaseException as e:
                        outcome.setdefault("exception", e)
                        stop.set()
                    finally:
                        event[4].set()
                yield from event[1]
        except BaseException as e:   # KeyboardInterrupt, or the caller leaving solve_iter (GeneratorExit)
            interrupted = e
            stop.set()
        _join(worker)   # the solve stops at its next segment; the C side still uses blobs and results
        try:
            everything = [reported.get(i) or self._result(i, items[i], results[i]) for i in range(n)]
        finally:
            for i in range(n):
                l.hrm_result_clear(byref(results[i]))
        status = outcome.get("status")
        error = _lib.status_error(status) if status else None
        failure = interrupted or outcome.get("exception") or error
        if failure is not None:
            _attach(failure, everything)
            raise failure
        for r in everything:
            if r.index not in reported:   # e.g. instances that failed to encode when none could run
                yield r

    @staticmethod
    def _result(index, instance, r):
        error = None
        if r.error:
            l = _lib.lib()
            message = (l.hrm_status_message(r.error) or b"").decode("utf-8", "replace")
            error = error_for(l.hrm_status_code(r.error), message)
        solution = None
        if r.solution.data:
            solution = string_at(r.solution.data, r.solution.size).decode("utf-8")
        verified = None if r.verified < 0 else bool(r.verified)
        return Result(instance, solution, r.segments, (r.q_halt, r.q_continue), verified, error, r.seconds, r.start,
                      index)


def _get(events):
    # Short timed waits: the wait is interruptible by Ctrl-C on every platform.
    while True:
        try:
            return events.get(timeout=0.1)
        except queue.Empty:
            pass


def _join(worker):
    """Wait for the solving thread to return. A second Ctrl-C meanwhile is absorbed: the solve is
    already stopping, and freeing its results under a running solve would crash."""
    while worker.is_alive():
        try:
            worker.join(0.1)
        except KeyboardInterrupt:
            pass


def _attach(exception, results):
    try:
        exception.results = results
    except AttributeError:   # an exception type without a __dict__: nothing to attach to
        pass
