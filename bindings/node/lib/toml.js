'use strict';
// A small TOML writer for configs given as objects ({ task: { canvas: 11 } }), and the two reads
// the package needs from the TOML stored in checkpoints (model.arch, the [task] table). Node has
// no TOML parser; the plugins parse and validate everything else.
const { InvalidArgumentError } = require('./errors');

const key = (k) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));

function value(v, where) {
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return Number.isInteger(v) ? v.toFixed(0) : String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);   // JSON string escapes are valid TOML basic strings
  if (Array.isArray(v)) return `[${v.map((x) => value(x, where)).join(', ')}]`;
  throw new InvalidArgumentError(`config ${where}: cannot write ${v === null ? 'null' : typeof v} as TOML`);
}

// TOML text of an object of scalars, arrays and nested objects (tables).
function dumps(table) {
  const lines = [];
  const emit = (t, at) => {
    const sub = [];
    for (const [k, v] of Object.entries(t)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) sub.push([k, v]);
      else lines.push(`${key(k)} = ${value(v, [...at, k].join('.'))}`);
    }
    for (const [k, v] of sub) {
      lines.push('', `[${[...at, k].map(key).join('.')}]`);
      emit(v, [...at, k]);
    }
  };
  emit(table, []);
  return `${lines.join('\n').replace(/^\n+/, '')}\n`;
}

// Config text from what callers give: TOML text, an object, or nothing.
function configText(config) {
  if (config === undefined || config === null) return null;
  if (typeof config === 'string') return config;
  if (typeof config === 'object' && !Array.isArray(config)) return dumps(config);
  throw new TypeError(`config must be TOML text or an object, not ${typeof config}`);
}

// The lines of table `name` (and its subtables) in TOML text, or null: enough for the flat
// tables checkpoints store.
function section(text, name) {
  const out = [];
  let inside = false;
  for (const line of text.split('\n')) {
    const header = line.trim();
    if (header.startsWith('[')) inside = header === `[${name}]` || header.startsWith(`[${name}.`);
    if (inside) out.push(line);
  }
  return out.length ? `${out.join('\n').trimEnd()}\n` : null;
}

// table.key (a string value) of TOML text, or null.
function stringValue(text, table, k) {
  const body = section(text, table);
  const m = body && body.match(new RegExp(`^\\s*${k}\\s*=\\s*["']([^"']*)["']`, 'm'));
  return m ? m[1] : null;
}

module.exports = { dumps, configText, section, stringValue };
