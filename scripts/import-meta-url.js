/* global __filename */
// Injected into the CommonJS bundle (scripts/bundle.js): `import.meta.url` of the bundled ES
// modules becomes the bundle's own URL, as it was for the ES module chunks in the same directory
// (src/cli/main.ts finds package.json from it, src/lab/full.ts the apt proxy beside it).
import { pathToFileURL } from 'node:url';

export const importMetaUrl = pathToFileURL(__filename).href;
