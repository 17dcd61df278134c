// Team notifications and the relay to other customers survive a dying server: the standalone server on Postgres
// gets customer replies on issues that five members watch and a second customer is on, and is SIGKILLed at each
// step of the fan-out in turn (queued but not taken, after the relay to the other customer committed, after the
// team's mails committed). No person replays anything: the sweeper (the cron route a scheduler calls) finishes
// each event, and every watcher gets exactly one mail per event, the other customer exactly one copy per reply.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db/client";
import { resetEnv } from "@/lib/env";
import type { CrashPoint } from "@/lib/fault-injection";
import { eml } from "../support/mail";
import { startProductionServer, type ProductionServer } from "../support/production-server";
import { freshMigratedDatabase, postInbound, serviceDeskProject, type ScratchDatabase } from "./helpers";

const PORT = 3337;
const INBOUND_SECRET = "notify-crash-inbound";
const CRON_SECRET = "notify-crash-cron";
const PROJECT = "crash/notify";
const OWNER = "owner@notify-crash.example";
const WATCHERS = 5;
const POINTS: CrashPoint[] = ["fanout-queued", "fanout-after-relay", "fanout-after-write"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let database: ScratchDatabase;
let server: ProductionServer | undefined;
let address: string;

function serverEnv(faultKillAt?: string): Record<string, string | undefined> {
  return {
    DATABASE_URL: database.url,
    AUTH_SECRET: "notify-crash-auth-secret-0123456789",
    APP_URL: `http://127.0.0.1:${PORT}`,
    SENDGRID_INBOUND_SECRET: INBOUND_SECRET,
    CRON_SECRET,
    // A dead fan-out's event is taken over after 2 s instead of a minute.
    INBOUND_LEASE_SECONDS: "2",
    // The loop brake must not be what limits the relay here.
    LOOP_BRAKE_MAILS_PER_HOUR: "100",
    FAULT_KILL_AT: faultKillAt,
  };
}

const count = async (sql: string, params: unknown[] = []) => Number((await database.query<{ n: string }>(sql, params))[0]?.n ?? 0);

/** Five members at the "watch" level, made through the data layer as the members page and level select do. */
async function addWatchers(): Promise<string[]> {
  process.env.DATABASE_URL = database.url;
  resetEnv();
  try {
    const { addMember } = await import("@/lib/data/members");
    const { setProjectNotificationLevel } = await import("@/lib/data/notification-settings");
    const { createUser, findActorByEmail } = await import("@/lib/data/users");
    const owner = (await findActorByEmail(OWNER))!;
    const emails: string[] = [];
    for (let i = 0; i < WATCHERS; i++) {
      const email = `watcher${i}@notify-crash.example`;
      await createUser({ email, name: `Watcher ${i}` });
      await addMember(owner, PROJECT, email, "DEVELOPER");
      await setProjectNotificationLevel((await findActorByEmail(email))!, PROJECT, "watch");
      emails.push(email);
    }
    return emails;
  } finally {
    await closeDb();
  }
}

/** The reply address of issue `iid`'s thank-you: where the customer's mail client answers. */
async function thankYouOf(iid: number): Promise<{ replyTo: string; messageId: string }> {
  const [row] = await database.query<{ reply_to: string; message_id: string }>(
    `SELECT o.reply_to, o.headers->>'Message-ID' AS message_id FROM outbound_emails o JOIN issues i ON i.id = o.issue_id
     JOIN projects p ON p.id = i.project_id WHERE p.full_path = $1 AND i.iid = $2 AND o.kind = 'thank_you'`,
    [PROJECT, iid],
  );
  return { replyTo: row.reply_to, messageId: row.message_id };
}

async function sweepUntilDone(): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 90_000) {
    const response = await fetch(`${server!.url}/api/cron/inbound`, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    if ((await count("SELECT count(*) AS n FROM issue_events WHERE status <> 'done'")) === 0) return (Date.now() - started) / 1000;
    await sleep(500);
  }
  return Infinity;
}

