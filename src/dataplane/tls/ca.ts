// Trellis's local certificate authority: created once under <data-dir>/ca, then used to issue the
// server certificates that HTTPS listeners serve for services' generated DNS names. Clients trust
// it by importing the certificate `trellis ca` prints.
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, X509Certificate as NodeX509Certificate, KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

// The X.509 generator signs through WebCrypto; Node's is the global one.
x509.cryptoProvider.set(globalThis.crypto);

const P256: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;
const CA_YEARS = 10;
/**
 * Leaves live 90 days: short like ACME certificates, so a leaked leaf key (they live only in memory)
 * expires soon, yet long enough that renewal (at the last third, see certificates.ts) is rare, and
 * well under the 398/825-day caps some clients (Apple platforms) enforce even for private CAs.
 */
export const DEFAULT_LEAF_DAYS = 90;
/** notBefore is backdated so a client whose clock runs a little behind ours still accepts a fresh leaf. */
const BACKDATE_MS = 60 * 60_000;
/** RFC 5280's upper bound for a CN; longer generated names go only in the SAN. */
const MAX_CN = 64;

export interface IssuedCertificate {
  /** PEM of the leaf alone (clients trust the CA directly, so there is no intermediate to chain). */
  certPem: string;
  /** PKCS#8 PEM of the leaf's private key. */
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

export class LocalCa {
  /** PEM of the CA certificate: what clients add to their trust store. */
  readonly certPem: string;
  readonly #cert: x509.X509Certificate;
  readonly #signingKey: CryptoKey;
  readonly #signingAlgorithm: Algorithm;

  private constructor(certPem: string, cert: x509.X509Certificate, signingKey: CryptoKey, signingAlgorithm: Algorithm) {
    this.certPem = certPem;
    this.#cert = cert;
    this.#signingKey = signingKey;
    this.#signingAlgorithm = signingAlgorithm;
  }

  /**
   * Loads `<dataDir>/ca/ca.pem` and `ca-key.pem`, or creates them when the folder has neither.
   * Creation writes both files into a private temporary folder and renames the folder into place:
   * the rename is atomic and fails when `ca/` already holds files, so concurrent opens (in one
   * process or several) agree on one CA and never pair one's certificate with another's key.
   */
  static async open(dataDir: string): Promise<LocalCa> {
    const dir = join(dataDir, 'ca');
    const existing = await readPair(dir);
    if (existing) return LocalCa.#load(dir, existing);
    await mkdir(dataDir, { recursive: true });
    const tmp = join(dataDir, `.ca-${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp, { mode: 0o700 });
    try {
      const created = await createCa();
      await writeFile(join(tmp, 'ca-key.pem'), created.keyPem, { mode: 0o600 });
      await writeFile(join(tmp, 'ca.pem'), created.certPem, { mode: 0o644 });
      try {
        await rename(tmp, dir); // replaces only a missing or empty `ca/`
      } catch (err) {
        if (!isCode(err, 'ENOTEMPTY', 'EEXIST', 'EISDIR', 'ENOTDIR', 'EPERM')) throw err;
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    const pair = await readPair(dir);
    if (!pair) throw new Error(`${dir} exists but lacks ca.pem and ca-key.pem; remove it to let Trellis create a CA`);
    return LocalCa.#load(dir, pair);
  }

  static async #load(dir: string, pair: { certPem: string; keyPem: string }): Promise<LocalCa> {
    let key: KeyObject;
    let nodeCert: NodeX509Certificate;
    try {
      key = createPrivateKey(pair.keyPem);
      nodeCert = new NodeX509Certificate(pair.certPem);
    } catch (err) {
      throw new Error(`cannot read the CA in ${dir}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!nodeCert.checkPrivateKey(key)) throw new Error(`${dir}/ca-key.pem is not the key of ${dir}/ca.pem`);
    if (!nodeCert.ca) throw new Error(`${dir}/ca.pem is not a CA certificate (basicConstraints CA:false)`);
    if (Date.parse(nodeCert.validTo) <= Date.now()) throw new Error(`the CA in ${dir} expired on ${nodeCert.validTo}; remove the folder to create a new one (clients must trust the new one)`);
    // Any EC P-256/P-384 or RSA CA works, so a user may drop in a CA of their own.
    const algorithm = signingAlgorithmOf(key);
    const signingKey = await crypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign']);
    return new LocalCa(pair.certPem, new x509.X509Certificate(pair.certPem), signingKey, algorithm);
  }

  /**
   * Issues a server certificate for `names` (DNS names, `*.` wildcards or IP addresses; the first
   * is also the CN when it fits) with a fresh P-256 key. Validity is clamped to the CA's.
   */
  async issue(names: string[], days = DEFAULT_LEAF_DAYS): Promise<IssuedCertificate> {
    if (names.length === 0) throw new Error('a certificate needs at least one name');
    if (!(days > 0)) throw new Error(`days must be positive, got ${days}`);
    const sans: x509.JsonGeneralName[] = names.map((n) => {
      if (isIP(n)) return { type: 'ip', value: n };
      if (!isDnsName(n)) throw new Error(`not a DNS name or IP address: "${n}"`);
      return { type: 'dns', value: n.toLowerCase() };
    });
    const now = Date.now();
    const notBefore = new Date(Math.max(now - BACKDATE_MS, this.#cert.notBefore.getTime()));
    const notAfter = new Date(Math.min(now + days * DAY_MS, this.#cert.notAfter.getTime()));
    const keys = await crypto.subtle.generateKey(P256, true, ['sign', 'verify']);
    const first = sans[0].value;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: first.length <= MAX_CN ? [{ O: ['Trellis'] }, { CN: [first] }] : [{ O: ['Trellis'] }],
      issuer: this.#cert.subjectName,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: this.#signingKey,
      signingAlgorithm: this.#signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(sans),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.#cert.publicKey),
      ],
    });
    return { certPem: cert.toString('pem') + '\n', keyPem: pkcs8Pem(keys.privateKey), notBefore, notAfter };
  }
}

/** A new self-signed P-256 CA; its CN carries a random suffix so two data dirs' CAs are told apart. */
async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await crypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const now = Date.now();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ O: ['Trellis'] }, { CN: [`Trellis Local CA ${randomBytes(4).toString('hex')}`] }],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter,
    keys,
    signingAlgorithm: P256,
    extensions: [
      // pathLen 0: this CA signs leaves only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: pkcs8Pem(keys.privateKey) };
}

async function readPair(dir: string): Promise<{ certPem: string; keyPem: string } | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([readFile(join(dir, 'ca.pem'), 'utf8'), readFile(join(dir, 'ca-key.pem'), 'utf8')]);
    return { certPem, keyPem };
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

function signingAlgorithmOf(key: KeyObject): RsaHashedImportParams | EcKeyImportParams & EcdsaParams {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return P256;
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'secp384r1') return { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
  throw new Error(`unsupported CA key type ${key.asymmetricKeyType} ${details?.namedCurve ?? ''}`.trim());
}

/** 128 random bits, top bit clear so the DER INTEGER stays positive without padding (RFC 5280 4.1.2.2). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function pkcs8Pem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** A hostname (labels of letters, digits, hyphens, underscores) or a `*.` wildcard of one. */
export function isDnsName(name: string): boolean {
  const host = name.startsWith('*.') ? name.slice(2) : name;
  return host.length > 0 && host.length <= 253 && host.split('.').every((l) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(l));
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}
