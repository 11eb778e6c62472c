// Jinja2 templating for runbook (sandboxed, single pass) and variable scopes.
// See scope.ts for the variable precedence and README.md for the design.
export { render, renderValue, evaluate } from './render.js';
export { renderFile, includedNames } from './file-template.js';
export type { FileTemplateOptions, IncludeRef } from './file-template.js';
export type { Lookupable, ScopeLike } from './render.js';
export { createScope, createHostvars, VarScope } from './scope.js';
export type { ScopeLayer } from './scope.js';
export { TemplateError } from './errors.js';
export { OMIT } from './access.js';
export { LazyMapping, Undefined } from './values.js';
export { isTemplate } from './compile.js';
export { toBool } from './filters.js';
export { knownFilters, knownTests } from './known.js';
