// EC2's query protocol: a form-encoded request (`Action`, `Version`, lists flattened as `Name.N`
// and `Name.N.Member`) answered with XML (`<ActionResponse>` on success, `<Response><Errors>` on
// failure). Pure: parsing, XML writing, filters and pagination shared by the EC2 handlers.
import { writeElement, escapeXml, type Xml, type XmlBody } from '../protocol/xml.ts';
import { ApiError } from '../../core/errors.ts';

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export const ec2Error = (code: string, message: string, status = 400): ApiError => new ApiError(code, status, message);
/** Error codes and texts as EC2 words them (Error codes for the Amazon EC2 API). */
export const missingParameter = (name: string): ApiError => ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
export const invalidValue = (message: string): ApiError => ec2Error('InvalidParameterValue', message);

/** A view of the request's parameters under a prefix (`IpPermissions.1.` for one permission). */
export class QueryParams {
  readonly #map: ReadonlyMap<string, string>;
  readonly #prefix: string;

  constructor(map: ReadonlyMap<string, string>, prefix = '') {
    this.#map = map;
    this.#prefix = prefix;
  }

  static parse(body: string): QueryParams {
    const map = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(body)) map.set(k, v);
    return new QueryParams(map);
  }

  str(name: string): string | undefined { return this.#map.get(this.#prefix + name); }

  /** A required string; `wire` names it in the error as EC2 does. */
  required(name: string, wire = name): string {
    const v = this.str(name);
    if (v === undefined || v === '') throw missingParameter(wire);
    return v;
  }

  int(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,10}$/.test(v.trim())) throw invalidValue(`Value (${v}) for parameter ${name} is invalid. Expected an integer.`);
    return Number(v.trim());
  }

  bool(name: string): boolean | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw invalidValue(`Value (${v}) for parameter ${name} is invalid. Expected a boolean.`);
    return v === 'true';
  }

  /** `Name.1`, `Name.2`, … in index order. */
  strings(name: string): string[] {
    return this.#indexes(name, false).map((i) => this.#map.get(`${this.#prefix}${name}.${i}`)!);
  }

  /** The structures `Name.1.*`, `Name.2.*`, … in index order. */
  list(name: string): QueryParams[] {
    return this.#indexes(name, true).map((i) => new QueryParams(this.#map, `${this.#prefix}${name}.${i}.`));
  }

  /** Is any parameter under this name present (`Name`, `Name.N` or `Name.N.*`)? */
  has(name: string): boolean {
    const key = this.#prefix + name;
    for (const k of this.#map.keys()) if (k === key || k.startsWith(key + '.')) return true;
    return false;
  }

  #indexes(name: string, nested: boolean): number[] {
    const head = `${this.#prefix}${name}.`;
    const seen = new Set<number>();
    for (const k of this.#map.keys()) {
      if (!k.startsWith(head)) continue;
      const rest = k.slice(head.length);
      const dot = rest.indexOf('.');
      const index = dot < 0 ? rest : rest.slice(0, dot);
      if ((dot >= 0) !== nested || !/^[1-9]\d{0,4}$/.test(index)) continue;
      seen.add(Number(index));
    }
    return [...seen].sort((a, b) => a - b);
  }
}

// ---------------------------------------------------------------------------------------------
// XML

export { escapeXml, type Xml, type XmlBody };

export function renderResponse(action: string, requestId: string, body: XmlBody): string {
  const out = [`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}">`];
  writeElement('requestId', requestId, out, 'item');
  for (const [k, v] of Object.entries(body)) writeElement(k, v, out, 'item');
  out.push(`</${action}Response>`);
  return out.join('');
}

/** EC2's error document (API Reference, "Error codes": example error response). */
export function renderErrorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${escapeXml(requestId)}</RequestID></Response>`;
}

// ---------------------------------------------------------------------------------------------
// Filters: `Filter.N.Name` with `Filter.N.Value.M`. Values of one filter are ORed, filters are
// ANDed; values are case-sensitive and may use the wildcards * and ? (EC2 User Guide, "List and
// filter your resources").

export interface Filter { name: string; values: string[] }

export function parseFilters(p: QueryParams): Filter[] {
  return p.list('Filter').map((f) => {
    const name = f.str('Name');
    if (!name) throw missingParameter('Filter.Name');
    return { name, values: f.strings('Value') };
  });
}

/** A wildcard pattern as a test; `\*`, `\?` and `\\` are literal. */
export function wildcard(pattern: string): (value: string) => boolean {
  if (!/[*?\\]/.test(pattern)) return (v) => v === pattern;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) source += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const re = new RegExp(`^${source}$`, 'u');
  return (v) => re.test(v);
}

/**
 * Does a resource pass all filters? `valuesOf(name)` gives the resource's values for a filter
 * name, or undefined when the name is not a filter of this action (an error, as in EC2).
 */
export function matchesFilters(filters: readonly Filter[], valuesOf: (name: string) => readonly string[] | undefined): boolean {
  for (const f of filters) {
    const have = valuesOf(f.name);
    if (have === undefined) throw invalidValue(`The filter '${f.name}' is invalid`);
    const tests = f.values.map(wildcard);
    if (!have.some((v) => tests.some((t) => t(v)))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Pagination: MaxResults 5-1000 (DescribeVpcs, DescribeSecurityGroups), all items when absent;
// NextToken is opaque.

const TOKEN_PREFIX = 'trellis-ec2:';

export function page<T extends { id: string; createdAt: string }>(items: readonly T[], p: QueryParams): { items: T[]; nextToken?: string } {
  const max = p.int('MaxResults');
  if (max !== undefined && (max < 5 || max > 1000)) {
    throw invalidValue(`Value ( ${max} ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.`);
  }
  let start = 0;
  const token = p.str('NextToken');
  if (token !== undefined) {
    const text = Buffer.from(token, 'base64url').toString('utf8');
    const bar = text.indexOf('|');
    if (!text.startsWith(TOKEN_PREFIX) || bar < 0) throw ec2Error('InvalidPaginationToken', `The pagination token ${token} is invalid.`);
    const createdAt = text.slice(TOKEN_PREFIX.length, bar);
    const after = text.slice(bar + 1);
    // Items come in creation order: go on after the last item shown, or, when it has since been
    // deleted, at the first item created after it.
    const at = items.findIndex((i) => i.id === after);
    start = at >= 0 ? at + 1 : items.findIndex((i) => i.createdAt > createdAt);
    if (start < 0) start = items.length;
  }
  if (max === undefined) return { items: items.slice(start) };
  const slice = items.slice(start, start + max);
  if (start + max >= items.length) return { items: slice };
  const last = slice[slice.length - 1];
  return { items: slice, nextToken: Buffer.from(`${TOKEN_PREFIX}${last.createdAt}|${last.id}`).toString('base64url') };
}
