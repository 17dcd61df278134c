// One browser tab's live stream (server-sent events): the bus's signals this viewer may hear of, a heartbeat that
// keeps proxies from closing an idle connection, and the viewer's roles re-read now and then so that someone
// removed from a project stops hearing of it.
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
}

export function liveStream(actor: Actor, options: LiveStreamOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let viewer: LiveViewer | undefined;
  let rolesReadAt = 0;
  let unsubscribe: (() => void) | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let sequence = 0;
  let closed = false;
  countStream(actor.id, 1);
  const release = () => {
    if (closed) return;
    closed = true;
    countStream(actor.id, -1);
  };

  const refreshViewer = async () => {
    viewer = await liveViewer(actor);
    rolesReadAt = Date.now();
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const close = () => {
        if (closed) return;
        release();
        unsubscribe?.();
        if (heartbeat) clearInterval(heartbeat);
        try {
          controller.close();
        } catch {
          // already closed by the reader
        }
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
      await refreshViewer();
      // Signals arrive in order; the roles are re-read in the background when stale, the signal judged on the old ones.
      const onSignal = (signal: LiveSignal) => {
        if (!viewer || closed) return;
        if (Date.now() - rolesReadAt > ROLES_TTL_MS) {
          rolesReadAt = Date.now();
          refreshViewer().catch(() => undefined);
        }
        if (visibleTo(signal, viewer)) send(frameEvent(toLiveEvent(signal), ++sequence));
      };
      unsubscribe = await subscribeLive(onSignal);
      if (options.signal.aborted) return close();
      // Tells the page the stream is up, and how soon to reconnect should it drop.
      send(`retry: 3000\nevent: ready\ndata: {}\n\n`);
      heartbeat = setInterval(() => send(`: keep-alive\n\n`), options.heartbeatMs ?? HEARTBEAT_MS);
      heartbeat.unref?.();
    },
    cancel() {
      release();
      unsubscribe?.();
      if (heartbeat) clearInterval(heartbeat);
    },
  });
}
