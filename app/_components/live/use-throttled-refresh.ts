"use client";
// A page refresh (router.refresh: server components re-rendered in place) that a burst of live changes cannot turn
// into a storm: the first change refreshes after a short pause, later ones at most every `minGapMs`, with one
// trailing refresh for what came in between; a hidden tab refreshes once when it is shown again.
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef } from "react";

export function useThrottledRefresh(minGapMs = 2_000, firstDelayMs = 200): () => void {
  const router = useRouter();
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const waitingForVisible = useRef(false);

  const run = useCallback(() => {
    timer.current = undefined;
    if (document.visibilityState !== "visible") {
      waitingForVisible.current = true;
      return;
    }
    last.current = Date.now();
    router.refresh();
  }, [router]);

  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === "visible" && waitingForVisible.current) {
        waitingForVisible.current = false;
        run();
      }
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, [run]);

  return useCallback(() => {
    if (timer.current) return;
    const wait = Math.max(firstDelayMs, last.current + minGapMs - Date.now());
    timer.current = setTimeout(run, wait);
  }, [run, minGapMs, firstDelayMs]);
}
