// TemplateError is what every templating failure becomes: a syntax error, an undefined
// variable, a filter used on the wrong type. Its message never contains variable values
// (they may be secrets); it names the variable and shows the template text, shortened.

const MAX_TEMPLATE_DISPLAY = 120;

/** `--password=hunter2`, `token: abc` written literally in a template: not for messages. */
const LITERAL_SECRET = /((?:pass|password|passwd|secret|token)["']?\s*[=:]\s*)(?!\{\{)("[^"]*"|'[^']*'|[^\s,;'"}]+)/gi;

/** The template text as shown in messages: secrets written in it masked, one line, at most 120 characters. */
export function displayTemplate(template: string): string {
  const oneLine = template.replace(LITERAL_SECRET, '$1********').replace(/\s*\n\s*/g, ' ⏎ ');
  return oneLine.length > MAX_TEMPLATE_DISPLAY ? `${oneLine.slice(0, MAX_TEMPLATE_DISPLAY - 1)}…` : oneLine;
}

export class TemplateError extends Error {
  readonly code = 'TEMPLATE';
  /** the failing template, shortened for display (never a rendered value) */
  readonly template: string;
  /** the bare reason without the template, e.g. `'nope' is undefined` */
  readonly reason: string;
  constructor(reason: string, template: string, options?: { cause?: unknown }) {
    const shown = displayTemplate(template);
    super(shown ? `${reason} (in template "${shown}")` : reason, options);
    this.name = 'TemplateError';
    this.reason = reason;
    this.template = shown;
  }
}

/** Thrown inside the interpreter; `render` wraps it into a TemplateError with the template. */
export class TemplateRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateRuntimeError';
  }
}
