// normalizeTarget: the one path normalization used for auth, routing and forwarding. Every PATH-*
// case of the HTTP hardening vectors (../shared/vectors/http, skipped where absent), then edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { normalizeTarget } from '../../src/dataplane/path.ts';

const VECTORS = fileURLToPath(new URL('../../../shared/vectors/http/cases.json', import.meta.url));
interface Case { id: string; raw_b64?: string; expected: { action: string } }
const cases = existsSync(VECTORS) ? (JSON.parse(readFileSync(VECTORS, 'utf8')) as { cases: Case[] }).cases.filter((c) => c.id.startsWith('PATH-')) : [];

/** What each normalize / accept case must become: path and query. */
const NORMALIZED: Record<string, [string, string]> = {
  'PATH-01': ['/admin', ''],
  'PATH-03': ['/admin', ''],
  'PATH-04': ['/admin', ''],
  'PATH-05': ['/admin/x', ''],
  'PATH-06': ['/admin/x', ''],
  'PATH-10': ['/ADMIN/x', ''], // case is kept: path matching stays case-sensitive
  'PATH-11': ['/public/%252e%252e/admin', ''], // decoded once only: '%2e%2e' is no dot segment
  'PATH-15': ['/admin/', ''],
  'PATH-16': ['/admin', ''],
  'PATH-17': ['/public', 'x=/../admin'],
};

/** The request target of a raw HTTP/1.1 request. */
function targetOf(c: Case): string {
  const line = Buffer.from(c.raw_b64 ?? '', 'base64').toString('latin1').split('\r\n')[0];
  return line.split(' ')[1];
}

test('every PATH-* hardening vector', { skip: cases.length ? false : `no hardening vectors at ${VECTORS}` }, () => {
  assert.equal(cases.length, 17);
  for (const c of cases) {
    const out = normalizeTarget(targetOf(c));
    if (c.expected.action === 'reject') {
      assert.equal(out.ok, false, `${c.id} ${targetOf(c)} must be refused`);
    } else {
      const want = NORMALIZED[c.id];
      assert.ok(want, `${c.id}: no expectation written`);
      assert.deepEqual(out, { ok: true, path: want[0], query: want[1] }, c.id);
    }
  }
});

const ok = (target: string) => {
  const out = normalizeTarget(target);
  assert.ok(out.ok, `${target}: ${out.ok ? '' : out.reason}`);
  return out.query ? `${out.path}?${out.query}` : out.path;
};
const refused = (target: string) => {
  const out = normalizeTarget(target);
  assert.equal(out.ok, false, `${target} must be refused`);
  return out.ok ? '' : out.reason;
};

test('dot segments: removed, a trailing one leaves a trailing slash, none climbs above the root', () => {
  assert.equal(ok('/a/b/../c'), '/a/c');
  assert.equal(ok('/a/b/..'), '/a/');
  assert.equal(ok('/a/..'), '/');
  assert.equal(ok('/a/.'), '/a/');
  assert.equal(ok('/.'), '/');
  assert.equal(ok('/./a/./b/.'), '/a/b/');
  assert.equal(ok('/a/.../b'), '/a/.../b', 'three dots are a name');
  assert.equal(ok('/a/..b/c.'), '/a/..b/c.');
  assert.match(refused('/..'), /above the root/);
  assert.match(refused('/a/../..'), /above the root/);
});

test('trailing and repeated slashes: a trailing slash is kept, repeats are merged', () => {
  assert.equal(ok('/'), '/');
  assert.equal(ok('/a/b/'), '/a/b/');
  assert.equal(ok('//'), '/');
  assert.equal(ok('/a//'), '/a/');
  assert.equal(ok('///a///b'), '/a/b');
});

test("'%2e' forms are dots: decoded before dot segments are removed, in any case", () => {
  assert.equal(ok('/a/%2e%2e/b'), '/b');
  assert.equal(ok('/a/%2E%2e/b'), '/b');
  assert.equal(ok('/a/.%2E/b'), '/b');
  assert.equal(ok('/a/%2e/b'), '/a/b');
  assert.equal(ok('/a/b/%2e%2e'), '/a/');
  assert.match(refused('/%2e%2e/etc'), /above the root/);
});

test('encoded unreserved characters are decoded; other escapes are kept, upper-cased', () => {
  assert.equal(ok('/%61dmin'), '/admin');
  assert.equal(ok('/%41%7a%30%2D%5F%7E'), '/Az0-_~');
  assert.equal(ok('/a%20b'), '/a%20b');
  assert.equal(ok('/a%3bb'), '/a%3Bb', "an encoded ';' is data, not a parameter");
  assert.equal(ok('/caf%c3%a9'), '/caf%C3%A9', 'valid UTF-8 stays encoded');
});

test('double encoding is decoded once only', () => {
  assert.equal(ok('/a/%252e%252e/b'), '/a/%252e%252e/b');
  assert.equal(ok('/%252F'), '/%252F');
  assert.equal(ok('/%2561'), '/%2561');
});

test('the query is untouched: no decoding, no dot segments, no slash merging', () => {
  assert.equal(ok('/p?x=/../a//b&y=%2F%2e%00'), '/p?x=/../a//b&y=%2F%2e%00');
  assert.equal(ok('/a/../b?%61'), '/b?%61');
  assert.equal(ok('/p?'), '/p', 'an empty query is no query');
});

test('refused: encoded or raw slash and backslash, NUL and controls, invalid UTF-8, bad escapes, fragments, non-paths', () => {
  assert.match(refused('/a%2Fb'), /encoded slash/);
  assert.match(refused('/a%2fb'), /encoded slash/);
  assert.match(refused('/a%5Cb'), /encoded slash or backslash/);
  assert.match(refused('/a\\b'), /backslash/);
  assert.match(refused('/a%00b'), /control/);
  assert.match(refused('/a%0d%0ab'), /control/);
  assert.match(refused('/a%7f'), /control/);
  assert.match(refused('/a%c0%ae'), /UTF-8/, 'overlong encoding of "."');
  assert.match(refused('/a%ff'), /UTF-8/);
  assert.match(refused('/a%e2%82'), /UTF-8/, 'truncated sequence');
  assert.match(refused('/a%zz'), /percent-encoding/);
  assert.match(refused('/a%2'), /percent-encoding/);
  assert.match(refused('/a#b'), /fragment/);
  assert.match(refused('/a?b#c'), /fragment/);
  assert.match(refused('/é'), /non-ASCII/);
  refused('*');
  refused('http://example.com/a');
  refused('example.com:443');
  refused('');
});

test("';' is data, but '..;' and '.;' segments (Tomcat-style path parameters on dot segments) are refused", () => {
  assert.equal(ok('/admin;x=1'), '/admin;x=1');
  assert.equal(ok('/a;b/../c'), '/c');
  assert.match(refused('/public/..;/admin'), /dot segment with parameters/);
  assert.match(refused('/a/.;x/b'), /dot segment with parameters/);
});
