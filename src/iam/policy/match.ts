// Wildcards, policy variables, ARN matching and Principal matching for the IAM policy engine.
// Everything a request needs is compiled once (parse time); matching allocates nothing unless a
// pattern carries a policy variable, which has to be substituted per request.
import type { Principal } from './evaluate.ts';

/** A condition-context value: single-valued keys hold a string, multivalued keys an array. */
export type Value = string | string[];
/** Reads the request context; keys are given lower-cased (IAM key names are case-insensitive). */
export interface Lookup { get(key: string): Value | undefined }

/** A template piece: literal text, the `*` / `?` wildcards, or a `${key, 'default'}` variable. */
export type Part =
  | { k: 'lit'; s: string }
  | { k: 'star' }
  | { k: 'one' }
  | { k: 'var'; key: string; def: string | undefined };

/** A stretch of a glob between two `*`: fixed length; `mask[i]` = 1 where `?` stands. */
interface Seg { s: string; mask: Uint8Array | null }
/** A compiled glob. `any`: matches everything; `exact`: no wildcards at all (plain comparison). */
export interface Glob { any: boolean; exact: string | null; stars: boolean; segs: Seg[] }

/** A string pattern: compiled once when static, otherwise a template resolved per request. */
export interface Pattern { glob: Glob | null; parts: Part[] | null; lower: boolean }

export interface PatternOptions { wildcards: boolean; variables: boolean; lower?: boolean }

