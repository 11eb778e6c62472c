// Text for a stream, written once per turn of the event loop: the events of one turn (a fleet's
// hosts finishing a task together) go out in one write. A write per event or line was a syscall
// per remote command (stdout is synchronous for files and pipes), a measurable share of the
// controller's CPU per command. Nothing waits longer than that turn; flush() writes at once.

/** a backlog this large is written without waiting for the end of the turn */
const FLUSH_AT = 64 * 1024;

export interface TurnWriter {
  write(text: string): void;
  flush(): void;
}

export function createTurnWriter(out: NodeJS.WritableStream): TurnWriter {
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    out.write(text);
  };
  return {
    write(text: string): void {
      pending += text;
      if (pending.length >= FLUSH_AT) return flush();
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
