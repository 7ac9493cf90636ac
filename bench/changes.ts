// How soon a change routes traffic, as bench:propagation and bench:scale measure it: a listener's
// fixed-response code is changed through the API, then one kept-alive client polls the data plane
// until it answers with the new code. Bounded by `count` changes and `budgetMs`.
import http from 'node:http';
import { call, type ClientConfig } from '../src/core/client.ts';

export interface ChangeTimes {
  /** The API call alone. */
  apiMs: number[];
  /** From the API's answer to the first request routed by the change. */
  afterAckMs: number[];
  /** From the API call to the first request routed by the change. */
  afterCallMs: number[];
}

/** A GET through one kept-alive connection: the status code. */
export function statusProbe(port: number, host: string, agent: http.Agent): () => Promise<number> {
  return () => new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function timeListenerChanges(o: {
  client: ClientConfig; serviceId: string; listenerId: string; probe: () => Promise<number>;
  count: number; budgetMs: number; onChange?: (i: number, ms: number) => void;
}): Promise<ChangeTimes> {
  const apiMs: number[] = [], afterAckMs: number[] = [], afterCallMs: number[] = [];
  const started = Date.now();
  for (let i = 1; i <= o.count && Date.now() - started < o.budgetMs; i++) {
    const code = 400 + (i % 100);
    const t0 = performance.now();
    await call(o.client, 'PATCH', `/services/${o.serviceId}/listeners/${o.listenerId}`, { defaultAction: { fixedResponse: { statusCode: code } } });
    const t1 = performance.now();
    while ((await o.probe()) !== code) { /* poll until routed by the change */ }
    const t2 = performance.now();
    apiMs.push(t1 - t0);
    afterAckMs.push(t2 - t1);
    afterCallMs.push(t2 - t0);
    o.onChange?.(i, t2 - t0);
  }
  return { apiMs, afterAckMs, afterCallMs };
}
