// `node --import ./test/support/register-ts.js script.ts`: run TypeScript sources directly
// (bench, scripts) through tsx's ESM loader, without a build step.
import { register } from 'tsx/esm/api';

register();
