// Commands are built from parts that are either literal shell text, shell-quoted values, or
// secrets. A secret is sent to the host but shown as `********` in every log, event, error and
// report (pyinfra's QuoteString/MaskString idea).

import { shellQuote } from '../util/shlex.js';
import { MASK, maskAll } from '../vault/secrets.js';

export class Secret {
  constructor(readonly value: string) {}
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
}

/** Literal shell text that must not be quoted (operators, redirections, sub-commands). */
export class Raw {
  constructor(readonly text: string) {}
}

type Part = string | Raw | Secret | ShellCommand;

const NO_SECRETS: readonly string[] = Object.freeze([]);

/** below this many characters a command's text is left as it was built (a few pieces at most) */
const FLATTEN_MIN = 256;

// where flatten() puts the number it reads: a store the compiler cannot drop with the call
let _flattened = 0;
/** Make a rope flat in place (see ShellCommand's #build). */
function flatten(text: string): void {
  _flattened = Number(text);
}

/** Quote a value for a POSIX shell: util/shlex's shellQuote (also the `quote` filter), under the name the command builders use. */
export const quote = shellQuote;

export class ShellCommand {
  // A command is immutable once built, and the one-command paths nest commands several levels
  // deep and render them more than once (sent, shown, compared with the planned path): each
  // rendering is kept (the fleet benchmark spent a tenth of its controller CPU here). Kept in
  // private fields, invisible to equality (commands still compare equal by their parts): they
  // were WeakMaps, whose entries for short-lived keys the garbage collector has to trace as
  // ephemerons at every scavenge (a few percent of the controller's CPU per command, profiled).
  #shell: string | undefined;
  #display: string | undefined;
  #secrets: readonly string[] | undefined;

  /** literal text and values, in order; literal text is Raw */
  constructor(readonly parts: readonly Part[]) {}

  /** The text sent to the host. */
  toShell(): string {
    return this.#shell ?? this.#build();
  }

