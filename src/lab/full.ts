// placeholder until full hosts land (fleet hosts first: other tests wait for them)
import { join } from 'node:path';
import { EnvironmentError } from '../util/errors.js';
import type { FullHostRequest, LabContext } from './index.js';
import type { FullHostState } from './state.js';
export function fullHostDir(stateDir: string, name: string): string {
  return join(stateDir, 'full', name);
}
export function fullHostRunning(_h: FullHostState): boolean {
  return false;
}
export function reconcileFull(_ctx: LabContext, _f: FullHostRequest[], _pub: string): Promise<void> {
  return Promise.reject(new EnvironmentError('lab: full hosts are not implemented yet'));
}
export function removeFullHosts(_ctx: LabContext, _h: FullHostState[]): Promise<void> {
  return Promise.resolve();
}
export function startFullHost(_ctx: LabContext, _h: FullHostState): Promise<void> {
  return Promise.reject(new EnvironmentError('lab: full hosts are not implemented yet'));
}
export function stopFullHost(_h: FullHostState): Promise<void> {
  return Promise.resolve();
}
export function stopAptProxy(_ctx: LabContext): Promise<void> {
  return Promise.resolve();
}
