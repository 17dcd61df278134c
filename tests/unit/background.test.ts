// Work that can wait lets the requests being answered go first (lib/background.ts: answering, afterAnswers), and
// never waits longer than its bound however busy the process stays. Timers are faked to cover the bound.
import { afterEach, describe, expect, it, vi } from "vitest";
import { afterAnswers, answering, answeringCount } from "@/lib/background";

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  // Several turns of the microtask queue.
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

afterEach(() => {
  vi.useRealTimers();
});

describe("afterAnswers", () => {
  it("goes at once when nothing is being answered", async () => {
    expect(answeringCount()).toBe(0);
    expect(await settled(afterAnswers(5_000))).toBe(true);
  });

  it("waits for the requests being answered, and goes when the last one is answered", async () => {
    let finishFirst!: () => void;
    let finishSecond!: () => void;
    const first = answering(() => new Promise<void>((resolve) => (finishFirst = resolve)));
    const second = answering(() => new Promise<void>((resolve) => (finishSecond = resolve)));
    expect(answeringCount()).toBe(2);
    const waiting = afterAnswers(60_000);
    expect(await settled(waiting)).toBe(false);
    finishFirst();
    await first;
    expect(await settled(waiting)).toBe(false);
    finishSecond();
    await second;
    expect(await settled(waiting)).toBe(true);
    expect(answeringCount()).toBe(0);
  });

  it("counts a handler that throws as answered", async () => {
    await expect(answering(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(answeringCount()).toBe(0);
  });

  it("never waits longer than its bound under constant load", async () => {
    vi.useFakeTimers();
    let finish!: () => void;
    const busy = answering(() => new Promise<void>((resolve) => (finish = resolve)));
    const waiting = afterAnswers(5_000);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
    finish();
    await busy;
  });
});
