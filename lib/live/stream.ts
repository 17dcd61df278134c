// One browser tab's live stream (server-sent events): the bus's signals this viewer may hear of, a heartbeat that
// keeps proxies from closing an idle connection, and the viewer re-read every 30 s: someone removed from a project
// stops hearing of it, and a stream whose session ended (signed out) closes.
import type { Actor } from "@/lib/auth/actor";
import { liveViewer } from "@/lib/data/live-changes";
import { subscribeLive } from "./bus";
import { frameEvent, toLiveEvent, visibleTo, type LiveSignal, type LiveViewer } from "./signals";

const HEARTBEAT_MS = 20_000;
const ROLES_TTL_MS = 30_000;

export const LIVE_STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  // no-transform: Next's gzip would otherwise buffer the stream; X-Accel-Buffering: nginx would too.
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
  connection: "keep-alive",
};

/** Streams one user may hold in one process: a tab each, and room for many tabs; more is a loop or abuse. */
export const MAX_STREAMS_PER_USER = 24;

const globalForStreams = globalThis as unknown as { __serviceDeskLiveStreams?: Map<string, number> };
const openStreams = () => (globalForStreams.__serviceDeskLiveStreams ??= new Map());

/** How many streams `userId` holds open in this process. */
export function liveStreamsOf(userId: string): number {
  return openStreams().get(userId) ?? 0;
}

function countStream(userId: string, delta: 1 | -1): void {
  const next = liveStreamsOf(userId) + delta;
  if (next > 0) openStreams().set(userId, next);
  else openStreams().delete(userId);
}

export interface LiveStreamOptions {
  /** Ends the stream (the request's signal: the tab closed). */
  signal: AbortSignal;
  heartbeatMs?: number;
  /**
   * Re-reads who is watching every ROLES_TTL_MS: the fresh actor (an admin flag taken away counts), or null when
   * their session ended (signed out, expired, user gone) — then the stream closes.
   */
  revalidate?: () => Promise<Actor | null>;
  recheckMs?: number;
}

export function liveStream(actor: Actor, options: LiveStreamOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let current = actor;
  let viewer: LiveViewer | undefined;
  let unsubscribe: (() => void) | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let recheck: ReturnType<typeof setInterval> | undefined;
  let sequence = 0;
  let closed = false;
  let counted = true;
  countStream(actor.id, 1);

  // Idempotent, and called again after each await of the start: whatever was set up after a close is undone too.
  const cleanup = () => {
    if (counted) {
      counted = false;
      countStream(actor.id, -1);
    }
    unsubscribe?.();
    unsubscribe = undefined;
    if (heartbeat) clearInterval(heartbeat);
    if (recheck) clearInterval(recheck);
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const close = () => {
        if (!closed) {
          closed = true;
          try {
            controller.close();
          } catch {
            // already closed by the reader
          }
        }
        cleanup();
      };
      const send = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          close();
        }
      };
      options.signal.addEventListener("abort", close, { once: true });
      try {
        viewer = await liveViewer(current);
        if (closed) return cleanup();
        // Signals arrive in order and are judged on the roles read last (re-read on a timer below).
        unsubscribe = await subscribeLive((signal: LiveSignal) => {
          if (viewer && !closed && visibleTo(signal, viewer)) send(frameEvent(toLiveEvent(signal), ++sequence));
        });
        if (closed || options.signal.aborted) return close();
      } catch (error) {
        console.error("live stream could not start:", error);
        return close();
      }
      // Tells the page the stream is up, and how soon to reconnect should it drop.
      send(`retry: 3000\nevent: ready\ndata: {}\n\n`);
      heartbeat = setInterval(() => send(`: keep-alive\n\n`), options.heartbeatMs ?? HEARTBEAT_MS);
      heartbeat.unref?.();
      recheck = setInterval(() => {
        void (async () => {
          const fresh = options.revalidate ? await options.revalidate() : current;
          if (!fresh) return close();
          current = fresh;
          viewer = await liveViewer(fresh);
        })().catch(() => undefined);
      }, options.recheckMs ?? ROLES_TTL_MS);
      recheck.unref?.();
    },
    cancel() {
      closed = true;
      cleanup();
    },
  });
}
