// Retention (old finished mail loses its raw payload and bodies, nothing unfinished or failed is touched, two
// runs at once purge each row once) and a customer's export and erasure (everything in the export; no trace of
// the address left in any text column of any table; a second erasure is a no-op; admins only).
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { sql } from "@/lib/db/sql";
import { addNote } from "@/lib/data/notes";
import { getInboundMail, replayInboundMail } from "@/lib/data/mail-log";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { enqueueMail } from "@/lib/mail/outbox";
import { eraseCustomer } from "@/lib/privacy/erase-customer";
import { exportCustomer } from "@/lib/privacy/export-customer";
import { PURGEABLE_INBOUND, PURGEABLE_OUTBOUND, runRetention } from "@/lib/privacy/retention";
import { projectKey } from "@/lib/service-desk/address";
import { storeInbound } from "@/lib/service-desk/intake";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import { DELETE as eraseRoute } from "@/app/api/v1/admin/customers/[email]/route";
import { GET as exportRoute } from "@/app/api/v1/admin/customers/[email]/export/route";
import { GET as cronRetention } from "@/app/api/cron/retention/route";
import { call, tokenFor } from "../support/api";
import { deliver, eml } from "../support/mail";
import { appError, backend, makeProjectWithMembers, makeUser, uid, withEnv } from "./helpers";

const DAY = 24 * 60 * 60_000;

async function serviceDeskProject() {
  const fixture = await makeProjectWithMembers();
  const project = await db().project.findUniqueOrThrow({ where: { id: fixture.projectId } });
  await setServiceDeskEnabled(fixture.actors.owner, fixture.fullPath, true);
  return { ...fixture, address: `incoming+${projectKey(project)}@localhost` };
}

