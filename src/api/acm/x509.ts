// What ACM shows about a certificate, read from its PEM (names, validity, key and signature
// algorithms, key usages), and the checks ImportCertificate makes on the material it is given.
// Pure: no I/O, and the clock is an argument.
//
// AWS facts (API Reference ImportCertificate, User Guide "Prerequisites for importing
// certificates", "Certificate import problems"):
// - Certificate, private key and chain are PEM; the certificate field holds exactly one
//   certificate; the key is unencrypted and matches the certificate's public key.
// - Keys: RSA 1024/2048/3072/4096 and EC P-256/P-384/P-521 (KeyAlgorithm values RSA_2048,
//   EC_prime256v1, ...).
// - The current time lies between NotBefore and NotAfter; the Issuer is not empty.
// - A certificate that is not self-signed needs a chain; the chain must contain its issuer.
// Violations are ValidationExceptions, as real ACM answers them ("The certificate field contains
// more than one certificate. You can specify only one certificate in this field.", "Provided
// certificate is not a valid self signed. ..."); where we know ACM's wording we use it.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { ExtendedKeyUsageName, KeyAlgorithm, KeyUsageName } from '@aws-sdk/client-acm';
import { ApiError } from '../../core/errors.ts';

export interface CertificateFacts {
  domainName: string;
  subjectAlternativeNames: string[];
  /** Colon-separated lowercase hex bytes, as ACM shows it ("07:71:71:f4:..."). */
  serial: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  keyAlgorithm: KeyAlgorithm;
  signatureAlgorithm: string;
  keyUsages: KeyUsageName[];
  extendedKeyUsages: { name: ExtendedKeyUsageName; oid: string }[];
}

/** Validated import material: normalized PEM and what the certificate says. */
export interface ImportMaterial {
  certificatePem: string;
  privateKeyPem: string;
  chainPem?: string;
  facts: CertificateFacts;
}

const invalid = (message: string) => new ApiError('ValidationException', 400, message);

/** The PEM blocks of one label in a text ("CERTIFICATE" finds only certificates). */
export function pemBlocks(text: string, label: string): string[] {
  const re = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g');
  return text.match(re) ?? [];
}

/** Checks certificate, key and chain as ImportCertificate does, at time `now`. */
export function checkImport(certificate: Buffer, privateKey: Buffer, chain: Buffer | undefined, now: Date): ImportMaterial {
  const blocks = pemBlocks(certificate.toString('utf8'), 'CERTIFICATE');
  if (blocks.length === 0) throw invalid('Unable to parse certificate. Please ensure the certificate is in PEM format.');
  if (blocks.length > 1) throw invalid('The certificate field contains more than one certificate. You can specify only one certificate in this field.');
  const cert = parseCertificate(blocks[0], 'Unable to parse certificate. Please ensure the certificate is in PEM format.');

  const keyText = privateKey.toString('utf8');
  if (/ENCRYPTED/.test(keyText)) throw invalid('The private key is encrypted. Import an unencrypted private key (one without a passphrase).');
  if (!/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(keyText)) throw invalid('Unable to parse the private key. Please ensure the private key is in PEM format.');
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch {
    throw invalid('Unable to parse the private key. Please ensure the private key is in PEM format.');
  }
  if (keyAlgorithmOf(key) === undefined) throw invalid('The private key is not supported: use an RSA key of 1024, 2048, 3072 or 4096 bits or an EC key on P-256, P-384 or P-521.');
  if (!cert.checkPrivateKey(key)) throw invalid('The private key does not match the public key in the certificate.');

  if (cert.issuer.trim() === '') throw invalid('The certificate\'s Issuer field must not be empty.');
  if (now < cert.validFromDate) throw invalid(`The certificate is not valid yet: its NotBefore date is ${cert.validFromDate.toISOString()}.`);
  if (now > cert.validToDate) throw invalid(`The certificate has expired: its NotAfter date is ${cert.validToDate.toISOString()}.`);

  let chainPem: string | undefined;
  if (chain !== undefined) {
    const chainBlocks = pemBlocks(chain.toString('utf8'), 'CERTIFICATE');
    if (chainBlocks.length === 0) throw invalid('Unable to parse the certificate chain. Please ensure the chain is in PEM format.');
    const parsed = chainBlocks.map((b) => parseCertificate(b, 'Unable to parse the certificate chain. Please ensure the chain is in PEM format.'));
    if (!parsed.some((c) => issuedBy(cert, c))) throw invalid('Could not validate the certificate with the certificate chain.');
    chainPem = parsed.map((c) => c.toString()).join('');
  } else if (!issuedBy(cert, cert)) {
    throw invalid('Provided certificate is not a valid self signed. Please provide either a valid self-signed certificate or certificate chain.');
  }
  return {
    certificatePem: cert.toString(),
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    ...(chainPem !== undefined ? { chainPem } : {}),
    facts: certificateFacts(cert.toString()),
  };
}

