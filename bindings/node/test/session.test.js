'use strict';
// Sessions: batch solving through the scheduler, per-instance errors, progress, cancellation,
// streaming.
const test = require('node:test');
const assert = require('node:assert/strict');
const { hrm, TINY_SUDOKU4_MODEL, runtime } = require('./support');

const rt = runtime();
const task = rt.encoder('sudoku4');
const model = rt.model(null, { config: TINY_SUDOKU4_MODEL, seed: 1 });
const policy = rt.policy('fixed', { policy: { segments: 3 } });
const puzzles = [0, 1, 2, 3, 4, 5].map((i) => task.generate(i));
test.after(() => { for (const x of [policy, model, task, rt]) x.close(); });

function session(t, options = {}) {
  const s = rt.session({ model, task, policy, batchSize: 4, threads: 2, ...options });
  t.after(() => s.close());
  return s;
}

// A session whose solve would take minutes: 100,000 segments per puzzle.
function longSession(t) {
  const slow = rt.policy('fixed', { policy: { segments: 100000 } });
  const s = rt.session({ model, task, policy: slow, batchSize: 2, threads: 1 });
  t.after(() => { s.close(); slow.close(); });
  return s;
}

test('every instance gets its result, bad ones their own error', async (t) => {
  const results = await session(t).solve([puzzles[0], '1x3', ...puzzles.slice(1)]);
  assert.equal(results.length, 7);
  assert.ok(results[1].error instanceof hrm.FormatError);
  assert.match(results[1].error.message, /sudoku instance/);
  assert.equal(results[1].solution, null);
  for (const r of results.filter((x, i) => i !== 1)) {
    if (!r.ok) continue;   // an untrained model may predict padding, which does not decode
    assert.equal(r.segments, 3);
    assert.equal(r.verified, task.verify(r.instance, r.solution));
    assert.equal(r.q.length, 2);
  }
  assert.deepEqual(results.map((r) => r.index), [0, 1, 2, 3, 4, 5, 6]);
  // Results do not depend on batch size or threads.
  const again = await session(t, { batchSize: 2, threads: 1 }).solve([puzzles[0], '1x3', ...puzzles.slice(1)]);
  assert.deepEqual(again.map((r) => [r.solution, r.verified]), results.map((r) => [r.solution, r.verified]));
});

test('progress, and cancelling by returning false', async (t) => {
  const calls = [];
  await session(t).solve(puzzles, { progress: (done, total) => { calls.push([done, total]); } });
  assert.deepEqual(calls.at(-1), [6, 6]);
  const s = session(t, { batchSize: 2 });
  await assert.rejects(s.solve(puzzles, { progress: () => false }), (e) => {
    assert.ok(e instanceof hrm.CancelledError);
    assert.equal(e.results.length, 6);
    assert.ok(e.results.some((r) => r.error instanceof hrm.CancelledError));
    return true;
  });
});

test('an exception in progress stops the solve and is re-thrown with the results', async (t) => {
  const boom = new Error('boom');
  await assert.rejects(session(t, { batchSize: 2 }).solve(puzzles, { progress: (done) => { if (done >= 2) throw boom; } }),
    (e) => e === boom && e.results.length === 6 && e.results.filter((r) => r.ok || !(r.error instanceof hrm.CancelledError)).length >= 2);
});

test('an AbortSignal stops a long solve, and the event loop runs meanwhile', async (t) => {
  const s = longSession(t);
  const controller = new AbortController();
  let ticks = 0;
  const timer = setInterval(() => { if (++ticks === 3) controller.abort(); }, 50);
  const t0 = Date.now();
  await assert.rejects(s.solve(puzzles.slice(0, 4), { signal: controller.signal }), (e) =>
    e instanceof hrm.CancelledError && e.results.every((r) => r.error instanceof hrm.CancelledError));
  clearInterval(timer);
  assert.ok(ticks >= 3);
  assert.ok(Date.now() - t0 < 20000);
  assert.equal((await s.solve(['1x3']))[0].error.name, 'FormatError');   // usable again
});

