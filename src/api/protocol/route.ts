// Finds the operation for a method and a raw (still percent-encoded) path, by URI template.
// Labels are matched segment by segment before decoding, so an ARN label whose '/' the client
// encoded as %2F stays one segment.

export interface Routable { readonly method: string; readonly uri: string }
export interface RouteMatch<O> { op: O; labels: Record<string, string> }

interface Compiled<O> { op: O; segments: { literal?: string; label?: string }[] }

export class Router<O extends Routable> {
  readonly #byMethod = new Map<string, Compiled<O>[]>();

  constructor(ops: readonly O[]) {
    for (const op of ops) {
      const segments = op.uri.split('/').slice(1).map((s) => {
        const m = /^\{(\w+)\}$/.exec(s);
        return m ? { label: m[1] } : { literal: s };
      });
      const list = this.#byMethod.get(op.method) ?? [];
      list.push({ op, segments });
      this.#byMethod.set(op.method, list);
    }
    // Literal segments win over labels at the same depth.
    for (const list of this.#byMethod.values()) list.sort((a, b) => literalScore(b) - literalScore(a));
  }

  /** Returns the match, `'method'` when the path exists under another method, or undefined. */
  match(method: string, rawPath: string): RouteMatch<O> | 'method' | undefined {
    const parts = rawPath.split('/').slice(1);
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    const hit = this.#find(this.#byMethod.get(method), parts);
    if (hit) return hit;
    for (const [m, list] of this.#byMethod) if (m !== method && this.#find(list, parts)) return 'method';
    return undefined;
  }

  #find(list: Compiled<O>[] | undefined, parts: string[]): RouteMatch<O> | undefined {
    if (!list) return undefined;
    outer: for (const c of list) {
      if (c.segments.length !== parts.length) continue;
      const labels: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const seg = c.segments[i];
        if (seg.literal !== undefined) {
          if (seg.literal !== parts[i]) continue outer;
        } else {
          let v: string;
          try { v = decodeURIComponent(parts[i]); } catch { continue outer; }
          if (v === '') continue outer;
          labels[seg.label!] = v;
        }
      }
      return { op: c.op, labels };
    }
    return undefined;
  }
}

function literalScore(c: { segments: { literal?: string }[] }): number {
  return c.segments.reduce((n, s, i) => n + (s.literal !== undefined ? 1 << (16 - i) : 0), 0);
}
