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

/** Python's `timedelta` (what subtracting two datetimes gives): whole days, seconds, microseconds. */
export class TimeDelta {
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
  constructor(readonly totalMs: number) {
    const us = Math.round(totalMs * 1000);
    this.days = Math.floor(us / 86_400_000_000);
    const rest = us - this.days * 86_400_000_000;
    this.seconds = Math.floor(rest / 1_000_000);
    this.microseconds = rest - this.seconds * 1_000_000;
  }
}

/** Python's `str(timedelta)`: `1 day, 2:03:04`, `-1 day, 23:59:59`, `0:00:01.500000`. */
export function timeDeltaStr(td: TimeDelta): string {
  const h = Math.floor(td.seconds / 3600);
  const m = Math.floor((td.seconds % 3600) / 60);
  const s = td.seconds % 60;
  const clock = `${h}:${pad(m)}:${pad(s)}${td.microseconds ? `.${pad(td.microseconds, 6)}` : ''}`;
  return td.days === 0 ? clock : `${td.days} day${Math.abs(td.days) === 1 ? '' : 's'}, ${clock}`;
}

const STRPTIME: Readonly<Record<string, string>> = {
  Y: '(\\d{4})', y: '(\\d{2})', m: '(\\d{1,2})', d: '(\\d{1,2})', H: '(\\d{1,2})', I: '(\\d{1,2})', M: '(\\d{1,2})',
  S: '(\\d{1,2})', f: '(\\d{1,6})', j: '(\\d{1,3})', p: '(AM|PM|am|pm)', b: '([A-Za-z]{3})', h: '([A-Za-z]{3})',
  B: '([A-Za-z]+)', a: '([A-Za-z]{3})', A: '([A-Za-z]+)', z: '([-+]\\d{2}:?\\d{2}|Z)', Z: '([A-Za-z]{2,5})', '%': '(%)',
};

/**
 * Python's `datetime.strptime` (Ansible's `to_datetime` filter) for the common directives; the
 * result is naive like Python's (its fields are the text's; `%z` converts to UTC).
 */
export function strptime(text: string, format: string): DateTime {
  const order: string[] = [];
  let re = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%' && i + 1 < format.length) {
      const d = format[++i]!;
      const part = STRPTIME[d];
      if (part === undefined) throw new TemplateRuntimeError(`to_datetime: the directive %${d} is not supported`);
      order.push(d);
      re += part;
    } else if (/\s/.test(c)) {
      re += '\\s+';
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const m = new RegExp(`^${re}$`).exec(text);
  if (!m) throw new TemplateRuntimeError(`time data ${JSON.stringify(text)} does not match format ${JSON.stringify(format)}`);
  const v = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0, us: 0, pm: undefined as boolean | undefined, offsetMin: 0, yday: undefined as number | undefined };
  const monthOf = (name: string): number => {
    const i = MONTHS.findIndex((x) => x.toLowerCase().startsWith(name.toLowerCase()) && (name.length === 3 || x.toLowerCase() === name.toLowerCase()));
    if (i < 0) throw new TemplateRuntimeError(`time data ${JSON.stringify(text)} does not match format ${JSON.stringify(format)}`);
    return i + 1;
  };
  order.forEach((d, i) => {
    const s = m[i + 1]!;
    switch (d) {
      case 'Y': v.Y = Number(s); break;
      case 'y': v.Y = Number(s) < 69 ? 2000 + Number(s) : 1900 + Number(s); break;
      case 'm': v.m = Number(s); break;
      case 'd': v.d = Number(s); break;
      case 'H': case 'I': v.H = Number(s); break;
      case 'M': v.M = Number(s); break;
      case 'S': v.S = Number(s); break;
      case 'f': v.us = Number(s.padEnd(6, '0')); break;
      case 'j': v.yday = Number(s); break;
      case 'p': v.pm = s.toLowerCase() === 'pm'; break;
      case 'b': case 'h': case 'B': v.m = monthOf(s); break;
      case 'z': {
        if (s !== 'Z') {
          const z = /^([-+])(\d{2}):?(\d{2})$/.exec(s)!;
          v.offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
        }
        break;
      }
      default: break;
    }
  });
  if (v.pm !== undefined) v.H = (v.H % 12) + (v.pm ? 12 : 0);
  if (v.m < 1 || v.m > 12 || v.d < 1 || v.d > 31 || v.H > 23 || v.M > 59 || v.S > 61) throw new TemplateRuntimeError(`to_datetime: ${JSON.stringify(text)} is not a valid date and time`);
  let ms = Date.UTC(v.Y, v.m - 1, v.d, v.H, v.M, v.S) + v.us / 1000 - v.offsetMin * 60_000;
  if (v.yday !== undefined) ms = Date.UTC(v.Y, 0, v.yday, v.H, v.M, v.S) + v.us / 1000 - v.offsetMin * 60_000;
  const date = new Date(ms);
  if (date.getUTCDate() !== v.d && v.yday === undefined && v.offsetMin === 0) throw new TemplateRuntimeError('to_datetime: day is out of range for month');
  return new DateTime(date, true);
}
