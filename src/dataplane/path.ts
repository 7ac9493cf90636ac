// One normalization of the request path, used alike for auth, routing and forwarding
// (RFC 3986 §6.2.2 and §5.2.4): percent-encoded unreserved characters decoded, other escapes
// upper-cased and kept, dot segments removed, repeated slashes merged. What could mean two
// different things to two parsers is refused instead: encoded '/' or '\', raw '\', NUL and other
// control characters, invalid UTF-8, '..' above the root, '..;' segments. The query is untouched.

export type PathResult = { ok: true; path: string; query: string } | { ok: false; reason: string };

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const HEX = /^[0-9A-Fa-f]{2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function normalizeTarget(target: string): PathResult {
  if (target === '*' || !target.startsWith('/')) return { ok: false, reason: 'request target must be an absolute path' };
  const q = target.indexOf('?');
  const raw = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  if (raw.includes('#') || query.includes('#')) return { ok: false, reason: 'fragment in request target' };

  // Most paths are plain: no escapes, no dot segments, no repeated slashes. They are checked in one
  // pass and returned as they are (this function was ~2 µs of each proxied request before).
  let escapes = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x5c) return { ok: false, reason: 'control character, space or backslash in path' };
    if (c > 0x7f) return { ok: false, reason: 'non-ASCII byte in path' };
    if (c === 0x25) escapes = true;
  }
  let decoded = raw;
  if (escapes) {
    const d = decodeEscapes(raw);
    if (typeof d !== 'string') return d;
    decoded = d;
  }
  if (!decoded.includes('//') && !decoded.includes('/.')) return { ok: true, path: decoded, query };

  const out: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    if (seg === '' && !last) continue; // merge repeated slashes
    const bare = seg.split(';')[0];
    if (bare !== seg && (bare === '.' || bare === '..')) return { ok: false, reason: 'dot segment with parameters in path' };
    if (seg === '.') {
      if (last) out.push('');
      continue;
    }
    if (seg === '..') {
      if (out.length === 0) return { ok: false, reason: 'path climbs above the root' };
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(seg);
  }
  return { ok: true, path: '/' + out.join('/'), query };
}

/**
 * Percent-encoded unreserved characters decoded, other escapes upper-cased; refused: encoded '/',
 * '\\' and control characters, and escapes that do not spell valid UTF-8.
 */
function decodeEscapes(raw: string): string | { ok: false; reason: string } {
  let decoded = '';
  let high = false;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return { ok: false, reason: 'malformed percent-encoding in path' };
      const byte = parseInt(hex, 16);
      if (byte === 0x2f || byte === 0x5c) return { ok: false, reason: 'encoded slash or backslash in path' };
      if (byte < 0x20 || byte === 0x7f) return { ok: false, reason: 'encoded control character in path' };
      if (byte >= 0x80) high = true;
      bytes.push(byte);
      const ch = String.fromCharCode(byte);
      decoded += byte < 0x80 && UNRESERVED.test(ch) ? ch : '%' + hex.toUpperCase();
      i += 2;
    } else {
      bytes.push(c);
      decoded += raw[i];
    }
  }
  // Only escapes can make bytes above 0x7f (raw ones are refused), so only they can be invalid UTF-8.
  if (high) {
    try {
      utf8.decode(Uint8Array.from(bytes));
    } catch {
      return { ok: false, reason: 'path is not valid UTF-8' };
    }
  }
  return decoded;
}
