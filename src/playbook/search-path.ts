// The search path lives in src/util/search-path.ts (the template layer's file lookups use it
// too, and src/template may import only util); this re-export keeps the playbook's imports.
export * from '../util/search-path.js';
