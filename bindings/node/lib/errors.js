'use strict';
// Errors for hrm status codes. Every failed C call throws an HrmError subclass chosen by the status
// code, carrying .code, .codeName and the C message. Names match the Python package's.
const { constants: C } = require('./abi');

class HrmError extends Error {
  constructor(message, code) {
    super(message);
    this.name = new.target.name;
    const known = code === undefined || code === new.target.code;
    this.code = known ? new.target.code : code;
    this.codeName = known ? new.target.codeName : 'unknown error';   // a code of a newer libhrm
  }
}
HrmError.code = C.HRM_E_INTERNAL;
HrmError.codeName = 'internal error';

function define(name, code, codeName, base = HrmError) {
  const cls = { [name]: class extends base {} }[name];   // a class with that .name
  cls.code = code;
  cls.codeName = codeName;
  return cls;
}

const InvalidArgumentError = define('InvalidArgumentError', C.HRM_E_INVALID_ARG, 'invalid argument');
const errors = {
  HrmError,
  InvalidArgumentError,
  NotFoundError: define('NotFoundError', C.HRM_E_NOT_FOUND, 'not found'),
  UnsupportedError: define('UnsupportedError', C.HRM_E_UNSUPPORTED, 'unsupported'),
  VersionError: define('VersionError', C.HRM_E_VERSION, 'version mismatch'),
  PluginError: define('PluginError', C.HRM_E_PLUGIN, 'plugin error'),
  InputOutputError: define('InputOutputError', C.HRM_E_IO, 'i/o error'),
  FormatError: define('FormatError', C.HRM_E_FORMAT, 'format error'),
  OutOfMemoryError: define('OutOfMemoryError', C.HRM_E_OUT_OF_MEMORY, 'out of memory'),
  // A stopped solve; .results holds every result (finished ones complete, the others with a CancelledError).
  CancelledError: define('CancelledError', C.HRM_E_CANCELLED, 'cancelled'),
  InternalError: define('InternalError', C.HRM_E_INTERNAL, 'internal error'),
  // Use of a runtime, instance or session after close(): caught before it could reach freed C memory.
  ClosedError: define('ClosedError', C.HRM_E_INVALID_ARG, 'invalid argument', InvalidArgumentError),
  // libhrm.so could not be found or loaded.
  LibraryNotFoundError: define('LibraryNotFoundError', C.HRM_E_NOT_FOUND, 'not found'),
};

const byCode = new Map(['InvalidArgumentError', 'NotFoundError', 'UnsupportedError', 'VersionError', 'PluginError',
  'InputOutputError', 'FormatError', 'OutOfMemoryError', 'CancelledError', 'InternalError']
  .map((name) => [errors[name].code, errors[name]]));

// The error object for a status code and message (a code this version does not know becomes a
// plain HrmError that still carries it).
function errorFor(code, message) {
  const cls = byCode.get(code);
  return cls ? new cls(message) : new HrmError(message, code);
}

module.exports = { ...errors, errorFor };
