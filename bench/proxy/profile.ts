// Reads a V8 .cpuprofile (node --cpu-prof) and ranks functions by self time, each with the caller
// that accounts for most of it (natives such as writev say little without their caller). Idle
// samples are left out of the total, so shares are of the time the process was busy.
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

export interface SelfTime { fn: string; where: string; caller: string; trellisFrame: string; ms: number; share: number }

const split = (n: Node) => {
  const { functionName, url, lineNumber } = n.callFrame;
  return { fn: functionName || '(anonymous)', where: url ? `${url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, '$1/')}:${lineNumber + 1}` : '' };
};
const name = (n: Node | undefined) => {
  if (!n) return '';
  const { fn, where } = split(n);
  return where ? `${fn} ${where}` : fn;
};

export function topSelf(file: string, n: number): { total: number; idle: number; top: SelfTime[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, Node>();
  for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x);
  const self = new Map<string, { node: Node; us: number; callers: Map<string, number>; frames: Map<string, number> }>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0; // a sample's time is the gap to the next one
    const node = byId.get(p.samples[i]);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') { idle += dt; continue; }
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName}@${url}:${lineNumber}`;
    const e = self.get(key) ?? { node, us: 0, callers: new Map<string, number>(), frames: new Map<string, number>() };
    e.us += dt;
    const caller = name(parent.get(node.id));
    e.callers.set(caller, (e.callers.get(caller) ?? 0) + dt);
    // The nearest Trellis frame (src/) on the stack: which part of Trellis the time is spent for.
    let up: Node | undefined = node;
    while (up && !up.callFrame.url.includes('/src/')) up = parent.get(up.id);
    const frame = name(up);
    e.frames.set(frame, (e.frames.get(frame) ?? 0) + dt);
    self.set(key, e);
    total += dt;
  }
  const top = [...self.values()].sort((a, b) => b.us - a.us).slice(0, n).map((e) => {
    const most = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    return { ...split(e.node), caller: most(e.callers), trellisFrame: most(e.frames), ms: e.us / 1000, share: e.us / total };
  });
  return { total: total / 1000, idle: idle / 1000, top };
}
