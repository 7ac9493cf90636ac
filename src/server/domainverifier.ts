// The DNS check behind domain verifications (StartDomainVerification, table `dv`): while a
// verification is PENDING, its TXT record (`txtMethodConfig.name`) is looked up over DNS; when one of
// the values there equals `txtMethodConfig.value`, the verification becomes VERIFIED with
// `lastVerifiedTime`. The ACM subset then issues certificates for the domain and its subdomains
// (src/api/acm/issuance.ts).
//
// AWS facts (Lattice User Guide, "Create and verify a domain"; API Reference, GetDomainVerification
// and DomainVerificationSummary):
// - You start a verification in Lattice, then complete it in your DNS zone with the TXT record that
//   `txtMethodConfig` describes; the status is PENDING, VERIFIED or VERIFICATION_TIMED_OUT.
// - `lastVerifiedTime` is "the date and time that the domain was last successfully verified".
// Not documented for Lattice (we found neither in the User Guide nor the API Reference): how often
// the record is looked up, and after how long a PENDING verification times out. Trellis times out
// after 72 hours, the period AWS documents for its other DNS ownership checks (ACM: a request not
// validated within 72 hours becomes VALIDATION_TIMED_OUT; SES: a domain whose TXT record is not
// detected within 72 hours fails). A lookup that finds the record wins, even at the deadline (after
// Trellis was down, say). A timed-out verification is not looked up again: delete it and start anew.
// Checks: the first soon after the verification appears (the next tick, at most a second), then
// every `intervalMs` (default 30 s) while it stays PENDING; a few at a time.
//
// Resolution goes to the configured upstreams (`dnsUpstreams`), else to the system's resolvers
// (`dns.getServers()`), never to Trellis's own DNS port (it may forward to those same resolvers, or
// to us). DNS errors are logged, never thrown. Writes go through the server's background writer, so
// each is re-checked against the current record and committed atomically with the store.
import { Resolver } from 'node:dns/promises';
import { getServers } from 'node:dns';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { View } from '../store/view.ts';
import type { BackgroundWrite } from '../api/acm/issuance.ts';
import { DV, type DomainVerificationRecord } from '../api/lattice/domainverifications.ts';
import { parseUpstream, type Upstream } from '../dns/forward.ts';

/** A PENDING verification times out 72 hours after it started (see above). */
export const VERIFICATION_TIMEOUT_MS = 72 * 3600_000;
export const DEFAULT_VERIFY_INTERVAL_MS = 30_000;
/** How soon a new verification gets its first lookup, at most. */
const FIRST_CHECK_MS = 1000;
/** Lookups in flight at once. */
const CONCURRENCY = 4;
/** Per query and server (c-ares `timeout`), and attempts per server (`tries`). */
const QUERY_TIMEOUT_MS = 2000;
const QUERY_TRIES = 2;

export interface DomainVerifierOptions {
  view: View;
  write: BackgroundWrite;
  /** Resolvers, "ADDRESS[:PORT]"; none: the system's. */
  upstreams?: readonly string[];
  /** Where Trellis's own DNS server listens, once it does; never asked. */
  ownDns: () => { host: string; port: number } | undefined;
  intervalMs?: number;
  log?: (line: string) => void;
}

/** A lookup's verdict: the value is published, it is not (yet), or DNS could not say. */
type Lookup = 'found' | 'absent' | 'error';

export class DomainVerifier {
  readonly #view: View;
  readonly #write: BackgroundWrite;
  readonly #upstreams: readonly Upstream[] | undefined;
  readonly #ownDns: DomainVerifierOptions['ownDns'];
  readonly #intervalMs: number;
  readonly #log: (line: string) => void;
  /** Verification id -> when it is next looked up (epoch ms). */
  readonly #due = new Map<string, number>();
  readonly #resolvers = new Set<Resolver>();
  #timer: NodeJS.Timeout | undefined;
  #sweep: Promise<void> | undefined;
  #stopped = false;
  #lastWarning = '';

  constructor(opts: DomainVerifierOptions) {
    this.#view = opts.view;
    this.#write = opts.write;
    // Invalid ones are the DNS server's to reject (startTrellis fails then); here they are left out.
    this.#upstreams = opts.upstreams?.length ? opts.upstreams.map(parseServer).filter((s) => s !== undefined) : undefined;
    this.#ownDns = opts.ownDns;
    this.#intervalMs = Math.max(10, opts.intervalMs ?? DEFAULT_VERIFY_INTERVAL_MS);
    this.#log = opts.log ?? (() => {});
  }

