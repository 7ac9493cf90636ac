// Tags on any Lattice resource that has an ARN, kept on the record's own `tags` field.
//
// AWS facts this follows (API Reference TagResource / UntagResource / ListTagsForResource, User
// Guide "Tags for your VPC Lattice target group", SDK docs of TagResource):
// - At most 50 tags per resource. TagResource lists no ServiceQuotaExceededException, so going over
//   is a ValidationException.
// - Keys are 1-128 and values 0-256 characters (checked from the shapes) of Unicode letters,
//   digits, white space and _ . : / = + - @. Keys may not begin with `aws:` (any case): reserved
//   for AWS, and such tags can be neither set nor removed.
// - Adding a tag whose key exists replaces its value. Tagging does not change lastUpdatedAt
//   [unverified; nothing in the docs says it does].
// - A resource of another account, or none, is a ResourceNotFoundException.
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import { notFound, validation } from '../../core/errors.ts';
import { parseArn } from '../../core/ids.ts';

export const MAX_TAGS_PER_RESOURCE = 50;

const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const reserved = (key: string) => key.toLowerCase().startsWith('aws:');

/**
 * Semantic checks of a tag map (characters, reserved prefix) and of the resulting count. Create
 * calls can use it too: `checkTags(input.tags)`.
 */
export function checkTags(tags: Record<string, string> | undefined, existing: Record<string, string> = {}): void {
  if (!tags) return;
  for (const [key, value] of Object.entries(tags)) {
    if (reserved(key)) {
      const message = `Tag keys starting with "aws:" are reserved for AWS use: ${key}`;
      throw validation(message, 'fieldValidationFailed', [{ name: 'tags', message }]);
    }
    if (!ALLOWED.test(key) || !ALLOWED.test(value)) {
      const message = `Tag ${key} has characters that are not allowed; use letters, digits, white space and _ . : / = + - @`;
      throw validation(message, 'fieldValidationFailed', [{ name: 'tags', message }]);
    }
  }
  const count = Object.keys({ ...existing, ...tags }).filter((k) => !reserved(k)).length;
  if (count > MAX_TAGS_PER_RESOURCE) {
    const message = `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags; this request would give it ${count}.`;
    throw validation(message, 'fieldValidationFailed', [{ name: 'tags', message }]);
  }
}

/** ARN resource path -> the resource type errors name. */
const ARN_TYPES: [RegExp, string][] = [
  [/\/rule\//, 'RULE'],
  [/\/listener\//, 'LISTENER'],
  [/^servicenetworkserviceassociation\//, 'SERVICE_NETWORK_SERVICE_ASSOCIATION'],
  [/^servicenetworkvpcassociation\//, 'SERVICE_NETWORK_VPC_ASSOCIATION'],
  [/^servicenetworkresourceassociation\//, 'SERVICE_NETWORK_RESOURCE_ASSOCIATION'],
  [/^servicenetwork\//, 'SERVICE_NETWORK'],
  [/^service\//, 'SERVICE'],
  [/^targetgroup\//, 'TARGET_GROUP'],
  [/^resourcegateway\//, 'RESOURCE_GATEWAY'],
  [/^resourceconfiguration\//, 'RESOURCE_CONFIGURATION'],
  [/^resourceendpointassociation\//, 'RESOURCE_ENDPOINT_ASSOCIATION'],
  [/^accesslogsubscription\//, 'ACCESS_LOG_SUBSCRIPTION'],
  [/^domainverification\//, 'DOMAIN_VERIFICATION'],
];

export function resourceTypeOfArn(arn: string): string {
  const resource = parseArn(arn)?.resource ?? '';
  for (const [re, type] of ARN_TYPES) if (re.test(resource)) return type;
  return 'RESOURCE';
}

interface Tagged extends Base { status?: string }

function findTagged(ctx: Ctx, arn: string): { table: string; rec: Tagged } {
  const found = ctx.byArn<Tagged>(arn);
  if (!found) throw notFound(resourceTypeOfArn(arn), arn);
  return found;
}

/** Writes the record back with new tags and every other field as it was. */
function writeTags(ctx: Ctx, table: string, rec: Tagged, tags: Record<string, string>): void {
  const { tags: _old, ...rest } = rec;
  const copy: Tagged = { ...rest, ...(Object.keys(tags).length > 0 ? { tags } : {}) };
  // Rewriting gives the record a new revision; keep a status the API already shows as ACTIVE from
  // reading CREATE_IN_PROGRESS again until the data plane catches up with a change that is only tags.
  if (rec.status === 'CREATE_IN_PROGRESS' && ctx.status(rec) === 'ACTIVE') copy.status = 'ACTIVE';
  ctx.put(table, rec.id, copy);
}

export const tagHandlers = {
  TagResource(ctx, input) {
    const { table, rec } = findTagged(ctx, input.resourceArn);
    const existing = rec.tags ?? {};
    checkTags(input.tags, existing);
    writeTags(ctx, table, rec, { ...existing, ...input.tags });
    return {};
  },

  UntagResource(ctx, input) {
    const { table, rec } = findTagged(ctx, input.resourceArn);
    for (const key of input.tagKeys) {
      if (reserved(key)) {
        const message = `Tag keys starting with "aws:" are reserved for AWS use and cannot be removed: ${key}`;
        throw validation(message, 'fieldValidationFailed', [{ name: 'tagKeys', message }]);
      }
    }
    const tags = { ...(rec.tags ?? {}) };
    let changed = false;
    for (const key of input.tagKeys) {
      if (Object.hasOwn(tags, key)) {
        delete tags[key];
        changed = true;
      }
    }
    if (changed) writeTags(ctx, table, rec, tags);
    return {};
  },

  ListTagsForResource(ctx, input) {
    const { rec } = findTagged(ctx, input.resourceArn);
    return { tags: { ...(rec.tags ?? {}) } };
  },
} satisfies Partial<Handlers>;