test('solveIter yields results as rows finish', async (t) => {
  const s = session(t, { batchSize: 2 });
  const seen = [];
  let doneAtFirst = null;
  let done = 0;
  for await (const r of s.solveIter([...puzzles, '1x3'], { progress: (d) => { done = d; } })) {
    if (doneAtFirst === null) doneAtFirst = done;
    seen.push(r);
  }
  assert.deepEqual(seen.map((r) => r.index).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6]);
  assert.ok(doneAtFirst < 7, 'the first result came before the solve ended');
  const byIndex = Object.fromEntries(seen.map((r) => [r.index, [r.solution, r.segments]]));
  const all = await s.solve([...puzzles, '1x3']);
  assert.deepEqual(Object.fromEntries(all.map((r) => [r.index, [r.solution, r.segments]])), byIndex);
});

test('leaving solveIter early cancels the solve and frees the session', async (t) => {
  const s = longSession(t);
  const t0 = Date.now();
  for await (const r of s.solveIter([puzzles[0], '1x3'])) {
    assert.equal(r.index, 1);   // the bad puzzle is reported at the first segment
    break;                      // ...and leaving the loop stops the 100,000-segment solve
  }
  assert.ok(Date.now() - t0 < 20000);
  assert.equal((await s.solve(['1x3'])).length, 1);
});

test('one solve at a time; closing waits for it', async (t) => {
  const s = longSession(t);
  const controller = new AbortController();
  const first = s.solve([puzzles[0]], { signal: controller.signal });
  await assert.rejects(s.solve([puzzles[1]]), /already solving/);
  assert.throws(() => s.close(), /solving/);
  controller.abort();
  await assert.rejects(first, hrm.CancelledError);
});

test('a session from names owns its instances; mismatches are explained', async () => {
  const s = rt.session({ model: rt.model(null, { config: TINY_SUDOKU4_MODEL }), task: 'sudoku4', policy: 'fixed',
    policyConfig: { policy: { segments: 1 } }, batchSize: 2, threads: 1 });
  const results = await s.solve(puzzles.slice(0, 3));
  assert.ok(results.every((r) => !r.ok || r.segments === 1));
  const { task: ownedTask, policy: ownedPolicy } = s;
  s.close();
  assert.ok(s.closed && ownedTask.closed && ownedPolicy.closed);
  const reverse = rt.encoder('reverse');   // seq_len 16 but vocab 11: the model has 6
  assert.throws(() => rt.session({ model, task: reverse, policy }), /vocab/);
  reverse.close();
  await assert.rejects(rt.session({ model, task: 'sudoku4' }).solve('1234'), /single string/);
});

test('Ctrl-C (a real SIGINT) aborts a solve in a child process', async () => {
  // The README's pattern: SIGINT aborts an AbortController whose signal the solve watches.
  const { spawn } = require('child_process');
  const code = `
    const { TINY_SUDOKU4_MODEL, runtime } = require(${JSON.stringify(require.resolve('./support'))});
    const rt = runtime();
    const task = rt.encoder('sudoku4');
    const s = rt.session({ model: rt.model(null, { config: TINY_SUDOKU4_MODEL }), task, policy: 'fixed',
      policyConfig: { policy: { segments: 100000 } }, batchSize: 2, threads: 1 });
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    s.solve([task.generate(0), task.generate(1)], { signal: controller.signal, progress: (done) => {
      if (!globalThis.started) { globalThis.started = true; console.log('solving'); }
    } }).then(() => console.log('finished'), (e) => console.log(e.name, e.results.length));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise((resolve, reject) => {
    let sent = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!sent && out.includes('solving')) sent = child.kill('SIGINT');   // once: a second one would end it
    });
    child.on('exit', resolve);
    child.on('error', reject);
    setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no exit: ${out}`)); }, 30000).unref();
  });
  assert.equal(out, 'solving\nCancelledError 2\n');
  assert.equal(child.exitCode, 0);
});
