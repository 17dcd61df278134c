// Nothing parked after a crash: the standalone server on Postgres takes a stream of distinct mails from a
// sender that retries like SendGrid (5xx and connection errors, again and again; a 4xx would drop the mail),
// while it is SIGKILLed at each step of intake in turn (after store, after claim, inside the write, after the
// write, before the answer) and Postgres is restarted under the load. Every mail must end as exactly one issue
// within minutes, with no replay by a person: the sweeper (after webhook requests, and the cron route a
// scheduler calls) finishes what each kill interrupted.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CrashPoint } from "@/lib/fault-injection";
import { eml } from "../support/mail";
import { startProductionServer, type ProductionServer } from "../support/production-server";
import { freshMigratedDatabase, postInbound, serviceDeskProject, type ScratchDatabase } from "./helpers";

const PORT = 3335;
const INBOUND_SECRET = "crash-inbound-secret";
const CRON_SECRET = "crash-cron-secret";
const MAILS = 400;
const SENDERS = 8;
const POINTS: CrashPoint[] = ["after-store", "after-claim", "in-write", "after-write", "before-answer"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let database: ScratchDatabase;
let address: string;
let server: ProductionServer | undefined;

function serverEnv(faultKillAt?: string): Record<string, string | undefined> {
  return {
    DATABASE_URL: database.url,
    AUTH_SECRET: "crash-auth-secret-0123456789abcdef",
    APP_URL: `http://127.0.0.1:${PORT}`,
    SENDGRID_INBOUND_SECRET: INBOUND_SECRET,
    CRON_SECRET,
    // A dead processing's mail is taken over after 2 s instead of 2 minutes, so the test takes seconds.
    INBOUND_LEASE_SECONDS: "2",
    FAULT_KILL_AT: faultKillAt,
  };
}

/**
 * Restarts the Postgres server itself when this test may (root, a local Debian cluster: CI); elsewhere it
 * ends every connection to the test database, which is what the app sees of a restart. Says which it did.
 */
function restartPostgres(): string {
  const local = /@(127\.0\.0\.1|localhost)[:/]/.test(process.env.TEST_DATABASE_URL ?? "");
  if (local && process.getuid?.() === 0 && process.env.CRASH_TEST_PG_RESTART !== "terminate") {
    try {
      const [version] = execFileSync("ls", ["/etc/postgresql"], { encoding: "utf8" }).trim().split(/\s+/).sort().reverse();
      execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", "-m", "fast", version, "main", "restart"], { stdio: "pipe" });
      return `restarted Postgres ${version}`;
    } catch (error) {
      console.warn(`[intake-crash] could not restart Postgres (${(error as Error).message}); terminating the test database's connections instead`);
    }
  }
  void database.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").catch(() => undefined);
  return "terminated every connection to the test database";
}

beforeAll(async () => {
  database = await freshMigratedDatabase("sd_prod_crash");
  address = await serviceDeskProject(database.url, "crash/desk", "owner@crash.example");
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

interface SenderStats {
  posts: number;
  retries: number;
  dropped: { mail: number; status: number }[];
  answers: Map<number, string[]>;
}

/** Sends every mail until the server answers it 2xx, retrying 5xx and connection errors like SendGrid (faster). */
async function sendAll(mails: string[], stats: SenderStats, url: () => string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < mails.length) {
        const i = next++;
        for (let attempt = 0; ; attempt++) {
          stats.posts++;
          try {
            const response = await postInbound(url(), mails[i], INBOUND_SECRET);
            const body = (await response.json().catch(() => ({}))) as { status?: string };
            if (response.ok) {
              stats.answers.set(i, [...(stats.answers.get(i) ?? []), body.status ?? "?"]);
              break;
            }
            if (response.status < 500) {
              stats.dropped.push({ mail: i, status: response.status });
              break;
            }
          } catch {
            // Connection refused or reset: the server is down or died mid-request.
          }
          stats.retries++;
          await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 4)));
        }
      }
    }),
  );
}

async function count(sql: string): Promise<number> {
  const [row] = await database.query<{ n: string }>(sql);
  return Number(row.n);
}

