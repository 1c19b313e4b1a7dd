'use strict';
// hrm-sdk for Node.js: the C API of libhrm.so through koffi (no compiler needed).
//
//   const hrm = require('hrm-sdk');
//   const rt = new hrm.Runtime();
//   const s = rt.session({ model: hrm.bundledModel('maze'), task: 'maze' });
//   for (const r of await s.solve(puzzles)) console.log(r.solution, r.verified);
//
// Every object frees its C handle in close() (or when garbage collected). An instance a session
// still uses is only marked closed and freed when the session lets go; any use after close()
// throws ClosedError instead of touching freed memory.
const fs = require('fs');
const path = require('path');
const abi = require('./abi');
const errors = require('./errors');
const toml = require('./toml');
const native = require('./native');

const { koffi, check, integer, choice, withBlobs, takeBlob } = native;
const C = abi.constants;
const { ClosedError, InvalidArgumentError, NotFoundError, UnsupportedError, CancelledError } = errors;

const Kind = Object.freeze({ MODEL: C.HRM_KIND_MODEL, ENCODER: C.HRM_KIND_ENCODER, POLICY: C.HRM_KIND_POLICY });
const KIND_NAMES = { [C.HRM_KIND_MODEL]: 'model', [C.HRM_KIND_ENCODER]: 'encoder', [C.HRM_KIND_POLICY]: 'policy' };
const LOG_LEVELS = { debug: C.HRM_LOG_DEBUG, info: C.HRM_LOG_INFO, warn: C.HRM_LOG_WARN, warning: C.HRM_LOG_WARN, error: C.HRM_LOG_ERROR };
const PRECISIONS = { fp32: C.HRM_PRECISION_FP32, bf16: C.HRM_PRECISION_BF16, int8: C.HRM_PRECISION_INT8 };
const RENDER_FORMATS = { text: C.HRM_RENDER_TEXT, ansi: C.HRM_RENDER_ANSI, svg: C.HRM_RENDER_SVG };

// Frees what a garbage-collected object left open. The held value is a cell shared with the
// object, never the object itself (that would keep it alive).
const finalizer = new FinalizationRegistry((cell) => cell.free());

function sized(type) {
  return { struct_size: koffi.sizeof(type) };
}