  start(): void {
    if (this.#stopped || this.#timer) return;
    this.#schedule(0);
  }

  /** Stops the timer, cancels lookups in flight and waits for the sweep under way to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const r of this.#resolvers) r.cancel();
    await this.#sweep;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#sweep = this.#runSweep().catch((err: unknown) => this.#log(`domain verification: ${err instanceof Error ? err.stack : String(err)}`))
        .finally(() => {
          this.#sweep = undefined;
          this.#schedule(Math.min(this.#intervalMs, FIRST_CHECK_MS));
        });
    }, ms);
    this.#timer.unref();
  }

  /** Looks up every PENDING verification that is due, a few at a time. */
  async #runSweep(): Promise<void> {
    const now = Date.now();
    const pending = new Set<string>();
    const due: DomainVerificationRecord[] = [];
    for (const d of this.#view.all<DomainVerificationRecord>(DV)) {
      if (d.status !== 'PENDING') continue;
      pending.add(d.id);
      if ((this.#due.get(d.id) ?? now) <= now) due.push(d);
    }
    for (const id of this.#due.keys()) if (!pending.has(id)) this.#due.delete(id);
    if (due.length === 0) return;
    const own = this.#ownDns();
    if (!own) return; // Not listening yet: we could not tell our own port from a resolver's.
    const servers = resolverServers(this.#upstreams ?? getServers().map(parseServer).filter((s) => s !== undefined), own);
    if (servers.length === 0) this.#warn('domain verification: no DNS resolver to ask (none configured, or only Trellis itself); verifications stay PENDING');
    const resolver = new Resolver({ timeout: QUERY_TIMEOUT_MS, tries: QUERY_TRIES });
    if (servers.length > 0) resolver.setServers(servers.map(formatServer));
    this.#resolvers.add(resolver);
    try {
      let next = 0;
      const worker = async () => {
        while (next < due.length && !this.#stopped) await this.#check(resolver, due[next++], servers.length > 0);
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, worker));
    } finally {
      this.#resolvers.delete(resolver);
    }
  }

  async #check(resolver: Resolver, d: DomainVerificationRecord, canAsk: boolean): Promise<void> {
    const { name, value } = d.txtMethodConfig;
    const found = canAsk ? await lookup(resolver, name ?? '', value ?? '', this.#log) : 'error';
    if (this.#stopped) return;
    const timedOut = Date.now() - Date.parse(d.createdAt) >= VERIFICATION_TIMEOUT_MS;
    if (found !== 'found' && !timedOut) {
      this.#due.set(d.id, Date.now() + this.#intervalMs);
      return;
    }
    this.#due.delete(d.id);
    await this.#write((ctx) => {
      // The record as it is now: deleted, or started anew, since the lookup began? Then nothing.
      const cur = ctx.get<DomainVerificationRecord>(DV, d.id);
      if (!cur || cur.status !== 'PENDING' || cur.txtMethodConfig.value !== value) return;
      ctx.put(DV, d.id, found === 'found'
        ? { ...cur, status: 'VERIFIED', lastVerifiedTime: ctx.timestamp, lastUpdatedAt: ctx.timestamp }
        : { ...cur, status: 'VERIFICATION_TIMED_OUT', lastUpdatedAt: ctx.timestamp });
    }).catch((err: unknown) => this.#log(`domain verification ${d.id}: writing failed: ${String(err)}`));
  }

  /** Logs a warning once until it changes, not on every tick. */
  #warn(line: string): void {
    if (line === this.#lastWarning) return;
    this.#lastWarning = line;
    this.#log(line);
  }
}

/** Whether one of the TXT records at `name` is `value` (a record's strings joined, RFC 7208 style). */
async function lookup(resolver: Resolver, name: string, value: string, log: (line: string) => void): Promise<Lookup> {
  try {
    const records = await resolver.resolveTxt(name);
    return records.some((chunks) => chunks.join('') === value) ? 'found' : 'absent';
  } catch (err) {
    const code = (err as { code?: string }).code;
    // No such name, or no TXT record there: not published (yet). Cancelled: shutting down.
    if (code === 'ENOTFOUND' || code === 'ENODATA') return 'absent';
    if (code !== 'ECANCELLED') log(`domain verification: TXT lookup of ${name} failed: ${code ?? String(err)}`);
    return 'error';
  }
}

/** The servers to ask: `candidates` without Trellis's own DNS server. */
export function resolverServers(candidates: readonly Upstream[], own: { host: string; port: number }): Upstream[] {
  return candidates.filter((s) => !isOwn(s, own));
}

const WILDCARD = new Set(['0.0.0.0', '::', '::0']);
const plain = (host: string) => host.toLowerCase().replace(/^::ffff:(?=\d+\.)/, '');

/**
 * `s` may be Trellis's DNS server: the same port, and the same address, or any address of this
 * machine when Trellis listens on all of them.
 */
function isOwn(s: Upstream, own: { host: string; port: number }): boolean {
  if (s.port !== own.port) return false;
  const host = plain(s.host);
  if (host === plain(own.host)) return true;
  if (!WILDCARD.has(plain(own.host))) return false;
  if (WILDCARD.has(host) || host.startsWith('127.') || host === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => plain(i.address) === host));
}

/** One of `dns.getServers()`: "1.2.3.4", "1.2.3.4:53", "::1", "[::1]:53". */
function parseServer(text: string): Upstream | undefined {
  try {
    return parseUpstream(text);
  } catch {
    return undefined;
  }
}

/** For `Resolver.setServers`: IPv6 in brackets when a port follows. */
const formatServer = (s: Upstream) => (isIPv6(s.host) ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);
