// EC2 tags on Trellis's taggable EC2 resources (VPCs, security groups and their rules): tags at
// create time (TagSpecification), CreateTags, DeleteTags, the tag filters, and tagSet output.
import type { Ctx } from '../lattice/context.ts';
import { ec2Error, invalidValue, missingParameter, type QueryParams, type Xml, type XmlBody } from './query.ts';
import { VPC, vpcNotFound, type VpcRecord } from './vpcs.ts';
import { SG, groupNotFound, type SecurityGroupRecord } from './securitygroups.ts';

export type Tags = Record<string, string>;

/** EC2 tag restrictions (User Guide, "Tag restrictions"): 50 tags, keys 1-127 and values 0-255 characters, no `aws:` keys. */
export const MAX_TAGS = 50;

function checkTag(key: string, value: string): void {
  if (key.length === 0 || [...key].length > 127) throw invalidValue(`Value ( ${key} ) for parameter key is invalid. Tag keys must be between 1 and 127 characters long.`);
  if ([...value].length > 255) throw invalidValue(`Value ( ${value} ) for parameter value is invalid. Tag values must be at most 255 characters long.`);
  if (key.toLowerCase().startsWith('aws:')) throw invalidValue(`Value ( ${key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use`);
}

/** `Tag.N.Key` / `Tag.N.Value` under `p` (a missing Value is the empty string, as in EC2). */
function parseTags(p: QueryParams, name: string): Tags {
  const out: Tags = {};
  for (const t of p.list(name)) {
    const key = t.str('Key');
    if (key === undefined) throw missingParameter('Tag.Key');
    const value = t.str('Value') ?? '';
    checkTag(key, value);
    out[key] = value;
  }
  return out;
}

/**
 * Tags given at create time for `resourceType` ('vpc', 'security-group', 'security-group-rule').
 * A specification for any other type is refused, as EC2 refuses it.
 */
export function tagSpecifications(p: QueryParams, resourceType: string): Tags | undefined {
  const specs = p.list('TagSpecification');
  if (specs.length === 0) return undefined;
  const tags: Tags = {};
  for (const spec of specs) {
    const type = spec.str('ResourceType');
    if (type === undefined) throw missingParameter('TagSpecification.ResourceType');
    if (type !== resourceType) throw invalidValue(`'${type}' is not a valid taggable resource type for this operation.`);
    const some = parseTags(spec, 'Tag');
    if (Object.keys(some).length === 0) throw invalidValue('Tag specification must have at least one tag');
    Object.assign(tags, some);
  }
  if (Object.keys(tags).length > MAX_TAGS) throw tagLimit();
  return tags;
}

const tagLimit = () => ec2Error('TagLimitExceeded', `The maximum number of tags (${MAX_TAGS}) for a resource has been reached.`);

/** tagSet as EC2 writes it: absent when there are no tags. */
export function tagSetXml(tags: Tags | undefined): Xml {
  const entries = Object.entries(tags ?? {});
  return entries.length ? entries.map(([key, value]) => ({ key, value })) : undefined;
}

/** Values of a resource for the tag filters (`tag:<key>`, `tag-key`, `tag-value`); undefined for other filter names. */
export function tagFilterValues(tags: Tags | undefined, filter: string): string[] | undefined {
  if (filter.startsWith('tag:')) {
    const key = filter.slice(4);
    return tags && Object.hasOwn(tags, key) ? [tags[key]] : [];
  }
  if (filter === 'tag-key') return Object.keys(tags ?? {});
  if (filter === 'tag-value') return Object.values(tags ?? {});
  return undefined;
}

// ---------------------------------------------------------------------------------------------

/** A taggable resource of the caller's: where it lives and how to write it back. */
interface Taggable { tags: Tags | undefined; save(tags: Tags | undefined): void }

function taggable(ctx: Ctx, id: string): Taggable {
  if (id.startsWith('vpc-')) {
    const vpc = ctx.get<VpcRecord>(VPC, id);
    if (!vpc || vpc.account !== ctx.account) throw vpcNotFound(id);
    return { tags: vpc.tags, save: (tags) => void ctx.put(VPC, id, { ...vpc, tags }) };
  }
  if (id.startsWith('sg-')) {
    const sg = ctx.get<SecurityGroupRecord>(SG, id);
    if (!sg || sg.account !== ctx.account) throw groupNotFound(id);
    return { tags: sg.tags, save: (tags) => void ctx.put(SG, id, { ...sg, tags }) };
  }
  if (id.startsWith('sgr-')) {
    for (const sg of ctx.owned<SecurityGroupRecord>(SG)) {
      for (const dir of ['ingress', 'egress'] as const) {
        const i = sg[dir].findIndex((r) => r.id === id);
        if (i < 0) continue;
        const rule = sg[dir][i];
        return {
          tags: rule.tags,
          save: (tags) => void ctx.put(SG, sg.id, { ...sg, [dir]: sg[dir].map((r, j) => (j === i ? { ...rule, tags } : r)) }),
        };
      }
    }
    throw ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
  }
  throw ec2Error('InvalidID', `The ID '${id}' is not valid`);
}

function resourceIds(p: QueryParams): string[] {
  const ids = p.strings('ResourceId');
  if (ids.length === 0) throw missingParameter('resourceIdSet');
  return ids;
}

export const tagHandlers = {
  CreateTags(ctx: Ctx, p: QueryParams): XmlBody {
    const ids = resourceIds(p);
    const tags = parseTags(p, 'Tag');
    if (Object.keys(tags).length === 0) throw missingParameter('tagSet');
    // Every resource is checked before any is written: the request applies to all or none.
    const targets = ids.map((id) => taggable(ctx, id));
    for (const t of targets) {
      const next = { ...t.tags, ...tags };
      if (Object.keys(next).length > MAX_TAGS) throw tagLimit();
    }
    ids.forEach((id) => { const t = taggable(ctx, id); t.save({ ...t.tags, ...tags }); });
    return { return: true };
  },

  /**
   * DeleteTags: a tag given with a value goes only when the value matches (an empty string
   * matches only an empty value); a tag given without one goes whatever its value; no tags at all
   * deletes every tag of the resources (API Reference, DeleteTags).
   */
  DeleteTags(ctx: Ctx, p: QueryParams): XmlBody {
    const ids = resourceIds(p);
    const given = p.list('Tag').map((t) => {
      const key = t.str('Key');
      if (key === undefined) throw missingParameter('Tag.Key');
      return { key, value: t.str('Value') };
    });
    ids.forEach((id) => taggable(ctx, id));
    for (const id of ids) {
      const t = taggable(ctx, id);
      if (!t.tags) continue;
      const next: Tags = {};
      if (p.has('Tag')) {
        for (const [k, v] of Object.entries(t.tags)) {
          if (!given.some((g) => g.key === k && (g.value === undefined || g.value === v))) next[k] = v;
        }
      }
      t.save(Object.keys(next).length ? next : undefined);
    }
    return { return: true };
  },
};