/** What DescribeCertificate shows of a (parseable, supported) certificate. */
export function certificateFacts(pem: string): CertificateFacts {
  const cert = new X509Certificate(pem);
  const subject = dnFields(cert.subject);
  const issuer = dnFields(cert.issuer);
  const sans = subjectAltNames(cert.subjectAltName);
  const cn = subject.find(([k]) => k === 'CN')?.[1];
  const domainName = cn ?? sans[0] ?? '';
  const keyAlgorithm = keyAlgorithmOf(cert.publicKey);
  if (keyAlgorithm === undefined) throw invalid('The certificate\'s key algorithm is not supported.');
  return {
    domainName,
    subjectAlternativeNames: sans.length > 0 ? sans : domainName ? [domainName] : [],
    serial: serialOf(cert.serialNumber),
    subject: subject.map(([k, v]) => `${k}=${v}`).join(','),
    // ACM names the issuing organization ("Amazon", "Let's Encrypt"), else its CN.
    issuer: issuer.find(([k]) => k === 'O')?.[1] ?? issuer.find(([k]) => k === 'CN')?.[1] ?? cert.issuer.replaceAll('\n', ','),
    notBefore: cert.validFromDate.toISOString(),
    notAfter: cert.validToDate.toISOString(),
    keyAlgorithm,
    signatureAlgorithm: SIGNATURE_ALGORITHMS[cert.signatureAlgorithmOid ?? ''] ?? (cert.signatureAlgorithm ?? 'UNKNOWN').toUpperCase(),
    keyUsages: keyUsagesOf(pem),
    extendedKeyUsages: (cert.keyUsage ?? []).map((oid) => ({ name: EXTENDED_KEY_USAGES[oid] ?? 'CUSTOM', oid })),
  };
}

function parseCertificate(pem: string, message: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw invalid(message);
  }
}

/** `issuer` names `cert`'s issuer and its key verifies `cert`'s signature. */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | undefined {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d?.modulusLength;
    return bits === 1024 || bits === 2048 || bits === 3072 || bits === 4096 ? `RSA_${bits}` : undefined;
  }
  if (key.asymmetricKeyType === 'ec') {
    return d?.namedCurve === 'prime256v1' ? 'EC_prime256v1' : d?.namedCurve === 'secp384r1' ? 'EC_secp384r1' : d?.namedCurve === 'secp521r1' ? 'EC_secp521r1' : undefined;
  }
  return undefined;
}

/** Node's one-attribute-per-line DN ("O=Trellis\nCN=a.example.com") as [key, value] pairs. */
function dnFields(dn: string): [string, string][] {
  return dn.split('\n').filter(Boolean).map((line) => {
    const eq = line.indexOf('=');
    return [line.slice(0, eq), line.slice(eq + 1)];
  });
}

