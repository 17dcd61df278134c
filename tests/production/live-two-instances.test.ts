// Live pages across instances: two standalone servers on one Postgres database. A signed-in member's page holds
// its stream on instance B; a customer's mail arrives at instance A (as a load balancer would send it) and B's
// stream announces the new issue within seconds — through Postgres LISTEN/NOTIFY, nothing shared in memory. A
// Guest's stream on B hears nothing of the confidential Service Desk issue, and a stream without a session is 401.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eml } from "../support/mail";
import { startProductionServer, type ProductionServer } from "../support/production-server";
import { takeSseFrames, type SseEvent } from "../support/sse";
import { freshMigratedDatabase, postInbound, serviceDeskProject, type ScratchDatabase } from "./helpers";

const PORTS = { a: 3338, b: 3339 };
const INBOUND_SECRET = "live-two-inbound";
const PROJECT = "live/desk";
const OWNER = "owner@live-two.example";

let database: ScratchDatabase;
let a: ProductionServer | undefined;
let b: ProductionServer | undefined;
let address: string;

const env = (port: number) => ({
  DATABASE_URL: database.url,
  AUTH_SECRET: "live-two-auth-secret-0123456789abcdef",
  APP_URL: `http://127.0.0.1:${port}`,
  SENDGRID_INBOUND_SECRET: INBOUND_SECRET,
});

/** A signed-in session for `email` (a database session, as next-auth keeps them), with `role` in the project. */
async function sessionFor(email: string, role?: "GUEST" | "REPORTER"): Promise<string> {
  const token = randomBytes(24).toString("hex");
  const [user] = await database.query<{ id: string }>(
    `INSERT INTO users (id, email, username, name, created_at, updated_at) VALUES ($1, $2, $3, $3, now(), now())
     ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id`,
    [`u${randomBytes(6).toString("hex")}`, email, email.split("@")[0]],
  );
  if (role)
    await database.query(
      `INSERT INTO memberships (id, project_id, user_id, role, created_at, updated_at) SELECT $4, id, $2, $3::"Role", now(), now() FROM projects WHERE full_path = $1`,
      [PROJECT, user.id, role, `m${randomBytes(6).toString("hex")}`],
    );
  await database.query(`INSERT INTO sessions (id, session_token, user_id, expires) VALUES ($1, $2, $3, now() + interval '1 day')`, [
    `s${randomBytes(6).toString("hex")}`,
    token,
    user.id,
  ]);
  return token;
}

/** Opens the live stream on `server` with the session cookie and collects its events until stopped. */
function openStream(server: ProductionServer, token: string) {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  // As a browser asks: compressed if possible. A compressed stream would sit in the compressor's buffer.
  const response = fetch(`${server.url}/api/live`, {
    headers: { cookie: `next-auth.session-token=${token}`, "accept-encoding": "gzip, deflate, br" },
    signal: controller.signal,
  });
  const reading = (async () => {
    const r = await response;
    if (!r.ok || !r.body) return r.status;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
        buffer = takeSseFrames(buffer + decoder.decode(chunk, { stream: true }), events);
      }
    } catch {
      // aborted
    }
    return r.status;
  })();
  return { events, reading, response, close: () => controller.abort() };
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const started = Date.now();
  while (!check() && Date.now() - started < ms) await new Promise((resolve) => setTimeout(resolve, 100));
  return check();
}

beforeAll(async () => {
  database = await freshMigratedDatabase("sd_prod_live_two");
  address = await serviceDeskProject(database.url, PROJECT, OWNER);
  [a, b] = await Promise.all([startProductionServer({ port: PORTS.a, env: env(PORTS.a) }), startProductionServer({ port: PORTS.b, env: env(PORTS.b) })]);
}, 240_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await database?.drop();
});

describe("a live stream on one instance", () => {
  it("hears of mail that arrived at the other one, for those who may see it", async () => {
    const [{ id: projectId }] = await database.query<{ id: number }>("SELECT id FROM projects WHERE full_path = $1", [PROJECT]);
    const reporter = openStream(b!, await sessionFor("rita@live-two.example", "REPORTER"));
    const guest = openStream(b!, await sessionFor("gus@live-two.example", "GUEST"));
    expect(await until(() => reporter.events.some((e) => e.event === "ready") && guest.events.some((e) => e.event === "ready"), 10_000)).toBe(true);
    const headers = (await reporter.response).headers;
    expect(headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(headers.get("content-encoding")).toBeNull();

    const started = Date.now();
    const response = await postInbound(a!.url, eml({ to: address, from: "cara@customer.example", subject: "Live across instances" }), INBOUND_SECRET);
    expect(((await response.json()) as { status: string }).status).toBe("created_issue");
    const heard = await until(() => reporter.events.some((e) => e.event === "issue" && e.data.projectId === projectId && e.data.iid === 1), 10_000);
    const latencyMs = Date.now() - started;
    console.log(`[live-two-instances] mail posted to A, the issue announced on B's stream ${latencyMs} ms later`);
    expect(heard).toBe(true);
    // Give the Guest's stream as long again: a confidential issue never reaches it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(guest.events.filter((e) => e.event === "issue")).toEqual([]);
    reporter.close();
    guest.close();
    await Promise.all([reporter.reading, guest.reading]);

    const anonymous = openStream(b!, "not-a-session");
    expect(await anonymous.reading).toBe(401);
  }, 60_000);
});
