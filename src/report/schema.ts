// The published JSON Schema of `runbook apply --json` lines (schemas/events.schema.json).
// One source: this object; a unit test keeps the published file identical to it.
import type { SchemaObject } from 'ajv';
import { EXIT } from '../util/errors.js';

const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const strings = { type: 'array', items: str } as const;

const taskRef = {
  type: 'object',
  required: ['id', 'name', 'module', 'where'],
  properties: {
    id: { type: 'string', description: 'stable id within the run, e.g. p0.tasks.3' },
    name: str,
    module: str,
    where: { type: 'string', description: 'file:line of the task' },
    handler: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const hostStats = {
  type: 'object',
  required: ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'],
  properties: {
    ok: int,
    changed: int,
    unreachable: int,
    failed: int,
    skipped: int,
    rescued: int,
    ignored: int,
  },
  additionalProperties: false,
} as const;

const fileDiff = {
  type: 'object',
  required: ['path', 'before', 'after'],
  properties: { path: str, before: str, after: str },
  additionalProperties: false,
} as const;

function event(type: string, required: string[], properties: Record<string, unknown>, description: string): SchemaObject {
  return {
    type: 'object',
    description,
    required: ['type', ...required],
    properties: { type: { const: type }, ...properties },
    additionalProperties: false,
  };
}

const status = { enum: ['ok', 'changed', 'skipped', 'failed', 'unreachable'] };
const exitCode = { type: ['integer', 'null'] };

export const eventsSchema: SchemaObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://runbook.dev/schemas/events.schema.json',
  title: 'runbook apply --json event',
  description:
    'One line of `runbook apply --json` (NDJSON). The last line of a run is the recap. Task results with `item` are per loop item; the one without is the task\'s outcome.',
  oneOf: [
    event('run_start', ['playbook', 'hosts', 'check', 'time'], { playbook: str, hosts: strings, check: { type: 'boolean' }, time: { type: 'string', description: 'ISO 8601 date-time' } }, 'the run begins'),
    event('play_start', ['play', 'index', 'hosts'], { play: str, index: int, hosts: strings, tasks: int }, 'a play begins'),
    event('batch_start', ['play', 'batch', 'batches', 'hosts'], { play: str, batch: { type: 'integer', minimum: 1 }, batches: { type: 'integer', minimum: 1 }, hosts: strings }, 'a serial batch begins'),
    event('host_connect', ['host', 'status', 'durationMs'], { host: str, status: { enum: ['ok', 'unreachable'] }, msg: str, durationMs: int }, 'a connection was opened, or could not be'),
    event('task_start', ['host', 'task'], { host: str, task: taskRef, item: str }, 'a task (or loop item) starts on a host'),
    event(
      'task_result',
      ['host', 'task', 'status', 'durationMs'],
      {
        host: str,
        task: taskRef,
        status,
        ignored: { type: 'boolean' },
        delegatedTo: { type: 'string', description: 'the module ran on this host (delegate_to, local_action), for the task\'s host' },
        msg: str,
        exitCode,
        stderr: str,
        command: str,
        diff: { type: 'array', items: fileDiff },
        warnings: strings,
        item: str,
        durationMs: int,
        result: { type: 'object', description: 'registered value; omitted for no_log tasks' },
      },
      'a task (or loop item) ended on a host',
    ),
    event('output', ['host', 'task', 'stream', 'chunk'], { host: str, task: taskRef, stream: { enum: ['stdout', 'stderr'] }, chunk: str }, 'command output (only with -vv)'),
    event('progress', ['host', 'task', 'msg'], { host: str, task: taskRef, msg: str }, 'a long step says what it is doing'),
    event('warning', ['msg'], { host: str, msg: str }, 'a warning'),
    event('handler_notified', ['host', 'handler', 'by'], { host: str, handler: str, by: taskRef }, 'a changed task notified a handler'),
    event('host_end', ['host', 'state'], { host: str, state: { enum: ['ok', 'failed', 'unreachable', 'stopped', 'deferred'] } }, 'a host finished its tasks in the batch (handlers may follow)'),
    event('host_deferred', ['host', 'from', 'reason'], { host: str, from: { type: 'string', description: 'ISO time from which the host fits' }, reason: str }, 'a task took the host out of this run for now (weekly certificate budget)'),
    event(
      'batch_end',
      ['play', 'batch', 'batches', 'hosts'],
      {
        play: str,
        batch: { type: 'integer', minimum: 1 },
        batches: { type: 'integer', minimum: 1 },
        hosts: { type: 'object', additionalProperties: { enum: ['ok', 'failed', 'unreachable', 'stopped', 'deferred'] } },
        stopped: { type: 'string', description: 'why the rollout stops after this batch' },
      },
      'a serial batch ended (its handlers too)',
    ),
    event(
      'approval',
      ['play', 'batch', 'decision', 'by', 'waitedMs'],
      { play: str, batch: { type: 'integer', minimum: 1 }, decision: { enum: ['continue', 'stop'] }, by: { enum: ['operator', 'timeout', 'non-interactive', 'interrupted'] }, waitedMs: int },
      'the rollout asked for approval after a batch',
    ),
    event('play_end', ['play', 'index'], { play: str, index: int, stopped: { type: 'string', description: 'why the rollout stopped here' } }, 'a play ended'),
    event(
      'recap',
      ['hosts', 'notStarted', 'pendingHandlers', 'failures', 'interrupted', 'durationMs', 'exitCode'],
      {
        hosts: { type: 'object', additionalProperties: hostStats },
        notStarted: { ...strings, description: 'hosts never started because the run stopped' },
        pendingHandlers: { type: 'object', additionalProperties: strings, description: 'handlers notified but not run, per host' },
        failures: {
          type: 'array',
          items: {
            type: 'object',
            required: ['host', 'task', 'where', 'msg'],
            properties: { host: str, task: str, where: str, msg: str, exitCode, stderr: str },
            additionalProperties: false,
          },
        },
        interrupted: { type: 'boolean' },
        durationMs: int,
        exitCode: { enum: [...new Set(Object.values(EXIT))] },
        deferred: {
          type: 'array',
          description: 'hosts deferred (weekly certificate budget), in the retry file',
          items: { type: 'object', required: ['host', 'from', 'reason'], properties: { host: str, from: str, reason: str }, additionalProperties: false },
        },
        retryFile: str,
        outputs: { type: 'object', additionalProperties: { type: 'object' } },
      },
      'the last line: per-host counts, failures, and what did not happen',
    ),
  ],
};