beforeAll(async () => {
  database = await freshMigratedDatabase("sd_prod_notify_crash");
  address = await serviceDeskProject(database.url, PROJECT, OWNER);
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

describe("customer replies fanned out by a server that dies at each step", () => {
  it("reach every watcher once and the other customer once, with no replay by a person", async () => {
    const watchers = await addWatchers();
    // One issue per crash point, each with its customer and a colleague of theirs on the thread.
    server = await startProductionServer({ port: PORT, env: serverEnv() });
    for (let i = 0; i < POINTS.length; i++) {
      const response = await postInbound(server.url, eml({ to: address, from: `customer${i}@example.com`, subject: `Broken ${i}` }), INBOUND_SECRET);
      expect(((await response.json()) as { status: string }).status).toBe("created_issue");
    }
    expect(await sweepUntilDone()).toBeLessThan(Infinity);
    await server.stop();
    server = undefined;
    await database.query(
      `INSERT INTO issue_email_participants (issue_id, email, status, created_at)
       SELECT i.id, 'colleague' || (i.iid - 1) || '@example.com', 'subscribed', now() FROM issues i JOIN projects p ON p.id = i.project_id WHERE p.full_path = $1`,
      [PROJECT],
    );

    // What SendGrid would post again: a reply whose answer was lost with the server.
    const unanswered: string[] = [];
    for (const [i, point] of POINTS.entries()) {
      server = await startProductionServer({ port: PORT, env: serverEnv(`${point}@1`) });
      const thanks = await thankYouOf(i + 1);
      const reply = eml({
        to: thanks.replyTo,
        from: `customer${i}@example.com`,
        subject: `Re: Broken ${i}`,
        messageId: `reply-${i}@example.com`,
        inReplyTo: thanks.messageId,
        body: `Still broken (${point}).`,
      });
      // The fan-out runs after the answer, so the answer is usually out before the server dies; when the kill wins
      // the race, SendGrid posts the mail again later (below).
      const answer = await postInbound(server.url, reply, INBOUND_SECRET)
        .then(async (r) => ((await r.json()) as { status: string }).status)
        .catch(() => "no answer");
      expect(["added_note", "no answer"], `${point}: ${answer}`).toContain(answer);
      if (answer === "no answer") unanswered.push(reply);
      expect(await server.exited).toMatchObject({ signal: "SIGKILL" });
      expect(server.output()).toContain(`killing this process at ${point}`);
      server = undefined;
    }

    // A healthy server; a scheduler calls the cron route until no event is left.
    server = await startProductionServer({ port: PORT, env: serverEnv() });
    for (const reply of unanswered) {
      const again = (await (await postInbound(server.url, reply, INBOUND_SECRET)).json()) as { status: string };
      expect(["duplicate", "added_note"]).toContain(again.status);
    }
    const finishedIn = await sweepUntilDone();
    expect(finishedIn, "events left unfinished").toBeLessThan(Infinity);

    const perIssue = await database.query<{ iid: number; relayed: string; to_other: string; team: string; per_watcher_max: string; per_watcher_min: string }>(
      `SELECT i.iid,
              (SELECT count(*) FROM issue_events e WHERE e.issue_id = i.id AND e.kind = 'customer_reply' AND e.relayed_at IS NOT NULL) AS relayed,
              (SELECT count(*) FROM outbound_emails o WHERE o.issue_id = i.id AND o.kind = 'new_note' AND o."to" = 'colleague' || (i.iid - 1) || '@example.com') AS to_other,
              (SELECT count(*) FROM outbound_emails o WHERE o.issue_id = i.id AND o.kind = 'team_notification') AS team,
              (SELECT max(n) FROM (SELECT count(*) AS n FROM outbound_emails o WHERE o.issue_id = i.id AND o.kind = 'team_notification' GROUP BY o."to") t) AS per_watcher_max,
              (SELECT min(n) FROM (SELECT count(*) AS n FROM outbound_emails o WHERE o.issue_id = i.id AND o.kind = 'team_notification' GROUP BY o."to") t) AS per_watcher_min
       FROM issues i JOIN projects p ON p.id = i.project_id WHERE p.full_path = $1 ORDER BY i.iid`,
      [PROJECT],
    );
    const recipients = await database.query<{ to: string }>(`SELECT DISTINCT "to" FROM outbound_emails WHERE kind = 'team_notification' ORDER BY 1`);
    console.log(
      `[notify-crash] kills at ${POINTS.join(", ")} (${unanswered.length} answer(s) lost, posted again); finished by the sweeper ${finishedIn.toFixed(1)} s after restart; ` +
        perIssue.map((r) => `#${r.iid} relayed ${r.relayed} to the other customer ${r.to_other} team mails ${r.team}`).join("; "),
    );
    expect(recipients.map((r) => r.to)).toEqual([...watchers].sort());
    for (const row of perIssue)
      // A new request and a reply: two team mails per watcher; one relayed copy to the colleague, never to the author.
      expect({ iid: row.iid, relayed: Number(row.relayed), toOther: Number(row.to_other), team: Number(row.team), max: Number(row.per_watcher_max), min: Number(row.per_watcher_min) }).toEqual({
        iid: row.iid,
        relayed: 1,
        toOther: 1,
        team: 2 * WATCHERS,
        max: 2,
        min: 2,
      });
    expect(await count(`SELECT count(*) AS n FROM outbound_emails WHERE kind = 'new_note' AND "to" LIKE 'customer%'`)).toBe(0);
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { team_notifications: { pending: number; stuck: number } };
    expect(health.team_notifications).toEqual({ pending: 0, stuck: 0 });
  }, 600_000);
});
