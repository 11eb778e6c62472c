// What runbook answers when sshd announces its host keys, for every connection (ssh.ts) and for
// the benchmark's floor that handles ssh2 as runbook does (bench/floor.ts, `lean`).
import type { Client } from 'ssh2';

/**
 * After authentication OpenSSH's sshd announces all its host keys (hostkeys-00@openssh.com, for
 * the client's UpdateHostKeys). ssh2 answers by asking the server to prove every one of them: a
 * signature with each key on the host (RSA's among them) and a verification of each here, for a
 * 'hostkeys' event runbook does not listen to, since it never learns host keys that way (as ssh
 * with UpdateHostKeys no). Those were about 3% of the controller's CPU at 200 hosts. Every other
 * global request goes to ssh2; an ssh2 whose client no longer has this handler keeps its own
 * behaviour.
 *
 * Something still goes back at once, a keepalive (the cheapest request there is): with nothing
 * to send, our ACK of the announcement waits for the delayed-ACK timer, and sshd (Nagle on, as
 * for every session without a terminal) holds its next packet, the channel's confirmation, until
 * it comes: 40 ms more for the first command of every connection (measured).
 */
export function ignoreHostKeyAnnouncements(client: Client): void {
  type Proto = { requestSuccess(): void; ping(): void };
  type GlobalRequest = (p: Proto, name: string, wantReply: boolean, data: unknown) => void;
  const c = client as unknown as { _protocol?: { _handlers?: { GLOBAL_REQUEST?: GlobalRequest } }; _callbacks?: unknown };
  const handlers = c._protocol?._handlers;
  const ssh2s = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof ssh2s !== 'function') return;
  handlers.GLOBAL_REQUEST = (p, name, wantReply, data) => {
    if (name !== 'hostkeys-00@openssh.com') return ssh2s(p, name, wantReply, data);
    if (wantReply) return p.requestSuccess();
    // replies to global requests are matched to ssh2's queue of callbacks in order: one for ours
    const queue = c._callbacks;
    if (!Array.isArray(queue)) return;
    queue.push(() => {});
    p.ping();
  };
}