describe("retention", () => {
  const ALL_INBOUND = [...PURGEABLE_INBOUND, "received", "failed"];
  const ALL_OUTBOUND = [...PURGEABLE_OUTBOUND, "pending", "sending", "held", "failed"];

  it("purges old finished mail once, even with two runs at once, and never unfinished, failed or recent mail", async () => {
    const project = await serviceDeskProject();
    const tag = uid();
    // One real mail that became an issue with an attachment: its file and issue link must survive the purge.
    const created = await deliver(
      eml({ to: project.address, subject: `Retained ${tag}`, attachment: { filename: "log.txt", contentType: "text/plain", content: Buffer.from("log line") } }),
    );
    const real = await db().inboundEmail.findFirstOrThrow({ where: { subject: `Retained ${tag}` } });
    const old = new Date(Date.now() - 100 * DAY);
    await db().inboundEmail.update({ where: { id: real.id }, data: { receivedAt: old } });

    const inbound: Record<string, { oldId: string; recentId: string }> = {};
    for (const status of ALL_INBOUND) {
      const ids = [];
      for (const age of [100, 10]) {
        const { body, contentType } = await buildSendGridRequest(eml({ to: project.address, subject: `${status} ${tag}` }), "raw");
        const id = await storeInbound(body, contentType);
        await db().inboundEmail.update({ where: { id }, data: { status, receivedAt: new Date(Date.now() - age * DAY) } });
        ids.push(id);
      }
      inbound[status] = { oldId: ids[0], recentId: ids[1] };
    }
    // A finished mail a replay has just claimed is left alone until the claim ends.
    const { body: claimedBody, contentType: claimedType } = await buildSendGridRequest(eml({ to: project.address, subject: `claimed ${tag}` }), "raw");
    const claimed = await storeInbound(claimedBody, claimedType);
    await db().inboundEmail.update({ where: { id: claimed }, data: { status: "rejected", receivedAt: old, lockedUntil: new Date(Date.now() + 60_000) } });

    const outbound: Record<string, { oldId: string; recentId: string }> = {};
    for (const status of ALL_OUTBOUND) {
      const ids = [];
      for (const age of [100, 10]) {
        const id = await enqueueMail({ kind: "test", to: `r-${tag}@example.test`, subject: `${status} ${tag}`, text: "body text", html: "<p>body html</p>" });
        await db().outboundEmail.update({ where: { id }, data: { status, createdAt: new Date(Date.now() - age * DAY) } });
        ids.push(id);
      }
      outbound[status] = { oldId: ids[0], recentId: ids[1] };
    }

    const now1 = new Date();
    const now2 = new Date(now1.getTime() + 1000);
    const [a, b] = await Promise.all([runRetention({ now: now1, batchSize: 2 }), runRetention({ now: now2, batchSize: 2 })]);

    const expectedInbound = PURGEABLE_INBOUND.length + 1;
    const expectedOutbound = PURGEABLE_OUTBOUND.length;
    // Each of our rows was purged by exactly one of the runs (other test files' rows may add to the totals on a
    // shared Postgres database; the in-memory PGlite holds only this file's).
    const ours = [real.id, claimed, ...Object.values(inbound).flatMap((pair) => [pair.oldId, pair.recentId])];
    const inboundRows = await db().inboundEmail.findMany({ where: { id: { in: ours } }, select: { id: true, status: true, purgedAt: true, payload: true, headersSummary: true, subject: true, fromAddress: true, issueId: true } });
    const purgedInbound = inboundRows.filter((row) => row.purgedAt);
    expect(purgedInbound).toHaveLength(expectedInbound);
    for (const row of purgedInbound) expect([now1.getTime(), now2.getTime()]).toContain(row.purgedAt!.getTime());
    if (backend === "pglite") {
      expect(a.inbound + b.inbound).toBe(expectedInbound);
      expect(a.outbound + b.outbound).toBe(expectedOutbound);
    } else {
      expect(a.inbound + b.inbound).toBeGreaterThanOrEqual(expectedInbound);
    }

    for (const status of ALL_INBOUND) {
      const oldRow = inboundRows.find((row) => row.id === inbound[status].oldId)!;
      const recentRow = inboundRows.find((row) => row.id === inbound[status].recentId)!;
      expect(recentRow.purgedAt).toBeNull();
      expect(recentRow.payload.byteLength).toBeGreaterThan(0);
      if (PURGEABLE_INBOUND.includes(status)) {
        expect(oldRow.purgedAt).not.toBeNull();
        expect(oldRow.payload.byteLength).toBe(0);
        expect(oldRow.status).toBe(status);
        expect(oldRow.headersSummary).toEqual(expect.arrayContaining([{ name: "subject", value: `${status} ${tag}` }, { name: "from", value: "Jake Customer <jake@customer.example>" }]));
      } else {
        expect(oldRow.purgedAt).toBeNull();
        expect(oldRow.payload.byteLength).toBeGreaterThan(0);
      }
    }
    expect(inboundRows.find((row) => row.id === claimed)!.purgedAt).toBeNull();
    const realAfter = inboundRows.find((row) => row.id === real.id)!;
    expect(realAfter.purgedAt).not.toBeNull();
    expect(realAfter).toMatchObject({ issueId: expect.any(Number), subject: `Retained ${tag}`, fromAddress: "jake@customer.example" });
    expect(await db().attachment.count({ where: { inboundEmailId: real.id } })).toBe(1);
    expect(created.status).toBe("created_issue");

    const outboundRows = await db().outboundEmail.findMany({ where: { to: `r-${tag}@example.test` } });
    for (const status of ALL_OUTBOUND) {
      const oldRow = outboundRows.find((row) => row.id === outbound[status].oldId)!;
      const recentRow = outboundRows.find((row) => row.id === outbound[status].recentId)!;
      expect(recentRow).toMatchObject({ text: "body text", purgedAt: null });
      if (PURGEABLE_OUTBOUND.includes(status)) expect(oldRow).toMatchObject({ text: "", html: "", subject: `${status} ${tag}`, status });
      else expect(oldRow).toMatchObject({ text: "body text", html: "<p>body html</p>", purgedAt: null, status });
    }

    // A third run finds nothing of ours left.
    await runRetention();
    const again = await db().inboundEmail.findMany({ where: { id: { in: ours }, purgedAt: { not: null } }, select: { purgedAt: true } });
    expect(again).toHaveLength(expectedInbound);
    expect(again.every((row) => [now1.getTime(), now2.getTime()].includes(row.purgedAt!.getTime()))).toBe(true);

    // The mail log shows the purge instead of the raw source; a purged mail cannot be replayed.
    const admin = await makeUser("admin", { isAdmin: true });
    const shown = await getInboundMail(admin, inbound.rejected.oldId);
    expect(shown).toMatchObject({ purgedAt: expect.any(Date), replayable: false, raw: { text: "" } });
    expect(shown.headersSummary).toContainEqual({ name: "subject", value: `rejected ${tag}` });
    expect((await appError(replayInboundMail(admin, inbound.rejected.oldId))).code).toBe("conflict");
    expect((await getInboundMail(admin, inbound.rejected.recentId)).raw.text).toContain(`Subject: rejected ${tag}`);
  }, 120_000);
});

