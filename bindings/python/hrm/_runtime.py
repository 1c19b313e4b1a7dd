"""The runtime (plugin loading, class listing, instance creation) and sessions (batch solving)."""
import json
import os
import re
import struct
import threading
from collections import namedtuple
from ctypes import byref, c_int32, c_void_p, sizeof, string_at

from . import _abi, _lib, _toml
from ._errors import ClosedError, InvalidArgumentError, NotFoundError, UnsupportedError, error_for
from ._instances import Encoder, Kind, Model, Policy, _list_of_instances, as_bytes, blob_of, precision_of

PluginInfo = namedtuple("PluginInfo", "id version path api_version abi_major")
ClassInfo = namedtuple("ClassInfo", "kind id name version vendor description url features plugin")

_LOG_LEVELS = {"debug": _abi.HRM_LOG_DEBUG, "info": _abi.HRM_LOG_INFO, "warn": _abi.HRM_LOG_WARN,
               "warning": _abi.HRM_LOG_WARN, "error": _abi.HRM_LOG_ERROR}


def _config_text(config):
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


try:
    import tomllib   # Python >= 3.11
except ImportError:  # pragma: no cover - older interpreters
    tomllib = None


def _arch_of_config(text):
    """model.arch of a TOML model config, or None (the plugin reports what is wrong with it)."""
    if tomllib is not None:
        try:
            return tomllib.loads(text).get("model", {}).get("arch")
        except (tomllib.TOMLDecodeError, AttributeError):
            return None
    # Without tomllib: `arch = "..."` inside the [model] table is all that is needed here.
    m = re.search(r'^\[model\][^\[]*?^\s*arch\s*=\s*"([^"]*)"', text, re.M | re.S)
    return m.group(1) if m else None


def _arch_of_checkpoint(path):
    """model.arch of the config in a safetensors checkpoint's metadata, or None."""
    try:
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(min(n, 1 << 26)))
        return _arch_of_config(header.get("__metadata__", {}).get("config", ""))
    except (OSError, ValueError, struct.error, AttributeError):
        return None   # not a readable checkpoint: the plugin says why


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

    def __init__(self, plugin_path=None, n_threads=0, log=None, log_level="warn", load=True):
        l = _lib.lib()
        self._runtime = None
        paths = self._plugin_path(plugin_path)
        params = _abi.RuntimeParams()
        l.hrm_runtime_params_init(byref(params), sizeof(params))
        params.n_threads = int(n_threads)
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
        params.log_level = _LOG_LEVELS[log_level] if isinstance(log_level, str) else int(log_level)
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
    def close(self):
        """Free the runtime. Instances created from it stay usable until they are closed."""
        runtime, self._runtime = self._runtime, None
        if runtime:
            _lib.lib().hrm_runtime_free(runtime)

    def _rt(self):
        if not self._runtime:
            raise ClosedError("the runtime is closed")
        return self._runtime

    # -- plugins ----------------------------------------------------------------------------------
    def load_default(self):
        """Load plugins from the search path; returns the number loaded."""
        n = c_int32(0)
        _lib.check(_lib.lib().hrm_runtime_load_default(self._rt(), byref(n)))
        return n.value

    def load_dir(self, folder):
        """Load every *.so of folder (broken ones are skipped with a logged warning)."""
        n = c_int32(0)
        _lib.check(_lib.lib().hrm_runtime_load_dir(self._rt(), _lib.text(folder), byref(n)))
        return n.value

    def load_plugin(self, path):
        """Load one plugin library; raises naming the file and the reason."""
        _lib.check(_lib.lib().hrm_runtime_load_plugin(self._rt(), _lib.text(path)))

    def plugins(self):
        """The loaded plugin libraries, as PluginInfo(id, version, path, api_version, abi_major)."""
        l, rt = _lib.lib(), self._rt()
        out = []
        for i in range(l.hrm_runtime_plugin_count(rt)):
            r = _abi.sized(_abi.PluginRecord)
            _lib.check(l.hrm_runtime_plugin(rt, i, byref(r)))
            out.append(PluginInfo(r.id.decode(), r.version.decode(), r.path.decode(), r.api_version, r.abi_major))
        return out

    def classes(self, kind=None):
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
        params.config, params.weights, params.seed = config_bytes, weights_bytes, int(seed)
        out = c_void_p()
        _lib.check(_lib.lib().hrm_instance_create(self._rt(), int(kind), _lib.text(name), byref(params), byref(out)))
        return out.value

    def encoder(self, name, config=None, seed=0):
        """An Encoder (task) by class name or id; config is TOML text, a dict or a path."""
        return Encoder(self._create(Kind.ENCODER, name, _config_text(config), seed=seed), self._log_fn)

    task = encoder

    def policy(self, name, config=None, seed=0):
        """A Policy by class name or id: "q-halt", "fixed", "verify", "stable", "multi-start", ..."""
        return Policy(self._create(Kind.POLICY, name, _config_text(config), seed=seed), self._log_fn)

    def model(self, path_or_name=None, *, config=None, weights=None, arch=None, seed=0):
        """A Model.

          rt.model("runs/x/model.safetensors")   a checkpoint (class and config from its metadata)
          rt.model("configs/models/small.toml")  a config file: fresh weights from seed
          rt.model(config={...})                 a config (TOML text, dict or path): fresh weights
          rt.model("hrm", weights="ckpt.safetensors", config=...)   a class name, explicitly

        The class is arch, else the name given, else model.arch of the config or checkpoint,
        else "hrm". A config given with a checkpoint replaces the one stored in it."""
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
        text = _config_text(config)
        if weights is not None and not os.path.exists(weights):
            raise NotFoundError("model: no checkpoint at %s" % weights)
        cls = arch or name or (text and _arch_of_config(text)) or (weights and _arch_of_checkpoint(weights)) or "hrm"
        return Model(self._create(Kind.MODEL, cls, text, weights=weights and os.fspath(weights), seed=seed),
                     self._log_fn)

    # -- sessions ---------------------------------------------------------------------------------
    def session(self, model, task, policy="q-halt", batch_size=64, threads=0, shard_size=0, precision=None,
                seed=0, task_config=None, policy_config=None):
        """A Session solving instances of task with model under policy.

        model, task and policy are instances, or names/paths the session creates (and then owns
        and closes with itself) via model(), encoder() and policy()."""
        if not _lib.has_sessions():
            raise UnsupportedError("%s has no session API (built without sdk/sched)" % _lib.library_path())
        owned = []
        try:
            if not isinstance(model, Model):
                model = self.model(model)
                owned.append(model)
            if not isinstance(task, Encoder):
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


