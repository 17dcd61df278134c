// What the live pages are told (pure): the database's live notifications (migration live_updates) parsed, who
// may hear each one, and the event a browser gets — ids and names only, never the issue's content.
import { can } from "@/lib/auth/roles";
import type { LiveViewer } from "@/lib/data/live-changes";
import { PRESENCE_STATES, type PresenceState } from "@/lib/schemas";

export type { PresenceState };

export type LiveSignal =
  | { type: "issue"; projectId: number; issueId: number; iid: number; confidential: boolean }
  | { type: "todos"; userId: string }
  | {
      type: "presence";
      projectId: number;
      issueId: number;
      iid: number;
      confidential: boolean;
      userId: string;
      name: string;
      state: PresenceState;
      expiresAt: string;
    }
  // The listening connection was lost and is back: changes may have been missed, pages should refresh.
  | { type: "resync" };

const int = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) ? v : null);
const str = (v: unknown) => (typeof v === "string" ? v : null);
const STATES = new Set<string>(PRESENCE_STATES);

/** A notification's payload as a signal; null for anything else on the channel (never throws). */
export function parseLiveSignal(payload: string | undefined | null): LiveSignal | null {
  if (!payload || payload.length > 8000) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!raw || typeof raw !== "object") return null;
  const projectId = int(raw.p);
  const issueId = int(raw.i);
  const iid = int(raw.n);
  // Fails closed: anything but an explicit false is confidential (the triggers always send a boolean).
  const confidential = raw.c !== false;
  switch (raw.t) {
    case "issue":
      return projectId !== null && issueId !== null && iid !== null ? { type: "issue", projectId, issueId, iid, confidential } : null;
    case "todos": {
      const userId = str(raw.u);
      return userId ? { type: "todos", userId } : null;
    }
    case "presence": {
      const userId = str(raw.u);
      const name = str(raw.name);
      const state = str(raw.s) as PresenceState | null;
      const expiresAt = str(raw.x);
      if (projectId === null || issueId === null || iid === null || !userId || name === null || !state || !STATES.has(state) || !expiresAt) return null;
      return { type: "presence", projectId, issueId, iid, confidential, userId, name, state, expiresAt };
    }
    case "resync":
      return { type: "resync" };
    default:
      return null;
  }
}

export type { LiveViewer };

/** Whether `viewer` may hear of `signal`: issues of their projects, confidential ones from Reporter up; their own To-Dos. */
export function visibleTo(signal: LiveSignal, viewer: LiveViewer): boolean {
  if (signal.type === "resync") return true;
  if (signal.type === "todos") return signal.userId === viewer.userId;
  const role = viewer.isAdmin ? "OWNER" : viewer.roles.get(signal.projectId);
  if (!can(role, "issue:read")) return false;
  return !signal.confidential || can(role, "issue:read_confidential");
}

/** A change as the browser gets it (EventSource event name and JSON data). */
export interface LiveEvent {
  event: "issue" | "todos" | "presence" | "resync";
  data: Record<string, unknown>;
}

export function toLiveEvent(signal: LiveSignal): LiveEvent {
  switch (signal.type) {
    case "issue":
      return { event: "issue", data: { projectId: signal.projectId, iid: signal.iid } };
    case "todos":
      return { event: "todos", data: {} };
    case "presence":
      return {
        event: "presence",
        data: { projectId: signal.projectId, iid: signal.iid, userId: signal.userId, name: signal.name, state: signal.state, expiresAt: signal.expiresAt },
      };
    case "resync":
      return { event: "resync", data: {} };
  }
}

/** One server-sent event, framed (the data is one JSON line, so it cannot break the framing). */
export function frameEvent({ event, data }: LiveEvent, id?: number): string {
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
