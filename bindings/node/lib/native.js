'use strict';
// Finding and loading libhrm.so, the prototypes of its functions, statuses, and the small helpers
// every wrapper needs: C memory for blobs, checked integers, config text.
const fs = require('fs');
const path = require('path');
const koffi = require('./koffi');
const abi = require('./abi');
const errors = require('./errors');

const NAMES = [`libhrm.so.${abi.ABI_MAJOR}`, 'libhrm.so'];   // the soname first: ABI major 1

// The hrm-sdk source tree this package sits in (bindings/node/lib -> the tree), or null.
function repository() {
  const root = path.resolve(__dirname, '..', '..', '..');
  return fs.existsSync(path.join(root, 'sdk', 'include', 'hrm', 'hrm.h')) ? root : null;
}

function installDirs() {
  const dirs = [];
  for (const prefix of ['/usr/local', '/usr'])
    for (const lib of ['lib', 'lib64', path.join('lib', 'x86_64-linux-gnu'), path.join('lib', 'aarch64-linux-gnu')])
      dirs.push(path.join(prefix, lib));
  return dirs;
}

function buildDirs() {
  const build = process.env.HRM_BUILD_DIR || (repository() && path.join(repository(), 'build'));
  return build ? [path.join(build, 'lib')] : [];
}

// Every path tried, in order: $HRM_LIBRARY, installation trees, the system loader's own search
// (LD_LIBRARY_PATH, ld.so.cache: a bare soname), build trees ($HRM_BUILD_DIR, else the tree's build/).
function candidates() {
  const out = [];
  if (process.env.HRM_LIBRARY) out.push(process.env.HRM_LIBRARY);
  for (const d of installDirs()) for (const n of NAMES) out.push(path.join(d, n));
  out.push(NAMES[0]);
  for (const d of buildDirs()) for (const n of NAMES) out.push(path.join(d, n));
  return out;
}

const PROTOTYPES = [
  'uint32_t hrm_api_version()',
  'uint32_t hrm_abi_major()',
  'const char *hrm_version_string()',
  'int32_t hrm_status_code(void *status)',
  'const char *hrm_status_message(void *status)',
  'void hrm_status_free(void *status)',
  'void hrm_free(void *p)',
  'void hrm_runtime_params_init(_Inout_ hrm_runtime_params *params, size_t size)',
  'void *hrm_runtime_create(const hrm_runtime_params *params, _Out_ void **out)',
  'void hrm_runtime_free(void *runtime)',
  'void *hrm_runtime_load_plugin(void *runtime, const char *path)',
  'void *hrm_runtime_load_dir(void *runtime, const char *dir, _Out_ int32_t *n)',
  'void *hrm_runtime_load_default(void *runtime, _Out_ int32_t *n)',
  'int32_t hrm_runtime_plugin_count(void *runtime)',
  'void *hrm_runtime_plugin(void *runtime, int32_t index, _Inout_ hrm_plugin_record *record)',
  'int32_t hrm_runtime_class_count(void *runtime)',
  'void *hrm_runtime_class(void *runtime, int32_t index, _Out_ int32_t *plugin_index)',
  'void *hrm_instance_create(void *runtime, int32_t kind, const char *name, const hrm_instance_params *params, _Out_ void **out)',
  'void hrm_instance_free(void *instance)',
  'void *hrm_instance_model(void *instance)',
  'void *hrm_instance_encoder(void *instance)',
  'void *hrm_instance_policy(void *instance)',
  'void hrm_session_params_init(_Inout_ hrm_session_params *params, size_t size)',
  'void *hrm_session_create(void *model, void *encoder, void *policy, const hrm_session_params *params, _Out_ void **out)',
  'void hrm_session_free(void *session)',
  'void hrm_result_clear(void *result)',
  'void *hrm_session_solve(void *session, void *instances, int64_t n, void *results, size_t result_size, hrm_progress_fn *progress, void *user_data)',
];

let loaded = null;

