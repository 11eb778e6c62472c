import { describe, expect, it } from 'vitest';
import { ShlexError, shellQuote, shlexSplit, shlexWords } from './shlex.js';

// Expected words are what Python 3's shlex.split(text) returns for the same text.
const PYTHON: Array<[what: string, text: string, words: string[]]> = [
  ['plain words', 'a b  c', ['a', 'b', 'c']],
  ['space, tab, CR and LF separate words', '\t a \r\n b\n', ['a', 'b']],
  ['no text, no words', '', []],
  ['only spaces, no words', '   ', []],
  ['single quotes group', "'a b' c", ['a b', 'c']],
  ['no escape inside single quotes', "'a\\b\\'", ['a\\b\\']],
  ['the sh idiom for a quote inside single quotes', "'it'\\''s'", ["it's"]],
  ['double quotes group', '"a b" c', ['a b', 'c']],
  ['\\" and \\\\ are escapes inside double quotes', '"x\\"y" "a\\\\b"', ['x"y', 'a\\b']],
  ['other backslashes stay inside double quotes', '"\\$HOME \\` \\n \\a"', ['\\$HOME \\` \\n \\a']],
  ['each quote is literal inside the other', `"a'b" 'c"d'`, ["a'b", 'c"d']],
  ['backslash outside quotes escapes any character', "e\\ f \\' \\\" \\\\ \\a \\$x", ['e f', "'", '"', '\\', 'a', '$x']],
  ['quoted parts join the text around them', 'a"b c"d\'e f\'g', ['ab cde fg']],
  ["'' is a word", "''", ['']],
  ['"" is a word', '""', ['']],
  ['empty words among others', "a '' \"\" b", ['a', '', '', 'b']],
  ['an empty quote inside a word adds nothing', "a'' \"\"b", ['a', 'b']],
  ['adjacent empty quotes make one empty word', '""\'\'', ['']],
  ['nothing is expanded or special', '$HOME *.txt ~ a;b | c # d && e', ['$HOME', '*.txt', '~', 'a;b', '|', 'c', '#', 'd', '&&', 'e']],
  ['backslash-newline between words is a newline word', 'a \\\n b', ['a', '\n', 'b']],
  ['backslash-newline inside a word keeps the newline', 'a\\\nb', ['a\nb']],
  ['backslash-newline inside double quotes stays as written', '"a\\\nb"', ['a\\\nb']],
  ['backslash-newline inside single quotes stays as written', "'a\\\nb'", ['a\\\nb']],
  ['non-ASCII letters and emoji are word characters', 'héllo "wörld 🎉" \\é', ['héllo', 'wörld 🎉', 'é']],
  ['Unicode spaces do not separate words', 'a\u00a0b c\u3000d e\u2028f', ['a\u00a0b', 'c\u3000d', 'e\u2028f']],
  ['vertical tab and form feed do not separate words', 'a\vb\fc', ['a\vb\fc']],
  ['combining marks and astral characters survive escapes', 'e\u0301 \\🎉 "\\🎉"', ['e\u0301', '🎉', '\\🎉']],
];

// With lineContinuation the backslash-newline pair disappears (as in sh) except inside single quotes.
const CONTINUED: Array<[what: string, text: string, words: string[]]> = [
  ['between words', 'a \\\n b', ['a', 'b']],
  ['inside a word', 'a\\\nb', ['ab']],
  ['a continued command in a YAML block', 'foo --a \\\n    --b\n', ['foo', '--a', '--b']],
  ['inside double quotes', '"a\\\nb"', ['ab']],
  ['not inside single quotes', "'a\\\nb'", ['a\\\nb']],
  ['other escapes are unchanged', '\\  "\\$" \\\\\n x', [' ', '\\$', '\\', 'x']],
  ['a backslash-newline alone is no word', '\\\n', []],
];

const ERRORS: Array<[what: string, text: string, message: RegExp, offset: number]> = [
  ['an unclosed single quote', "-o 'open", /unterminated ' quote \(opened at character 4\)/, 3],
  ['an unclosed double quote', 'echo "open', /unterminated " quote \(opened at character 6\)/, 5],
  ['a double quote whose closing quote is escaped', 'a "b\\"', /unterminated " quote/, 2],
  ['a double quote ending in a backslash', '"b\\', /unterminated " quote/, 0],
  ['a single quote after a closed double quote', `"it's" 'x`, /unterminated ' quote/, 7],
  ['a backslash at the end', 'x\\', /unterminated escape/, 1],
];

describe('shlexSplit (Python shlex.split)', () => {
  it.each(PYTHON)('%s', (_what, text, words) => {
    expect(shlexSplit(text)).toEqual(words);
  });

  it.each(ERRORS)('refuses %s', (_what, text, message, offset) => {
    let caught: unknown;
    try {
      shlexSplit(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ShlexError);
    expect((caught as ShlexError).message).toMatch(message);
    expect((caught as ShlexError).offset).toBe(offset);
    // line continuation does not make an unterminated text acceptable
    expect(() => shlexSplit(text, { lineContinuation: true })).toThrow(ShlexError);
  });
});

describe('shlexSplit with lineContinuation', () => {
  it.each(CONTINUED)('backslash-newline: %s', (_what, text, words) => {
    expect(shlexSplit(text, { lineContinuation: true })).toEqual(words);
  });

  it('splits everything else exactly as without it', () => {
    for (const [, text, words] of PYTHON.filter(([, text]) => !text.includes('\\\n'))) {
      expect(shlexSplit(text, { lineContinuation: true })).toEqual(words);
    }
  });
});

describe('shlexWords with comments (Python shlex.split(comments=True))', () => {
  it('a # outside quotes ends the text, also inside a word; in quotes it is text', () => {
    expect(shlexWords('a b # c d', { comments: true }).map((w) => w.value)).toEqual(['a', 'b']);
    expect(shlexWords('a b#c d', { comments: true }).map((w) => w.value)).toEqual(['a', 'b']);
    expect(shlexWords('a "b#c" \'#\'', { comments: true }).map((w) => w.value)).toEqual(['a', 'b#c', '#']);
    expect(shlexSplit('a b#c d')).toEqual(['a', 'b#c', 'd']);
  });
  it('gives each word the index of its first character or opening quote', () => {
    expect(shlexWords(' ab  "c d"e  \\ f')).toEqual([
      { value: 'ab', offset: 1 },
      { value: 'c de', offset: 5 },
      { value: ' f', offset: 13 },
    ]);
  });
});

describe('shellQuote (Python shlex.quote)', () => {
  it('leaves safe words alone and single-quotes the rest, so shlexSplit gives the word back', () => {
    expect(shellQuote('abc-1.2/x=y@z%:+,')).toBe('abc-1.2/x=y@z%:+,');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    for (const w of ['', 'a b', "it's", '$HOME', 'x\\y', '"q"', '*', 'tab\there']) expect(shlexSplit(shellQuote(w))).toEqual([w]);
  });
});
