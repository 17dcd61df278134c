"use client";
// Keeps a server-rendered list current: when an issue of the project changes (a mail came in, someone commented),
// the page is refreshed in place — scroll, filters and anything typed stay — and a small badge says it is live.
import { useEffect } from "react";
import { useLive } from "./live-provider";
import { useThrottledRefresh } from "./use-throttled-refresh";

export function LiveRefresh({ projectId, label = "Updates live" }: { projectId: number; label?: string }) {
  const live = useLive();
  const refreshSoon = useThrottledRefresh();
  const subscribe = live?.subscribe;

  useEffect(() => {
    if (!subscribe) return;
    return subscribe((message) => {
      if (message.event === "issue" && message.projectId === projectId) refreshSoon();
    });
  }, [subscribe, projectId, refreshSoon]);

  return <LiveBadge label={label} />;
}

/** "Updates live" while connected (stream or polling); nothing when live updates are off or down. */
export function LiveBadge({ label = "Updates live" }: { label?: string }) {
  const live = useLive();
  if (!live || live.status === "off") return null;
  return (
    <span
      className="inline-flex items-center gap-1.5 text-xs text-slate-500"
      data-testid="live-status"
      data-live={live.status}
      title={live.status === "stream" ? "This page updates as soon as something changes." : "This page checks for changes every few seconds."}
    >
      <span className="size-1.5 rounded-full bg-emerald-500" aria-hidden />
      {label}
    </span>
  );
}