  /** The text shown to people: secrets masked. */
  toDisplay(): string {
    if (this.#display !== undefined) return this.#display;
    // without a secret inside, the text shown is the text sent: #build sets both in one walk
    if (this.#shell === undefined) this.#build();
    return (this.#display ??= this.parts.map((p) => render(p, true)).join(''));
  }

  /** Every secret value inside, for masking of output streams. */
  secrets(): string[] {
    if (this.#secrets === undefined) this.#build();
    const list = this.#secrets as readonly string[];
    return list.length === 0 ? [] : [...list];
  }

  /**
   * The text sent and the secrets inside (and the text shown when there are none), in one walk:
   * nested commands not built yet are walked in place rather than built and kept each on its
   * own, and the pieces are joined once. A one-command path's script is hundreds of pieces
   * nested several levels deep; built level by level it was a tree of partial strings that every
   * level kept, copied again when the whole was flattened for sending (profiled on the fleet
   * benchmark: building and encoding the text was about a tenth of the controller's CPU for a
   * template task).
   */
  #build(): string {
    const list: string[] = [];
    const text = this.#emit('', list);
    // The rope is made flat now, in place: V8 turns a string into a number by reading it flat,
    // and it keeps the flat copy in the rope's top node, so the hundreds of nodes below become
    // garbage at once. Kept as a rope, a one-command script took about six times the memory of
    // its text (a node per piece) for as long as its command ran, a round trip or more: at 200
    // hosts that outlived a scavenge or two and was copied by each (fleet benchmark, allocation
    // profile). Sending it needs it flat anyway.
    if (text.length > FLATTEN_MIN) flatten(text);
    this.#shell = text;
    this.#secrets = list.length === 0 ? NO_SECRETS : list;
    if (list.length === 0) this.#display = text;
    return text;
  }

  /**
   * `out` with the text's pieces appended, the secrets added to `secrets`. Appended with `+`:
   * V8 makes a rope of the pieces, flattened once when the text is sent, where an array of
   * pieces grew by copying and was joined in a second pass.
   */
  #emit(out: string, secrets: string[]): string {
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as Part;
      if (typeof p === 'string') out += quoteOnce(p);
      else if (p instanceof Raw) out += p.text;
      else if (p instanceof Secret) {
        out += quote(p.value);
        secrets.push(p.value);
      } else if (p.#shell !== undefined) {
        out += p.#shell;
        const inner = p.#secrets as readonly string[];
        for (let j = 0; j < inner.length; j++) secrets.push(inner[j] as string);
      } else out = p.#emit(out, secrets);
    }
    return out;
  }

  toString(): string {
    return this.toDisplay();
  }

  /**
   * The same command as one piece of text: what it sends, shows and masks, without the parts it
   * was built from. For a command that is kept while it runs (a one-command path's script, a
   * round trip or more): its parts are a tree of hundreds of objects, and kept that long at a few
   * hundred hosts they outlived scavenges and were copied by each (fleet benchmark).
   */
  static built(command: ShellCommand): ShellCommand {
    const text = command.toShell();
    const built = new ShellCommand([new Raw(text)]);
    built.#shell = text;
    built.#display = command.toDisplay();
    built.#secrets = command.#secrets;
    return built;
  }
}

// A path is quoted in many places of one command, in a row and several commands apart (the
// probe, each branch): the last value quoted is remembered (a test of its characters each time,
// otherwise).
let quotedIn: string | undefined;
let quotedOut = '';
function quoteOnce(value: string): string {
  if (value !== quotedIn) {
    quotedIn = value;
    quotedOut = quote(value);
  }
  return quotedOut;
}

function render(p: Part, display: boolean): string {
  if (p instanceof Raw) return p.text;
  if (p instanceof Secret) return display ? MASK : quote(p.value);
  if (p instanceof ShellCommand) return display ? p.toDisplay() : p.toShell();
  return quote(p);
}

/**
 * Tagged template: literal text stays as written, every interpolated value is quoted
 * (arrays become space-separated quoted words), Raw is inserted as is, Secret is quoted and
 * masked, a nested ShellCommand is inserted unquoted.
 *   sh`certbot certonly -d ${domain} --email ${email}`
 */
export function sh(strings: TemplateStringsArray, ...values: unknown[]): ShellCommand {
  const literal = literalsOf(strings);
  const parts: Part[] = [];
  for (let i = 0; i < strings.length; i++) {
    const r = literal[i];
    if (r !== undefined) parts.push(r);
    if (i < values.length) pushValue(parts, values[i]);
  }
  return new ShellCommand(parts);
}

/**
 * A template's literal texts as Raw parts, made once per call site: the strings array of a
 * tagged template is the same object at every call of that site, and Raw is immutable, so the
 * modules' commands share them instead of allocating them per command.
 */
const literalCache = new WeakMap<TemplateStringsArray, ReadonlyArray<Raw | undefined>>();
function literalsOf(strings: TemplateStringsArray): ReadonlyArray<Raw | undefined> {
  let lits = literalCache.get(strings);
  if (lits === undefined) {
    lits = strings.map((s) => (s ? new Raw(s) : undefined));
    literalCache.set(strings, lits);
  }
  return lits;
}

// Raw is immutable: one separator for every array value
const SPACE = new Raw(' ');

function pushValue(parts: Part[], v: unknown): void {
  if (Array.isArray(v)) {
    for (let j = 0; j < v.length; j++) {
      if (j > 0) parts.push(SPACE);
      pushValue(parts, v[j]);
    }
  } else if (v instanceof Raw || v instanceof Secret || v instanceof ShellCommand) {
    parts.push(v);
  } else if (typeof v === 'string') {
    parts.push(v);
  } else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    parts.push(String(v));
  } else {
    throw new TypeError(`sh: cannot interpolate ${typeof v}`);
  }
}

// the separators commands are joined with, one immutable Raw each
const separators = new Map<string, Raw>();

/** `a SEP b SEP c` as one command (`' && '`, `'; '`): the commands as they are, nothing quoted. */
export function joinWith(commands: readonly ShellCommand[], separator: string): ShellCommand {
  let sep = separators.get(separator);
  if (sep === undefined) separators.set(separator, (sep = new Raw(separator)));
  const parts: Part[] = [];
  for (let i = 0; i < commands.length; i++) {
    if (i > 0) parts.push(sep);
    parts.push(commands[i] as ShellCommand);
  }
  return new ShellCommand(parts);
}

export function raw(text: string): Raw {
  return new Raw(text);
}

export function secret(value: string): Secret {
  return new Secret(value);
}

/** A command given as plain text by the user (e.g. the `shell` module): sent as is. */
export function rawCommand(text: string): ShellCommand {
  return new ShellCommand([new Raw(text)]);
}

/** Replace every occurrence of each secret in text with the mask (the longest first: see maskAll). */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  return maskAll(text, secrets);
}

export { MASK };
