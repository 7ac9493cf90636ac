// Reading an ACM request body: members checked against the constraints of ACM's model (lengths,
// patterns, list sizes, enums), failing as the service does. Constraint violations are
// ValidationExceptions in AWS's generic wording ("1 validation error detected: Value '…' at
// 'certificateArn' failed to satisfy constraint: …", member paths in lower camel case); a member of
// the wrong JSON type is a SerializationException.
import { ApiError } from '../../core/errors.ts';

export type Input = Record<string, unknown>;

const serialization = (member: string) => new ApiError('SerializationException', 400, `Unexpected value type for ${member}.`);

export function constraint(value: unknown, path: string, rule: string): ApiError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return new ApiError('ValidationException', 400, `1 validation error detected: Value '${shown}' at '${path}' failed to satisfy constraint: ${rule}`);
}

const lowerCamel = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

export interface StringRule { min?: number; max?: number; pattern?: RegExp; values?: readonly string[] }

/** A string member (its value checked against `rule`), or undefined when absent. */
export function optionalString(input: Input, name: string, rule: StringRule = {}, path = lowerCamel(name)): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw serialization(name);
  checkString(value, path, rule);
  return value;
}

export function requiredString(input: Input, name: string, rule: StringRule = {}): string {
  const value = optionalString(input, name, rule);
  if (value === undefined) throw constraint(null, lowerCamel(name), 'Member must not be null');
  return value;
}

export function checkString(value: string, path: string, rule: StringRule): void {
  if (rule.min !== undefined && value.length < rule.min) throw constraint(value, path, `Member must have length greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && value.length > rule.max) throw constraint(value, path, `Member must have length less than or equal to ${rule.max}`);
  if (rule.pattern && !rule.pattern.test(value)) throw constraint(value, path, `Member must satisfy regular expression pattern: ${rule.pattern.source.replace(/^\^|\$$/g, '')}`);
  if (rule.values && !rule.values.includes(value)) throw constraint(value, path, `Member must satisfy enum value set: [${rule.values.join(', ')}]`);
}

export function optionalInteger(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization(name);
  if (value < min) throw constraint(value, lowerCamel(name), `Member must have value greater than or equal to ${min}`);
  if (value > max) throw constraint(value, lowerCamel(name), `Member must have value less than or equal to ${max}`);
  return value;
}

export function optionalObject(input: Input, name: string): Input | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw serialization(name);
  return value as Input;
}

/** A list member: each element read by `item` (given its path), the list's size checked. */
export function optionalList<T>(input: Input, name: string, size: { min?: number; max?: number }, item: (value: unknown, path: string) => T): T[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw serialization(name);
  const path = lowerCamel(name);
  if (size.min !== undefined && value.length < size.min) throw constraint(value, path, `Member must have length greater than or equal to ${size.min}`);
  if (size.max !== undefined && value.length > size.max) throw constraint(value, path, `Member must have length less than or equal to ${size.max}`);
  return value.map((v, i) => item(v, `${path}.${i + 1}.member`));
}

/** A list element that is a string meeting `rule`. */
export const stringItem = (rule: StringRule) => (value: unknown, path: string): string => {
  if (typeof value !== 'string') throw serialization(path);
  checkString(value, path, rule);
  return value;
};

/** A blob member: base64 in JSON (awsJson1_1), decoded; its decoded size checked. */
export function optionalBlob(input: Input, name: string, size: { min: number; max: number }): Buffer | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(value)) throw serialization(name);
  const bytes = Buffer.from(value, 'base64');
  const path = lowerCamel(name);
  if (bytes.length < size.min) throw constraint('***', path, `Member must have length greater than or equal to ${size.min}`);
  if (bytes.length > size.max) throw constraint('***', path, `Member must have length less than or equal to ${size.max}`);
  return bytes;
}

export function requiredBlob(input: Input, name: string, size: { min: number; max: number }): Buffer {
  const value = optionalBlob(input, name, size);
  if (value === undefined) throw constraint(null, lowerCamel(name), 'Member must not be null');
  return value;
}
