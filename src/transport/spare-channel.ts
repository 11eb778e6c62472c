// One round trip per command instead of two (issue 18, slow links). ssh2's `client.exec` opens
// a session channel (CHANNEL_OPEN, wait for OPEN_CONFIRMATION) and only then sends the exec
// request, whose reply carries the output and exit status: two round trips per command. On an
// 80 ms link that is 80 ms per task per host spent opening channels. A session channel can be
// opened ahead of time, while the previous command runs, and the next command exec'd on it:
// OpenSSH starts nothing for a session until its exec request (no process, no log line), so
// an idle spare costs one channel slot and a few bytes.
//
// ssh2 (1.x) has no public API for "open a session now, exec on it later": both steps live in
// its client.js (openChannel, reqExec). The two functions below do the same through the same
// internals (the channel manager, the protocol writer, the channel's request callbacks), and
// say `undefined` whenever those are not what they expect, so the caller falls back to
// `client.exec`. Pinned by package-lock; test/lab/transport.test.ts covers both paths.
import type { ClientChannel, Client as SshClient } from 'ssh2';

// ssh2's lib/Channel.js: the window and packet size it offers for every channel it opens
const MAX_WINDOW = 2 * 1024 * 1024;
const PACKET_SIZE = 32 * 1024;

interface Internals {
  _chanMgr: { add(wrapper: unknown): number };
  _protocol: { session(local: number, window: number, packet: number): void; exec(remote: number, cmd: string, wantReply: boolean): void };
}

interface ChannelInternals {
  outgoing: { id: number; state: string };
  _callbacks: Array<(hadErr: boolean | Error) => void>;
  subtype?: string;
  allowHalfOpen: boolean;
}

function internals(client: SshClient): Internals | undefined {
  const c = client as unknown as Partial<Internals>;
  if (typeof c._chanMgr?.add !== 'function' || typeof c._protocol?.session !== 'function' || typeof c._protocol.exec !== 'function') return undefined;
  return c as Internals;
}

/**
 * Open a session channel with no request on it yet. Resolves with the channel, or undefined
 * when it could not be opened (refused: MaxSessions; no free channel id; ssh2 changed).
 */
export function openSpareSession(client: SshClient): Promise<ClientChannel | undefined> {
  const c = internals(client);
  if (!c) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    // what ssh2's openChannel registers: called with the Channel on OPEN_CONFIRMATION, with an
    // error on OPEN_FAILURE or when the connection closes first
    const wrapper = Object.assign((err: Error | undefined, ch: ClientChannel) => resolve(err ? undefined : ch), { type: 'session' });
    const local = c._chanMgr.add(wrapper);
    if (local === -1) return resolve(undefined);
    try {
      c._protocol.session(local, MAX_WINDOW, PACKET_SIZE);
    } catch {
      resolve(undefined);
    }
  });
}

/**
 * Exec `command` on a spare session channel, as `client.exec(command, cb)` would on a new
 * one (same half-open behaviour). False when the channel cannot take it (no longer open, or
 * not the shape expected): the caller closes it and uses `client.exec`.
 */
export function execOnSpare(channel: ClientChannel, command: string, cb: (err: Error | undefined, ch: ClientChannel) => void): boolean {
  const ch = channel as unknown as Partial<ChannelInternals> & { _client?: Partial<Internals> };
  if (ch.outgoing?.state !== 'open' || !Array.isArray(ch._callbacks) || typeof ch._client?._protocol?.exec !== 'function' || ch.subtype !== undefined) return false;
  const full = ch as ChannelInternals & { _client: Internals };
  full._callbacks.push((hadErr) => {
    if (hadErr) return cb(hadErr !== true ? hadErr : new Error('Unable to exec'), channel);
    full.subtype = 'exec';
    full.allowHalfOpen = true;
    cb(undefined, channel);
  });
  full._client._protocol.exec(full.outgoing.id, command, true);
  return true;
}