describe("GET /api/cron/retention", () => {
  withEnv({ CRON_SECRET: "retention-cron-secret", OUTBOUND_RETENTION_DAYS: "30" });

  it("needs the CRON_SECRET bearer, then purges with the configured retention", async () => {
    const tag = uid();
    const ids: string[] = [];
    for (const age of [40, 20]) {
      const id = await enqueueMail({ kind: "test", to: `cron-${tag}@example.test`, subject: tag, text: "body", html: "<p>body</p>" });
      await db().outboundEmail.update({ where: { id }, data: { status: "delivered", createdAt: new Date(Date.now() - age * DAY) } });
      ids.push(id);
    }
    expect((await cronRetention(new Request("http://localhost/api/cron/retention"))).status).toBe(401);
    expect((await db().outboundEmail.findUniqueOrThrow({ where: { id: ids[0] } })).text).toBe("body");
    const response = await cronRetention(new Request("http://localhost/api/cron/retention", { headers: { authorization: "Bearer retention-cron-secret" } }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ inbound: expect.any(Number), outbound: expect.any(Number), more: false });
    const [older, newer] = await Promise.all(ids.map((id) => db().outboundEmail.findUniqueOrThrow({ where: { id } })));
    expect(older).toMatchObject({ text: "", html: "", purgedAt: expect.any(Date) });
    expect(newer).toMatchObject({ text: "body", purgedAt: null });
  });
});

/** The text, JSON and array columns of every table (information_schema) where some row contains `needle`. */
async function traces(needle: string, except = ""): Promise<string[]> {
  const columns = await sql<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type FROM information_schema.columns
     WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY')`,
  );
  expect(columns.length).toBeGreaterThan(50);
  const found: string[] = [];
  for (const column of columns) {
    const rows = await sql<{ n: number }>(
      // `except`: a different address that merely contains the needle (a look-alike the test keeps on purpose).
      `SELECT count(*)::int AS n FROM "${column.table_name}" WHERE replace(lower("${column.column_name}"::text), lower($2::text), '') ILIKE $1::text`,
      [`%${needle}%`, except],
    );
    if (Number(rows[0].n) > 0) found.push(`${column.table_name}.${column.column_name}`);
  }
  return found;
}

async function customerWithHistory() {
  const project = await serviceDeskProject();
  const tag = uid();
  const address = `cust-${tag}@customer.example`;
  const name = `Zed Q${tag}`;
  const from = `${name} <${address}>`;
  const opened = await deliver(
    eml({ from, to: project.address, subject: `Help ${tag}`, attachment: { filename: "photo.txt", contentType: "text/plain", content: Buffer.from("private file") } }),
  );
  const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.projectId, iid: opened.issueIid! } } });
  // The team answers (mailed to the customer), notes internally with the address, and the customer replies.
  await addNote(project.actors.developer, project.fullPath, issue.iid, { body: `Thanks, we are on it.`, internal: false });
  await addNote(project.actors.developer, project.fullPath, issue.iid, { body: `Called ${address} (${name}) about it.`, internal: true });
  const sent = await db().sentNotification.findFirstOrThrow({ where: { issueId: issue.id } });
  const reply = await deliver(eml({ from, to: `incoming+${sent.replyKey}@localhost`, subject: `Re: Help ${tag}`, body: `Still broken. ${tag}` }));
  expect(reply.status).toBe("added_note");

  // Another customer's issue they are a participant of (unsubscribed), and a look-alike address that is not theirs.
  const other = await deliver(eml({ from: `Other <other-${tag}@customer.example>`, to: project.address, subject: `Other ${tag}` }));
  const otherIssue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.projectId, iid: other.issueIid! } } });
  await db().issueEmailParticipant.createMany({
    data: [
      { issueId: otherIssue.id, email: address, status: "unsubscribed" },
      { issueId: otherIssue.id, email: `x${address}` },
    ],
  });
  await db().verificationToken.create({ data: { identifier: address, token: `tok-${tag}`, expires: new Date(Date.now() + DAY) } });
  return { project, tag, address, name, issue, otherIssue };
}

