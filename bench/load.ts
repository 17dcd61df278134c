// The load generator: posts prepared requests at a fixed concurrency over keep-alive connections and reports
// throughput and latency. The same generator loads the app and the baseline server, so their ratio is fair.
import http from "node:http";
import { performance } from "node:perf_hooks";
import { percentile } from "./stats";

export interface PreparedRequest {
  body: Uint8Array;
  contentType: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** A few answers that were not 2xx (status and the start of the body), to say what went wrong. */
  failures: string[];
}

function post(agent: http.Agent, url: URL, headers: Record<string, string>, request: PreparedRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { ...headers, "content-type": request.contentType, "content-length": String(request.body.byteLength) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (error) => resolve({ status: 0, body: String(error) }));
      },
    );
    // A refused or dropped connection counts as a failed request (status 0), not as a crash of the bench.
    req.on("error", (error) => resolve({ status: 0, body: String(error) }));
    req.end(request.body);
  });
}

/**
 * Sends every request once, `concurrency` at a time. `accept` may reject a 2xx answer (e.g. an app status
 * that is not the expected outcome); such answers count as non-2xx.
 */
export async function runLoad(
  target: string,
  requests: readonly PreparedRequest[],
  options: { concurrency: number; headers?: Record<string, string>; accept?: (body: string) => boolean },
): Promise<LoadResult> {
  const url = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const failures: string[] = [];
  let non2xx = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++];
      const t0 = performance.now();
      const { status, body } = await post(agent, url, options.headers ?? {}, request);
      latencies.push(performance.now() - t0);
      const ok = status >= 200 && status < 300 && (!options.accept || options.accept(body));
      if (!ok) {
        non2xx++;
        if (failures.length < 5) failures.push(`${status} ${body.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, requests.length) }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    requests: requests.length,
    seconds,
    perSecond: requests.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    non2xx,
    failures,
  };
}

/** One GET (page measurements): the time until the whole body has arrived, and the status. */
export function timedGet(target: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<{ ms: number; status: number; bytes: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(target, { headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, bytes: body.byteLength, body: body.toString("utf8") });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}
