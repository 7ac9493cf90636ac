// JSON policy document -> compiled policy. Validation follows the IAM policy grammar
// (IAM User Guide, reference_policies_grammar and the element pages); every error names where.
import { compileCondition, operatorError, type Condition } from './conditions.ts';
import { compileArn, compilePattern, compilePrincipal, type ArnPattern, type Glob, type PrincipalSpec } from './match.ts';

export type Effect = 'Allow' | 'Deny';

/** A compiled statement: wildcards are matchers, condition keys lower-cased, operators resolved. */
export interface Statement {
  index: number;
  sid?: string;
  effect: Effect;
  actions: Glob[]; // lower-cased: actions compare case-insensitively
  notAction: boolean;
  resources: ArnPattern[];
  notResource: boolean;
  principal: PrincipalSpec | null; // resource-based policies only
  notPrincipal: boolean;
  conditions: Condition[];
}

export interface Policy {
  version: '2012-10-17' | '2008-10-17';
  id?: string;
  statements: Statement[];
}

export interface ParseOptions {
  /** identity: no Principal, no Id, IAM Sid rules; resource: Principal required. Unset: neither check. */
  kind?: 'identity' | 'resource';
  /** Most non-whitespace characters allowed ("Policy size calculations do not include white space"). */
  maxSize?: number;
}

export type ParseResult = { ok: true; policy: Policy } | { ok: false; error: string };

const TOP_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

class PolicyError extends Error {}
const fail = (msg: string): never => { throw new PolicyError(msg); };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Finds a key repeated within one JSON object ("Individual elements must not contain multiple
 * instances of the same key", reference_policies_grammar) — JSON.parse would silently keep the
 * last one. `text` is known to be valid JSON. Returns the location of the repeat, or null.
 */
function duplicateKey(text: string): string | null {
  interface Frame { keys: Set<string> | null; path: string; key: string; index: number; expectKey: boolean }
  const stack: Frame[] = [];
  const childPath = () => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.keys ? (top.path ? `${top.path}.${top.key}` : top.key) : `${top.path}[${top.index}]`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '{' || c === '[') stack.push({ keys: c === '{' ? new Set() : null, path: childPath(), key: '', index: 0, expectKey: c === '{' });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') { if (top.keys) top.expectKey = true; else top.index++; }
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return top.path ? `${top.path}.${key}` : key;
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    }
  }
  return null;
}

/** A string or a non-empty array of strings ("Arrays can take one or more values"). */
function stringList(v: unknown, path: string): { items: string[]; paths: string[] } {
  if (typeof v === 'string') return { items: [v], paths: [path] };
  if (!Array.isArray(v) || v.length === 0) return fail(`${path}: must be a string or a non-empty array of strings`);
  v.forEach((x, i) => { if (typeof x !== 'string') fail(`${path}[${i}]: must be a string`); });
  return { items: v as string[], paths: v.map((_, i) => `${path}[${i}]`) };
}

function exactlyOne(st: Record<string, unknown>, a: string, b: string, path: string, required: boolean): string | null {
  if (a in st && b in st) fail(`${path}: has both ${a} and ${b}; use one`);
  if (a in st) return a;
  if (b in st) return b;
  if (required) fail(`${path}: must have ${a} or ${b}`);
  return null;
}

