// The live-update bus of this process: the database's notifications on channel service_desk_live (sent at commit
// by the triggers of migration live_updates, so every writer — web, worker, CLI, another instance — is heard)
// handed to this process's live streams. One listening connection per process, opened for the first stream.
import pg from "pg";
import { embeddedPGlite } from "@/lib/db/client";
import { env } from "@/lib/env";
import { parseLiveSignal, type LiveSignal } from "./signals";

export const LIVE_CHANNEL = "service_desk_live";

type Listener = (signal: LiveSignal) => void;

interface BusState {
  listeners: Set<Listener>;
  started?: Promise<void>;
  /** True while the listening connection is up. */
  listening: boolean;
}

// Next dev re-evaluates modules on change: the one connection must survive that, like the database client.
const globalForBus = globalThis as unknown as { __serviceDeskLiveBus?: BusState };

function bus(): BusState {
  globalForBus.__serviceDeskLiveBus ??= { listeners: new Set(), listening: false };
  return globalForBus.__serviceDeskLiveBus;
}

function dispatch(signal: LiveSignal | null): void {
  if (!signal) return;
  for (const listener of bus().listeners) {
    try {
      listener(signal);
    } catch (error) {
      console.error("live update listener failed:", error);
    }
  }
}

const MAX_RECONNECT_MS = 30_000;
// A connection that a NAT or proxy dropped silently sends no error: a ping finds out, within a minute.
const PING_MS = 30_000;
const PING_TIMEOUT_MS = 10_000;

/**
 * Postgres: a connection of its own (LISTEN holds a session, so it cannot come from the pool), reconnected with
 * backoff when the server restarts; after a reconnect the streams are told to resync (changes may be missed
 * while it was down).
 */
function listenOnPostgres(url: string): Promise<void> {
  const state = bus();
  let delay = 500;
  let everConnected = false;
  return new Promise<void>((resolveFirst) => {
    const connect = () => {
      const client = new pg.Client({ connectionString: url, keepAlive: true });
      let gone = false;
      let ping: ReturnType<typeof setInterval> | undefined;
      const lost = (why: string) => {
        if (gone) return;
        gone = true;
        if (ping) clearInterval(ping);
        state.listening = false;
        console.error(`live updates: listening connection lost (${why}); reconnecting in ${delay} ms`);
        client.end().catch(() => undefined);
        setTimeout(connect, delay).unref();
        delay = Math.min(delay * 2, MAX_RECONNECT_MS);
        // The first attempt failing must not hold up the stream that started it: it runs without live signals until the retry succeeds.
        resolveFirst();
      };
      client.on("notification", (message) => {
        if (message.channel === LIVE_CHANNEL) dispatch(parseLiveSignal(message.payload));
      });
      client.on("error", (error) => lost(error.message));
      client.on("end", () => lost("closed"));
      client
        .connect()
        .then(() => client.query(`LISTEN ${LIVE_CHANNEL}`))
        .then(() => {
          state.listening = true;
          delay = 500;
          ping = setInterval(() => {
            const timeout = setTimeout(() => lost("no answer to a ping"), PING_TIMEOUT_MS);
            client
              .query("SELECT 1")
              .then(() => clearTimeout(timeout))
              .catch((error: Error) => {
                clearTimeout(timeout);
                lost(error.message);
              });
          }, PING_MS);
          ping.unref();
          if (everConnected) dispatch({ type: "resync" });
          everConnected = true;
          resolveFirst();
        })
        .catch((error: Error) => lost(error.message));
    };
    connect();
  });
}

/** Embedded PGlite: one process, one database; its own listen() hears the NOTIFYs of every query on it. */
async function listenOnPGlite(): Promise<void> {
  const pglite = embeddedPGlite();
  if (!pglite) return;
  await pglite.listen(LIVE_CHANNEL, (payload) => dispatch(parseLiveSignal(payload)));
  bus().listening = true;
}

function start(): Promise<void> {
  const url = env().DATABASE_URL;
  return url ? listenOnPostgres(url) : listenOnPGlite();
}

/** Calls `listener` for every live signal until the returned function is called. Resolves once listening started. */
export async function subscribeLive(listener: Listener): Promise<() => void> {
  const state = bus();
  state.listeners.add(listener);
  state.started ??= start().catch((error: unknown) => {
    state.started = undefined;
    console.error("live updates: could not listen:", error);
  });
  await state.started;
  return () => {
    state.listeners.delete(listener);
  };
}

/** For /api/health and tests: streams open in this process, and whether the listening connection is up. */
export function liveBusStatus(): { streams: number; listening: boolean } {
  const state = bus();
  return { streams: state.listeners.size, listening: state.listening };
}
