// Page measurements: the server time of a page for a signed-in member (next-auth database session cookie),
// taken as the time to the last byte of the HTML over a local keep-alive connection, median after a warm-up.
import http from "node:http";
import { timedGet } from "./load";
import { median } from "./stats";

export interface PageTarget {
  /** What the figure is called in the report. */
  label: string;
  url: string;
  /** Text the page must contain: proves the request was signed in and got the page it asked for. */
  expect: string;
}

export interface PageTiming {
  label: string;
  /** The very first request (cold caches in the app), for the record. */
  firstMs: number;
  medianMs: number;
  bytes: number;
}

// http (not https): next-auth uses the cookie name without the __Secure- prefix.
export const sessionCookie = (token: string) => ({ cookie: `next-auth.session-token=${token}` });

/**
 * Times pages side by side: for each, a first (cold) request and `warmup` more; then `runs` rounds that
 * request each page in turn, so a busy moment of the machine falls on all of them alike. Throws if a page is wrong.
 */
export async function timePages(targets: readonly PageTarget[], token: string, warmup: number, runs: number): Promise<PageTiming[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const get = async (target: PageTarget) => {
      const response = await timedGet(target.url, sessionCookie(token), agent);
      if (response.status !== 200) throw new Error(`${target.label}: GET ${target.url} answered ${response.status}`);
      if (!response.body.includes(target.expect)) throw new Error(`${target.label}: GET ${target.url} does not contain "${target.expect}": ${response.body.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").slice(0, 300)}`);
      return response;
    };
    const firsts: { ms: number; bytes: number }[] = [];
    for (const target of targets) {
      firsts.push(await get(target));
      for (let i = 0; i < warmup; i++) await get(target);
    }
    const times: number[][] = targets.map(() => []);
    for (let round = 0; round < runs; round++)
      for (const [i, target] of targets.entries()) times[i].push((await get(target)).ms);
    return targets.map((target, i) => ({ label: target.label, firstMs: firsts[i].ms, medianMs: median(times[i]), bytes: firsts[i].bytes }));
  } finally {
    agent.destroy();
  }
}
