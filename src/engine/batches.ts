// `serial:` → batches of hosts, like Ansible: numbers and percentages, a list of them
// (the last size repeats until every host is in a batch), percentages rounded down but at least 1.
import type { Serial } from '../playbook/types.js';

export function batchSizes(serial: Serial, total: number): number[] {
  if (total === 0) return [];
  if (serial.length === 0) return [total];
  const sizes: number[] = [];
  let left = total;
  let i = 0;
  while (left > 0) {
    const spec = serial[Math.min(i, serial.length - 1)];
    let n = toSize(spec, total);
    if (n <= 0) n = total; // Ansible: serial 0 means all hosts
    n = Math.min(n, left);
    sizes.push(n);
    left -= n;
    i++;
  }
  return sizes;
}

function toSize(spec: number | string | undefined, total: number): number {
  if (typeof spec === 'number') return Math.floor(spec);
  if (typeof spec === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(spec);
    if (m) return Math.max(1, Math.floor((Number(m[1]) * total) / 100));
    const n = Number(spec);
    if (Number.isFinite(n)) return Math.floor(n);
  }
  return total;
}

export function splitBatches<T>(items: readonly T[], serial: Serial): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (const n of batchSizes(serial, items.length)) {
    out.push(items.slice(start, start + n));
    start += n;
  }
  return out;
}
