// Horizontal scale (issue 6): two standalone instances on one Postgres database share one outbox. Under load —
// mail posted to both, the cron route hammered on both — every outbox row reaches SendGrid exactly once; an
// instance killed mid-drain costs at most the rows it had in flight, each extra send identifiable by its id.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeSendGrid, type FakeSendGrid } from "../support/sendgrid-server";
import { startProductionServer, type ProductionServer } from "../support/production-server";
import { eml } from "../support/mail";
import { freshMigratedDatabase, postInbound, serviceDeskProject, type ScratchDatabase } from "./helpers";

const INBOUND_SECRET = "scale-inbound-secret";
const CRON_SECRET = "scale-cron-secret";
const MAILS = 60;
const QUEUED = 300;
const KILL_ROWS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SendGrid answers over the internet in tens of milliseconds, the local fake in one: this proxy adds the
 * latency back, so that drains overlap and a killed instance dies with requests in flight.
 */
async function latencyProxy(target: string): Promise<{ url: string; delayMs: number; close(): Promise<void> }> {
  const state = { delayMs: 0 };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    await sleep(state.delayMs);
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    upstream.end(Buffer.concat(chunks));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let database: ScratchDatabase;
let sendgrid: FakeSendGrid;
let proxy: Awaited<ReturnType<typeof latencyProxy>>;
let address: string;
const servers: ProductionServer[] = [];

function instanceEnv(port: number): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    AUTH_SECRET: "scale-auth-secret-0123456789abcdef",
    APP_URL: `http://127.0.0.1:${port}`,
    SENDGRID_INBOUND_SECRET: INBOUND_SECRET,
    SENDGRID_API_KEY: sendgrid.apiKey,
    SENDGRID_API_BASE_URL: proxy.url,
    SENDGRID_FROM_EMAIL: "support@scale.example",
    CRON_SECRET,
  };
}

beforeAll(async () => {
  database = await freshMigratedDatabase("sd_prod_scale");
  sendgrid = await startFakeSendGrid("SG.scale-key");
  proxy = await latencyProxy(sendgrid.url);
  // The project is set up while the servers start.
  const project = serviceDeskProject(database.url, "scale/desk", "owner@scale.example");
  project.catch(() => undefined);
  servers.push(...(await Promise.all([3330, 3331].map((port) => startProductionServer({ port, env: instanceEnv(port) })))));
  address = await project;
}, 180_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await proxy?.close();
  await sendgrid?.close();
  await database?.drop();
});

const drainVia = (server: ProductionServer) =>
  fetch(`${server.url}/api/cron/outbox`, { method: "POST", headers: { authorization: `Bearer ${CRON_SECRET}` } });

async function unfinished(idPrefix = ""): Promise<number> {
  const [row] = await database.query<{ n: string }>(
    "SELECT count(*) AS n FROM outbound_emails WHERE status IN ('pending', 'sending') AND id LIKE $1",
    [`${idPrefix}%`],
  );
  return Number(row.n);
}

