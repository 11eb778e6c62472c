// X.509 on the controller: node:crypto's X509Certificate for names, dates, issuer and key; a
// minimal DER walk for the two things it does not expose and ARI needs (RFC 9773 §4.1): the
// Authority Key Identifier's keyIdentifier and the serial number's exact DER bytes.
import { X509Certificate } from 'node:crypto';

export interface CertInfo {
  /** hex, upper case, no separators, as `openssl x509 -serial` prints it (leading zeros dropped) */
  serial: string;
  subject: string;
  subjectCN?: string;
  issuer: string;
  issuerCN?: string;
  /** DNS and IP SANs */
  names: string[];
  notBefore: string;
  notAfter: string;
  /** 'RSA 2048', 'ECDSA P-256', 'Ed25519' */
  keyType: string;
  /** SHA-256 fingerprint, hex with colons */
  fingerprint256: string;
  /** ARI certificate identifier: base64url(AKI keyIdentifier) "." base64url(serial DER content) */
  ariCertId?: string;
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** The certificates of a PEM bundle, first one first; throws on invalid PEM. */
export function splitPem(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

export function parseCertificate(input: string | Buffer | X509Certificate): CertInfo {
  const x = input instanceof X509Certificate ? input : new X509Certificate(input);
  const key = x.publicKey;
  const d = key.asymmetricKeyDetails ?? {};
  let keyType: string;
  if (key.asymmetricKeyType === 'rsa') keyType = `RSA ${d.modulusLength ?? '?'}`;
  else if (key.asymmetricKeyType === 'ec') keyType = `ECDSA ${CURVES[d.namedCurve ?? ''] ?? d.namedCurve ?? '?'}`;
  else keyType = (key.asymmetricKeyType ?? 'unknown').replace(/^ed/, 'Ed');
  const names = (x.subjectAltName ?? '')
    .split(/,\s*/)
    .map((s) => /^(?:DNS|IP Address):(.+)$/.exec(s.trim())?.[1])
    .filter((s): s is string => s !== undefined);
  const der = derOf(x);
  const info: CertInfo = {
    serial: x.serialNumber.toUpperCase().replace(/^(?:00)+(?=.)/, ''),
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    names,
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    keyType,
    fingerprint256: x.fingerprint256,
  };
  const scn = cn(x.subject);
  if (scn) info.subjectCN = scn;
  const icn = cn(x.issuer);
  if (icn) info.issuerCN = icn;
  const ari = ariCertIdFromDer(der);
  if (ari) info.ariCertId = ari;
  return info;
}

function cn(dn: string): string | undefined {
  return /(?:^|\n|,\s*)CN=([^\n,]+)/.exec(dn)?.[1];
}

function derOf(x: X509Certificate): Buffer {
  return x.raw;
}

interface Tlv {
  tag: number;
  start: number;
  /** content start */
  body: number;
  end: number;
}

function readTlv(buf: Buffer, at: number): Tlv {
  if (at + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[at] ?? 0;
  let len = buf[at + 1] ?? 0;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[body + i] ?? 0);
    body += n;
  }
  const end = body + len;
  if (end > buf.length) throw new Error('DER: truncated');
  return { tag, start: at, body, end };
}

function children(buf: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = t.body; at < t.end; ) {
    const c = readTlv(buf, at);
    out.push(c);
    at = c.end;
  }
  return out;
}

const AKI_OID = Buffer.from([0x55, 0x1d, 0x23]); // 2.5.29.35

function b64url(b: Buffer): string {
  return b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** RFC 9773 §4.1 CertID from a certificate's DER, or undefined when it has no AKI keyIdentifier. */
export function ariCertIdFromDer(der: Buffer): string | undefined {
  try {
    const cert = readTlv(der, 0);
    const tbs = children(der, cert)[0];
    if (!tbs) return undefined;
    const parts = children(der, tbs);
    // [0] version is optional: the serial is the first INTEGER
    const serial = parts.find((p) => p.tag === 0x02);
    const extsWrap = parts.find((p) => p.tag === 0xa3);
    if (!serial || !extsWrap) return undefined;
    const exts = children(der, extsWrap)[0];
    if (!exts) return undefined;
    for (const ext of children(der, exts)) {
      const [oid, ...rest] = children(der, ext);
      if (!oid || oid.tag !== 0x06 || !der.subarray(oid.body, oid.end).equals(AKI_OID)) continue;
      const octets = rest.find((r) => r.tag === 0x04);
      if (!octets) return undefined;
      const aki = readTlv(der, octets.body);
      const keyId = children(der, aki).find((c) => c.tag === 0x80);
      if (!keyId) return undefined;
      return `${b64url(der.subarray(keyId.body, keyId.end))}.${b64url(der.subarray(serial.body, serial.end))}`;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
