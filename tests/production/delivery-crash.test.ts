// A merged fix counts even when the server dies: the standalone server on Postgres gets a signed GitHub
// "pull request merged" delivery closing two Service Desk issues and is SIGKILLed at each step in turn (after the
// delivery is stored, after the first issue's change is committed, before the answer). GitHub does not
// redeliver by itself, so the sweeper (the cron route a scheduler calls) must finish each one: both issues
// closed, one "closed via" note and one closing mail each, and a later manual redelivery changes nothing.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubSignature } from "@/lib/code-hosts/secret";
import { closeDb } from "@/lib/db/client";
import { linkRepository } from "@/lib/data/code-repositories";
import { updateServiceDeskSettings } from "@/lib/data/service-desk";
import { findActorByEmail } from "@/lib/data/users";
import { resetEnv } from "@/lib/env";
import type { CrashPoint } from "@/lib/fault-injection";
import { eml } from "../support/mail";
import { startProductionServer, type ProductionServer } from "../support/production-server";
import { freshMigratedDatabase, postInbound, serviceDeskProject, type ScratchDatabase } from "./helpers";

const PORT = 3336;
const INBOUND_SECRET = "delivery-crash-inbound";
const CRON_SECRET = "delivery-crash-cron";
const AUTH_SECRET = "delivery-crash-auth-secret-0123456789";
const PROJECT = "crash/fixes";
const OWNER = "owner@delivery-crash.example";
const REPOSITORY = "acme/game-server";
const POINTS: CrashPoint[] = ["delivery-after-store", "delivery-after-change", "delivery-before-answer"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let database: ScratchDatabase;
let server: ProductionServer | undefined;
let repositoryId: number;
let secret: string;
let address: string;

function serverEnv(faultKillAt?: string): Record<string, string | undefined> {
  return {
    DATABASE_URL: database.url,
    AUTH_SECRET,
    APP_URL: `http://127.0.0.1:${PORT}`,
    SENDGRID_INBOUND_SECRET: INBOUND_SECRET,
    CRON_SECRET,
    // A dead processing's delivery is taken over after 2 s instead of 2 minutes.
    INBOUND_LEASE_SECONDS: "2",
    FAULT_KILL_AT: faultKillAt,
  };
}

/** Links the repository through the data layer (as the settings form does), with the server's AUTH_SECRET. */
async function linkGitHubRepository(): Promise<{ id: number; secret: string }> {
  process.env.DATABASE_URL = database.url;
  process.env.AUTH_SECRET = AUTH_SECRET;
  resetEnv();
  try {
    const owner = await findActorByEmail(OWNER);
    await updateServiceDeskSettings(owner, PROJECT, { emailOnClose: true });
    const linked = await linkRepository(owner, PROJECT, { provider: "github", fullPath: REPOSITORY });
    return { id: linked.id, secret: linked.secret };
  } finally {
    await closeDb();
  }
}

function mergedPullRequest(number: number, iids: number[]) {
  return JSON.stringify({
    action: "closed",
    number,
    pull_request: {
      number,
      title: `Fix the crash reported by customers (#${number})`,
      body: `Fixes ${iids.map((iid) => `${PROJECT}#${iid}`).join(" and ")}.\n\nTested on staging.`,
      html_url: `https://github.com/${REPOSITORY}/pull/${number}`,
      merged: true,
      state: "closed",
      base: { ref: "main", repo: { full_name: REPOSITORY, default_branch: "main" } },
      head: { ref: `fix-${number}` },
    },
    repository: { full_name: REPOSITORY, default_branch: "main", html_url: `https://github.com/${REPOSITORY}` },
    sender: { login: "octocat" },
  });
}

function postDelivery(body: string, deliveryId: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${PORT}/api/webhooks/github/${repositoryId}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "pull_request",
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": githubSignature(secret, Buffer.from(body)),
    },
    body,
  });
}

const count = async (sql: string, params: unknown[] = []) => Number((await database.query<{ n: string }>(sql, params))[0]?.n ?? 0);