// The loaded libhrm with its functions (loaded and version-checked on first use, so that requiring
// the package works on a machine without libhrm).
function lib() {
  if (loaded) return loaded;
  const env = process.env.HRM_LIBRARY;
  if (env && !fs.existsSync(env)) throw new errors.LibraryNotFoundError(`HRM_LIBRARY=${env}: no such file`);
  let handle = null;
  let where = null;
  const reasons = [];
  for (const p of candidates()) {
    if (path.isAbsolute(p) && !fs.existsSync(p)) continue;
    try {
      handle = koffi.load(p);
      where = p;
      break;
    } catch (e) {
      if (path.isAbsolute(p)) reasons.push(`${p}: ${e.message}`);
      if (env) break;   // an explicit choice is never second-guessed
    }
  }
  if (!handle) {
    throw new errors.LibraryNotFoundError('libhrm.so not found; set HRM_LIBRARY to its path (e.g. build/lib/libhrm.so) ' +
      `or HRM_BUILD_DIR to a build tree. Looked in:\n  ${candidates().join('\n  ')}` +
      (reasons.length ? `\n${reasons.join('\n')}` : ''));
  }
  pin(where);
  const fns = { path: where };
  for (const proto of PROTOTYPES) {
    const name = proto.match(/(hrm_\w+)\(/)[1];
    try {
      fns[name] = handle.func(proto);
    } catch (e) {
      throw new errors.LibraryNotFoundError(`${where} is not a libhrm with sessions: ${name}: ${e.message}`);
    }
  }
  const major = fns.hrm_abi_major();
  const api = fns.hrm_api_version();
  // The mirrors are of ABI major 1; a newer API only appended members, which the C side never
  // writes past the struct_size we pass.
  if (major !== abi.ABI_MAJOR || api < 1)
    throw new errors.VersionError(`${where} speaks ABI major ${major} (API ${api}); this package needs ABI major ${abi.ABI_MAJOR}`);
  loaded = fns;
  return loaded;
}

// libhrm runs oneTBB worker threads that live until the process ends. koffi unloads a library
// when Node tears down, under those threads (a crash at exit), so the library is opened once more
// with RTLD_NODELETE: it then stays mapped until the process is gone, as with any linked library.
function pin(file) {
  const RTLD_NOW = 0x2;
  const RTLD_NODELETE = 0x1000;   // glibc
  for (const libc of ['libc.so.6', 'libdl.so.2']) {   // dlopen moved into libc in glibc 2.34
    try {
      const dlopen = koffi.load(libc).func('void *dlopen(const char *file, int mode)');
      if (dlopen(file, RTLD_NOW | RTLD_NODELETE)) return;
    } catch { /* try the next one */ }
  }
}

// A non-null hrm_status* as an error object (the status is freed).
function statusError(status) {
  const l = lib();
  const error = errors.errorFor(l.hrm_status_code(status), l.hrm_status_message(status) || '');
  l.hrm_status_free(status);
  return error;
}

function check(status) {
  if (status) throw statusError(status);
}

// An integer argument checked against its C type: koffi would turn 2**32 + 1 into garbage
// silently. Returns a BigInt for 64-bit types (exact beyond 2**53), else a Number.
const RANGES = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n], uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n],
};
function integer(value, name, type) {
  if (typeof value !== 'bigint' && !Number.isInteger(value))
    throw new TypeError(`${name} must be an integer, not ${typeof value === 'number' ? value : typeof value}`);
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    throw new errors.InvalidArgumentError(`${name} = ${value} is not exact as a Number: pass a BigInt`);
  const [lo, hi] = RANGES[type];
  const v = BigInt(value);
  if (v < lo || v > hi) throw new errors.InvalidArgumentError(`${name} = ${v} is out of range [${lo}, ${hi}]`);
  return type.endsWith('64') ? v : Number(v);
}

// One of a fixed set of names (case-insensitive); anything else is an InvalidArgumentError naming them.
function choice(value, name, table) {
  const key = typeof value === 'string' ? value.toLowerCase() : value;
  if (!Object.prototype.hasOwnProperty.call(table, key))
    throw new errors.InvalidArgumentError(`${name} must be one of ${Object.keys(table).map((k) => `'${k}'`).join(', ')}, not ${JSON.stringify(value)}`);
  return table[key];
}

// Bytes in C memory that does not move (koffi.alloc): what blobs point to while C code reads
// them, also from the session's worker thread. free() when done.
class CBytes {
  constructor(bytes) {
    this.size = bytes.length;
    this.ptr = koffi.alloc('uint8_t', Math.max(1, this.size));
    if (this.size) new Uint8Array(koffi.view(this.ptr, this.size)).set(bytes);
  }

  blob(offset = 0, size = this.size) {
    return { data: this.ptr + BigInt(offset), size };
  }

  free() {
    if (this.ptr !== null) koffi.free(this.ptr);
    this.ptr = null;
  }
}

// Instance text as UTF-8 bytes.
function bytesOf(value, name = 'instance') {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`${name} must be a string or a Buffer, not ${value === null ? 'null' : typeof value}`);
}

// Call fn with an hrm_blob of each text (null stays null), freeing the C copies afterwards.
function withBlobs(texts, fn) {
  const held = texts.map((t, i) => (t === null || t === undefined ? null : new CBytes(bytesOf(t, i ? 'solution' : 'instance'))));
  try {
    return fn(...held.map((h) => (h ? h.blob() : null)));
  } finally {
    for (const h of held) if (h) h.free();
  }
}

// A host-allocated blob a plugin returned, as a string; the C memory is freed.
function takeBlob(blob) {
  if (!blob.data) return '';
  try {
    return koffi.decode(blob.data, 'char', Number(blob.size));
  } finally {
    lib().hrm_free(blob.data);
  }
}

module.exports = { koffi, lib, repository, candidates, statusError, check, integer, choice, CBytes, bytesOf, withBlobs, takeBlob };