const VAR = /^\s*([^\s,']+)\s*(?:,\s*'([^']*)'\s*)?$/;

/**
 * Splits policy text into parts. Variables exist only when `variables` (Version 2012-10-17, and
 * only Resource and String/Arn condition values); `${*}`, `${?}`, `${$}` are the literal characters
 * (IAM User Guide, reference_policies_variables, "Special characters" and "Specifying default values").
 * Text that does not form a variable stays literal.
 */
export function parseTemplate(text: string, opts: PatternOptions): Part[] {
  const parts: Part[] = [];
  let lit = '';
  const flush = () => { if (lit) { parts.push({ k: 'lit', s: lit }); lit = ''; } };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (opts.variables && c === '$' && text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      const inner = close < 0 ? '' : text.slice(i + 2, close);
      if (inner === '*' || inner === '?' || inner === '$') { lit += inner; i = close; continue; }
      const m = close < 0 ? null : VAR.exec(inner);
      if (m) { flush(); parts.push({ k: 'var', key: m[1].toLowerCase(), def: m[2] }); i = close; continue; }
    }
    if (opts.wildcards && c === '*') { flush(); parts.push({ k: 'star' }); continue; }
    if (opts.wildcards && c === '?') { flush(); parts.push({ k: 'one' }); continue; }
    lit += c;
  }
  flush();
  return parts;
}

/** Compiles variable-free parts into a glob. */
export function compileGlob(parts: Part[], lower = false): Glob {
  const segs: Seg[] = [];
  let s = '';
  let q: number[] | null = null;
  let stars = false;
  const push = () => {
    let mask: Uint8Array | null = null;
    if (q) { mask = new Uint8Array(s.length); for (const i of q) mask[i] = 1; }
    segs.push({ s, mask });
    s = ''; q = null;
  };
  for (const p of parts) {
    if (p.k === 'star') { stars = true; push(); }
    else if (p.k === 'one') { (q ??= []).push(s.length); s += '?'; }
    else if (p.k === 'lit') s += lower ? p.s.toLowerCase() : p.s;
    else throw new Error('compileGlob: unresolved variable');
  }
  push();
  const any = stars && segs.every((g) => g.s.length === 0);
  const exact = !stars && !segs[0].mask ? segs[0].s : null;
  return { any, exact, stars, segs };
}

export function compilePattern(text: string, opts: PatternOptions): Pattern {
  const parts = parseTemplate(text, opts);
  const lower = opts.lower ?? false;
  if (parts.some((p) => p.k === 'var')) return { glob: null, parts, lower };
  return { glob: compileGlob(parts, lower), parts: null, lower };
}

/**
 * Substitutes variables from the request. A variable whose key is absent (or multivalued: those
 * can't be variables, reference_policies_condition-single-vs-multi-valued-context-keys) takes its
 * default; with no default the result is `null`, and the entry matches nothing
 * (reference_policies_variables: an unresolved variable makes the statement element not match).
 */
export function resolveParts(parts: Part[], ctx: Lookup): Part[] | null {
  const out: Part[] = [];
  for (const p of parts) {
    if (p.k !== 'var') { out.push(p); continue; }
    const v = ctx.get(p.key);
    const s = typeof v === 'string' ? v : p.def;
    if (s === undefined) return null;
    out.push({ k: 'lit', s });
  }
  return out;
}

export function resolve(p: Pattern, ctx: Lookup): Glob | null {
  if (p.glob) return p.glob;
  const parts = resolveParts(p.parts!, ctx);
  return parts && compileGlob(parts, p.lower);
}

function segAt(g: Seg, s: string, i: number): boolean {
  if (!g.mask) return s.startsWith(g.s, i);
  const t = g.s;
  for (let j = 0; j < t.length; j++) if (!g.mask[j] && s.charCodeAt(i + j) !== t.charCodeAt(j)) return false;
  return true;
}

function segFind(g: Seg, s: string, from: number, end: number): number {
  const len = g.s.length;
  if (!g.mask) {
    const at = s.indexOf(g.s, from);
    return at >= 0 && at + len <= end ? at : -1;
  }
  for (let i = from; i + len <= end; i++) if (segAt(g, s, i)) return i;
  return -1;
}

/**
 * Does `s[from, to)` match? `*` is any run (including none, and `/` and `:`), `?` one character.
 * The stretches between stars have fixed lengths, so taking each at its leftmost place is exact.
 */
export function globMatch(g: Glob, s: string, from = 0, to = s.length): boolean {
  if (g.any) return true;
  if (g.exact !== null) return to - from === g.exact.length && s.startsWith(g.exact, from);
  const segs = g.segs;
  if (!g.stars) return to - from === segs[0].s.length && segAt(segs[0], s, from);
  const first = segs[0];
  const last = segs[segs.length - 1];
  if (to - from < first.s.length + last.s.length) return false;
  if (!segAt(first, s, from) || !segAt(last, s, to - last.s.length)) return false;
  let pos = from + first.s.length;
  const end = to - last.s.length;
  for (let i = 1; i < segs.length - 1; i++) {
    const g2 = segs[i];
    if (g2.s.length === 0) continue;
    const at = segFind(g2, s, pos, end);
    if (at < 0) return false;
    pos = at + g2.s.length;
  }
  return true;
}

// ---- ARNs ---------------------------------------------------------------------------------------

/**
 * An ARN pattern matched component by component: `arn:partition:service:region:account:resource`,
 * wildcards within a component, the sixth component being the rest of the string (colons included).
 * "You can use wildcard characters (* and ?) within any ARN segment (the parts separated by colons)"
 * (reference_policies_elements_resource); ArnLike/ArnEquals the same (..._condition_operators, ARN).
 * A bare `*` matches every resource.
 */
export interface ArnPattern { any: boolean; segs: Glob[] | null; parts: Part[] | null }

/** Splits parts at literal colons into the six ARN components; `null` if there are fewer. */
function splitArn(parts: Part[]): Part[][] | null {
  const out: Part[][] = [[]];
  for (const p of parts) {
    if (p.k !== 'lit' || out.length === 6) { out[out.length - 1].push(p); continue; }
    let rest = p.s;
    for (let c = rest.indexOf(':'); c >= 0 && out.length < 6; c = rest.indexOf(':')) {
      if (c > 0) out[out.length - 1].push({ k: 'lit', s: rest.slice(0, c) });
      out.push([]);
      rest = rest.slice(c + 1);
    }
    if (rest) out[out.length - 1].push({ k: 'lit', s: rest });
  }
  return out.length === 6 ? out : null;
}

/**
 * Compiles an ARN pattern. Returns an error string for a Resource whose variables sit before the
 * fifth colon ("only in the resource portion of the ARN", reference_policies_variables).
 */
export function compileArn(text: string, variables: boolean, resourceElement = false): ArnPattern | string {
  if (text === '*') return { any: true, segs: null, parts: null };
  const parts = parseTemplate(text, { wildcards: true, variables });
  if (parts.some((p) => p.k === 'var')) {
    if (resourceElement) {
      const split = splitArn(parts);
      if (split && split.slice(0, 5).some((g) => g.some((p) => p.k === 'var'))) {
        return 'policy variables may appear only in the resource part of the ARN (after the fifth colon)';
      }
    }
    return { any: false, segs: null, parts };
  }
  const split = splitArn(parts);
  return { any: false, segs: split ? split.map((g) => compileGlob(g)) : null, parts: null };
}

export function arnMatch(p: ArnPattern, s: string, ctx: Lookup): boolean {
  if (p.any) return true;
  let segs = p.segs;
  if (!segs) {
    if (!p.parts) return false; // fewer than six components: never an ARN match
    const resolved = resolveParts(p.parts, ctx);
    const split = resolved && splitArn(resolved);
    if (!split) return false;
    segs = split.map((g) => compileGlob(g));
  }
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const c = s.indexOf(':', start);
    if (c < 0 || !globMatch(segs[i], s, start, c)) return false;
    start = c + 1;
  }
  return globMatch(segs[5], s, start, s.length);
}

// ---- Principal ----------------------------------------------------------------------------------

/** A compiled Principal / NotPrincipal element (reference_policies_elements_principal). */
export interface PrincipalSpec {
  any: boolean;
  accounts: Set<string>; // "123456789012" or arn:aws:iam::123456789012:root
  roles: Set<string>; // arn:…:iam::acct:role/…: matches the role's sessions via aws:PrincipalArn
  arns: Set<string>; // users, sessions, federated users, roles: exact
  services: Set<string>;
  federated: Set<string>;
  canonical: Set<string>;
}

const ROOT = /^arn:[^:]+:iam::(\d{12}):root$/;
const ROLE = /^arn:[^:]+:iam::\d{12}:role\/./;
const PRINCIPAL_KEYS = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);