/** DNS names and IP addresses of Node's subjectAltName text ("DNS:a, DNS:*.b, IP Address:127.0.0.1"). */
function subjectAltNames(text: string | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  // Node quotes values holding separators as JSON strings; split on ", " outside quotes.
  for (const entry of text.match(/(?:[^,"]|"(?:\\.|[^"])*")+/g) ?? []) {
    const m = /^\s*(DNS|IP Address):(.*)$/.exec(entry);
    if (!m) continue;
    const value = m[2].startsWith('"') ? JSON.parse(m[2]) as string : m[2];
    if (!out.includes(value)) out.push(value);
  }
  return out;
}

function serialOf(hex: string): string {
  const even = hex.length % 2 === 1 ? '0' + hex : hex;
  return even.toLowerCase().match(/../g)!.join(':');
}

const KEY_USAGE_BITS: [number, KeyUsageName][] = [
  [x509.KeyUsageFlags.digitalSignature, 'DIGITAL_SIGNATURE'],
  [x509.KeyUsageFlags.nonRepudiation, 'NON_REPUDIATION'],
  [x509.KeyUsageFlags.keyEncipherment, 'KEY_ENCIPHERMENT'],
  [x509.KeyUsageFlags.dataEncipherment, 'DATA_ENCIPHERMENT'],
  [x509.KeyUsageFlags.keyAgreement, 'KEY_AGREEMENT'],
  [x509.KeyUsageFlags.keyCertSign, 'CERTIFICATE_SIGNING'],
  [x509.KeyUsageFlags.cRLSign, 'CRL_SIGNING'],
  [x509.KeyUsageFlags.encipherOnly, 'ENCIPHER_ONLY'],
  [x509.KeyUsageFlags.decipherOnly, 'DECIPHER_ONLY'],
];

/** The KeyUsage extension's bits by ACM's names (Node's X509Certificate does not expose them). */
function keyUsagesOf(pem: string): KeyUsageName[] {
  const ext = new x509.X509Certificate(pem).getExtension(x509.KeyUsagesExtension);
  if (!ext) return [];
  return KEY_USAGE_BITS.filter(([bit]) => (ext.usages & bit) !== 0).map(([, name]) => name);
}

/** RFC 5280 OIDs -> ACM's names (API Reference, ExtendedKeyUsage); others are CUSTOM. */
const EXTENDED_KEY_USAGES: Record<string, ExtendedKeyUsageName> = {
  '1.3.6.1.5.5.7.3.1': 'TLS_WEB_SERVER_AUTHENTICATION',
  '1.3.6.1.5.5.7.3.2': 'TLS_WEB_CLIENT_AUTHENTICATION',
  '1.3.6.1.5.5.7.3.3': 'CODE_SIGNING',
  '1.3.6.1.5.5.7.3.4': 'EMAIL_PROTECTION',
  '1.3.6.1.5.5.7.3.5': 'IPSEC_END_SYSTEM',
  '1.3.6.1.5.5.7.3.6': 'IPSEC_TUNNEL',
  '1.3.6.1.5.5.7.3.7': 'IPSEC_USER',
  '1.3.6.1.5.5.7.3.8': 'TIME_STAMPING',
  '1.3.6.1.5.5.7.3.9': 'OCSP_SIGNING',
  '2.5.29.37.0': 'ANY',
};

/** Signature OIDs -> the names ACM shows ("SHA256WITHRSA", "SHA256WITHECDSA"). */
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'MD5WITHRSA',
  '1.2.840.113549.1.1.5': 'SHA1WITHRSA',
  '1.2.840.113549.1.1.11': 'SHA256WITHRSA',
  '1.2.840.113549.1.1.12': 'SHA384WITHRSA',
  '1.2.840.113549.1.1.13': 'SHA512WITHRSA',
  '1.2.840.10045.4.1': 'SHA1WITHECDSA',
  '1.2.840.10045.4.3.2': 'SHA256WITHECDSA',
  '1.2.840.10045.4.3.3': 'SHA384WITHECDSA',
  '1.2.840.10045.4.3.4': 'SHA512WITHECDSA',
};