/** How many times SendGrid accepted each outbox id. */
function acceptedCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of sendgrid.accepted) {
    const id = message.customArgs.outbound_email_id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Inserts `count` pending outbox rows with ids `<prefix>-0001`…, as a burst of notes would queue them. */
async function queueRows(prefix: string, count: number): Promise<void> {
  await database.query(
    `INSERT INTO outbound_emails (id, kind, "to", from_email, from_name, subject, text, html, headers, status, transport)
     SELECT $1 || '-' || lpad(n::text, 4, '0'), 'new_note', 'customer-' || n || '@' || $1 || '.example', 'support@scale.example',
            'Scale', 'Update ' || n, 'A reply.', '<p>A reply.</p>', '{}'::jsonb, 'pending', 'sendgrid'
     FROM generate_series(1, $2::int) AS n`,
    [prefix, count],
  );
}

/** Runs `work` with several workers over `items`. */
async function pool<T>(items: T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

describe("two standalone instances on one Postgres database", () => {
  it(`send each of ${QUEUED + MAILS} queued mails exactly once while both drain the outbox`, async () => {
    proxy.delayMs = 5;
    const [a, b] = servers;
    // A backlog (as after a SendGrid outage), and new requests arriving on both instances while it drains.
    await queueRows("backlog", QUEUED);
    // Both instances' cron routes, two requests at a time each, until the outbox is empty.
    let hammering = true;
    const cronStatuses: number[] = [];
    const sentBy = new Map<ProductionServer, number>();
    const hammer = Promise.all(
      [a, b, a, b].map(async (server) => {
        while (hammering) {
          const response = await drainVia(server);
          cronStatuses.push(response.status);
          const body = (await response.json()) as { sent?: number };
          sentBy.set(server, (sentBy.get(server) ?? 0) + (body.sent ?? 0));
        }
      }),
    );

    // Customers write to both instances at once; each new request queues a thank-you (sent right after the
    // response by the instance that took it, and claimable by every cron drain meanwhile).
    const outcomes: { status: string; issueIid: number }[] = [];
    await pool([...Array(MAILS).keys()], 12, async (i) => {
      const raw = eml({ to: address, from: `Customer ${i} <customer-${i}@load.example>`, subject: `Request ${i}`, messageId: `load-${i}@load.example` });
      const response = await postInbound(servers[i % 2].url, raw, INBOUND_SECRET);
      expect(response.status).toBe(200);
      outcomes.push(await response.json());
    });

    const deadline = Date.now() + 120_000;
    while ((await unfinished()) > 0 && Date.now() < deadline) await sleep(250);
    hammering = false;
    await hammer;

    expect(outcomes.every((o) => o.status === "created_issue")).toBe(true);
    // Issue numbers are handed out atomically across instances too.
    expect(new Set(outcomes.map((o) => o.issueIid)).size).toBe(MAILS);
    expect(cronStatuses.length).toBeGreaterThan(10);
    expect(cronStatuses.every((s) => s === 200)).toBe(true);
    // The work was really shared: each instance's cron drains sent part of the backlog.
    expect(sentBy.get(a)).toBeGreaterThan(0);
    expect(sentBy.get(b)).toBeGreaterThan(0);

    const rows = await database.query<{ id: string; status: string; provider_message_id: string | null }>(
      "SELECT id, status, provider_message_id FROM outbound_emails",
    );
    // One thank-you per new request, plus the backlog.
    expect(rows).toHaveLength(QUEUED + MAILS);
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    const counts = acceptedCounts();
    expect([...counts.keys()].sort()).toEqual(rows.map((r) => r.id).sort());
    const doubles = [...counts].filter(([, n]) => n > 1);
    expect(doubles, "outbox ids SendGrid accepted more than once").toEqual([]);
    expect(sendgrid.requests).toBe(QUEUED + MAILS);
    // The id SendGrid answered with is the one recorded on the row.
    const byId = new Map(sendgrid.accepted.map((m) => [m.customArgs.outbound_email_id, m.messageId]));
    expect(rows.every((r) => r.provider_message_id === byId.get(r.id))).toBe(true);
  }, 240_000);

  it("lose at most the rows in flight when one is killed mid-drain, and the other sends the rest", async () => {
    const [victim, survivor] = servers;
    proxy.delayMs = 20;
    // Queued directly, so that nothing sends them until a drain is asked.
    await queueRows("kill", KILL_ROWS);
    const acceptedBefore = sendgrid.accepted.length;

    // The victim claims the batch and starts sending; it dies after some mails went out.
    const doomed = drainVia(victim).catch(() => undefined);
    const deadline = Date.now() + 30_000;
    while (sendgrid.accepted.length - acceptedBefore < 20 && Date.now() < deadline) await sleep(10);
    victim.kill("SIGKILL");
    expect(await victim.exited).toMatchObject({ signal: "SIGKILL" });
    await doomed;

    const inFlight = (await database.query<{ id: string }>("SELECT id FROM outbound_emails WHERE status = 'sending'")).map((r) => r.id);
    expect(inFlight.length, "the kill landed mid-drain").toBeGreaterThan(0);
    expect(inFlight.every((id) => id.startsWith("kill-"))).toBe(true);

    // A dead sender's claim is released when its lease (5 minutes) runs out; the test moves that moment to now
    // instead of waiting for it.
    await database.query("UPDATE outbound_emails SET locked_until = now() - interval '1 second' WHERE status = 'sending'");

    proxy.delayMs = 0;
    const until = Date.now() + 120_000;
    while ((await unfinished("kill-")) > 0 && Date.now() < until) {
      const response = await drainVia(survivor);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }

    const rows = await database.query<{ id: string; status: string }>("SELECT id, status FROM outbound_emails WHERE id LIKE 'kill-%'");
    expect(rows).toHaveLength(KILL_ROWS);
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    const counts = acceptedCounts();
    expect(rows.filter((r) => !counts.has(r.id))).toEqual([]);
    const duplicates = [...counts].filter(([id, n]) => id.startsWith("kill-") && n > 1);
    // Every extra send is a row the dead instance held, and each was sent at most twice.
    expect(duplicates.every(([id, n]) => inFlight.includes(id) && n === 2)).toBe(true);
    expect(duplicates.length).toBeLessThanOrEqual(inFlight.length);
    console.log(
      `[two-instances] killed with ${inFlight.length} rows in flight; ${duplicates.length} sent twice (by outbox id: ${duplicates.map(([id]) => id).join(", ") || "none"})`,
    );
  }, 180_000);
});
