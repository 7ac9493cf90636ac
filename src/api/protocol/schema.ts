// A small shape language for the inputs of an AWS JSON API: enough to state what a Smithy model
// constrains (required, length, pattern, range, enum, list size, unions) as our own code.

export interface StringShape { readonly t: 'string'; readonly min?: number; readonly max?: number; readonly pattern?: RegExp; readonly enum?: readonly string[] }
export interface IntegerShape { readonly t: 'integer'; readonly min?: number; readonly max?: number }
export interface BooleanShape { readonly t: 'boolean' }
export interface TimestampShape { readonly t: 'timestamp' }
export interface ListShape { readonly t: 'list'; readonly member: Shape; readonly min?: number; readonly max?: number }
export interface MapShape { readonly t: 'map'; readonly key: Shape; readonly value: Shape; readonly min?: number; readonly max?: number }
export interface StructShape { readonly t: 'structure'; readonly members: Readonly<Record<string, Member>> }
export interface UnionShape { readonly t: 'union'; readonly members: Readonly<Record<string, Member>> }
export type Shape = StringShape | IntegerShape | BooleanShape | TimestampShape | ListShape | MapShape | StructShape | UnionShape;

/** Where a member travels in a restJson1 request. Absent: the JSON body. */
export type Location = 'label' | 'query';
export interface Member {
  readonly shape: Shape;
  readonly required?: boolean;
  readonly in?: Location;
  /** The query parameter's name where it differs from the member's. */
  readonly wire?: string;
  readonly idempotencyToken?: boolean;
}
export type MemberSpec = Shape | (Omit<Member, 'shape'> & { shape: Shape });

type Bounds = { min?: number; max?: number };
export const str = (c: Omit<StringShape, 't'> = {}): StringShape => ({ t: 'string', ...c });
export const int = (c: Bounds = {}): IntegerShape => ({ t: 'integer', ...c });
export const bool = (): BooleanShape => ({ t: 'boolean' });
export const timestamp = (): TimestampShape => ({ t: 'timestamp' });
export const list = (member: Shape, c: Bounds = {}): ListShape => ({ t: 'list', member, ...c });
export const map = (key: Shape, value: Shape, c: Bounds = {}): MapShape => ({ t: 'map', key, value, ...c });

function members(spec: Record<string, MemberSpec>): Record<string, Member> {
  const out: Record<string, Member> = {};
  for (const [name, m] of Object.entries(spec)) out[name] = 't' in m ? { shape: m } : m;
  return out;
}
export const struct = (spec: Record<string, MemberSpec>): StructShape => ({ t: 'structure', members: members(spec) });
export const union = (spec: Record<string, MemberSpec>): UnionShape => ({ t: 'union', members: members(spec) });