describe("customer export and erasure", () => {
  it("exports everything held about the address in one document", async () => {
    const { project, tag, address, issue, otherIssue } = await customerWithHistory();
    const admin = await makeUser("admin", { isAdmin: true });
    const doc = await exportCustomer(admin, address.toUpperCase());
    expect(doc.email).toBe(address);
    const ref = (iid: number) => `${project.fullPath}#${iid}`;
    expect(doc.issues.map((i) => [i.reference, i.relation])).toEqual([
      [ref(issue.iid), "author"],
      [ref(otherIssue.iid), "participant"],
    ]);
    const mine = doc.issues[0];
    expect(mine).toMatchObject({ title: `Help ${tag}`, confidential: true });
    // Public comments only: the internal note is not something they wrote or were mailed.
    expect(mine.comments.map((c) => [c.by_customer, c.body.includes(tag) || c.body.includes("on it")])).toEqual([
      [false, true],
      [true, true],
    ]);
    expect(JSON.stringify(doc)).not.toContain("Called ");
    expect(doc.notes_written).toEqual([expect.objectContaining({ issue: ref(issue.iid), body: expect.stringContaining(`Still broken. ${tag}`) })]);
    expect(doc.participations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ issue: ref(issue.iid), status: "subscribed" }),
        expect.objectContaining({ issue: ref(otherIssue.iid), status: "unsubscribed" }),
      ]),
    );
    expect(doc.delivery.unsubscribed_from).toEqual([ref(otherIssue.iid)]);
    expect(doc.mails_sent_to_them.map((m) => m.kind).sort()).toEqual(["new_note", "thank_you"]);
    expect(doc.mails_sent_to_them.every((m) => typeof m.text === "string" && m.text.length > 0)).toBe(true);
    expect(doc.mails_received_from_them).toHaveLength(2);
    expect(doc.mails_received_from_them[0].raw?.text).toContain(`Subject: Help ${tag}`);
    expect(doc.mails_received_from_them[0].attachments).toEqual([
      expect.objectContaining({ filename: "photo.txt", data_base64: Buffer.from("private file").toString("base64") }),
    ]);
    expect(doc.reply_keys_issued.length).toBeGreaterThanOrEqual(2);
    expect(doc.has_user_account).toBe(false);
  }, 60_000);

  it("erases every trace of the address, keeps the team's notes with the pseudonym, and a second erasure is a no-op", async () => {
    const { project, tag, address, name, issue, otherIssue } = await customerWithHistory();
    const admin = await makeUser("admin", { isAdmin: true });
    expect((await traces(address)).length).toBeGreaterThan(5);
    expect(await db().rateLimitCounter.count({ where: { key: { contains: address } } })).toBeGreaterThan(0);
    const notesBefore = await db().note.count({ where: { issueId: issue.id } });

    const result = await eraseCustomer(admin, address);
    expect(result.erased).toBe(true);
    expect(result.pseudonym).toMatch(/^erased-[0-9a-f]{20}@erased\.invalid$/);
    expect(result.counts).toMatchObject({
      issues: 1,
      notes: 2,
      issue_email_participants: 2,
      sent_notifications: expect.any(Number),
      "attachments (deleted)": 1,
      "inbound_emails (payload deleted)": 2,
      "outbound_emails (body deleted)": 2,
      "rate_limit_counters (deleted)": 1,
      "verification_tokens (deleted)": 1,
    });

    expect(await traces(address, `x${address}`)).toEqual([]);
    expect(await traces(name)).toEqual([]);
    const payloads = await db().inboundEmail.findMany({ where: { fromAddress: result.pseudonym }, select: { payload: true, purgedAt: true } });
    expect(payloads).toHaveLength(2);
    expect(payloads.every((row) => row.payload.byteLength === 0 && row.purgedAt)).toBe(true);
    expect(await db().attachment.count({ where: { issueId: issue.id } })).toBe(0);

    // The issue and the whole thread stay, under the pseudonym; the team's internal note quotes it now.
    const after = await db().issue.findUniqueOrThrow({ where: { id: issue.id }, include: { notes: { orderBy: { id: "asc" } }, participants: true } });
    expect(after.externalAuthor).toBe(result.pseudonym);
    expect(after.notes).toHaveLength(notesBefore);
    expect(after.notes.find((n) => n.internal && !n.system)?.body).toBe(`Called ${result.pseudonym} (${result.pseudonym}) about it.`);
    expect(after.participants.map((p) => p.email)).toEqual([result.pseudonym]);
    // Someone else's look-alike address is not theirs.
    const others = await db().issueEmailParticipant.findMany({ where: { issueId: otherIssue.id }, orderBy: { id: "asc" } });
    expect(others.map((p) => p.email)).toEqual([`other-${tag}@customer.example`, result.pseudonym, `x${address}`]);

    const audit = await db().customerErasure.findMany({ where: { pseudonym: result.pseudonym } });
    expect(audit).toEqual([expect.objectContaining({ actorId: admin.id, counts: result.counts })]);

    const again = await eraseCustomer(admin, address);
    expect(again).toMatchObject({ erased: false, counts: {}, pseudonym: result.pseudonym, previouslyErasedAt: audit[0].createdAt });
    expect(await db().customerErasure.count({ where: { pseudonym: result.pseudonym } })).toBe(1);
    expect(project.fullPath).toBeTruthy();
  }, 90_000);

  it("refuses an address that belongs to a user account, and bad input", async () => {
    const admin = await makeUser("admin", { isAdmin: true });
    const member = await makeUser("member");
    expect((await appError(eraseCustomer(admin, member.email))).code).toBe("conflict");
    expect((await appError(eraseCustomer(admin, "not an address"))).code).toBe("bad_request");
    expect((await appError(exportCustomer(member, "someone@example.test"))).code).toBe("not_found");
    expect((await appError(eraseCustomer(member, "someone@example.test"))).code).toBe("not_found");
  });
});

