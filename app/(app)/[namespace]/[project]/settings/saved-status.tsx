"use client";
// The "Saved" confirmation of settings and template forms: a polite live region, so screen readers hear it too.
import { useCallback, useEffect, useRef, useState } from "react";

/** A message that disappears by itself after a few seconds. */
export function useFlash(ms = 4000): [string | undefined, (message: string) => void] {
  const [message, setMessage] = useState<string>();
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const show = useCallback(
    (next: string) => {
      clearTimeout(timer.current);
      setMessage(next);
      timer.current = setTimeout(() => setMessage(undefined), ms);
    },
    [ms],
  );
  return [message, show];
}

export function SavedStatus({ message }: { message?: string }) {
  // The region stays in the page (empty when idle): live regions added together with their text are often not read.
  return (
    <p role="status" aria-live="polite" className="min-h-5 text-sm font-medium text-green-700">
      {message && (
        <span className="inline-flex items-center gap-1">
          <span aria-hidden>✓</span>
          {message}
        </span>
      )}
    </p>
  );
}
