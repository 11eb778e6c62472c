// `--log FILE`: everything that happened, with full command output, for the post-mortem.
// Events are already masked by the engine (transport secrets, become password, no_log);
// `secrets` masks anything else the caller knows about, once more, before it hits the disk.
import { createWriteStream } from 'node:fs';
import { maskSecrets } from '../transport/command.js';
import type { Reporter, RunEvent } from './events.js';
import { formatRecap } from './recap.js';

export interface LogReporterOptions {
  secrets?: readonly string[];
}

export function createLogReporter(path: string, options: LogReporterOptions = {}): Reporter {
  const stream = createWriteStream(path, { flags: 'w', mode: 0o600 });
  let failed: Error | undefined;
  stream.on('error', (err) => (failed = err));
  const secrets = options.secrets ?? [];
  const w = (text: string): void => {
    if (failed) return;
    stream.write(secrets.length ? maskSecrets(text, secrets) : text);
  };
  return {
    onEvent(e: RunEvent): void {
      const t = new Date().toISOString();
      switch (e.type) {
        case 'output': {
          const lines = e.chunk.replace(/\n$/, '').split('\n');
          w(lines.map((l) => `${t} ${e.host} [${e.task.name}] ${e.stream}: ${l}\n`).join(''));
          break;
        }
        case 'task_result': {
          const { type, host, task, status, ...rest } = e;
          w(`${t} ${type} ${host} [${task.name}] (${task.where}) ${status} ${JSON.stringify(rest)}\n`);
          if (e.stderr) w(e.stderr.trimEnd().split('\n').map((l) => `${t} ${host} [${task.name}] stderr: ${l}\n`).join(''));
          break;
        }
        case 'recap':
          w(`${t} recap ${JSON.stringify(e)}\n`);
          w(formatRecap(e));
          break;
        default:
          w(`${t} ${e.type} ${JSON.stringify(e)}\n`);
      }
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        if (failed) return resolve();
        stream.end(() => resolve());
      });
    },
  };
}
