"use client";
// The tab's one live connection (lib/live): an EventSource on /api/live, or where the server cannot hold a stream
// (LIVE_UPDATES=poll, or the stream keeps failing) a poll of /api/live/poll every few seconds, with the same
// events for the pages either way. Changes to the user's To-Dos refresh the page (the top bar's count).
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { useThrottledRefresh } from "./use-throttled-refresh";

export type LiveMode = "stream" | "poll" | "off";

export type LiveMessage =
  | { event: "issue"; projectId: number; iid: number }
  | { event: "presence"; projectId: number; iid: number; userId: string; name: string; state: "viewing" | "replying" | "left"; expiresAt: string }
  | { event: "presence-snapshot"; projectPath: string; iid: number; entries: { userId: string; name: string; state: "viewing" | "replying"; expiresAt: string }[] }
  | { event: "resync" };

type Listener = (message: LiveMessage) => void;

interface LiveContextValue {
  /** "stream" or "poll" while connected that way; "off" when live updates are off or not (yet) working. */
  status: LiveMode;
  subscribe: (listener: Listener) => () => void;
  /** The issue a page has open, so that polling can ask who else is on it. */
  setOpenIssue: (issue: { projectPath: string; iid: number } | null) => void;
}

const LiveContext = createContext<LiveContextValue | null>(null);

export function useLive(): LiveContextValue | null {
  return useContext(LiveContext);
}

const POLL_MS = 5_000;
// An EventSource that errors this many times without ever getting "ready" is not going to work here: poll instead.
const STREAM_FAILURES_BEFORE_POLLING = 3;

export function LiveProvider({ mode, children }: { mode: LiveMode; children: React.ReactNode }) {
  const refreshSoon = useThrottledRefresh();
  const listeners = useRef(new Set<Listener>());
  const openIssue = useRef<{ projectPath: string; iid: number } | null>(null);
  // Browsers without EventSource (rare) poll from the start.
  const [transport, setTransport] = useState<LiveMode>(() => (mode === "stream" && typeof EventSource === "undefined" ? "poll" : mode));
  const [status, setStatus] = useState<LiveMode>("off");
  const dispatch = useCallback(
    (message: LiveMessage) => {
      if (message.event === "resync") refreshSoon();
      for (const listener of listeners.current) listener(message);
    },
    [refreshSoon],
  );

  useEffect(() => {
    if (transport !== "stream") return;
    const source = new EventSource("/api/live");
    let ready = false;
    let failures = 0;
    let connections = 0;
    source.addEventListener("ready", () => {
      ready = true;
      failures = 0;
      setStatus("stream");
      // Back after a drop (a deploy, a proxy's idle timeout, a laptop asleep): what changed meanwhile was missed.
      if (++connections > 1) refreshSoon();
    });
    source.onerror = () => {
      setStatus("off");
      // 204 (the server polls) closes the source for good; a server that never answers "ready" is given up on.
      if (source.readyState === EventSource.CLOSED || (!ready && ++failures >= STREAM_FAILURES_BEFORE_POLLING)) {
        source.close();
        setTransport("poll");
      }
    };
    const on = (event: "issue" | "presence" | "resync") => (e: MessageEvent<string>) => {
      try {
        dispatch({ event, ...(JSON.parse(e.data) as object) } as LiveMessage);
      } catch {
        // a malformed event is dropped
      }
    };
    source.addEventListener("issue", on("issue"));
    source.addEventListener("presence", on("presence"));
    source.addEventListener("resync", on("resync"));
    source.addEventListener("todos", () => refreshSoon());
    return () => source.close();
  }, [transport, dispatch, refreshSoon]);

  useEffect(() => {
    if (transport !== "poll") return;
    let since = new Date().toISOString();
    let todos: number | undefined;
    const seen = new Set<string>();
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      if (document.visibilityState === "visible") {
        const params = new URLSearchParams({ since });
        const issue = openIssue.current;
        if (issue) {
          params.set("project", issue.projectPath);
          params.set("iid", String(issue.iid));
        }
        try {
          const response = await fetch(`/api/live/poll?${params}`, { cache: "no-store" });
          if (response.ok) {
            const body = (await response.json()) as {
              now: string;
              issues: { projectId: number; iid: number; updatedAt: string }[];
              pendingTodos: number;
              presence: { userId: string; name: string; state: "viewing" | "replying"; expiresAt: string }[];
            };
            since = body.now;
            setStatus("poll");
            for (const change of body.issues) {
              const key = `${change.projectId}:${change.iid}:${change.updatedAt}`;
              if (seen.has(key)) continue;
              seen.add(key);
              dispatch({ event: "issue", projectId: change.projectId, iid: change.iid });
            }
            if (todos !== undefined && todos !== body.pendingTodos) refreshSoon();
            todos = body.pendingTodos;
            if (issue) dispatch({ event: "presence-snapshot", projectPath: issue.projectPath, iid: issue.iid, entries: body.presence });
            if (seen.size > 5_000) seen.clear();
          } else setStatus("off");
        } catch {
          setStatus("off");
        }
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    timer = setTimeout(poll, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [transport, dispatch, refreshSoon]);

  // Stable across status changes: pages subscribe once, and the issue page's heartbeat is not restarted (which
  // would send "left" and flicker its presence for the others).
  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const setOpenIssue = useCallback((issue: { projectPath: string; iid: number } | null) => {
    openIssue.current = issue;
  }, []);
  const value = useMemo<LiveContextValue>(() => ({ status: mode === "off" ? "off" : status, subscribe, setOpenIssue }), [mode, status, subscribe, setOpenIssue]);
  if (mode === "off") return <>{children}</>;
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
