// Stored mail always reaches an outcome without a person: a mail whose processing died (before or after its
// claim) is taken up by the sweeper once its lease runs out, a redelivery finishes an interrupted original
// instead of being dropped as a duplicate, a slow processing overtaken by a takeover writes nothing, and
// transient database failures are retried on a schedule for a day before the mail is `failed`. The database is
// the clock here: "time passes" by moving a row's timestamps back.
import { afterEach, describe, expect, it, vi } from "vitest";
import { GET as cronInbound } from "@/app/api/cron/inbound/route";
import { healthReport } from "@/lib/health";
import { inboundBacklogFor, replayInboundMail } from "@/lib/data/mail-log";
import { db } from "@/lib/db/client";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { createProject } from "@/lib/data/projects";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import { projectKey } from "@/lib/service-desk/address";
import { processInbound, storeInbound } from "@/lib/service-desk/intake";
import * as intakeQueries from "@/lib/service-desk/intake-queries";
import { recoverInbound } from "@/lib/service-desk/recovery";
import { deliver, eml, newMessageId } from "../support/mail";
import { makeUser, uniqueProjectPath, withEnv } from "./helpers";

withEnv({ INBOUND_LEASE_SECONDS: "60", CRON_SECRET: "recovery-cron-secret" });

afterEach(() => vi.restoreAllMocks());

async function serviceDeskProject() {
  const owner = await makeUser("owner");
  const project = await createProject(owner, uniqueProjectPath("rec"));
  await setServiceDeskEnabled(owner, project.fullPath, true);
  return { ...project, address: `incoming+${projectKey({ id: project.id, fullPath: project.fullPath })}@localhost` };
}

async function store(raw: string) {
  const request = await buildSendGridRequest(raw, "raw");
  return { id: await storeInbound(request.body, request.contentType), ...request };
}

const row = (id: string) => db().inboundEmail.findUniqueOrThrow({ where: { id } });
const issues = (projectId: number) => db().issue.findMany({ where: { projectId }, select: { iid: true, externalMessageId: true } });

/** Time passes for one stored mail: everything about it happened `seconds` earlier. */
async function age(id: string, seconds: number) {
  await db().$executeRawUnsafe(
    `UPDATE inbound_emails SET received_at = received_at - make_interval(secs => $2), locked_until = locked_until - make_interval(secs => $2),
       claimed_at = claimed_at - make_interval(secs => $2) WHERE id = $1`,
    id,
    seconds,
  );
}

/** Sweeps only these rows' project: other test files share the database. */
async function sweepUntilQuiet(ids: string[]) {
  for (let round = 0; round < 5; round++) {
    await recoverInbound({ limit: 500 });
    const left = await db().inboundEmail.count({ where: { id: { in: ids }, status: "received" } });
    if (left === 0) return;
  }
}

