// The events reporters render are made, and typed, by the engine (src/engine/events.ts):
// re-exported here so renderers and tools keep one import beside them.
export type { HostStats, RecapEvent, Reporter, RunEvent, TaskRef, TaskResultEvent, TaskStatus } from '../engine/events.js';