class Result(namedtuple("Result", "instance solution segments q verified error seconds start")):
    """The outcome of one instance of Session.solve.

    solution  the decoded answer in the task's format (None when error is set)
    segments  ACT segments run
    q         (q_halt, q_continue) logits at the halt
    verified  True/False by the task's verifier, None when not checkable
    error     an hrm.Error (not raised) when this instance failed, e.g. a malformed puzzle
    seconds   wall time from the row's first segment to its halt
    start     the start chosen by a multi-start policy, else 0
    """

    @property
    def ok(self):
        return self.error is None


class Session(_lib.Closing):
    """Continuous-batching solver over a model, a task and a policy (rt.session(...)).

    solve() is serial per session: calls from several threads, or from inside a progress callback,
    raise InvalidArgumentError instead of racing."""

    _open_attr = "_session"

    def __init__(self, model, task, policy, owned=(), batch_size=64, threads=0, shard_size=0, precision=None,
                 seed=0):
        l = _lib.lib()
        self.model, self.task, self.policy = model, task, policy
        self._owned = list(owned)
        self._session = None
        self._busy = False
        self._lock = threading.Lock()
        params = _abi.SessionParams()
        l.hrm_session_params_init(byref(params), sizeof(params))
        params.n_threads = int(threads)
        params.batch_size = int(batch_size)
        params.shard_size = int(shard_size)
        prec = precision_of(precision)
        if prec is not None:
            params.precision = int(prec)
        params.seed = int(seed)
        acquired = []
        try:
            for inst in (model, task, policy):   # they must outlive the C session
                inst._acquire()
                acquired.append(inst)
            out = c_void_p()
            _lib.check(l.hrm_session_create(model.handle, task.handle, policy.handle, byref(params), byref(out)))
            self._session = out.value
        except BaseException:
            for inst in acquired:
                inst._release()
            raise

    def close(self):
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

    def solve(self, instances, progress=None):
        """Solve instances (str or bytes each); returns one Result per instance, in order.

        progress(done, total) is called after every segment on this thread; returning False stops
        the solve (hrm.CancelledError). Ctrl-C (or any exception) in it stops the solve too and is
        re-raised. Either way the exception's .results holds every Result: finished instances
        complete, the others carrying a CancelledError."""
        items = _list_of_instances(instances)
        data = [as_bytes(x) for x in items]
        n = len(data)
        with self._lock:
            if not self._session:
                raise ClosedError("the session is closed")
            if self._busy:
                raise InvalidArgumentError("the session is already solving (solve() is serial per session)")
            self._busy = True
        try:
            return self._solve(items, data, n, progress)
        finally:
            with self._lock:
                self._busy = False

    def _solve(self, items, data, n, progress):
        l = _lib.lib()
        blobs = (_abi.Blob * max(1, n))(*(blob_of(d) for d in data))
        results = (_abi.Result * max(1, n))()
        pending = []   # an exception raised inside the callback, re-raised once C has returned

        def on_progress(done, total, user_data):
            # Always installed, even without a progress function: running Python code here is what
            # lets a Ctrl-C, which arrives while C code runs, surface as KeyboardInterrupt now
            # rather than after the whole solve.
            try:
                return progress is None or progress(done, total) is not False
            except BaseException as e:
                pending.append(e)
                return False

        callback = _abi.PROGRESS_FN(on_progress)
        status = None
        try:
            status = l.hrm_session_solve(self._session, blobs, n, results, sizeof(_abi.Result), callback, None)
            out = [self._result(items[i], results[i]) for i in range(n)]
        finally:
            for i in range(n):
                l.hrm_result_clear(byref(results[i]))
        error = _lib.status_error(status) if status else None
        if pending:
            e = pending[0]
            _attach(e, out)
            raise e
        if error is not None:
            _attach(error, out)
            raise error
        return out

    @staticmethod
    def _result(instance, r):
        error = None
        if r.error:
            l = _lib.lib()
            message = (l.hrm_status_message(r.error) or b"").decode("utf-8", "replace")
            error = error_for(l.hrm_status_code(r.error), message)
        solution = None
        if r.solution.data:
            solution = string_at(r.solution.data, r.solution.size).decode("utf-8")
        verified = None if r.verified < 0 else bool(r.verified)
        return Result(instance, solution, r.segments, (r.q_halt, r.q_continue), verified, error, r.seconds, r.start)


def _attach(exception, results):
    try:
        exception.results = results
    except AttributeError:   # an exception type without a __dict__: nothing to attach to
        pass