class Runtime {
  // new Runtime({ pluginPath, threads = 0, logLevel = 'warn', load = true })
  //   pluginPath  folder(s) searched before $HRM_PLUGIN_PATH and the installed plugins
  //   threads     scheduler worker threads (0 = all cores)
  //   load        load the plugins of the search path now (else loadDefault/loadDir/loadPlugin)
  // Messages of libhrm and the plugins go to stderr (warnings and errors by default).
  constructor({ pluginPath = null, threads = 0, logLevel = 'warn', load = true } = {}) {
    const l = native.lib();
    const paths = pluginPath === null ? [] : [].concat(pluginPath).flatMap((p) => String(p).split(path.delimiter)).filter(Boolean);
    for (const p of paths) {
      // libhrm skips missing folders of its search path; one named here is more likely a typo.
      if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) throw new NotFoundError(`pluginPath: ${p} is not a folder`);
    }
    const params = sized(abi.RuntimeParams);
    l.hrm_runtime_params_init(params, koffi.sizeof(abi.RuntimeParams));
    params.n_threads = integer(threads, 'threads', 'int32');
    params.plugin_path = paths.length ? paths.join(path.delimiter) : null;
    params.log_level = typeof logLevel === 'string' ? choice(logLevel, 'logLevel', LOG_LEVELS) : integer(logLevel, 'logLevel', 'int32');
    const out = [null];
    check(l.hrm_runtime_create(params, out));
    this._cell = { handle: out[0], free() { if (this.handle) l.hrm_runtime_free(this.handle); this.handle = null; } };
    finalizer.register(this, this._cell, this);
    if (load) this.loadDefault();
  }

  get closed() { return !this._cell.handle; }

  // Free the runtime. Instances created from it stay usable until they are closed.
  close() {
    finalizer.unregister(this);
    this._cell.free();
  }

  _rt() {
    if (!this._cell.handle) throw new ClosedError('the runtime is closed');
    return this._cell.handle;
  }

  // Load plugins from the search path; returns the number loaded.
  loadDefault() {
    const n = [0];
    check(native.lib().hrm_runtime_load_default(this._rt(), n));
    return n[0];
  }

  // Load every *.so of a folder (broken ones are skipped with a logged warning).
  loadDir(folder) {
    const n = [0];
    check(native.lib().hrm_runtime_load_dir(this._rt(), String(folder), n));
    return n[0];
  }

  // Load one plugin library; throws naming the file and the reason.
  loadPlugin(file) {
    check(native.lib().hrm_runtime_load_plugin(this._rt(), String(file)));
  }

  // The loaded plugin libraries: [{ id, version, path, apiVersion, abiMajor }].
  plugins() {
    const l = native.lib();
    const rt = this._rt();
    const out = [];
    for (let i = 0; i < l.hrm_runtime_plugin_count(rt); i++) {
      const r = sized(abi.PluginRecord);
      check(l.hrm_runtime_plugin(rt, i, r));
      out.push({ id: r.id, version: r.version, path: r.path, apiVersion: r.api_version, abiMajor: r.abi_major });
    }
    return out;
  }

  // The classes of the loaded plugins (optionally of one Kind):
  // [{ kind, id, name, version, vendor, description, url, features, plugin }].
  classes(kind = null) {
    const l = native.lib();
    const rt = this._rt();
    const plugins = this.plugins();
    const out = [];
    for (let i = 0; i < l.hrm_runtime_class_count(rt); i++) {
      const index = [-1];
      const p = l.hrm_runtime_class(rt, i, index);
      if (!p) continue;
      const d = koffi.decode(p, abi.Descriptor);
      if (kind !== null && d.kind !== kind) continue;
      const features = [];
      for (let j = 0; d.features; j++) {
        const f = koffi.decode(d.features, j * koffi.sizeof('void *'), 'const char *');
        if (!f) break;
        features.push(f);
      }
      out.push({ kind: d.kind, id: d.id, name: d.name, version: d.version || '', vendor: d.vendor || '',
        description: d.description || '', url: d.url || '', features, plugin: plugins[index[0]] || null });
    }
    return out;
  }

  _create(kind, name, config, { weights = null, seed = 0 } = {}) {
    const params = { ...sized(abi.InstanceParams), reserved: 0, config: toml.configText(config), weights,
      seed: integer(seed, 'seed', 'uint64') };
    const out = [null];
    check(native.lib().hrm_instance_create(this._rt(), kind, String(name), params, out));
    return out[0];
  }

  // An Encoder (a task) by class name or id; config is TOML text or an object ({ task: { canvas: 11 } }).
  encoder(name, config = null, { seed = 0 } = {}) {
    return new Encoder(this._create(Kind.ENCODER, name, config, { seed }));
  }

  // A Policy by class name or id: 'q-halt', 'fixed', 'verify', 'stable', 'multi-start', ...
  policy(name, config = null, { seed = 0 } = {}) {
    return new Policy(this._create(Kind.POLICY, name, config, { seed }));
  }

  // A Model:
  //   rt.model('runs/x/model.safetensors')  a checkpoint (class and config from its metadata)
  //   rt.model(hrm.bundledModel('maze'))    the bundled model of a task
  //   rt.model('small.toml')                a config file: fresh weights from seed
  //   rt.model(null, { config: {...} })     a config: fresh weights
  // The class is arch, else a class name given, else model.arch of the config or checkpoint.
  model(pathOrName = null, { config = null, weights = null, arch = null, seed = 0 } = {}) {
    let name = null;
    if (pathOrName !== null) {
      const p = String(pathOrName);
      if (p.endsWith('.toml')) {
        if (config !== null) throw new InvalidArgumentError('model: give a config file or config, not both');
        config = fs.readFileSync(p, 'utf8');
      } else if (p.includes(path.sep) || p.endsWith('.safetensors')) {
        if (weights !== null) throw new InvalidArgumentError('model: give a checkpoint path or weights, not both');
        weights = p;
      } else {
        name = p;
      }
    }
    // A class name alone would make random weights of its default size: never what was meant.
    if (weights === null && config === null)
      throw new InvalidArgumentError('model: give a checkpoint (a path, or hrm.bundledModel(task)), a config file or config');
    const text = toml.configText(config);
    let stored = null;
    if (weights !== null) {
      if (!fs.existsSync(weights)) throw new NotFoundError(`model: no checkpoint at ${weights}`);
      stored = checkpointConfig(weights);
    }
    const cls = arch || name || (text && toml.stringValue(text, 'model', 'arch')) ||
      (stored && toml.stringValue(stored, 'model', 'arch')) || 'hrm';
    const model = new Model(this._create(Kind.MODEL, cls, text, { weights, seed }));
    model.path = weights;
    model.taskConfig = stored && toml.section(stored, 'task');   // e.g. "[task]\ncanvas = 11\n"
    return model;
  }

  // A Session solving instances of task with model under policy:
  //   rt.session({ model, task, policy = 'q-halt', batchSize = 64, threads = 0, shardSize = 0,
  //                precision = null, seed = 0, taskConfig = null, policyConfig = null })
  // model, task and policy are instances, or names/paths the session creates, owns and closes
  // with itself. A task given by name without taskConfig gets the task table stored with the
  // model, as `hrm solve` does (the maze model's canvas, the gridnav model's window).
  session({ model, task, policy = 'q-halt', taskConfig = null, policyConfig = null, ...params } = {}) {
    if (model === undefined || model === null)
      throw new InvalidArgumentError(`session: model is required: a Model, a checkpoint path or hrm.bundledModel(${JSON.stringify(task instanceof Encoder ? task.name : task)})`);
    if (task === undefined || task === null) throw new InvalidArgumentError('session: task is required: an Encoder or a task name');
    const owned = [];
    try {
      if (!(model instanceof Model)) owned.push(model = this.model(model));
      if (!(task instanceof Encoder)) owned.push(task = this.encoder(task, taskConfig ?? model.taskConfig));
      if (!(policy instanceof Policy)) owned.push(policy = this.policy(policy, policyConfig));
      return new Session(model, task, policy, owned, params);
    } catch (e) {
      for (const inst of owned) inst.close();
      throw e;
    }
  }
}