describe("a processing that died", () => {
  it("after storing, before anything else: the sweeper makes the issue once the lease has run out", async () => {
    const project = await serviceDeskProject();
    const messageId = newMessageId();
    const { id } = await store(eml({ to: project.address, messageId }));
    // Fresh: its storer is presumably still at work on it.
    expect(await intakeQueries.dueInbound(1000)).not.toContain(id);
    expect((await healthReport()).inbound).toMatchObject({ received: expect.any(Number) });
    await age(id, 61);
    expect(await intakeQueries.dueInbound(1000)).toContain(id);
    const health = (await healthReport()).inbound!;
    expect(health.stuck).toBeGreaterThanOrEqual(1);
    expect(health.oldest_stuck_seconds).toBeGreaterThanOrEqual(61);
    // The admin mail log says the same; a member who is not an admin gets nothing.
    expect((await inboundBacklogFor(await makeUser("admin", { isAdmin: true }), {})).stuck).toBeGreaterThanOrEqual(1);
    await expect(inboundBacklogFor(await makeUser("member"), {})).rejects.toMatchObject({ code: "not_found" });

    await sweepUntilQuiet([id]);
    expect(await row(id)).toMatchObject({ status: "created_issue", lockedUntil: null, attempts: 1 });
    expect(await issues(project.id)).toEqual([{ iid: 1, externalMessageId: messageId }]);
    expect(await intakeQueries.dueInbound(1000)).not.toContain(id);
  });

  it("after claiming its identity: SendGrid's redelivery finishes the original instead of answering duplicate", async () => {
    const project = await serviceDeskProject();
    const raw = eml({ to: project.address });
    const first = await store(raw);
    // The first delivery's processing claimed the mail and its iid, then its process was killed.
    expect(await intakeQueries.claimMailAndIid(first.id, `${project.id}:mid:whatever`, project.id, 0)).toBe(1);
    await db().$executeRawUnsafe(`UPDATE inbound_emails SET dedupe_key = NULL WHERE id = $1`, first.id);
    // Claim again with the real key: process the row until the claim, the way intake would.
    await age(first.id, 61);
    const claimedKey = `${project.id}:mid:${/Message-ID: <([^>]+)>/.exec(raw)![1].toLowerCase()}`;
    expect(await intakeQueries.claimMailAndIid(first.id, claimedKey, project.id, 1)).toBe(2);

    // While its lease runs, neither a person's replay nor a redelivery can take it over: they say so.
    await expect(replayInboundMail(await makeUser("admin", { isAdmin: true }), first.id)).rejects.toMatchObject({ code: "conflict" });
    const early = await deliver(raw);
    expect(early).toMatchObject({ status: "duplicate", reason: expect.stringContaining("still being processed") });
    expect(await row(first.id)).toMatchObject({ status: "received" });

    // Once the lease has run out, the next redelivery finishes it.
    await age(first.id, 61);
    const retried = await deliver(raw);
    expect(retried).toMatchObject({ status: "created_issue", inboundEmailId: first.id, issueIid: 3 });
    expect(await row(first.id)).toMatchObject({ status: "created_issue" });
    expect(await issues(project.id)).toHaveLength(1);
    const copies = await db().inboundEmail.findMany({ where: { projectId: project.id, id: { not: first.id } }, select: { status: true, reason: true } });
    expect(copies.map((c) => c.status)).toEqual(["duplicate", "duplicate"]);
    expect(copies.some((c) => c.reason?.includes("finished the first delivery"))).toBe(true);
  });

  it("a slow processing overtaken by a takeover writes nothing: one issue", async () => {
    const project = await serviceDeskProject();
    const { id, body, contentType } = await store(eml({ to: project.address }));
    // The slow one claims, then stalls past its lease (its write is held back here).
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const realWrite = intakeQueries.writeNewIssue;
    const spy = vi.spyOn(intakeQueries, "writeNewIssue").mockImplementationOnce(async (input) => {
      await stalled;
      return realWrite(input);
    });
    const slow = processInbound(id, { stored: { payload: body, contentType } });
    await vi.waitFor(() => expect(spy).toHaveBeenCalledTimes(1));
    await age(id, 61);
    const takeover = await recoverInbound({ limit: 500 });
    expect(takeover.outcomes.created_issue).toBeGreaterThanOrEqual(1);
    release();
    expect(await slow).toMatchObject({ status: "duplicate", reason: expect.stringContaining("being processed") });
    expect(await issues(project.id)).toEqual([{ iid: 2, externalMessageId: expect.any(String) }]);
    expect(await row(id)).toMatchObject({ status: "created_issue" });
    expect(await db().outboundEmail.count({ where: { kind: "thank_you", issue: { projectId: project.id } } })).toBe(1);
  });

  it("a reply's note and its outcome commit together: recovering it adds no second note", async () => {
    const project = await serviceDeskProject();
    const created = await deliver(eml({ to: project.address }));
    const issue = await db().issue.findFirstOrThrow({ where: { projectId: project.id, iid: created.issueIid! } });
    const sent = await db().sentNotification.findFirstOrThrow({ where: { issueId: issue.id } });
    const reply = await store(eml({ to: `incoming+${sent.replyKey}@localhost`, body: "Still broken." }));
    expect(await processInbound(reply.id)).toMatchObject({ status: "added_note" });
    await age(reply.id, 3_600);
    await recoverInbound({ limit: 500 });
    expect(await processInbound(reply.id)).toMatchObject({ status: "duplicate" });
    expect(await db().note.count({ where: { issueId: issue.id, system: false } })).toBe(1);
  });

  it("a mail whose processing keeps dying is given up a day after it arrived, and stays replayable", async () => {
    const project = await serviceDeskProject();
    const { id } = await store(eml({ to: project.address }));
    // Taken up again and again, each time its process died (the lease ran out with no outcome).
    await db().$executeRawUnsafe(`UPDATE inbound_emails SET attempts = 9, locked_until = now() - interval '1 second', received_at = now() - interval '25 hours' WHERE id = $1`, id);
    await sweepUntilQuiet([id]);
    expect(await row(id)).toMatchObject({ status: "failed", reason: expect.stringContaining("did not finish within 24 hours") });
    expect(await processInbound(id)).toMatchObject({ status: "created_issue" });
  });
});

