// Condition operators (IAM User Guide, reference_policies_elements_condition_operators), compiled
// once per policy into closures, evaluated per request against a Lookup.
import { ipToBigInt, parseCidr, within, type Net } from '../../core/cidr.ts';
import { arnMatch, compileArn, compilePattern, globMatch, resolve, type Lookup, type Pattern, type ArnPattern } from './match.ts';

/** One key under one operator: `"Condition": {"<op>": {"<key>": [values]}}`. */
export interface Condition {
  op: string; // as written, e.g. ForAnyValue:StringLikeIfExists
  key: string; // lower-cased: key names are case-insensitive (reference_policies_variables, "Important")
  set: 0 | 1 | 2; // 0 none, 1 ForAnyValue, 2 ForAllValues
  ifExists: boolean;
  negated: boolean;
  /** Null: which answers ("true" = absent, "false" = present) the policy accepts. */
  nullAccepts: { absent: boolean; present: boolean } | null;
  /** The positive comparison: does one request value match any of the policy's values? */
  test: (v: string, ctx: Lookup) => boolean;
}

type Family = 'string' | 'stringCi' | 'like' | 'num' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';
type Cmp = 'eq' | 'lt' | 'le' | 'gt' | 'ge';
interface OpDef { family: Family; negated: boolean; cmp: Cmp }

const OPS = new Map<string, OpDef>();
const def = (name: string, family: Family, negated = false, cmp: Cmp = 'eq') => OPS.set(name, { family, negated, cmp });
def('StringEquals', 'string'); def('StringNotEquals', 'string', true);
def('StringEqualsIgnoreCase', 'stringCi'); def('StringNotEqualsIgnoreCase', 'stringCi', true);
def('StringLike', 'like'); def('StringNotLike', 'like', true);
for (const [fam, prefix] of [['num', 'Numeric'], ['date', 'Date']] as const) {
  def(`${prefix}Equals`, fam); def(`${prefix}NotEquals`, fam, true);
  def(`${prefix}LessThan`, fam, false, 'lt'); def(`${prefix}LessThanEquals`, fam, false, 'le');
  def(`${prefix}GreaterThan`, fam, false, 'gt'); def(`${prefix}GreaterThanEquals`, fam, false, 'ge');
}
def('Bool', 'bool'); def('BinaryEquals', 'binary');
def('IpAddress', 'ip'); def('NotIpAddress', 'ip', true);
// ArnEquals and ArnLike behave the same; both take wildcards in each ARN component.
def('ArnEquals', 'arn'); def('ArnLike', 'arn'); def('ArnNotEquals', 'arn', true); def('ArnNotLike', 'arn', true);
def('Null', 'null');

/** Operator names as AWS spells them, for messages and for tests. */
export const OPERATORS: readonly string[] = [...OPS.keys()];

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const EPOCH = /^\d+(\.\d+)?$/;
const ISO = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseNumber(s: string): number { return NUMBER.test(s) ? Number(s) : NaN; }

/** ISO 8601 (UTC unless a zone is given) or epoch seconds, as milliseconds; NaN if neither. */
export function parseDate(s: string): number {
  if (EPOCH.test(s)) return Number(s) * 1000;
  const m = ISO.exec(s);
  if (!m) return NaN;
  if (m[2] === undefined) return Date.parse(`${m[1]}T00:00:00Z`);
  const zone = m[3] === undefined ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3];
  return Date.parse(`${m[1]}T${m[2]}${zone}`);
}

function ip(s: string): { family: 4 | 6; addr: bigint } | undefined {
  const a = ipToBigInt(s);
  // An IPv4-mapped IPv6 address (how dual-stack sockets report IPv4 peers) is that IPv4 address.
  if (a && a.family === 6 && a.addr >> 32n === 0xffffn) return { family: 4, addr: a.addr & 0xffffffffn };
  return a;
}

function parseIpBlock(s: string): Net | undefined {
  if (!s.includes('/')) {
    const a = ip(s);
    return a && { ...a, len: a.family === 4 ? 32 : 128 }; // a bare address is a /32 (/128)
  }
  return parseCidr(s);
}

const cmpOk = (cmp: Cmp, d: number) =>
  cmp === 'eq' ? d === 0 : cmp === 'lt' ? d < 0 : cmp === 'le' ? d <= 0 : cmp === 'gt' ? d > 0 : d >= 0;

/** What is wrong with an operator name, or null if it is one AWS defines. */
export function operatorError(op: string): string | null {
  const p = splitOperator(op);
  if (!p.def) return `unknown condition operator "${op}"`;
  if (p.def.family === 'null' && (p.ifExists || p.set)) return `Null takes neither IfExists nor a set operator ("${op}")`;
  return null;
}

/** `ForAnyValue:` / `ForAllValues:` prefix, `IfExists` suffix (reference_policies_elements_condition_operators). */
function splitOperator(op: string): { def: OpDef | undefined; set: 0 | 1 | 2; ifExists: boolean } {
  let name = op;
  let set: 0 | 1 | 2 = 0;
  if (name.startsWith('ForAnyValue:')) { set = 1; name = name.slice(12); }
  else if (name.startsWith('ForAllValues:')) { set = 2; name = name.slice(13); }
  let ifExists = false;
  if (name.endsWith('IfExists') && name !== 'IfExists') { ifExists = true; name = name.slice(0, -8); }
  return { def: OPS.get(name), set, ifExists };
}

/**
 * Compiles one operator/key pair. `values` are the policy's values as JSON gave them (string,
 * number or boolean). Returns a Condition or an error message (without location).
 */
