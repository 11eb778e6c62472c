// certbot's renewal configuration (/etc/letsencrypt/renewal/NAME.conf): a configobj file of
// `key = value` lines, a `[renewalparams]` section and `[[webroot_map]]` subsections. Parsed
// here without certbot; a line that is none of those makes the file broken, as certbot itself
// then skips the lineage ("Renewal configuration file ... is broken").

export interface RenewalConf {
  /** top-level keys: version, archive_dir, cert, privkey, chain, fullchain */
  top: Record<string, string>;
  /** [renewalparams]: authenticator, installer, server, account, key_type, pre_hook, ... */
  params: Record<string, string>;
  /** lines that are not configobj: the file is broken (line number, text) */
  errors: Array<{ line: number; message: string }>;
}

export function parseRenewalConf(text: string): RenewalConf {
  const top: Record<string, string> = {};
  const params: Record<string, string> = {};
  const errors: RenewalConf['errors'] = [];
  let section: 'top' | 'renewalparams' | 'other' = 'top';
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const sec = /^(\[+)\s*([^\]]*?)\s*(\]+)$/.exec(line);
    if (sec) {
      const depth = sec[1]?.length ?? 1;
      if (depth !== (sec[3]?.length ?? 0)) errors.push({ line: i + 1, message: `unbalanced section brackets: ${line.slice(0, 80)}` });
      section = depth === 1 && sec[2] === 'renewalparams' ? 'renewalparams' : 'other';
      return;
    }
    if (line.startsWith('[')) {
      errors.push({ line: i + 1, message: `section header without its closing ']': ${line.slice(0, 80)}` });
      return;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!kv?.[1]) {
      errors.push({ line: i + 1, message: `not a 'key = value' line: ${line.slice(0, 80)}` });
      return;
    }
    const value = unquote(kv[2] ?? '');
    if (section === 'top') top[kv[1]] = value;
    else if (section === 'renewalparams') params[kv[1]] = value;
  });
  if (Object.keys(top).length === 0 && errors.length === 0) errors.push({ line: 1, message: 'empty file: no cert, privkey, fullchain or renewalparams' });
  else if (errors.length === 0 && top.cert === undefined) errors.push({ line: 1, message: "no 'cert = ' line" });
  return { top, params, errors };
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}
