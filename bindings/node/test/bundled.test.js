'use strict';
// The bundled models (models/*.safetensors): found like `hrm solve` finds them, their stored task
// table applied, their held-out puzzles solved.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { hrm, REPOSITORY, runtime } = require('./support');

const HELD_OUT = 8;   // puzzles per task: enough to see a trained model at work, quick on 2 cores

function heldOut(taskName, encoder) {
  return encoder.split(fs.readFileSync(path.join(REPOSITORY, 'models', `${taskName}-heldout.txt`), 'utf8')).slice(0, HELD_OUT);
}

test('bundledModel finds the models of the source tree', () => {
  runtime().close();   // loads libhrm
  for (const name of ['sudoku', 'maze', 'gridnav'])
    assert.equal(fs.realpathSync(hrm.bundledModel(name)), fs.realpathSync(path.join(REPOSITORY, 'models', `${name}.safetensors`)));
  assert.throws(() => hrm.bundledModel('no-such-task'), (e) => e instanceof hrm.NotFoundError && /no-such-task.safetensors/.test(e.message));
});

for (const name of ['sudoku', 'maze', 'gridnav']) {
  test(`held-out ${name} puzzles are solved`, async () => {
    const rt = runtime();
    const s = rt.session({ model: hrm.bundledModel(name), task: name, policy: 'q-halt', batchSize: HELD_OUT, threads: 2 });
    try {
      const results = await s.solve(heldOut(name, s.task));
      assert.equal(results.length, HELD_OUT);
      assert.deepEqual(results.filter((r) => !r.ok).map((r) => r.error.message), []);
      // 91-100% on the full sets (models/*.md): nearly all of a few puzzles.
      assert.ok(results.filter((r) => r.verified).length >= HELD_OUT - 2, results.map((r) => r.verified).join(' '));
    } finally {
      s.close();
      rt.close();
    }
  });
}

test('the task table stored with a model is exposed and explained', async () => {
  const rt = runtime();
  const model = rt.model(hrm.bundledModel('maze'));
  const plain = rt.encoder('maze');
  try {
    assert.deepEqual(model.taskConfig.split(/\s+/).filter(Boolean), ['[task]', 'canvas', '=', '11']);
    assert.equal(rt.model(hrm.bundledModel('sudoku')).taskConfig, null);
    assert.throws(() => rt.session({ model, task: plain }), (e) => /seq_len/.test(e.message) && /model.taskConfig/.test(e.message));
    const fitted = rt.encoder('maze', model.taskConfig);
    const s = rt.session({ model, task: fitted });
    assert.ok((await s.solve(heldOut('maze', fitted).slice(0, 1)))[0].ok);
    s.close();
    fitted.close();
  } finally {
    plain.close();
    model.close();
    rt.close();
  }
});

test('a model is required', () => {
  const rt = runtime();
  try {
    assert.throws(() => rt.session({ task: 'maze' }), (e) => e instanceof hrm.InvalidArgumentError && /bundledModel\("maze"\)/.test(e.message));
    assert.throws(() => rt.model(), hrm.InvalidArgumentError);       // not a random default-size model
    assert.throws(() => rt.model('hrm'), hrm.InvalidArgumentError);
  } finally {
    rt.close();
  }
});
