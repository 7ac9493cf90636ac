// IAM's flavour of the AWS query protocol: a form-encoded request (`Action`, `Version`, lists as
// `Name.member.N`, structures in lists as `Name.member.N.Field`) answered with
// `<ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata>…` or
// `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`. Input constraints are
// checked as IAM does and reported in its ValidationError words; pagination is Marker/MaxItems.
import { ApiError } from '../../core/errors.ts';
import { QueryParams } from '../ec2/query.ts';
import { XmlMap, escapeXml, writeElement, type Xml, type XmlBody } from '../protocol/xml.ts';

export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const IAM_VERSION = '2010-05-08';

export const iamError = (code: string, status: number, message: string): ApiError => new ApiError(code, status, message);
/** IAM error codes and their HTTP statuses (the IAM API model's error shapes). */
export const noSuchEntity = (message: string) => iamError('NoSuchEntity', 404, message);
export const entityAlreadyExists = (message: string) => iamError('EntityAlreadyExists', 409, message);
export const malformedPolicy = (message: string) => iamError('MalformedPolicyDocument', 400, message);
export const invalidInput = (message: string) => iamError('InvalidInput', 400, message);
export const limitExceeded = (message: string) => iamError('LimitExceeded', 409, message);
export const deleteConflict = (message: string) => iamError('DeleteConflict', 409, message);
export const validationError = (message: string) => iamError('ValidationError', 400, message);

// Patterns from the IAM API reference (shared data types).
export const NAME = /^[\w+=,.@-]+$/;
export const NAME_TEXT = '[\\w+=,.@-]+';
export const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
export const PATH_TEXT = '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)';
/** policyDocumentType: tab, LF, CR and printable characters up to U+00FF. */
export const POLICY_DOCUMENT = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;
export const POLICY_DOCUMENT_TEXT = '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+';
export const ACCESS_KEY_ID = /^[\w]+$/;

export interface StrSpec { required?: boolean; min?: number; max?: number; pattern?: RegExp; patternText?: string; values?: readonly string[] }
export interface IntSpec { required?: boolean; min?: number; max?: number }

/** `UserName` -> `userName`: how IAM's validation messages name members. */
const memberName = (wire: string) => wire.replace(/(^|\.)([A-Z])/g, (_, dot: string, c: string) => dot + c.toLowerCase());

/**
 * A request's parameters with IAM's checks. Constraint violations are collected and reported
 * together, as IAM does: "2 validation errors detected: Value … at 'userName' failed to satisfy
 * constraint: …; Value …".
 */
export class IamInput {
  readonly params: QueryParams;
  readonly #errors: string[] = [];

  constructor(params: QueryParams) { this.params = params; }

  static parse(body: string): IamInput { return new IamInput(QueryParams.parse(body)); }

  get action(): string | undefined { return this.params.str('Action'); }

  /** Records a violated constraint ("Member must <constraint>"). */
  invalid(value: string | null, wire: string, constraint: string): void {
    this.#errors.push(`Value ${value === null ? 'null' : `'${value}'`} at '${memberName(wire)}' failed to satisfy constraint: Member must ${constraint}`);
  }

