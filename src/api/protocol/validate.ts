// Checks a decoded input against its shape. Messages follow the wording AWS services use
// ("Value 'x' at 'name' failed to satisfy constraint: Member must ...").
import type { Shape, StructShape } from './schema.ts';
import { validation, type ApiError, type FieldError } from '../../core/errors.ts';

export function validate(shape: StructShape, input: Record<string, unknown>): ApiError | undefined {
  const errors: FieldError[] = [];
  checkStruct(shape, input, '', errors);
  if (errors.length === 0) return undefined;
  const n = errors.length;
  const message = `${n} validation error${n > 1 ? 's' : ''} detected: ` + errors.map((e) => e.message).join('; ');
  return validation(message, 'fieldValidationFailed', errors.map((e) => ({ name: e.name, message: e.message.replace(/^.*failed to satisfy constraint: /, '') })));
}

const join = (path: string, name: string) => (path ? `${path}.${name}` : name);

function fail(errors: FieldError[], path: string, value: unknown, constraint: string): void {
  errors.push({ name: path, message: `Value ${show(value)} at '${path}' failed to satisfy constraint: ${constraint}` });
}

function show(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `'${value.length > 64 ? value.slice(0, 64) + '...' : value}'`;
  if (typeof value === 'object') return Array.isArray(value) ? '[...]' : '{...}';
  return `'${String(value)}'`;
}

function checkStruct(shape: StructShape, value: Record<string, unknown>, path: string, errors: FieldError[]): void {
  for (const [name, member] of Object.entries(shape.members)) {
    const v = value[name];
    if (v === undefined || v === null) {
      if (member.required) fail(errors, join(path, name), null, 'Member must not be null');
      continue;
    }
    check(member.shape, v, join(path, name), errors);
  }
}

function check(shape: Shape, value: unknown, path: string, errors: FieldError[]): void {
  switch (shape.t) {
    case 'string': {
      if (typeof value !== 'string') return fail(errors, path, value, 'Member must be a string');
      const len = [...value].length;
      if (shape.min !== undefined && len < shape.min) fail(errors, path, value, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && len > shape.max) fail(errors, path, value, `Member must have length less than or equal to ${shape.max}`);
      if (shape.pattern && !shape.pattern.test(value)) fail(errors, path, value, `Member must satisfy regular expression pattern: ${shape.pattern.source.replaceAll('\\/', '/')}`);
      if (shape.enum && !shape.enum.includes(value)) fail(errors, path, value, `Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      return;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail(errors, path, value, 'Member must be an integer');
      if (shape.min !== undefined && value < shape.min) fail(errors, path, value, `Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) fail(errors, path, value, `Member must have value less than or equal to ${shape.max}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(errors, path, value, 'Member must be a boolean');
      return;
    case 'timestamp':
      if (typeof value !== 'string' && typeof value !== 'number') fail(errors, path, value, 'Member must be a timestamp');
      return;
    case 'list': {
      if (!Array.isArray(value)) return fail(errors, path, value, 'Member must be a list');
      if (shape.min !== undefined && value.length < shape.min) fail(errors, path, value, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max) fail(errors, path, value, `Member must have length less than or equal to ${shape.max}`);
      value.forEach((item, i) => {
        if (item === null || item === undefined) fail(errors, `${path}.${i + 1}.member`, null, 'Member must not be null');
        else check(shape.member, item, `${path}.${i + 1}.member`, errors);
      });
      return;
    }
    case 'map': {
      if (!isObject(value)) return fail(errors, path, value, 'Member must be a map');
      const entries = Object.entries(value);
      if (shape.min !== undefined && entries.length < shape.min) fail(errors, path, value, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && entries.length > shape.max) fail(errors, path, value, `Member must have length less than or equal to ${shape.max}`);
      for (const [k, v] of entries) {
        check(shape.key, k, `${path}.key`, errors);
        if (v === null || v === undefined) fail(errors, `${path}.${k}`, null, 'Member must not be null');
        else check(shape.value, v, `${path}.${k}`, errors);
      }
      return;
    }
    case 'structure':
      if (!isObject(value)) return fail(errors, path, value, 'Member must be a structure');
      return checkStruct(shape, value, path, errors);
    case 'union': {
      if (!isObject(value)) return fail(errors, path, value, 'Member must be a union');
      const set = Object.keys(shape.members).filter((k) => value[k] !== undefined && value[k] !== null);
      if (set.length !== 1) return fail(errors, path, value, `Member must have exactly one of [${Object.keys(shape.members).join(', ')}] set`);
      const name = set[0];
      check(shape.members[name].shape, value[name], join(path, name), errors);
      return;
    }
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