export function compileCondition(op: string, key: string, values: (string | number | boolean)[], variables: boolean): Condition | string {
  const opError = operatorError(op);
  if (opError) return opError;
  const { def: d, set, ifExists } = splitOperator(op) as { def: OpDef; set: 0 | 1 | 2; ifExists: boolean };
  if (!/^[^:\s]+:\S/.test(key)) return `condition key "${key}" must be prefaced by a vendor (e.g. aws:, vpc-lattice-svcs:)`;
  const base = { op, key: key.toLowerCase(), set, ifExists, negated: d.negated, nullAccepts: null };
  const strs = values.map(String);

  switch (d.family) {
    case 'null': {
      const accepts = { absent: false, present: false };
      for (const s of strs) {
        if (s === 'true') accepts.absent = true;
        else if (s === 'false') accepts.present = true;
        else return `Null takes "true" or "false", not "${s}"`;
      }
      return { ...base, nullAccepts: accepts, test: () => false };
    }
    case 'string': case 'stringCi': case 'like': {
      // Variables only in String and Arn operators (reference_policies_variables, "Condition element").
      const lower = d.family === 'stringCi';
      const pats: Pattern[] = strs.map((s) => compilePattern(s, { wildcards: d.family === 'like', variables, lower }));
      if (pats.every((p) => p.glob?.exact != null)) {
        const exact = new Set(pats.map((p) => p.glob!.exact!));
        return { ...base, test: lower ? (v) => exact.has(v.toLowerCase()) : (v) => exact.has(v) };
      }
      return {
        ...base,
        test: (v, ctx) => {
          const s = lower ? v.toLowerCase() : v;
          for (const p of pats) { const g = resolve(p, ctx); if (g && globMatch(g, s)) return true; }
          return false;
        },
      };
    }
    case 'num': case 'date': {
      const parse = d.family === 'num' ? parseNumber : parseDate;
      const nums = strs.map(parse);
      const bad = strs.find((_, i) => Number.isNaN(nums[i]));
      if (bad !== undefined) return `"${bad}" is not ${d.family === 'num' ? 'a number' : 'an ISO 8601 date or epoch seconds'}`;
      const cmp = d.cmp;
      return {
        ...base,
        test: (v) => {
          const n = parse(v);
          if (Number.isNaN(n)) return false; // a request value of the wrong type never matches
          for (const p of nums) if (cmpOk(cmp, n - p)) return true;
          return false;
        },
      };
    }
    case 'bool': {
      const want = strs.map((s) => s.toLowerCase());
      const bad = want.find((s) => s !== 'true' && s !== 'false');
      if (bad !== undefined) return `Bool takes "true" or "false", not "${bad}"`;
      return { ...base, test: (v) => want.includes(v.toLowerCase()) };
    }
    case 'binary': {
      const bad = strs.find((s) => !BASE64.test(s));
      if (bad !== undefined) return `"${bad}" is not base64`;
      const bytes = strs.map((s) => Buffer.from(s, 'base64'));
      // The context carries binary values base64-encoded too; compare the bytes.
      return { ...base, test: (v) => { const b = Buffer.from(v, 'base64'); return bytes.some((x) => x.equals(b)); } };
    }
    case 'ip': {
      const nets = strs.map(parseIpBlock);
      const bad = strs.find((_, i) => !nets[i]);
      if (bad !== undefined) return `"${bad}" is not an IP address or CIDR block`;
      return {
        ...base,
        test: (v) => {
          const a = ip(v);
          if (!a) return false;
          const self = { ...a, len: a.family === 4 ? 32 : 128 };
          return nets.some((n) => within(self, n!));
        },
      };
    }
    case 'arn': {
      const arns: ArnPattern[] = [];
      for (const s of strs) { const a = compileArn(s, variables); if (typeof a === 'string') return a; arns.push(a); }
      return { ...base, test: (v, ctx) => arns.some((a) => arnMatch(a, v, ctx)) };
    }
  }
}

/** One request value against the operator, negation included. */
const valueMatch = (c: Condition, v: string, ctx: Lookup) => c.test(v, ctx) !== c.negated;

/**
 * Evaluates one condition. Absent key: positive operators false, negated operators true, IfExists
 * true, Null per its value. ForAllValues is true on an absent or empty key, ForAnyValue false
 * (reference_policies_condition-single-vs-multi-valued-context-keys). A multivalued key under a
 * plain operator: a positive operator matches when any value matches, a negated one when none does.
 */
export function evalCondition(c: Condition, ctx: Lookup): boolean {
  const v = ctx.get(c.key);
  const absent = v === undefined || (typeof v !== 'string' && v.length === 0);
  if (c.nullAccepts) return absent ? c.nullAccepts.absent : c.nullAccepts.present;
  if (c.set === 2) {
    if (absent) return true;
    if (typeof v === 'string') return valueMatch(c, v, ctx);
    for (const x of v!) if (!valueMatch(c, x, ctx)) return false;
    return true;
  }
  if (c.set === 1) {
    if (absent) return c.ifExists;
    if (typeof v === 'string') return valueMatch(c, v, ctx);
    for (const x of v!) if (valueMatch(c, x, ctx)) return true;
    return false;
  }
  if (absent) return c.ifExists || c.negated;
  if (typeof v === 'string') return valueMatch(c, v, ctx);
  let any = false;
  for (const x of v!) if (c.test(x, ctx)) { any = true; break; }
  return any !== c.negated;
}