describe("transient failures", () => {
  const outage = () => Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });

  it("are retried on the schedule for a day, then the mail is failed for a person; a bug is failed at once", async () => {
    const project = await serviceDeskProject();
    const { id, body, contentType } = await store(eml({ to: project.address }));
    vi.spyOn(intakeQueries, "writeNewIssue").mockRejectedValue(outage());
    const first = await processInbound(id, { stored: { payload: body, contentType } });
    expect(first).toMatchObject({ status: "failed", reason: expect.stringContaining("tried again automatically") });
    let state = await row(id);
    expect(state).toMatchObject({ status: "received", error: expect.stringContaining("administrator command") });
    const firstDelay = (state.lockedUntil!.getTime() - Date.now()) / 1000;
    expect(firstDelay).toBeGreaterThan(5);
    expect(firstDelay).toBeLessThan(20);

    // Simulated hours: each time the retry is due, the outage is still on.
    const delays: number[] = [];
    for (const hoursOld of [0.5, 3, 12, 23.5]) {
      await db().$executeRawUnsafe(
        `UPDATE inbound_emails SET received_at = now() - make_interval(secs => $2), locked_until = now() - interval '1 second' WHERE id = $1`,
        id,
        hoursOld * 3_600,
      );
      await recoverInbound({ limit: 500 });
      state = await row(id);
      expect(state.status).toBe("received");
      delays.push((state.lockedUntil!.getTime() - Date.now()) / 1000);
    }
    expect(delays[0]).toBeGreaterThan(600);
    expect(delays.slice(1).every((d) => d > 2_800 && d <= 3_600 * 1.2 + 5)).toBe(true);

    // A day after it arrived: failed, with the reason, for a person.
    await db().$executeRawUnsafe(`UPDATE inbound_emails SET received_at = now() - interval '24 hours 1 minute', locked_until = now() - interval '1 second' WHERE id = $1`, id);
    await recoverInbound({ limit: 500 });
    expect(await row(id)).toMatchObject({ status: "failed", reason: expect.stringContaining("24 hours") });

    // The outage is over: the replay makes the issue.
    vi.restoreAllMocks();
    expect(await processInbound(id)).toMatchObject({ status: "created_issue" });

    // A bug is no outage: failed at once.
    const other = await store(eml({ to: project.address }));
    vi.spyOn(intakeQueries, "writeNewIssue").mockRejectedValue(new TypeError("Cannot read properties of undefined"));
    expect(await processInbound(other.id, { stored: { payload: other.body, contentType: other.contentType } })).toMatchObject({ status: "failed" });
    expect(await row(other.id)).toMatchObject({ status: "failed", lockedUntil: null, reason: expect.stringContaining("can be replayed") });
  });
});

describe("GET /api/cron/inbound", () => {
  it("needs the CRON_SECRET bearer, then sweeps what is due", async () => {
    const project = await serviceDeskProject();
    const { id } = await store(eml({ to: project.address }));
    await age(id, 120);
    expect((await cronInbound(new Request("http://localhost/api/cron/inbound"))).status).toBe(401);
    const response = await cronInbound(new Request("http://localhost/api/cron/inbound", { headers: { authorization: "Bearer recovery-cron-secret" } }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ processed: expect.any(Number), more: expect.any(Boolean) });
    expect(await row(id)).toMatchObject({ status: "created_issue" });
  });
});
