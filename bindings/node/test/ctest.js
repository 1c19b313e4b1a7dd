'use strict';
// CTest's entry (bindings/node/CMakeLists.txt): `npm test` when the package's dependencies are
// installed, else exit 77, which CTest reports as skipped.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const pkg = path.resolve(__dirname, '..');
try {
  require.resolve('koffi', { paths: [pkg] });
} catch {
  console.log(`koffi is not installed: run \`npm ci\` in ${pkg} to run these tests`);
  process.exit(77);
}
const tests = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).map((f) => path.join(__dirname, f));
const run = spawnSync(process.execPath, ['--test', ...tests], { cwd: pkg, stdio: 'inherit' });
process.exit(run.status === null ? 1 : run.status);
