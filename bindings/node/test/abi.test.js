'use strict';
// The koffi mirrors (lib/abi.js) against the C compiler's layout of the same structs, printed by
// bindings/python/tests/abi_layout.c (the Python package checks its mirrors with it too).
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('child_process');
const koffi = require('../lib/koffi');
const abi = require('../lib/abi');

const probe = process.env.HRM_ABI_LAYOUT;

test('struct layouts and constants match the C headers', { skip: !probe && 'HRM_ABI_LAYOUT is not set' }, () => {
  const layout = JSON.parse(execFileSync(probe, { encoding: 'utf8' }));
  for (const [name, type] of Object.entries(abi.structs)) {
    const c = layout.structs[name];
    assert.ok(c, `${name} is not in the C layout`);
    assert.equal(koffi.sizeof(type), c.size, `sizeof ${name}`);
    assert.equal(koffi.alignof(type), c.align, `alignof ${name}`);
    assert.deepEqual(Object.keys(type.members), Object.keys(c.members), `members of ${name}`);
    for (const [member, offset] of Object.entries(c.members))
      assert.equal(koffi.offsetof(type, member), offset, `offsetof ${name}.${member}`);
  }
  for (const [name, value] of Object.entries(abi.constants))
    if (name in layout.constants) assert.equal(value, layout.constants[name], name);
  assert.equal(abi.ABI_MAJOR, layout.constants.HRM_ABI_MAJOR);
  assert.equal(abi.API_VERSION, layout.constants.HRM_API_VERSION);
});
