// placeholder until the ACME part lands (fleet hosts first: other tests wait for them)
import { EnvironmentError } from '../util/errors.js';
import type { LabContext } from './index.js';
import type { LabState } from './state.js';
import type { LabInfo } from './types.js';
export function acmeInfo(_stateDir: string, _state: LabState): NonNullable<LabInfo['acme']> {
  throw new EnvironmentError('lab: the ACME server is not implemented yet');
}
export function ensureAcme(_ctx: LabContext): Promise<void> {
  return Promise.reject(new EnvironmentError('lab: the ACME server is not implemented yet'));
}
export function registerAcmeNames(_ctx: LabContext): Promise<void> {
  return Promise.resolve();
}
export function stopAcme(_ctx: LabContext): Promise<void> {
  return Promise.resolve();
}