beforeAll(async () => {
  database = await freshMigratedDatabase("sd_prod_delivery_crash");
  address = await serviceDeskProject(database.url, PROJECT, OWNER);
  ({ id: repositoryId, secret } = await linkGitHubRepository());
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

describe("a merged pull request delivered to a server that dies at each step", () => {
  it("closes its issues exactly once, with no redelivery by GitHub", async () => {
    // Six customer requests, two per crash point.
    server = await startProductionServer({ port: PORT, env: serverEnv() });
    for (let i = 0; i < POINTS.length * 2; i++) {
      const response = await postInbound(server.url, eml({ to: address, from: `customer${i}@example.com`, subject: `Crash ${i}` }), INBOUND_SECRET);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { status: string }).status).toBe("created_issue");
    }
    await server.stop();
    server = undefined;

    const rounds: { point: CrashPoint; iids: number[]; body: string; deliveryId: string }[] = [];
    for (const [i, point] of POINTS.entries()) {
      const iids = [2 * i + 1, 2 * i + 2];
      const round = { point, iids, body: mergedPullRequest(100 + i, iids), deliveryId: randomUUID() };
      rounds.push(round);
      server = await startProductionServer({ port: PORT, env: serverEnv(`${point}@1`) });
      const answer = await postDelivery(round.body, round.deliveryId).catch((error: unknown) => error);
      expect(answer, `${point}: the server died before answering`).toBeInstanceOf(Error);
      expect(await server.exited).toMatchObject({ signal: "SIGKILL" });
      expect(server.output()).toContain(`killing this process at ${point}`);
      server = undefined;
    }

    // A healthy server; a scheduler calls the cron route until no delivery is left unfinished.
    server = await startProductionServer({ port: PORT, env: serverEnv() });
    const started = Date.now();
    let unfinished = Infinity;
    while (Date.now() - started < 60_000) {
      const response = await fetch(`${server.url}/api/cron/inbound`, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      unfinished = await count("SELECT count(*) AS n FROM code_host_deliveries WHERE status = 'received'");
      if (unfinished === 0) break;
      await sleep(500);
    }
    const finishedIn = (Date.now() - started) / 1000;
    expect(unfinished, "deliveries left unfinished").toBe(0);

    // A person redelivers each one from GitHub's settings, and a new delivery of the same merge arrives too.
    for (const round of rounds) {
      const again = await postDelivery(round.body, round.deliveryId);
      expect(again.status).toBe(200);
      expect(((await again.json()) as { status: string }).status).toBe("duplicate");
      const fresh = await postDelivery(round.body, randomUUID());
      expect(fresh.status).toBe(200);
      expect(((await fresh.json()) as { closed: string[] }).closed).toEqual([]);
    }

    const perIssue = await database.query<{ iid: number; state: string; closed_by_id: string; closes: string; notes: string; mails: string; links: string }>(
      `SELECT i.iid, i.state, i.closed_by_id,
              (SELECT count(*) FROM notes n WHERE n.issue_id = i.id AND n.system AND n.body LIKE 'closed via %') AS closes,
              (SELECT count(*) FROM notes n WHERE n.issue_id = i.id AND n.system) AS notes,
              (SELECT count(*) FROM outbound_emails o WHERE o.issue_id = i.id AND o.kind = 'issue_closed') AS mails,
              (SELECT count(*) FROM linked_changes l WHERE l.issue_id = i.id) AS links
       FROM issues i JOIN projects p ON p.id = i.project_id WHERE p.full_path = $1 ORDER BY i.iid`,
      [PROJECT],
    );
    console.log(
      `[delivery-crash] kills at ${POINTS.join(", ")}; finished by the sweeper ${finishedIn.toFixed(1)} s after restart; ` +
        perIssue.map((row) => `#${row.iid} ${row.state} closes ${row.closes} mails ${row.mails} links ${row.links}`).join("; "),
    );
    expect(perIssue).toHaveLength(POINTS.length * 2);
    for (const row of perIssue) {
      expect(row, `issue #${row.iid}`).toMatchObject({ state: "CLOSED", closed_by_id: "code-host-github" });
      expect({ iid: row.iid, closes: Number(row.closes), notes: Number(row.notes), mails: Number(row.mails), links: Number(row.links) }).toEqual({
        iid: row.iid,
        closes: 1,
        notes: 1,
        mails: 1,
        links: 1,
      });
    }
    const statuses = await database.query<{ status: string; n: string }>("SELECT status, count(*) AS n FROM code_host_deliveries GROUP BY status");
    expect(statuses.map((s) => [s.status, Number(s.n)])).toEqual([["processed", POINTS.length * 2]]);
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { code_host_deliveries: { received: number; stuck: number } };
    expect(health.code_host_deliveries).toEqual({ received: 0, stuck: 0 });
  }, 600_000);
});