// The TOML config stored in a safetensors checkpoint's metadata, or null (the plugin then says
// what is wrong with the file).
function checkpointConfig(file) {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(8);
      fs.readSync(fd, head, 0, 8, 0);
      const n = Number(head.readBigUInt64LE(0));
      const json = Buffer.alloc(Math.min(n, 1 << 26));
      fs.readSync(fd, json, 0, json.length, 8);
      const config = JSON.parse(json.toString('utf8')).__metadata__?.config;
      return typeof config === 'string' ? config : null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

// Where the bundled models are, in the runner's order (hosts/hrm/model_file.cpp): the installed
// <prefix>/share/hrm/models of the loaded libhrm, then the source tree's models/ (of the build
// tree libhrm was loaded from, else of the tree this package sits in).
function modelSearchDirs() {
  const dirs = [];
  const libdir = path.dirname(path.resolve(native.lib().path));
  let prefix = path.dirname(libdir);
  if (path.basename(prefix).startsWith('lib')) prefix = path.dirname(prefix);   // <prefix>/lib/<triplet>
  dirs.push(path.join(prefix, 'share', 'hrm', 'models'));
  try {
    const cache = fs.readFileSync(path.join(path.dirname(libdir), 'CMakeCache.txt'), 'utf8');   // <build>/lib
    const m = cache.match(/^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$/m);
    if (m) dirs.push(path.join(m[1].trim(), 'models'));
  } catch { /* not a build tree */ }
  if (native.repository()) dirs.push(path.join(native.repository(), 'models'));
  return [...new Set(dirs)];
}

// The path of the bundled model of a task ('sudoku', 'maze', 'gridnav', or an Encoder), found
// where `hrm solve` finds it; throws NotFoundError naming the places it looked.
function bundledModel(task) {
  const name = task instanceof Encoder ? task.name : String(task);
  const looked = [];
  for (const dir of modelSearchDirs()) {
    const file = path.join(dir, `${name}.safetensors`);
    if (fs.existsSync(file)) return file;
    looked.push(file);
  }
  throw new NotFoundError(`no bundled model for task '${name}' (looked in: ${looked.join(', ')})`);
}

// An instance of a plugin class (base of Encoder, Model and Policy).
class Instance {
  constructor(handle, kind, vtableOf, vtableType) {
    const l = native.lib();
    this._kind = KIND_NAMES[kind];
    this._users = 0;
    this._closed = false;
    this._cell = { handle, free() { if (this.handle) l.hrm_instance_free(this.handle); this.handle = null; } };
    finalizer.register(this, this._cell, this);
    this._vtp = vtableOf(handle);
    this._vt = koffi.decode(this._vtp, vtableType);
    const desc = koffi.decode(this._vt.desc, abi.Descriptor);
    this.id = desc.id;
    this.name = desc.name;
  }

  get closed() { return this._closed; }

  // The hrm_instance* (a BigInt), for C code of your own.
  get handle() {
    if (this._closed) throw new ClosedError(`${this._kind} '${this.name}' is closed`);
    return this._cell.handle;
  }

  // Release the instance; deferred while a session uses it.
  close() {
    if (this._closed) return;
    this._closed = true;
    if (this._users === 0) this._free();
  }

  _free() {
    finalizer.unregister(this);
    this._cell.free();
  }

  _acquire() {
    if (this._closed) throw new ClosedError(`${this._kind} '${this.name}' is closed`);
    this._users++;
  }

  _release() {
    if (--this._users === 0 && this._closed) this._free();
  }

  // Call vtable slot `name` (prototype in abi.slots) with the vtable as `self`.
  _call(name, ...args) {
    if (this._closed) throw new ClosedError(`${this._kind} '${this.name}' is closed`);
    const fn = this._vt[name];
    if (!fn) throw new UnsupportedError(`${this._kind} '${this.name}' has no ${name} (an optional slot)`);
    return koffi.call(fn, abi.slots[this._kind][name], this._vtp, ...args);
  }

  _spec(type) {
    const spec = sized(type);
    check(this._call('get_spec', spec));
    return spec;
  }
}

// A task: splits files into instances, encodes them into tokens, decodes and verifies
// solutions; optionally an exact solver, a generator and pictures.
class Encoder extends Instance {
  constructor(handle) {
    super(handle, C.HRM_KIND_ENCODER, native.lib().hrm_instance_encoder, abi.Encoder);
    const s = this._spec(abi.EncoderSpec);
    this.spec = { caps: s.caps, seqLen: s.seq_len, vocabSize: s.vocab_size, padId: s.pad_id,
      ignoreLabelId: s.ignore_label_id, numPuzzleIdentifiers: s.num_puzzle_identifiers, numAugmentations: s.num_augmentations };
  }

  // The instances in a file's text (blank lines, comments and headers skipped). Splitting does
  // not validate: encode and solve do.
  split(text) {
    const bytes = native.bytesOf(text, 'text');
    const buf = new native.CBytes(bytes);
    try {
      const out = [];
      const offset = [0];
      for (;;) {
        const record = {};
        check(this._call('split', buf.blob(), offset, record));
        if (!record.data) break;
        const start = Number(record.data - buf.ptr);
        out.push(Buffer.from(bytes.subarray(start, start + Number(record.size))).toString('utf8'));
      }
      return out;
    } finally {
      buf.free();
    }
  }

  // { tokens: Int32Array[seqLen], labels: Int32Array or null (no solution given), puzzleId }.
  encode(instance) {
    const n = this.spec.seqLen;
    const tensors = [0, 1].map(() => cTensor(n));
    try {
      const hasLabels = [0];
      const puzzleId = [0];
      withBlobs([instance], (blob) => check(this._call('encode', blob, tensors[0].view, tensors[1].view, hasLabels, puzzleId)));
      return { tokens: tensors[0].read(), labels: hasLabels[0] ? tensors[1].read() : null, puzzleId: puzzleId[0] };
    } finally {
      for (const t of tensors) t.free();
    }
  }

  // The solution (in the task's format) that predicted tokens [seqLen] stand for.
  decode(instance, predictions) {
    const n = this.spec.seqLen;
    if (predictions.length !== n) throw new InvalidArgumentError(`predictions: expected ${n} tokens, got ${predictions.length}`);
    const t = cTensor(n);
    try {
      t.write(predictions);
      const out = {};
      withBlobs([instance], (blob) => check(this._call('decode', blob, t.view, out)));
      return takeBlob(out);
    } finally {
      t.free();
    }
  }

  _verify(instance, solution) {
    const valid = [0];
    const score = [0];
    withBlobs([instance, solution], (i, s) => check(this._call('verify', i, s, valid, score)));
    return { valid: Boolean(valid[0]), score: score[0] };
  }

  // Whether the task accepts solution for instance (a malformed instance throws).
  verify(instance, solution) { return this._verify(instance, solution).valid; }

  // The solution's quality where the task has one (1 = optimal), else 1 or 0.
  score(instance, solution) { return this._verify(instance, solution).score; }

  // The exact solution from the task's own solver.
  solve(instance) { return this.solveWithStats(instance).solution; }

  // { solution, solutions (capped at 2: 2 = not unique), rating }.
  solveWithStats(instance) {
    const out = {};
    const stats = { ...sized(abi.SolveStats), reserved: 0, solutions: 0, rating: 0 };
    withBlobs([instance], (blob) => check(this._call('solve', blob, out, stats)));
    return { solution: takeBlob(out), solutions: Number(stats.solutions), rating: stats.rating };
  }

  // A new instance with its solution, deterministic in seed; options are TOML text or an object.
  generate(seed, options = null) {
    const out = {};
    check(this._call('generate', integer(seed, 'seed', 'uint64'), toml.configText(options), out));
    return takeBlob(out);
  }

  // A picture of instance (and solution): format 'text', 'ansi' or 'svg'.
  render(instance, solution = null, format = 'text') {
    const fmt = choice(format, 'format', RENDER_FORMATS);
    const out = {};
    withBlobs([instance, solution], (i, s) => check(this._call('render', i, s, fmt, out)));
    return takeBlob(out);
  }
}

// An I32 tensor of n elements in C memory, with its hrm_tensor view.
function cTensor(n) {
  const data = koffi.alloc('int32_t', n);
  const shape = koffi.alloc('int64_t', 1);
  koffi.encode(shape, 'int64_t', BigInt(n));
  return {
    view: { data, dtype: C.HRM_DTYPE_I32, ndim: 1, shape, strides: null, device: C.HRM_DEVICE_CPU, device_id: 0, byte_offset: 0 },
    read: () => new Int32Array(koffi.view(data, 4 * n).slice(0)),
    write: (values) => new Int32Array(koffi.view(data, 4 * n)).set(Int32Array.from(values)),
    free: () => { koffi.free(data); koffi.free(shape); },
  };
}

// A reasoning model; .path is its checkpoint and .taskConfig the task table stored with it (TOML
// text, or null).
class Model extends Instance {
  constructor(handle) {
    super(handle, C.HRM_KIND_MODEL, native.lib().hrm_instance_model, abi.Model);
    const s = this._spec(abi.ModelSpec);
    this.spec = { defaultPrecision: s.default_precision, seqLen: s.seq_len, prefixLen: s.prefix_len,
      vocabSize: s.vocab_size, hiddenSize: s.hidden_size, numPuzzleIdentifiers: s.num_puzzle_identifiers,
      hCycles: s.h_cycles, lCycles: s.l_cycles, haltMaxSteps: s.halt_max_steps, nParams: s.n_params,
      flopsPerSegment: s.flops_per_segment };
    this.config = s.config || '';
    this.path = null;
    this.taskConfig = null;
  }
}

// A refinement policy: decides after each segment whether a row halts.
class Policy extends Instance {
  constructor(handle) {
    super(handle, C.HRM_KIND_POLICY, native.lib().hrm_instance_policy, abi.Policy);
    const s = this._spec(abi.PolicySpec);
    this.spec = { needs: s.needs, minSegments: s.min_segments, maxSegments: s.max_segments, nStarts: s.n_starts,
      startNoise: s.start_noise };
  }
}

// The outcome of one instance: solution (null when error is set), segments, q ([qHalt,
// qContinue]), verified (true/false, null when not checkable), error (an HrmError, not thrown:
// one bad puzzle fails alone), seconds, start (of a multi-start policy), index (position in the
// list given).
class Result {
  constructor(index, instance, r) {
    const l = native.lib();
    this.index = index;
    this.instance = instance;
    this.error = r.error ? errors.errorFor(l.hrm_status_code(r.error), l.hrm_status_message(r.error) || '') : null;
    this.solution = r.solution.data ? koffi.decode(r.solution.data, 'char', Number(r.solution.size)) : null;
    this.segments = r.segments;
    this.q = [r.q_halt, r.q_continue];
    this.verified = r.verified < 0 ? null : Boolean(r.verified);
    this.seconds = r.seconds;
    this.start = r.start;
  }

  get ok() { return this.error === null; }
}

// Continuous-batching solver over a model, a task and a policy (rt.session(...)). Solves run on
// a worker thread: the event loop stays free, and cancelling (progress returning false, or an
// AbortSignal) stops the solve at its next segment. One solve at a time per session.
class Session {
  constructor(model, task, policy, owned, { batchSize = 64, threads = 0, shardSize = 0, precision = null, seed = 0, ...unknown } = {}) {
    const extra = Object.keys(unknown);
    if (extra.length) throw new InvalidArgumentError(`session: unknown option '${extra[0]}' (model, task, policy, batchSize, threads, shardSize, precision, seed, taskConfig, policyConfig)`);
    const l = native.lib();
    const params = sized(abi.SessionParams);
    l.hrm_session_params_init(params, koffi.sizeof(abi.SessionParams));
    params.n_threads = integer(threads, 'threads', 'int32');
    params.batch_size = integer(batchSize, 'batchSize', 'int64');
    params.shard_size = integer(shardSize, 'shardSize', 'int64');
    if (precision !== null) params.precision = choice(precision, 'precision', PRECISIONS);
    params.seed = integer(seed, 'seed', 'uint64');
    this.model = model;
    this.task = task;
    this.policy = policy;
    this._owned = owned;
    this._busy = false;
    const acquired = [];
    try {
      for (const inst of [model, task, policy]) { inst._acquire(); acquired.push(inst); }   // they must outlive the C session
      const out = [null];
      const status = l.hrm_session_create(model.handle, task.handle, policy.handle, params, out);
      if (status) {
        const error = native.statusError(status);
        // A checkpoint trained with another task config than the encoder's: say which one.
        if (model.taskConfig) error.message += ` (the model was trained with the task config ${JSON.stringify(model.taskConfig.trim())}: create the encoder with model.taskConfig, or pass the task by name)`;
        throw error;
      }
      const users = [model, task, policy];
      this._cell = {
        handle: out[0],
        free() {   // also the finalizer: holds the instances, so they outlive the C session
          if (!this.handle) return;
          l.hrm_session_free(this.handle);
          this.handle = null;
          for (const inst of users) inst._release();
        },
      };
      finalizer.register(this, this._cell, this);
    } catch (e) {
      for (const inst of acquired) inst._release();
      throw e;
    }
  }

  get closed() { return !this._cell.handle; }

  // Free the session, then the instances it created itself.
  close() {
    if (this._busy) throw new InvalidArgumentError('the session is solving: close it after the solve ends');
    finalizer.unregister(this);
    this._cell.free();
    for (const inst of this._owned) inst.close();
  }

  // Solve instances (strings or Buffers); resolves to one Result per instance, in order.
  //   progress(done, total)  called after every segment; returning false cancels
  //   signal                 an AbortSignal; aborting cancels
  // A cancelled solve rejects with CancelledError; an exception thrown by progress rejects with
  // it. Either carries .results: every Result, the unfinished ones with a CancelledError.
  async solve(instances, { progress = null, signal = null } = {}) {
    return this._run(instances, { progress, signal, onRows: null });
  }

  // Like solve(), but yields each Result as soon as its row finishes (in finishing order; see
  // Result.index). Leaving the loop early cancels the rest of the solve.
  async *solveIter(instances, { progress = null, signal = null } = {}) {
    const ready = [];
    let wake = null;
    let stop = false;
    const run = this._run(instances, {
      progress, signal, stopped: () => stop,
      onRows: (rows) => { ready.push(...rows); if (wake) wake(); },
    });
    let ended = false;
    run.then(() => {}, () => {}).finally(() => { ended = true; if (wake) wake(); });
    const yielded = new Set();
    try {
      while (!ended || ready.length) {
        if (!ready.length) {
          await new Promise((resolve) => { wake = resolve; });
          wake = null;
          continue;
        }
        const r = ready.shift();
        yielded.add(r.index);
        yield r;
      }
      for (const r of await run) if (!yielded.has(r.index)) yield r;   // e.g. instances that failed to encode
    } finally {
      stop = true;       // the caller left the loop: the solve stops at its next segment
      await run.catch(() => {});
    }
  }

  _run(instances, { progress, signal, onRows, stopped = () => false }) {
    if (typeof instances === 'string' || !instances || typeof instances[Symbol.iterator] !== 'function')
      throw new TypeError('instances must be an array of strings or Buffers (not a single string)');
    const items = [...instances];
    const bytes = items.map((x) => native.bytesOf(x));
    if (!this._cell.handle) throw new ClosedError('the session is closed');
    if (this._busy) throw new InvalidArgumentError('the session is already solving (one solve at a time per session)');
    const l = native.lib();
    const n = items.length;
    const size = koffi.sizeof(abi.Result);
    const text = new native.CBytes(Buffer.concat(bytes));
    const blobs = koffi.alloc(abi.Blob, Math.max(1, n));
    const results = koffi.alloc('uint8_t', size * Math.max(1, n));
    let offset = 0;
    koffi.encode(blobs, abi.Blob, bytes.map((b) => { const blob = text.blob(offset, b.length); offset += b.length; return blob; }), n);
    const reported = new Array(n).fill(null);
    const pending = [...Array(n).keys()];
    let seen = 0;
    let failure = null;
    this._busy = true;

    const finished = (done) => {
      // The scheduler writes an instance's result before the progress call that counts it in
      // `done` (hrm.h). Slots are filled in order, so the new ones are near the front.
      const rows = [];
      const keep = [];
      for (let k = 0; k < pending.length; k++) {
        if (rows.length === done - seen) { keep.push(...pending.slice(k)); break; }
        const i = pending[k];
        const r = koffi.decode(results, i * size, abi.Result);
        if (r.segments > 0 || r.error) rows.push(reported[i] = new Result(i, items[i], r));
        else keep.push(i);
      }
      pending.splice(0, pending.length, ...keep);
      seen = done;
      return rows;
    };

    // Runs on the main thread (koffi queues it there) while the solving thread waits for its answer.
    const onProgress = (done, total) => {
      try {
        if (failure || stopped() || (signal && signal.aborted)) return false;
        done = Number(done);
        if (onRows && done > seen) onRows(finished(done));
        if (progress && progress(done, Number(total)) === false) return false;
        return !(stopped() || (signal && signal.aborted));
      } catch (e) {
        failure = e;   // re-thrown when the solve has returned
        return false;
      }
    };

    return new Promise((resolve, reject) => {
      l.hrm_session_solve.async(this._cell.handle, blobs, n, results, size, onProgress, null, (err, status) => {
        let all;
        try {
          all = items.map((x, i) => reported[i] || new Result(i, x, koffi.decode(results, i * size, abi.Result)));
        } finally {
          for (let i = 0; i < n; i++) l.hrm_result_clear(results + BigInt(i * size));
          koffi.free(results);
          koffi.free(blobs);
          text.free();
          this._busy = false;
        }
        const error = failure || err || (status ? native.statusError(status) : null);
        if (error) {
          error.results = all;
          reject(error);
        } else {
          resolve(all);
        }
      });
    });
  }
}

function version() {
  return native.lib().hrm_version_string();
}

function libraryPath() {
  return native.lib().path;
}

module.exports = {
  Runtime, Encoder, Model, Policy, Session, Result, Kind, bundledModel, version, libraryPath,
  ABI_MAJOR: abi.ABI_MAJOR, API_VERSION: abi.API_VERSION, ...errors,
};
delete module.exports.errorFor;
