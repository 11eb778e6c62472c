// A diagnostic is one problem found in a user's file, with a position a person (and an
// editor) can jump to. Validation returns lists of these instead of throwing.

export interface SourcePosition {
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
}

export interface SourceLocation extends SourcePosition {
  file: string;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Where: file, 1-based line and column. */
  location: SourceLocation;
  /** Dot path inside the document, e.g. `0.tasks.3.copy.mode`. */
  path: string;
  /** What is wrong, one sentence, no trailing period needed. */
  message: string;
  /** How to fix it, when known. */
  fix?: string;
  /** Stable machine-readable code, e.g. `unknown-module`, `yaml-alias-limit`. */
  code: string;
}
