import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_MAX_IDLE_MS, imageSources, imageSpec, layerDir, pruneCache } from './image.js';

describe('lab image sources per release', () => {
  const bookworm = [
    { uri: 'http://mirror.example/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main', 'contrib'] },
    { uri: 'http://mirror.example/debian-security', suites: ['bookworm-security'], components: ['main'] },
  ];

  it("uses the machine's own sources for its release", () => {
    const r = imageSources('bookworm', bookworm);
    expect(r.mirror).toBe('http://mirror.example/debian');
    expect(r.sources.map((s) => s.suites)).toEqual([['bookworm', 'bookworm-updates'], ['bookworm-security']]);
  });

  it('takes the same mirror hosts for another release (the apt proxy reaches only those)', () => {
    const r = imageSources('trixie', bookworm);
    expect(r.mirror).toBe('http://mirror.example/debian');
    expect(r.sources).toEqual([
      { uri: 'http://mirror.example/debian', suites: ['trixie', 'trixie-updates'], components: ['main'] },
      { uri: 'http://mirror.example/debian-security', suites: ['trixie-security'], components: ['main'] },
    ]);
  });

  it('keys images and layers by release', () => {
    const env = { RUNBOOK_LAB_CACHE: '/cache' };
    const b = imageSpec('12', env);
    const t = imageSpec('13', env);
    expect(b.suite).toBe('bookworm');
    expect(t.suite).toBe('trixie');
    expect(b.key).not.toBe(t.key);
    expect(b.dir).toBe(`/cache/images/bookworm-${b.key}`);
    expect(layerDir(t, 'apache', env)).toMatch(/^\/cache\/layers\/apache-trixie-[0-9a-f]{16}$/);
    expect(layerDir(b, 'apache', env)).not.toBe(layerDir(t, 'apache', env));
  });
});

describe('lab cache pruning', () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  const now = Date.now();
  const old = new Date(now - CACHE_MAX_IDLE_MS - 60_000);

  function image(name: string, idle: boolean): string {
    const d = join(root, 'cache', 'images', name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, '.runbook-lab-image'), '{}');
    if (idle) utimesSync(join(d, '.runbook-lab-image'), old, old);
    return d;
  }
  function layer(name: string, imageKey: string, idle: boolean): string {
    const d = join(root, 'cache', 'layers', name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, '.runbook-lab-layer'), JSON.stringify({ image: imageKey }));
    if (idle) utimesSync(join(d, '.runbook-lab-layer'), old, old);
    return d;
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rb-prune-'));
    env = { RUNBOOK_LAB_CACHE: join(root, 'cache'), RUNBOOK_LAB_STATE_ROOT: join(root, 'state') };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('keeps what was used recently (another checkout, another release) and removes what sat idle', async () => {
    const fresh12 = image('bookworm-aaaa', false);
    const fresh13 = image('trixie-bbbb', false);
    const idle = image('bookworm-cccc', true);
    const freshLayer = layer('apache-trixie-1111', 'bbbb', false);
    const idleLayer = layer('apache-trixie-2222', 'bbbb', true);
    const orphan = layer('apache-bookworm-3333', 'cccc', false);
    const removed = await pruneCache(env, now);
    expect(removed.sort()).toEqual([idle, idleLayer, orphan].sort());
    for (const d of [fresh12, fresh13, freshLayer]) expect(existsSync(d)).toBe(true);
  });

  it('never removes what a lab instance boots on, however idle', async () => {
    const img = image('bookworm-dddd', true);
    const lay = layer('apache-bookworm-4444', 'dddd', true);
    mkdirSync(join(root, 'state', 'x'), { recursive: true });
    writeFileSync(join(root, 'state', 'x', 'state.json'), JSON.stringify({ full: [{ lower: `${lay}:${img}` }] }));
    expect(await pruneCache(env, now)).toEqual([]);
  });
});