  #checkStr(v: string | undefined, wire: string, spec: StrSpec): void {
    if (v === undefined) {
      if (spec.required) this.invalid(null, wire, 'not be null');
      return;
    }
    const len = [...v].length;
    if (spec.min !== undefined && len < spec.min) this.invalid(v, wire, `have length greater than or equal to ${spec.min}`);
    if (spec.max !== undefined && len > spec.max) this.invalid(v, wire, `have length less than or equal to ${spec.max}`);
    if (spec.pattern && len > 0 && !spec.pattern.test(v)) this.invalid(v, wire, `satisfy regular expression pattern: ${spec.patternText ?? spec.pattern.source}`);
    if (spec.values && !spec.values.includes(v)) this.invalid(v, wire, `satisfy enum value set: [${spec.values.join(', ')}]`);
  }

  str(name: string, spec: StrSpec = {}): string | undefined {
    const v = this.params.str(name);
    this.#checkStr(v, name, spec);
    return v;
  }

  int(name: string, spec: IntSpec = {}): number | undefined {
    const raw = this.params.str(name);
    if (raw === undefined) {
      if (spec.required) this.invalid(null, name, 'not be null');
      return undefined;
    }
    if (!/^-?\d{1,10}$/.test(raw)) {
      this.#errors.push(`Value '${raw}' at '${memberName(name)}' failed to satisfy constraint: Member must be an integer`);
      return undefined;
    }
    const n = Number(raw);
    if (spec.min !== undefined && n < spec.min) this.invalid(raw, name, `have value greater than or equal to ${spec.min}`);
    if (spec.max !== undefined && n > spec.max) this.invalid(raw, name, `have value less than or equal to ${spec.max}`);
    return n;
  }

  /** A list of strings, `Name.member.N`; each item checked with `item`. */
  strings(name: string, item: StrSpec = {}, list: { required?: boolean; max?: number } = {}): string[] {
    const items = this.params.strings(`${name}.member`);
    if (items.length === 0 && list.required && !this.params.has(name)) this.invalid(null, name, 'not be null');
    if (list.max !== undefined && items.length > list.max) this.invalid(`[${items.join(', ')}]`, name, `have length less than or equal to ${list.max}`);
    items.forEach((v) => this.#checkStr(v, `${name}.member`, item));
    return items;
  }

  /** Structures in a list, `Name.member.N.Field`. */
  structs(name: string): QueryParams[] { return this.params.list(`${name}.member`); }

  /** Checks a nested string (a structure's field) under IAM's member naming. */
  check(v: string | undefined, wire: string, spec: StrSpec): string | undefined {
    this.#checkStr(v, wire, spec);
    return v;
  }

  /** Throws ValidationError when any check failed. */
  done(): void {
    const n = this.#errors.length;
    if (n === 0) return;
    throw validationError(`${n} validation error${n === 1 ? '' : 's'} detected: ${this.#errors.join('; ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// XML

export { XmlMap, type Xml, type XmlBody };

export function renderResponse(action: string, requestId: string, result: XmlBody | undefined): string {
  const out = [`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${IAM_XMLNS}">`];
  if (result !== undefined) writeElement(`${action}Result`, result, out, 'member');
  out.push(`<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`);
  return out.join('');
}

/** The query protocol's error document; Type is Sender for client errors, Receiver for ours. */
export function renderErrorXml(code: string, status: number, message: string, requestId: string): string {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${IAM_XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`;
}

/** IAM's timestamps: ISO 8601 in UTC, whole seconds. */
export const isoSeconds = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z');

/** Tags as IAM lists them: `<Tags><member><Key/><Value/></member>…`; undefined when none. */
export const tagsXml = (tags: Record<string, string> | undefined): Xml =>
  tags && Object.keys(tags).length ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined;

// ---------------------------------------------------------------------------------------------
// Pagination: MaxItems 1-1000, default 100 ("If you do not include this parameter, the number of
// items defaults to 100"); Marker is opaque: here the sort key of the last item returned, so a
// listing goes on correctly when items were added or deleted in between.

const MARKER_PREFIX = 'trellis-iam:';

export interface Page<T> { items: T[]; IsTruncated: boolean; Marker?: string }

/** Pages `items`, which must be sorted by `keyOf` ascending. */
export function page<T>(input: IamInput, items: readonly T[], keyOf: (item: T) => string): Page<T> {
  const max = input.int('MaxItems', { min: 1, max: 1000 }) ?? 100;
  const marker = input.str('Marker', { min: 1, max: 320, pattern: /^[\u0020-\u00FF]+$/, patternText: '[\\u0020-\\u00FF]+' });
  input.done();
  let start = 0;
  if (marker !== undefined) {
    const text = Buffer.from(marker, 'base64url').toString('utf8');
    if (!text.startsWith(MARKER_PREFIX)) throw invalidInput('Invalid Marker.');
    const after = text.slice(MARKER_PREFIX.length);
    start = items.findIndex((i) => keyOf(i) > after);
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + max);
  if (start + max >= items.length) return { items: slice, IsTruncated: false };
  return { items: slice, IsTruncated: true, Marker: Buffer.from(MARKER_PREFIX + keyOf(slice[slice.length - 1])).toString('base64url') };
}

// ---------------------------------------------------------------------------------------------
// Tags (IAM User Guide, id_tags): at most 50 per user or role; keys 1-128 and values 0-256
// characters of letters, numbers, spaces and _.:/=+-@. IAM tag keys are not case sensitive but
// keep their case: tagging Department=x over department=y replaces it.

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const MAX_TAGS = 50;

/** `Tags.member.N.Key` / `.Value`, validated; undefined when the request has none. */
export function readTags(input: IamInput, name = 'Tags'): Record<string, string> | undefined {
  if (!input.params.has(name)) return undefined;
  const structs = input.structs(name);
  if (structs.length > MAX_TAGS) input.invalid(`[${structs.length} tags]`, name, `have length less than or equal to ${MAX_TAGS}`);
  const tags: Record<string, string> = {};
  const seen = new Set<string>();
  let duplicate = false;
  structs.forEach((t, i) => {
    const key = input.check(t.str('Key'), `${name}.${i + 1}.member.Key`, { required: true, min: 1, max: 128, pattern: TAG_KEY, patternText: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+' });
    const value = input.check(t.str('Value'), `${name}.${i + 1}.member.Value`, { required: true, max: 256, pattern: TAG_VALUE, patternText: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*' });
    if (key === undefined || value === undefined) return;
    if (seen.has(key.toLowerCase())) duplicate = true;
    seen.add(key.toLowerCase());
    tags[key] = value;
  });
  input.done();
  if (duplicate) throw invalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
  return tags;
}

/** `existing` with `added` laid over it, keys compared without case; LimitExceeded past 50. */
export function mergeTags(existing: Record<string, string> | undefined, added: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const replaced = new Set(Object.keys(added).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(existing ?? {})) if (!replaced.has(k.toLowerCase())) out[k] = v;
  Object.assign(out, added);
  if (Object.keys(out).length > MAX_TAGS) throw limitExceeded(`The number of tags has reached the maximum limit of ${MAX_TAGS}.`);
  return out;
}

/** `existing` without `keys` (compared without case). */
export function removeTags(existing: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  return Object.fromEntries(Object.entries(existing ?? {}).filter(([k]) => !drop.has(k.toLowerCase())));
}

/** `TagKeys.member.N` of UntagUser / UntagRole. */
export const readTagKeys = (input: IamInput): string[] =>
  input.strings('TagKeys', { min: 1, max: 128, pattern: TAG_KEY, patternText: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+' }, { required: true, max: MAX_TAGS });
