// The certificates HTTPS listeners serve, chosen by SNI: a user's certificate when one covers the
// name (custom domain names), else a leaf issued on first use by Trellis's local CA and renewed
// before it expires. Lattice terminates TLS 1.2 and 1.3 only and picks the service by SNI
// (VPC Lattice User Guide, "HTTPS listeners for VPC Lattice services").
import * as tls from 'node:tls';
import { isIP } from 'node:net';
import { isDnsName, type LocalCa, DEFAULT_LEAF_DAYS } from './ca.ts';

const MIN_VERSION: tls.SecureVersion = 'TLSv1.2';
/** Names served to clients that send no SNI (e.g. `curl https://127.0.0.1:PORT`). */
const DEFAULT_NAMES = ['localhost', '127.0.0.1'];
/** Cache key of the default certificate; no SNI name normalizes to the empty string. */
const DEFAULT_KEY = '';

export interface CertificatesOptions {
  /** Lifetime of issued leaves in days (default 90, see ca.ts). */
  leafDays?: number;
  /**
   * Bound on cached issued certificates, least recently used evicted first: SNI names come from
   * clients, so without one a client could make Trellis hold a certificate per name it invents.
   */
  maxIssued?: number;
  /** Clock (ms since epoch); tests move it to exercise renewal. */
  now?: () => number;
}

interface Issued {
  context: tls.SecureContext;
  certPem: string;
  keyPem: string;
  /** When, on this.#now's clock, to replace it: once a third of its lifetime is left. */
  renewAt: number;
}

type SniCallback = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => void;

export class Certificates {
  readonly #ca: LocalCa;
  readonly #leafDays: number;
  readonly #maxIssued: number;
  readonly #now: () => number;
  /** Promises, so that concurrent handshakes for one name share a single issuance. Map order = recency. */
  readonly #issued = new Map<string, Promise<Issued>>();
  /** User certificates by exact name or `*.parent` wildcard; these win over issued ones. */
  readonly #user = new Map<string, tls.SecureContext>();

  constructor(ca: LocalCa, options: CertificatesOptions = {}) {
    this.#ca = ca;
    this.#leafDays = options.leafDays ?? DEFAULT_LEAF_DAYS;
    this.#maxIssued = Math.max(1, options.maxIssued ?? 1000);
    this.#now = options.now ?? Date.now;
  }

  /** The context for a TLS ClientHello's SNI name; rejects names that are not hostnames or IPs. */
  async contextFor(servername: string): Promise<tls.SecureContext> {
    const name = normalize(servername);
    if (name === DEFAULT_KEY) return this.defaultContext();
    if (name.startsWith('*.') || (!isDnsName(name) && !isIP(name))) throw new Error(`invalid TLS server name "${servername}"`);
    return this.#userContext(name) ?? (await this.#issuedEntry(name, [name])).context;
  }

  /**
   * The context for connections without SNI: a certificate for "localhost" and 127.0.0.1, since
   * such clients connect by address and Trellis listens on loopback. Real Lattice always expects
   * SNI; this is a convenience for local tools. For a `tls.TLSSocket({ secureContext })`; a
   * `tls.Server` ignores a `secureContext` option, so give it `serverOptions()` instead.
   */
  async defaultContext(): Promise<tls.SecureContext> {
    return (await this.#issuedEntry(DEFAULT_KEY, DEFAULT_NAMES)).context;
  }

  /**
   * Options for `tls.createServer` or `http2.createSecureServer` of an HTTPS listener: the default
   * certificate as the server's own (used without SNI), TLS 1.2 at least (the SNI callback's context
   * cannot raise the floor: OpenSSL fixes the version bounds before SNI is seen), SNI selection,
   * and ALPN h2 then http/1.1 (a client without ALPN gets HTTP/1.1, as in Lattice). The default
   * certificate renews like the others, but a running server keeps the one it was given: call
   * `server.setSecureContext(await certificates.serverOptions())` now and then (daily is plenty).
   */
  async serverOptions(): Promise<tls.TlsOptions> {
    const d = await this.#issuedEntry(DEFAULT_KEY, DEFAULT_NAMES);
    return { cert: d.certPem, key: d.keyPem, minVersion: MIN_VERSION, SNICallback: this.sniCallback, ALPNProtocols: ['h2', 'http/1.1'] };
  }

  /**
   * Serves a user's certificate (chain PEM, leaf first) and key for `names`: exact names and `*.`
   * wildcards matching exactly one extra label. Replaces an earlier certificate for the same names.
   * Throws when the key does not match the certificate.
   */
  addCertificate(names: string[], certPem: string, keyPem: string): void {
    const keys = names.map((n) => {
      const name = normalize(n);
      if (!isDnsName(name)) throw new Error(`not a DNS name or *. wildcard: "${n}"`);
      return name;
    });
    const context = tls.createSecureContext({ cert: certPem, key: keyPem, minVersion: MIN_VERSION });
    for (const k of keys) this.#user.set(k, context);
  }

  /** Stops serving the user certificates of `names` (issued ones take over again). */
  removeCertificate(names: string[]): void {
    for (const n of names) this.#user.delete(normalize(n));
  }

  /** For `tls.createServer` / `http2.createSecureServer({ SNICallback })`. */
  readonly sniCallback: SniCallback = (servername, cb) => {
    this.contextFor(servername).then(
      (ctx) => cb(null, ctx),
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    );
  };

  #userContext(name: string): tls.SecureContext | undefined {
    const exact = this.#user.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.#user.get(`*${name.slice(dot)}`) : undefined;
  }

  async #issuedEntry(key: string, names: string[]): Promise<Issued> {
    let pending = this.#issued.get(key);
    if (pending) {
      const entry = await pending.catch(() => undefined);
      if (entry && this.#now() < entry.renewAt) {
        this.#touch(key, pending);
        return entry;
      }
      // Expiring or failed: the first caller to get here starts the renewal, later ones share it.
      const latest = this.#issued.get(key);
      pending = latest === pending ? undefined : latest;
    }
    pending ??= this.#start(key, names);
    return pending;
  }

  #start(key: string, names: string[]): Promise<Issued> {
    const startedAt = this.#now();
    const wallAt = Date.now();
    const pending = this.#ca.issue(names, this.#leafDays).then((leaf): Issued => {
      const lifetime = leaf.notAfter.getTime() - leaf.notBefore.getTime();
      // The CA stamps wall-clock times; shift them onto this.#now's clock (identical in production).
      const renewAt = leaf.notAfter.getTime() - lifetime / 3 + (startedAt - wallAt);
      const context = tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem, minVersion: MIN_VERSION });
      return { context, certPem: leaf.certPem, keyPem: leaf.keyPem, renewAt };
    });
    this.#issued.set(key, pending);
    pending.catch(() => {
      if (this.#issued.get(key) === pending) this.#issued.delete(key); // let the next handshake retry
    });
    while (this.#issued.size > this.#maxIssued) {
      const oldest = this.#issued.keys().next().value;
      if (oldest === undefined) break;
      this.#issued.delete(oldest);
    }
    return pending;
  }

  #touch(key: string, pending: Promise<Issued>): void {
    if (this.#issued.get(key) !== pending) return;
    this.#issued.delete(key);
    this.#issued.set(key, pending);
  }
}

/** SNI is case-insensitive and may carry the root's trailing dot. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
