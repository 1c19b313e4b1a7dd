'use strict';
// koffi, or a clear word on how to get it. `npm install /elsewhere/bindings/node` from a project
// outside the hrm-sdk tree links the folder without installing its dependencies.
try {
  module.exports = require('koffi');
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND') throw e;
  const dir = require('path').resolve(__dirname, '..');
  throw new Error(`hrm-sdk needs koffi, which is not installed for ${dir}: run \`npm ci\` there, or install the ` +
    'package with `npm install --install-links <path to bindings/node>` (a copy with its dependencies)');
}
