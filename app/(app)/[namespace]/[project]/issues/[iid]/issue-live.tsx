"use client";
// An open issue, live: a new note (mail, a colleague) is fetched in place — the draft in the composer stays, the
// page does not jump, a "new replies" button appears while the new notes are out of sight — and who else has the
// issue open or is replying on it is shown above the composer, so two agents do not answer the same customer.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { useLive } from "@/app/_components/live/live-provider";
import { useThrottledRefresh } from "@/app/_components/live/use-throttled-refresh";

export interface PresenceEntry {
  userId: string;
  name: string;
  state: "viewing" | "replying";
  expiresAt: string;
}

interface IssueLiveValue {
  others: Omit<PresenceEntry, "expiresAt">[];
  /** The composer says whether it holds a draft being written (each keystroke). */
  typing: (hasText: boolean) => void;
}

const IssueLiveContext = createContext<IssueLiveValue | null>(null);

export const useIssueLive = () => useContext(IssueLiveContext);

const HEARTBEAT_MS = 15_000;
// Typing stops counting as "replying" after this long without a keystroke (the draft may just sit there).
const REPLYING_IDLE_MS = 20_000;

interface Props {
  projectId: number;
  projectPath: string;
  iid: number;
  userId: string;
  initialPresence: PresenceEntry[];
  children: React.ReactNode;
}

// An entry counts for this long after it was heard (the browser's own clock: the server's expiresAt would be off by
// however wrong this machine's clock is).
const PRESENCE_TTL_MS = 35_000;

type Seen = Omit<PresenceEntry, "expiresAt"> & { until: number };

const seen = ({ userId, name, state }: Omit<PresenceEntry, "expiresAt">, heardAt = Date.now()): Seen => ({ userId, name, state, until: heardAt + PRESENCE_TTL_MS });

export function IssueLive({ projectId, projectPath, iid, userId, initialPresence, children }: Props) {
  const live = useLive();
  const on = !!live;
  const subscribe = live?.subscribe;
  const setOpenIssue = live?.setOpenIssue;
  const refreshSoon = useThrottledRefresh(1_500);
  const [presence, setPresence] = useState(() => new Map(initialPresence.map((p) => [p.userId, seen(p)])));
  const [now, setNow] = useState(() => Date.now());
  const state = useRef<"viewing" | "replying">("viewing");
  const idleTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const announce = useCallback(
    (next: "viewing" | "replying" | "left") => {
      const body = JSON.stringify({ project: projectPath, iid, state: next });
      if (next === "left" && typeof navigator.sendBeacon === "function") {
        navigator.sendBeacon("/api/live/presence", new Blob([body], { type: "application/json" }));
        return;
      }
      void fetch("/api/live/presence", { method: "POST", headers: { "content-type": "application/json" }, body, keepalive: true }).catch(() => undefined);
    },
    [projectPath, iid],
  );

  // Heartbeat while the page is open; "left" when it closes or the tab is hidden long enough to be unloaded.
  useEffect(() => {
    if (!setOpenIssue) return;
    setOpenIssue({ projectPath, iid });
    announce(state.current);
    const beat = setInterval(() => {
      if (document.visibilityState === "visible") announce(state.current);
    }, HEARTBEAT_MS);
    const leave = () => announce("left");
    window.addEventListener("pagehide", leave);
    return () => {
      clearInterval(beat);
      window.removeEventListener("pagehide", leave);
      setOpenIssue(null);
      leave();
    };
  }, [setOpenIssue, projectPath, iid, announce]);

  useEffect(() => {
    if (!subscribe) return;
    return subscribe((message) => {
      if (message.event === "issue" && message.projectId === projectId && message.iid === iid) refreshSoon();
      else if (message.event === "presence" && message.projectId === projectId && message.iid === iid && message.userId !== userId) {
        setPresence((current) => {
          const next = new Map(current);
          if (message.state === "left") next.delete(message.userId);
          else next.set(message.userId, seen({ userId: message.userId, name: message.name, state: message.state }));
          return next;
        });
      } else if (message.event === "presence-snapshot" && message.projectPath === projectPath && message.iid === iid) {
        setPresence(new Map(message.entries.filter((p) => p.userId !== userId).map((p) => [p.userId, seen(p)])));
      }
    });
  }, [subscribe, projectId, projectPath, iid, userId, refreshSoon]);

  // Entries fade out when their heartbeat stops (a closed laptop sends no "left").
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 5_000);
    return () => clearInterval(tick);
  }, []);

  useEffect(() => () => clearTimeout(idleTimer.current), []);

  const typing = useCallback(
    (hasText: boolean) => {
      const next = hasText ? "replying" : "viewing";
      clearTimeout(idleTimer.current);
      if (hasText && on)
        idleTimer.current = setTimeout(() => {
          state.current = "viewing";
          announce("viewing");
        }, REPLYING_IDLE_MS);
      if (state.current === next) return;
      state.current = next;
      if (on) announce(next);
    },
    [announce, on],
  );

  const value = useMemo<IssueLiveValue>(
    () => ({
      others: [...presence.values()]
        .filter((p) => p.until > now)
        .sort((a, b) => Number(b.state === "replying") - Number(a.state === "replying") || a.name.localeCompare(b.name)),
      typing,
    }),
    [presence, now, typing],
  );

  return (
    <IssueLiveContext.Provider value={value}>
      {children}
      <NewRepliesMarker />
    </IssueLiveContext.Provider>
  );
}

