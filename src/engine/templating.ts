// The engine's only door to src/template: one place to adapt if that contract moves.
export { render, renderValue, evaluate, createScope, createHostvars, TemplateError, OMIT } from '../template/index.js';
export type { VarScope } from '../template/index.js';
