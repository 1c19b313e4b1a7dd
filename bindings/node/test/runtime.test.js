'use strict';
// Runtime, plugins, encoders and policies; errors carry the C message; arguments are checked.
const test = require('node:test');
const assert = require('node:assert/strict');
const { hrm, TINY_SUDOKU4_MODEL, runtime } = require('./support');

test('library and plugins', () => {
  assert.equal(hrm.version(), '0.1.0');
  const rt = runtime();
  try {
    assert.ok(rt.plugins().some((p) => p.id === 'org.hrm-sdk.examples.reverse'));
    const encoders = rt.classes(hrm.Kind.ENCODER);
    const reverse = encoders.find((c) => c.name === 'reverse');
    assert.equal(reverse.plugin.id, 'org.hrm-sdk.examples.reverse');
    assert.ok(reverse.features.includes('oracle'));
    assert.ok(encoders.every((c) => c.kind === hrm.Kind.ENCODER));
    assert.ok(rt.classes(hrm.Kind.POLICY).some((c) => c.name === 'q-halt'));
  } finally {
    rt.close();
  }
});

test('encoder: split, encode, decode, verify, solve, generate, render', () => {
  const rt = runtime();
  const sudoku = rt.encoder('sudoku4');
  try {
    assert.equal(sudoku.spec.seqLen, 16);
    const puzzle = sudoku.generate(7);
    assert.deepEqual(sudoku.split(`${puzzle}\n\n${sudoku.generate(8)}\n`).length, 2);
    const { solution, solutions } = sudoku.solveWithStats(puzzle);
    assert.equal(solutions, 1);
    assert.ok(sudoku.verify(puzzle, solution));
    assert.equal(sudoku.score(puzzle, solution), 1);
    const { tokens, labels } = sudoku.encode(puzzle);
    assert.equal(tokens.length, 16);
    assert.ok(labels, 'a generated puzzle carries its solution');
    assert.ok(sudoku.verify(puzzle, sudoku.decode(puzzle, labels)));
    assert.match(sudoku.render(puzzle, solution, 'svg'), /<svg/);
  } finally {
    sudoku.close();
    rt.close();
  }
});

test('errors are HrmError subclasses with the C message', () => {
  const rt = runtime();
  const sudoku = rt.encoder('sudoku');
  try {
    assert.throws(() => rt.encoder('no-such-task'), (e) => e instanceof hrm.NotFoundError && e.code === 2 &&
      e.codeName === 'not found' && /no-such-task/.test(e.message));
    assert.throws(() => sudoku.encode('12x'), (e) => e instanceof hrm.FormatError && /sudoku/.test(e.message));
    assert.throws(() => rt.encoder('reverse').render('12'), hrm.UnsupportedError);
    assert.throws(() => rt.loadPlugin('/nonexistent/plugin.so'), /nonexistent\/plugin.so/);
    assert.throws(() => new hrm.Runtime({ pluginPath: '/nonexistent/plugins' }), hrm.NotFoundError);
  } finally {
    sudoku.close();
    rt.close();
  }
});

test('unknown config keys are named', () => {
  const rt = runtime();
  try {
    const cases = [
      [() => rt.encoder('maze', { canvas: 11 }), /canvas/],               // outside [task]
      [() => rt.encoder('maze', { task: { canvass: 11 } }), /canvass/],
      [() => rt.encoder('sudoku', { task: { size: 9 } }), /size/],
      [() => rt.policy('fixed', { segments: 3 }), /segments/],            // outside [policy]
      [() => rt.policy('fixed', { policy: { segment: 3 } }), /segment/],
      [() => rt.encoder('sudoku4').generate(0, { givns: 5 }), /givns/],
      [() => rt.session({ model: rt.model(null, { config: TINY_SUDOKU4_MODEL }), task: 'sudoku4', batchsize: 4 }), /batchsize/],
    ];
    for (const [make, key] of cases) assert.throws(make, (e) => e instanceof hrm.HrmError && key.test(e.message), String(key));
  } finally {
    rt.close();
  }
});

test('integers are checked, not truncated; choices are named', () => {
  const rt = runtime();
  const model = rt.model(null, { config: TINY_SUDOKU4_MODEL });
  try {
    for (const threads of [2 ** 32 + 1, -(2 ** 31) - 1])
      assert.throws(() => rt.session({ model, task: 'sudoku4', threads }), (e) => e instanceof hrm.InvalidArgumentError && /threads/.test(e.message));
    assert.throws(() => rt.session({ model, task: 'sudoku4', seed: -1 }), /seed = -1 is out of range/);
    assert.throws(() => rt.session({ model, task: 'sudoku4', batchSize: 2 ** 60 }), /not exact as a Number/);
    assert.throws(() => rt.session({ model, task: 'sudoku4', threads: 2.5 }), TypeError);
    assert.throws(() => rt.session({ model, task: 'sudoku4', precision: 'fp16' }), /'fp32', 'bf16'/);
    assert.throws(() => new hrm.Runtime({ logLevel: 'loud' }), hrm.InvalidArgumentError);
    assert.throws(() => rt.encoder('sudoku4').generate(2n ** 64n), hrm.InvalidArgumentError);
  } finally {
    model.close();
    rt.close();
  }
});

test('closed objects throw ClosedError, never crash', () => {
  const rt = runtime();
  const enc = rt.encoder('reverse');
  rt.close();
  rt.close();
  assert.ok(rt.closed);
  assert.throws(() => rt.plugins(), hrm.ClosedError);
  assert.equal(enc.solve('123'), '321');   // instances outlive their runtime
  enc.close();
  assert.ok(enc.closed);
  assert.throws(() => enc.solve('123'), (e) => e instanceof hrm.ClosedError && e instanceof hrm.InvalidArgumentError);
});
