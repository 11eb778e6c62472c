// Dates for templates: Python's strftime directives (Ansible's `strftime` filter, `now()`).
// The clock is read only here, and only when a template asks for the time.
import { TemplateRuntimeError } from './errors.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A point in time as a template value: Python's datetime (naive; `utc` picks the clock fields). */
export class DateTime {
  constructor(
    readonly date: Date,
    readonly utc: boolean,
  ) {}
}

interface Fields {
  Y: number;
  m: number;
  d: number;
  H: number;
  M: number;
  S: number;
  ms: number;
  w: number;
  offsetMin: number;
}

function fields(date: Date, utc: boolean): Fields {
  if (utc) {
    return {
      Y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate(), H: date.getUTCHours(), M: date.getUTCMinutes(),
      S: date.getUTCSeconds(), ms: date.getUTCMilliseconds(), w: date.getUTCDay(), offsetMin: 0,
    };
  }
  return {
    Y: date.getFullYear(), m: date.getMonth() + 1, d: date.getDate(), H: date.getHours(), M: date.getMinutes(),
    S: date.getSeconds(), ms: date.getMilliseconds(), w: date.getDay(), offsetMin: -date.getTimezoneOffset(),
  };
}

const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);

function dayOfYear(f: Fields): number {
  return Math.round((Date.UTC(f.Y, f.m - 1, f.d) - Date.UTC(f.Y, 0, 1)) / 86_400_000) + 1;
}

/** Week of the year with `first` (0 Sunday, 1 Monday) as the first day; days before the first such day are week 0. */
function weekOfYear(f: Fields, first: number): number {
  const yday = dayOfYear(f) - 1;
  const wday = (f.w - first + 7) % 7;
  return Math.floor((yday + 7 - wday) / 7);
}

function zoneName(date: Date, utc: boolean): string {
  if (utc) return 'UTC';
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

/** Python's `time.strftime` / `datetime.strftime` for the common directives; unknown ones stay as written. */
export function strftime(format: string, date: Date, utc: boolean): string {
  if (Number.isNaN(date.getTime())) throw new TemplateRuntimeError('strftime: the time is not a valid date');
  const f = fields(date, utc);
  const one = (c: string): string | undefined => {
    switch (c) {
      case 'a': return DAYS[f.w]!.slice(0, 3);
      case 'A': return DAYS[f.w]!;
      case 'b': case 'h': return MONTHS[f.m - 1]!.slice(0, 3);
      case 'B': return MONTHS[f.m - 1]!;
      case 'c': return `${one('a')} ${one('b')} ${pad(f.d, 2, ' ')} ${one('X')} ${f.Y}`;
      case 'C': return pad(Math.floor(f.Y / 100));
      case 'd': return pad(f.d);
      case 'D': return `${pad(f.m)}/${pad(f.d)}/${pad(f.Y % 100)}`;
      case 'e': return pad(f.d, 2, ' ');
      case 'f': return pad(f.ms * 1000, 6);
      case 'F': return `${f.Y}-${pad(f.m)}-${pad(f.d)}`;
      case 'H': return pad(f.H);
      case 'I': return pad(f.H % 12 === 0 ? 12 : f.H % 12);
      case 'j': return pad(dayOfYear(f), 3);
      case 'k': return pad(f.H, 2, ' ');
      case 'l': return pad(f.H % 12 === 0 ? 12 : f.H % 12, 2, ' ');
      case 'm': return pad(f.m);
      case 'M': return pad(f.M);
      case 'n': return '\n';
      case 'p': return f.H < 12 ? 'AM' : 'PM';
      case 'R': return `${pad(f.H)}:${pad(f.M)}`;
      case 's': return String(Math.floor(date.getTime() / 1000));
      case 'S': return pad(f.S);
      case 't': return '\t';
      case 'T': case 'X': return `${pad(f.H)}:${pad(f.M)}:${pad(f.S)}`;
      case 'u': return String(f.w === 0 ? 7 : f.w);
      case 'U': return pad(weekOfYear(f, 0));
      case 'w': return String(f.w);
      case 'W': return pad(weekOfYear(f, 1));
      case 'x': return `${pad(f.m)}/${pad(f.d)}/${pad(f.Y % 100)}`;
      case 'y': return pad(f.Y % 100);
      case 'Y': return String(f.Y);
      case 'z': {
        const o = Math.abs(f.offsetMin);
        return `${f.offsetMin < 0 ? '-' : '+'}${pad(Math.floor(o / 60))}${pad(o % 60)}`;
      }
      case 'Z': return zoneName(date, utc);
      case '%': return '%';
      default: return undefined;
    }
  };
  return format.replace(/%(.)/gs, (all, c: string) => one(c) ?? all);
}

/** Python's `str(datetime)`: `2026-11-22 09:15:41.123000` (no fraction when it is zero). */
export function dateTimeStr(dt: DateTime): string {
  const f = fields(dt.date, dt.utc);
  const base = `${f.Y}-${pad(f.m)}-${pad(f.d)} ${pad(f.H)}:${pad(f.M)}:${pad(f.S)}`;
  return f.ms ? `${base}.${pad(f.ms * 1000, 6)}` : base;
}

/** Python's `datetime.isoformat()`. */
export function dateTimeIso(dt: DateTime): string {
  return dateTimeStr(dt).replace(' ', 'T');
}

/** The fields of a datetime a template may read (`now().year`). */
export function dateTimeField(dt: DateTime, key: string): number | undefined {
  const f = fields(dt.date, dt.utc);
  switch (key) {
    case 'year': return f.Y;
    case 'month': return f.m;
    case 'day': return f.d;
    case 'hour': return f.H;
    case 'minute': return f.M;
    case 'second': return f.S;
    case 'microsecond': return f.ms * 1000;
    default: return undefined;
  }
}
