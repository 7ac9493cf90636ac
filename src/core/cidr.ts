// IP addresses and CIDR blocks as numbers: parse, test containment. No I/O.
import { isIP } from 'node:net';

export interface Net { family: 4 | 6; addr: bigint; len: number }

export function ipToBigInt(ip: string): { family: 4 | 6; addr: bigint } | undefined {
  const family = isIP(ip);
  if (family === 4) return { family, addr: ip.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n) };
  if (family !== 6) return undefined;
  // Zone ids go; an embedded dotted quad becomes its two hexadecimal groups.
  let text = ip.split('%')[0];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipToBigInt(dotted[2])!.addr;
    text = `${dotted[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return { family: 6, addr: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function parseCidr(text: string): Net | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || !/^\d{1,3}$/.test(text.slice(slash + 1))) return undefined;
  const ip = ipToBigInt(text.slice(0, slash));
  const len = Number(text.slice(slash + 1));
  if (!ip || len > (ip.family === 4 ? 32 : 128)) return undefined;
  return { ...ip, len };
}

export const bits = (family: 4 | 6) => (family === 4 ? 32n : 128n);
export const hostBitsSet = (n: Net) => (n.addr & ((1n << (bits(n.family) - BigInt(n.len))) - 1n)) !== 0n;
/** `inner` lies within `outer`. */
export const within = (inner: Net, outer: Net) => inner.family === outer.family && inner.len >= outer.len
  && (inner.addr >> (bits(inner.family) - BigInt(outer.len))) === (outer.addr >> (bits(outer.family) - BigInt(outer.len)));

/** The address lies in the block. */
export function contains(block: Net, ip: string): boolean {
  const a = ipToBigInt(ip);
  return !!a && within({ ...a, len: bits(a.family) === 32n ? 32 : 128 }, block);
}
