// The outbox's retry schedule (lib/mail/outbox.ts) on its own: quick first retries, then about hourly, never
// more than an hour apart, until 48 hours after the first attempt; ±20 % jitter; a 429 waits for SendGrid's
// X-RateLimit-Reset. (Permanent refusals never reach the schedule: tests/integration/outbox-faults.test.ts.)
import { describe, expect, it } from "vitest";
import { MAX_RETRY_DELAY_MS, nextAttemptAt, RETRY_JITTER, RETRY_STEPS_MS, RETRY_WINDOW_MS, retryDelayMs } from "@/lib/mail/outbox";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const serverError = { code: 503, message: "Service Unavailable" };
const rateLimited = (resetAt?: number) => ({
  code: 429,
  response: { headers: resetAt === undefined ? {} : { "x-ratelimit-reset": String(Math.floor(resetAt / 1000)) } },
});
const noJitter = () => 0.5;
const first = new Date("2026-12-01T08:00:00.000Z");
const at = (ms: number) => new Date(first.getTime() + ms);

/** Every attempt of a mail that always fails with `error`, from its first until the schedule gives up. */
function failForever(random: () => number, error: unknown = serverError): number[] {
  const attempts = [first.getTime()];
  for (;;) {
    const next = nextAttemptAt(error, attempts.length, first, new Date(attempts.at(-1)!), random);
    if (!next) return attempts;
    attempts.push(next.getTime());
    if (attempts.length > 1_000) throw new Error("the schedule never gives up");
  }
}

describe("the retry schedule", () => {
  it("retries quickly at first: about 10 s, 30 s, 1 min, 2 min and 5 min after each failure", () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, noJitter))).toEqual([10 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE]);
    const attempts = failForever(noJitter).map((t) => t - first.getTime());
    expect(attempts.slice(0, 6)).toEqual([0, 10 * SECOND, 40 * SECOND, 100 * SECOND, 220 * SECOND, 520 * SECOND]);
  });

  it("then waits 15 to 60 minutes, never more than an hour, however often it failed", () => {
    for (const random of [() => 0, noJitter, () => 0.999999, () => 1]) {
      const waits = Array.from({ length: 200 }, (_, i) => retryDelayMs(i + 1, random));
      expect(Math.max(...waits)).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
      expect(MAX_RETRY_DELAY_MS).toBe(HOUR);
      for (const wait of waits.slice(5)) expect(wait).toBeGreaterThanOrEqual(12 * MINUTE);
      for (const wait of waits.slice(7)) expect(wait).toBeGreaterThanOrEqual(40 * MINUTE);
    }
    expect(retryDelayMs(6, noJitter)).toBe(15 * MINUTE);
    expect(retryDelayMs(1_000, () => 1)).toBe(HOUR);
  });

  it("keeps trying for at least 24 hours after the first attempt (48), then gives up", () => {
    expect(RETRY_WINDOW_MS).toBeGreaterThanOrEqual(24 * HOUR);
    for (const random of [() => 0, noJitter, () => 1, Math.random]) {
      const attempts = failForever(random);
      // The last attempt is at the window's end exactly: the last wait is cut short, not skipped.
      expect(attempts.at(-1)! - first.getTime()).toBe(RETRY_WINDOW_MS);
      // About hourly: dozens of requests in two days, not thousands.
      expect(attempts.length).toBeGreaterThan(40);
      expect(attempts.length).toBeLessThan(90);
    }
    expect(nextAttemptAt(serverError, 60, first, at(RETRY_WINDOW_MS))).toBeUndefined();
    expect(nextAttemptAt(serverError, 60, first, at(RETRY_WINDOW_MS + HOUR))).toBeUndefined();
    expect(nextAttemptAt(serverError, 60, first, at(RETRY_WINDOW_MS - MINUTE), noJitter)).toEqual(at(RETRY_WINDOW_MS));
  });

  it("jitters each wait within ±20 % of its step, so mails that failed together spread out", () => {
    expect(RETRY_JITTER).toBe(0.2);
    RETRY_STEPS_MS.forEach((step, i) => {
      expect(retryDelayMs(i + 1, () => 0)).toBe(Math.round(step * 0.8));
      expect(retryDelayMs(i + 1, () => 1)).toBe(Math.round(step * 1.2));
      const samples = Array.from({ length: 200 }, () => retryDelayMs(i + 1));
      for (const wait of samples) {
        expect(wait).toBeGreaterThanOrEqual(step * 0.8);
        expect(wait).toBeLessThanOrEqual(step * 1.2);
      }
      expect(new Set(samples).size).toBeGreaterThan(50);
    });
  });

  it("retries a 429 when X-RateLimit-Reset says (plus up to 5 s), at most an hour away", () => {
    const now = at(2 * HOUR);
    const reset = now.getTime() + 7 * MINUTE;
    for (const random of [() => 0, () => 1]) {
      const next = nextAttemptAt(rateLimited(reset), 9, first, now, random)!.getTime();
      expect(next).toBeGreaterThanOrEqual(reset);
      expect(next).toBeLessThanOrEqual(reset + 5 * SECOND);
    }
    // A reset already past: at once (plus the spread); a reset hours away: in an hour.
    expect(nextAttemptAt(rateLimited(now.getTime() - MINUTE), 1, first, now, () => 0)).toEqual(now);
    expect(nextAttemptAt(rateLimited(now.getTime() + 5 * HOUR), 1, first, now, () => 0)).toEqual(new Date(now.getTime() + HOUR));
    // Without the header, the schedule; near the window's end, SendGrid's reset still counts.
    expect(nextAttemptAt(rateLimited(), 1, first, now, noJitter)).toEqual(new Date(now.getTime() + 10 * SECOND));
    const late = at(RETRY_WINDOW_MS - MINUTE);
    expect(nextAttemptAt(rateLimited(late.getTime() + 10 * MINUTE), 50, first, late, () => 0)).toEqual(new Date(late.getTime() + 10 * MINUTE));
  });
});