/** Compiles a Principal value; an error string names what is wrong, relative to `path`. */
export function compilePrincipal(raw: unknown, path: string): PrincipalSpec | string {
  const spec: PrincipalSpec = {
    any: false, accounts: new Set(), roles: new Set(), arns: new Set(),
    services: new Set(), federated: new Set(), canonical: new Set(),
  };
  if (raw === '*') { spec.any = true; return spec; }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `${path}: must be "*" or an object such as {"AWS": [...]}`;
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) return `${path}: must name at least one principal`;
  for (const [type, value] of entries) {
    const at = `${path}.${type}`;
    if (!PRINCIPAL_KEYS.has(type)) return `${at}: unknown principal type (expected AWS, Service, Federated or CanonicalUser)`;
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) return `${at}: must list at least one principal`;
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      const where = Array.isArray(value) ? `${at}[${i}]` : at;
      if (typeof v !== 'string' || v === '') return `${where}: must be a non-empty string`;
      // "*" only means everyone; no partial wildcards (reference_policies_elements_principal).
      if (v === '*' && type === 'AWS') { spec.any = true; continue; }
      if (v.includes('*') || v.includes('?')) {
        return `${where}: wildcards are not allowed in a principal ("${v}"); use "*" with a condition on aws:PrincipalArn`;
      }
      if (type === 'Service') spec.services.add(v);
      else if (type === 'Federated') spec.federated.add(v);
      else if (type === 'CanonicalUser') spec.canonical.add(v);
      else if (/^\d{12}$/.test(v)) spec.accounts.add(v);
      else if (ROOT.test(v)) spec.accounts.add(ROOT.exec(v)![1]);
      else if (!/^arn:[^:]+:(iam|sts)::\d{12}:./.test(v)) return `${where}: "${v}" is not an account ID or an IAM/STS principal ARN`;
      else if (ROLE.test(v)) { spec.roles.add(v); spec.arns.add(v); }
      else spec.arns.add(v);
    }
  }
  return spec;
}

const isAnonymous = (p: Principal) => p.type === 'Anonymous';
const roleArnOf = (p: Principal) => p.principalArn ?? (p.type === 'AssumedRole' ? undefined : p.arn);

function otherMatch(spec: PrincipalSpec, p: Principal): boolean {
  if (p.arn === undefined) return false;
  if (p.type === 'Service') return spec.services.has(p.arn);
  if (p.type === 'Federated') return spec.federated.has(p.arn);
  if (p.type === 'CanonicalUser') return spec.canonical.has(p.arn);
  return false;
}

/**
 * Principal match: 0 no, 1 the caller itself (or "*"), 2 only through its account, which delegates
 * to the account's identity policies rather than granting (evaluate.ts decides what that means).
 * A role ARN matches every session of the role (the session's aws:PrincipalArn is the role ARN).
 */
export function principalMatch(spec: PrincipalSpec, p: Principal): 0 | 1 | 2 {
  if (spec.any) return 1;
  if (isAnonymous(p)) return 0;
  if (p.arn !== undefined && spec.arns.has(p.arn)) return 1;
  const role = roleArnOf(p);
  if (p.type === 'AssumedRole' && role !== undefined && spec.roles.has(role)) return 1;
  if (otherMatch(spec, p)) return 1;
  if (p.account !== undefined && spec.accounts.has(p.account)) return 2;
  return 0;
}

/**
 * Whether a statement with NotPrincipal applies to the caller. AWS may check the caller's chain
 * (account, then role, then session), so a Deny exempts a caller only if every link is listed
 * (account ARN, role ARN for sessions, own ARN), and an Allow skips a caller if any link is listed:
 * both fail closed (reference_policies_elements_notprincipal, "NotPrincipal with Deny").
 */
export function notPrincipalApplies(spec: PrincipalSpec, p: Principal, effect: 'Allow' | 'Deny'): boolean {
  if (spec.any) return false;
  if (isAnonymous(p)) return true;
  const links: boolean[] = [];
  if (p.type === 'Service' || p.type === 'Federated' || p.type === 'CanonicalUser') links.push(otherMatch(spec, p));
  else {
    links.push(p.account !== undefined && spec.accounts.has(p.account));
    if (p.type === 'AssumedRole') {
      const role = roleArnOf(p);
      links.push(role !== undefined && (spec.roles.has(role) || spec.arns.has(role)));
    }
    if (p.type !== 'Root' && p.type !== 'Account') links.push(p.arn !== undefined && spec.arns.has(p.arn));
  }
  return effect === 'Deny' ? !links.every(Boolean) : !links.some(Boolean);
}