function compileStatement(raw: unknown, index: number, path: string, variables: boolean, kind: ParseOptions['kind']): Statement {
  if (!isObject(raw)) return fail(`${path}: must be an object`);
  for (const k of Object.keys(raw)) if (!STATEMENT_KEYS.has(k)) fail(`${path}.${k}: unknown statement element`);

  let sid: string | undefined;
  if ('Sid' in raw) {
    if (typeof raw.Sid !== 'string') fail(`${path}.Sid: must be a string`);
    sid = raw.Sid as string;
    // IAM policies: "basic alphanumeric characters (A-Z,a-z,0-9) are the only allowed characters".
    if (kind === 'identity' && !/^[A-Za-z0-9]*$/.test(sid)) fail(`${path}.Sid: only A-Z, a-z and 0-9 are allowed in an IAM policy ("${sid}")`);
  }

  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') {
    fail(`${path}.Effect: ${'Effect' in raw ? `must be "Allow" or "Deny", not ${JSON.stringify(raw.Effect)}` : 'is required ("Allow" or "Deny")'}`);
  }
  const effect = raw.Effect as Effect;

  // Principal: required in resource-based policies, forbidden in identity-based ones.
  const pKey = exactlyOne(raw, 'Principal', 'NotPrincipal', path, kind === 'resource');
  let principal: PrincipalSpec | null = null;
  if (pKey) {
    if (kind === 'identity') fail(`${path}.${pKey}: not allowed in an identity-based policy`);
    const spec = compilePrincipal(raw[pKey], `${path}.${pKey}`);
    if (typeof spec === 'string') fail(spec);
    principal = spec as PrincipalSpec;
  }

  // Action: "service:action" with wildcards, or "*"; compared case-insensitively.
  const aKey = exactlyOne(raw, 'Action', 'NotAction', path, true)!;
  const al = stringList(raw[aKey], `${path}.${aKey}`);
  const actions = al.items.map((a, i) => {
    if (a !== '*' && !/^[^:\s]+:\S*$/.test(a)) fail(`${al.paths[i]}: "${a}" must be "*" or "service:action" (actions must be prefaced by a vendor)`);
    return compilePattern(a, { wildcards: true, variables: false, lower: true }).glob!;
  });

  // Resource: "*" or an ARN; variables only after the fifth colon.
  const rKey = exactlyOne(raw, 'Resource', 'NotResource', path, true)!;
  const rl = stringList(raw[rKey], `${path}.${rKey}`);
  const resources = rl.items.map((r, i) => {
    // A wildcard may stand for the rest of an ARN ("arn:aws:vpc-lattice:*"): matching is a glob
    // over the whole string, and IAM accepts such prefixes.
    if (r !== '*' && !/^arn:([^:]*:){4}/.test(r) && !/^arn:[^:]*:[^:]*:.*\*/.test(r)) fail(`${rl.paths[i]}: "${r}" must be "*" or an ARN (arn:partition:service:region:account:resource)`);
    const p = compileArn(r, variables, true);
    if (typeof p === 'string') fail(`${rl.paths[i]}: ${p}`);
    return p as ArnPattern;
  });

  const conditions: Condition[] = [];
  if ('Condition' in raw) {
    const cpath = `${path}.Condition`;
    if (!isObject(raw.Condition)) fail(`${cpath}: must be an object of operators`);
    for (const [op, block] of Object.entries(raw.Condition as Record<string, unknown>)) {
      const opath = `${cpath}.${op}`;
      const opError = operatorError(op);
      if (opError) fail(`${opath}: ${opError}`);
      if (!isObject(block) || Object.keys(block).length === 0) fail(`${opath}: must be an object of condition keys and values`);
      for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
        const kpath = `${opath}[${JSON.stringify(key)}]`;
        const list = Array.isArray(value) ? value : [value];
        if (list.length === 0) fail(`${kpath}: must have at least one value`);
        list.forEach((x, i) => {
          if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') fail(`${kpath}${Array.isArray(value) ? `[${i}]` : ''}: values must be strings, numbers or booleans`);
        });
        const c = compileCondition(op, key, list as (string | number | boolean)[], variables);
        if (typeof c === 'string') fail(`${kpath}: ${c}`);
        conditions.push(c as Condition);
      }
    }
  }

  return {
    index, sid, effect, actions, notAction: aKey === 'NotAction', resources, notResource: rKey === 'NotResource',
    principal, notPrincipal: pKey === 'NotPrincipal', conditions,
  };
}

/** Parses and compiles a policy document (JSON text or an already-parsed value). */
export function parsePolicy(doc: string | unknown, opts: ParseOptions = {}): ParseResult {
  try {
    let value: unknown = doc;
    let text: string | null = null;
    if (typeof doc === 'string') {
      text = doc;
      try { value = JSON.parse(doc); } catch (e) { fail(`policy is not valid JSON: ${(e as Error).message}`); }
      const dup = duplicateKey(doc);
      if (dup !== null) fail(`${dup}: appears more than once`);
    }
    if (opts.maxSize !== undefined) {
      let json = text;
      if (json === null) try { json = JSON.stringify(value) ?? ''; } catch { fail('policy: is not JSON-serializable'); }
      const size = json!.replace(/\s/g, '').length;
      if (size > opts.maxSize) fail(`policy: ${size} characters (not counting white space), more than the ${opts.maxSize} allowed`);
    }
    if (!isObject(value)) fail('policy: must be a JSON object');
    const top = value as Record<string, unknown>;
    for (const k of Object.keys(top)) if (!TOP_KEYS.has(k)) fail(`${k}: unknown policy element (expected Version, Id, Statement)`);

    // No Version means the 2008-10-17 language: variables are literal text (reference_policies_elements_version).
    let version: Policy['version'] = '2008-10-17';
    if ('Version' in top) {
      if (top.Version !== '2012-10-17' && top.Version !== '2008-10-17') fail(`Version: must be "2012-10-17" or "2008-10-17", not ${JSON.stringify(top.Version)}`);
      version = top.Version as Policy['version'];
    }

    let id: string | undefined;
    if ('Id' in top) {
      // "The id_block is allowed in resource-based policies, but not in identity-based policies."
      if (opts.kind === 'identity') fail('Id: not allowed in an identity-based policy');
      if (typeof top.Id !== 'string') fail('Id: must be a string');
      id = top.Id as string;
    }

    if (!('Statement' in top)) fail('Statement: is required');
    const rawStatements = Array.isArray(top.Statement) ? top.Statement : [top.Statement];
    if (rawStatements.length === 0) fail('Statement: must contain at least one statement');
    const variables = version === '2012-10-17';
    const statements = rawStatements.map((s, i) =>
      compileStatement(s, i, Array.isArray(top.Statement) ? `Statement[${i}]` : 'Statement', variables, opts.kind));

    // "In IAM, the Sid value must be unique within a JSON policy" (reference_policies_elements_sid).
    if (opts.kind === 'identity') {
      const seen = new Set<string>();
      for (const s of statements) {
        if (s.sid === undefined || s.sid === '') continue;
        if (seen.has(s.sid)) fail(`Statement[${s.index}].Sid: "${s.sid}" is not unique within the policy`);
        seen.add(s.sid);
      }
    }
    return { ok: true, policy: { version, id, statements } };
  } catch (e) {
    if (e instanceof PolicyError) return { ok: false, error: e.message };
    throw e;
  }
}