/** "Ann is replying…" / "Bob is also viewing this issue" above the composer. */
export function PresenceNotice() {
  const live = useIssueLive();
  const others = live?.others ?? [];
  const replying = others.filter((p) => p.state === "replying").map((p) => p.name);
  const viewing = others.filter((p) => p.state === "viewing").map((p) => p.name);
  const names = (list: string[]) => (list.length <= 2 ? list.join(" and ") : `${list.slice(0, 2).join(", ")} and ${list.length - 2} more`);
  return (
    <div aria-live="polite" data-testid="presence" className="min-h-5 text-sm">
      {replying.length > 0 ? (
        <p className="flex items-center gap-2 font-medium text-amber-800">
          <span className="flex gap-0.5" aria-hidden>
            <span className="size-1.5 animate-pulse rounded-full bg-amber-500" />
            <span className="size-1.5 animate-pulse rounded-full bg-amber-500 [animation-delay:150ms]" />
            <span className="size-1.5 animate-pulse rounded-full bg-amber-500 [animation-delay:300ms]" />
          </span>
          {names(replying)} {replying.length === 1 ? "is" : "are"} replying…
          {viewing.length > 0 && <span className="font-normal text-slate-500">· {names(viewing)} also viewing</span>}
        </p>
      ) : viewing.length > 0 ? (
        <p className="text-slate-500">
          {names(viewing)} {viewing.length === 1 ? "is" : "are"} also viewing this issue
        </p>
      ) : null}
    </div>
  );
}

/**
 * Notes that arrive while the reader is elsewhere in the thread are not scrolled to: a button says how many there
 * are and takes the reader to the first. Notes the reader wrote themselves (data-mine) do not count.
 */
function NewRepliesMarker() {
  const [fresh, setFresh] = useState<Element[]>([]);

  useEffect(() => {
    const thread = document.querySelector("[data-thread]");
    if (!thread) return;
    const known = new Set([...thread.querySelectorAll(":scope > li[id^='note_']")].map((li) => li.id));
    const visible = new IntersectionObserver((entries) => {
      const seen = entries.filter((e) => e.isIntersecting).map((e) => e.target);
      if (!seen.length) return;
      seen.forEach((el) => visible.unobserve(el));
      setFresh((list) => list.filter((el) => !seen.includes(el)));
    });
    const added = new MutationObserver(() => {
      const arrivals: Element[] = [];
      for (const li of thread.querySelectorAll(":scope > li[id^='note_']")) {
        if (known.has(li.id)) continue;
        known.add(li.id);
        if (li.getAttribute("data-mine") === "true") continue;
        arrivals.push(li);
      }
      if (!arrivals.length) return;
      // Only what is out of sight is announced; a note that lands on screen is simply there.
      const below = arrivals.filter((li) => li.getBoundingClientRect().top > window.innerHeight);
      below.forEach((li) => visible.observe(li));
      if (below.length) setFresh((list) => [...list, ...below]);
    });
    added.observe(thread, { childList: true });
    return () => {
      added.disconnect();
      visible.disconnect();
    };
  }, []);

  const live = fresh.filter((el) => el.isConnected);
  if (!live.length) return null;
  return (
    <div className="pointer-events-none fixed inset-x-0 bottom-6 z-20 flex justify-center">
      <button
        type="button"
        data-testid="new-replies"
        className="pointer-events-auto rounded-full bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-lg hover:bg-indigo-500 focus-visible:ring-2 focus-visible:ring-indigo-300 focus-visible:outline-none"
        onClick={() => {
          live[0].scrollIntoView({ behavior: "smooth", block: "center" });
          setFresh([]);
        }}
      >
        ↓ {live.length} new {live.length === 1 ? "reply" : "replies"}
      </button>
    </div>
  );
}
