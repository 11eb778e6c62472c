// A node_exporter textfile (text exposition format 0.0.4) of a certs report. The certificate
// metrics use x509-certificate-exporter's names and labels (x509_cert_not_after as an absolute
// Unix timestamp, x509_cert_expired, x509_read_errors, serial_number, issuer_CN, subject_CN,
// filepath), so its dashboards and alert rules work unchanged; a `host` label tells the nodes
// apart since one controller writes them all. runbook's own findings are runbook_certs_*.
import type { CertsReport } from './types.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string | undefined>): string {
  const parts = Object.entries(l)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

const secs = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export function renderPrometheus(report: CertsReport): string {
  const fam = new Map<string, { help: string; type: 'gauge'; samples: string[] }>();
  const add = (name: string, help: string, l: Record<string, string | undefined>, value: number): void => {
    let f = fam.get(name);
    if (!f) {
      f = { help, type: 'gauge', samples: [] };
      fam.set(name, f);
    }
    f.samples.push(`${name}${labels(l)} ${Number.isFinite(value) ? String(value) : 'NaN'}`);
  };
  const now = Date.parse(report.now);
  for (const h of report.hosts) {
    add('runbook_certs_host_up', 'Whether runbook certs could read the host (1) or not (0)', { host: h.host }, h.reachable ? 1 : 0);
    if (!h.reachable) continue;
    let readErrors = 0;
    for (const l of h.lineages) {
      if (!l.cert) {
        readErrors++;
        continue;
      }
      const c = l.cert;
      const base = { host: h.host, filepath: l.certPath, serial_number: c.serial, issuer_CN: c.issuerCN, subject_CN: c.subjectCN, lineage: l.name };
      add('x509_cert_not_before', 'Certificate not-before, as a Unix timestamp (seconds)', base, secs(c.notBefore));
      add('x509_cert_not_after', 'Certificate not-after, as a Unix timestamp (seconds)', base, secs(c.notAfter));
      add('x509_cert_expired', 'Whether the certificate has expired (1) or not (0)', base, Date.parse(c.notAfter) <= now ? 1 : 0);
      if (l.dueAt) add('runbook_certs_renewal_due_timestamp_seconds', 'When renewal becomes due (2/3 of the lifetime or the ARI window start), Unix timestamp', { host: h.host, lineage: l.name }, secs(l.dueAt));
      for (const s of l.served) {
        if (s.status === 'skipped') continue;
        add('runbook_certs_served_match', 'Whether the name serves the certificate on disk (1), another one (0), or nothing answered (-1)', { host: h.host, lineage: l.name, name: s.name }, s.status === 'match' ? 1 : s.status === 'mismatch' ? 0 : -1);
      }
      if (l.ari.status === 'offered' && l.ari.windowStart && l.ari.windowEnd) {
        add('runbook_certs_ari_window_start_timestamp_seconds', 'Start of the ACME server suggested renewal window (ARI), Unix timestamp', { host: h.host, lineage: l.name }, secs(l.ari.windowStart));
        add('runbook_certs_ari_window_end_timestamp_seconds', 'End of the ACME server suggested renewal window (ARI), Unix timestamp', { host: h.host, lineage: l.name }, secs(l.ari.windowEnd));
      }
    }
    add('x509_read_errors', 'Certificates that could not be read (missing or invalid PEM)', { host: h.host }, readErrors);
    for (const l of h.lineages) {
      for (const c of l.conditions) {
        if (c.type === 'Ready') {
          add('runbook_certs_ready', 'Whether the certificate has no warning or critical condition (1) or has (0)', { host: h.host, lineage: l.name }, c.status === 'True' ? 1 : 0);
          continue;
        }
        add('runbook_certs_condition', 'A condition that holds for a certificate (value 1), by type, reason and severity', { host: h.host, lineage: l.name, type: c.type, reason: c.reason, severity: c.severity }, 1);
      }
    }
    for (const c of h.conditions) add('runbook_certs_host_condition', 'A condition that holds for a host (value 1)', { host: h.host, type: c.type, reason: c.reason, severity: c.severity }, 1);
  }
  add('runbook_certs_status', 'Overall state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (monitoring-plugin codes)', {}, report.exitCode);
  add('runbook_certs_report_timestamp_seconds', 'When this report was made (its clock), Unix timestamp', {}, secs(report.now));
  const out: string[] = [];
  for (const [name, f] of fam) {
    out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`, ...f.samples);
  }
  return `${out.join('\n')}\n`;
}