describe("intake under SIGKILL at every step and a Postgres restart", () => {
  it(`turns each of ${MAILS} mails into exactly one issue, without a replay`, async () => {
    const started = Date.now();
    const messageIds = Array.from({ length: MAILS }, (_, i) => `crash-${i}-${Date.now().toString(36)}@crash.example`);
    const mails = messageIds.map((messageId, i) => eml({ to: address, from: `Customer ${i} <customer-${i}@crash.example>`, subject: `Crash ${i}`, messageId }));
    const stats: SenderStats = { posts: 0, retries: 0, dropped: [], answers: new Map() };
    const sending = sendAll(mails, stats, () => `http://127.0.0.1:${PORT}`);
    let sendingDone = false;
    void sending.then(() => (sendingDone = true));

    // One life of the server per crash point: it dies the n-th time it reaches that step.
    const kills: string[] = [];
    for (const [i, point] of POINTS.entries()) {
      const nth = 5 + i * 3;
      const marker = `killing this process at ${point}`;
      try {
        server = await startProductionServer({ port: PORT, env: serverEnv(`${point}@${nth}`) });
      } catch (error) {
        // The sender never stops: the server may die at its crash point before its health check answered.
        if (!String(error).includes(marker)) throw error;
        kills.push(point);
        continue;
      }
      const end = await Promise.race([server.exited, sending.then(() => undefined)]);
      expect(end, `the server was still alive when the sender finished (${point}): send more mail`).toMatchObject({ signal: "SIGKILL" });
      expect(server.output()).toContain(marker);
      kills.push(point);
    }

    // A healthy server, and Postgres restarted under the load once some mail has gone through it.
    server = await startProductionServer({ port: PORT, env: serverEnv() });
    const answeredBefore = stats.answers.size;
    while (stats.answers.size < answeredBefore + 20 && !sendingDone) await sleep(20);
    expect(sendingDone, "the sender finished before the Postgres restart: send more mail").toBe(false);
    const restart = restartPostgres();
    await sending;
    const sentAt = Date.now();

    // What a scheduler does: call the cron route until nothing is left unfinished (each call is bounded).
    const deadline = Date.now() + 180_000;
    let unfinished = Infinity;
    while (Date.now() < deadline) {
      const response = await fetch(`${server.url}/api/cron/inbound`, { headers: { authorization: `Bearer ${CRON_SECRET}` } }).catch(() => undefined);
      await response?.arrayBuffer();
      unfinished = await count("SELECT count(*) AS n FROM inbound_emails WHERE status = 'received'").catch(() => Infinity);
      if (unfinished === 0) break;
      await sleep(500);
    }
    const drainedAt = Date.now();

    const issues = await database.query<{ external_message_id: string; n: string }>(
      "SELECT external_message_id, count(*) AS n FROM issues WHERE external_author IS NOT NULL GROUP BY external_message_id",
    );
    const byMessageId = new Map(issues.map((row) => [row.external_message_id, Number(row.n)]));
    const lost = messageIds.filter((id) => !byMessageId.has(id));
    const doubled = [...byMessageId].filter(([, n]) => n > 1);
    const statuses = await database.query<{ status: string; n: string }>("SELECT status, count(*) AS n FROM inbound_emails GROUP BY status ORDER BY status");
    const iids = await count("SELECT count(DISTINCT iid) AS n FROM issues WHERE external_author IS NOT NULL");
    const gaps = (await count("SELECT max(iid) AS n FROM issues WHERE external_author IS NOT NULL")) - iids;
    console.log(
      `[intake-crash] ${MAILS} mails, ${stats.posts} posts (${stats.retries} retried), kills at ${kills.join(", ")}, ${restart}; ` +
        `lost ${lost.length}, duplicates ${doubled.length}, dropped ${stats.dropped.length}; unfinished after the sender ${unfinished}; ` +
        `drained ${((drainedAt - sentAt) / 1000).toFixed(1)} s after the last answer (${((drainedAt - started) / 1000).toFixed(1)} s in all); ` +
        `iid gaps ${gaps}; stored rows by status: ${statuses.map((s) => `${s.status} ${s.n}`).join(", ")}`,
    );

    expect(stats.dropped, "answers that would make SendGrid drop the mail").toEqual([]);
    expect(unfinished).toBe(0);
    expect(lost, "mails that never became an issue").toEqual([]);
    expect(doubled, "mails that became two issues").toEqual([]);
    expect(statuses.filter((s) => !["created_issue", "duplicate"].includes(s.status))).toEqual([]);
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { inbound: { received: number; stuck: number; failed: number } };
    expect(health.inbound).toMatchObject({ received: 0, stuck: 0, failed: 0 });
  }, 600_000);
});
