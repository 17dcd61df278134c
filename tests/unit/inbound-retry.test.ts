// The retry schedule of stored mail after transient failures, over a simulated day, and which errors count as
// the database's passing trouble (retried) rather than a bug (failed at once).
import { describe, expect, it } from "vitest";
import { isTransientDatabaseError } from "@/lib/db/transient";
import { GIVE_UP_AFTER_SECONDS, retryDelaySeconds } from "@/lib/service-desk/intake";

describe("retryDelaySeconds", () => {
  const exact = () => 0.5; // no jitter: the middle of the ±20 % band

  it.each([
    [0, 15],
    [10, 15],
    [60, 30],
    [600, 300],
    [3_600, 1_800],
    [7_200, 3_600],
    [20 * 3_600, 3_600],
  ])("a mail %i s old is tried again after %i s", (age, delay) => {
    expect(retryDelaySeconds(age, exact)).toBe(delay);
  });

  it("keeps jitter within ±20 %", () => {
    expect(retryDelaySeconds(600, () => 0)).toBe(240);
    expect(retryDelaySeconds(600, () => 0.999_999)).toBe(360);
  });

  it("gives up a day after the mail arrived", () => {
    expect(retryDelaySeconds(GIVE_UP_AFTER_SECONDS - 1, exact)).toBe(3_600);
    expect(retryDelaySeconds(GIVE_UP_AFTER_SECONDS, exact)).toBeUndefined();
  });

  it("over a simulated day of failures: fast at first, hourly later, tried for at least 24 hours", () => {
    // A clock that starts at the mail's arrival and jumps to each retry, with the worst jitter both ways.
    for (const random of [() => 0, () => 0.999_999, Math.random]) {
      let age = 0;
      const tries: number[] = [];
      for (;;) {
        const delay = retryDelaySeconds(age, random);
        if (delay === undefined) break;
        tries.push(age);
        age += delay;
      }
      expect(tries.length).toBeGreaterThan(24);
      expect(tries.length).toBeLessThan(120);
      expect(tries.slice(0, 4).every((t) => t < 120)).toBe(true);
      expect(age).toBeGreaterThanOrEqual(GIVE_UP_AFTER_SECONDS);
      const gaps = tries.slice(1).map((t, i) => t - tries[i]);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(72 * 60);
    }
  });
});

describe("isTransientDatabaseError", () => {
  const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

  it.each([
    ["a refused connection", withCode("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")],
    ["an administrator shutdown", withCode("57P01", "terminating connection due to administrator command")],
    ["a database starting up", withCode("57P03", "the database system is starting up")],
    ["a deadlock", withCode("40P01")],
    ["a dropped connection (message only)", new Error("Connection terminated unexpectedly")],
    ["a pool timeout", new Error("timeout exceeded when trying to connect")],
    ["Prisma: cannot reach the server", withCode("P1001")],
    ["a cause chain", new Error("query failed", { cause: withCode("08006") })],
    ["an AggregateError of refused connections", new AggregateError([withCode("ECONNREFUSED")], "")],
    ["Prisma's wrapped driver error", Object.assign(new Error("raw query failed"), { code: "P2010", meta: { driverAdapterError: { cause: { originalCode: "57P01" } } } })],
  ])("%s is transient", (_, error) => {
    expect(isTransientDatabaseError(error)).toBe(true);
  });

  it.each([
    ["a bug", new TypeError("Cannot read properties of undefined (reading 'x')")],
    ["a unique violation", withCode("23505", "duplicate key value violates unique constraint")],
    ["bad data", withCode("22P02", "invalid input syntax for type integer")],
    ["a stack overflow", new RangeError("Maximum call stack size exceeded")],
    ["a thrown string", "boom"],
  ])("%s is not", (_, error) => {
    expect(isTransientDatabaseError(error)).toBe(false);
  });
});