describe("REST: /api/v1/admin/customers/:email", () => {
  it("is for instance admins only (others 404, read_api cannot erase) and erases once", async () => {
    const { project, address } = await customerWithHistory();
    const admin = await makeUser("admin", { isAdmin: true });
    const adminToken = await tokenFor(admin);
    const readOnly = await tokenFor(admin, ["read_api"]);
    const ownerToken = await tokenFor(project.actors.owner);
    const params = { email: encodeURIComponent(address) };

    expect((await call(exportRoute, params)).status).toBe(401);
    expect((await call(exportRoute, params, { token: ownerToken })).status).toBe(404);
    expect((await call(eraseRoute, params, { token: ownerToken, method: "DELETE" })).status).toBe(404);
    expect((await call(eraseRoute, params, { token: readOnly, method: "DELETE" })).status).toBe(403);

    const exported = await call(exportRoute, params, { token: readOnly });
    expect(exported.status).toBe(200);
    expect(exported.json.email).toBe(address);
    expect(exported.json.issues).toHaveLength(2);

    const erased = await call(eraseRoute, params, { token: adminToken, method: "DELETE" });
    expect(erased.status).toBe(200);
    expect(erased.json).toMatchObject({ erased: true, pseudonym: expect.stringMatching(/@erased\.invalid$/) });
    const again = await call(eraseRoute, { email: address }, { token: adminToken, method: "DELETE" });
    expect(again.json).toMatchObject({ erased: false, message: expect.stringContaining("already erased") });
    expect((await call(exportRoute, { email: address }, { token: adminToken })).json.issues).toEqual([]);
    expect((await call(exportRoute, { email: "nope" }, { token: adminToken })).status).toBe(400);
  }, 90_000);
});
