// Intake end to end below the HTTP layer: a mail built like SendGrid posts it is stored, routed and turned
// into a Service Desk issue or note, on PGlite and on Postgres, in both SendGrid modes.
import { describe, expect, it, vi } from "vitest";
import { db } from "@/lib/db/client";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { projectKey, SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { NEW_ISSUES_PER_SENDER_PER_HOUR, processInbound, storeInbound } from "@/lib/service-desk/intake";
import * as intakeQueries from "@/lib/service-desk/intake-queries";
import { isUniqueViolation } from "@/lib/data/users";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import { deliver, eml, newMessageId } from "../support/mail";
import { backend, makeUser, uid, uniqueProjectPath, withEnv } from "./helpers";
import { createProject } from "@/lib/data/projects";

const MODES = ["raw", "parsed"] as const;

async function serviceDeskProject(settings: Record<string, unknown> = {}, path = uniqueProjectPath("sd")) {
  const owner = await makeUser("owner");
  const project = await createProject(owner, path);
  await setServiceDeskEnabled(owner, project.fullPath, true);
  if (Object.keys(settings).length) await db().serviceDeskSetting.update({ where: { projectId: project.id }, data: settings });
  const key = projectKey({ id: project.id, fullPath: project.fullPath });
  return { ...project, owner, address: `incoming+${key}@localhost` };
}

async function issueOf(projectId: number, iid: number) {
  return db().issue.findUniqueOrThrow({
    where: { projectId_iid: { projectId, iid } },
    include: { participants: true, notes: { orderBy: { id: "asc" } }, attachments: true, outboundEmails: true },
  });
}

describe.each(MODES)("new request by mail (%s mode)", (mode) => {
  it("creates a confidential issue by the Support Bot, records the sender and queues a threaded thank-you", async () => {
    const project = await serviceDeskProject();
    const messageId = newMessageId();
    const outcome = await deliver(eml({ to: project.address, messageId, subject: "Printer on fire" }), mode);
    expect(outcome).toMatchObject({ status: "created_issue", issueIid: 1 });

    const issue = await issueOf(project.id, 1);
    expect(issue).toMatchObject({
      title: "Printer on fire",
      confidential: true,
      authorId: SUPPORT_BOT_ID,
      externalAuthor: "jake@customer.example",
      externalMessageId: messageId,
    });
    expect(issue.description).toContain("smoke is coming out of the printer");
    expect(issue.participants.map((p) => p.email)).toEqual(["jake@customer.example"]);

    const [thanks] = issue.outboundEmails;
    expect(thanks).toMatchObject({ kind: "thank_you", to: "jake@customer.example", fromName: "Support Bot", status: "dev" });
    expect(thanks.subject).toBe("Re: Printer on fire (#1)");
    const headers = thanks.headers as Record<string, string>;
    const sent = await db().sentNotification.findFirstOrThrow({ where: { issueId: issue.id } });
    expect(sent.replyKey).toMatch(/^[0-9a-f]{32}$/);
    expect(thanks.replyTo).toBe(`incoming+${sent.replyKey}@localhost`);
    expect(headers["Message-ID"]).toBe(`<reply-${sent.replyKey}@localhost>`);
    expect(headers["In-Reply-To"]).toBe(`<${messageId}>`);
    expect(headers["References"]).toBe(`<${messageId}>`);
    expect(headers["Auto-Submitted"]).toBe("auto-replied");
    expect(headers["X-Auto-Response-Suppress"]).toBe("All");
    expect(headers["List-Unsubscribe"]).toBe(`<http://localhost:3000/unsubscribe/${sent.replyKey}>`);
    expect(headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(thanks.text).toContain("#1");
    expect(issue.threadMessageId).toBe(`reply-${sent.replyKey}@localhost`);

    const stored = await db().inboundEmail.findUniqueOrThrow({ where: { id: outcome.inboundEmailId } });
    expect(stored).toMatchObject({ status: "created_issue", issueId: issue.id, messageId, fromAddress: "jake@customer.example" });
    expect(stored.payload.byteLength).toBeGreaterThan(100);
  });

  it("threads the customer's reply to the thank-you as a note, trimmed of the quoted history", async () => {
    const project = await serviceDeskProject();
    await deliver(eml({ to: project.address, subject: "Login broken" }), mode);
    const issue = await issueOf(project.id, 1);
    const thanks = issue.outboundEmails[0];
    const reply = eml({
      to: thanks.replyTo!,
      subject: "Re: Login broken (#1)",
      inReplyTo: (thanks.headers as Record<string, string>)["Message-ID"],
      body: "It works again, thanks!\n\nOn Tue, 24 Nov 2026 at 10:00, Support Bot wrote:\n> Thank you for your support request!\n> We are tracking it.",
    });
    const outcome = await deliver(reply, mode);
    expect(outcome).toMatchObject({ status: "added_note", issueIid: 1 });
    const note = (await issueOf(project.id, 1)).notes.at(-1)!;
    expect(note).toMatchObject({ authorId: SUPPORT_BOT_ID, externalAuthor: "jake@customer.example", internal: false, system: false });
    expect(note.body).toMatch(/^It works again, thanks!/);
    expect(note.body).toContain("<details>");
  });
});

describe("routing", () => {
  it("finds the reply key in References when the address carries none", async () => {
    const project = await serviceDeskProject();
    await deliver(eml({ to: project.address }));
    const sent = await db().sentNotification.findFirstOrThrow({ where: { projectId: project.id } });
    const outcome = await deliver(
      eml({ to: "someone-else@example.org", references: `<unrelated@x>, <reply-${sent.replyKey}@localhost>`, body: "More details." }),
    );
    expect(outcome).toMatchObject({ status: "added_note", issueIid: 1 });
    expect(outcome.reason).toContain("References");
  });

  it.each(["Delivered-To", "Envelope-To", "X-Envelope-To", "X-Original-To", "X-Forwarded-To"])("finds the project key in %s", async (header) => {
    const project = await serviceDeskProject();
    const outcome = await deliver(eml({ to: "help@customer-forwarder.example", headers: { [header]: project.address } }));
    expect(outcome).toMatchObject({ status: "created_issue" });
    expect(outcome.reason?.toLowerCase()).toContain(header.toLowerCase());
  });

  it("finds the project key in SendGrid's envelope", async () => {
    const project = await serviceDeskProject();
    const outcome = await deliver(eml({ to: "undisclosed-recipients:;" }), "parsed", { to: [project.address] });
    expect(outcome).toMatchObject({ status: "created_issue" });
  });

  it("accepts the legacy full-path key", async () => {
    const project = await serviceDeskProject();
    const outcome = await deliver(eml({ to: `incoming+${project.fullPath}@localhost` }));
    expect(outcome).toMatchObject({ status: "created_issue" });
  });

  it("rejects a new-format key whose slug does not match its project id, and unknown keys", async () => {
    const project = await serviceDeskProject();
    const wrong = await deliver(eml({ to: `incoming+someone-else-${project.id}-issue-@localhost` }));
    expect(wrong).toMatchObject({ status: "rejected" });
    const unknown = await deliver(eml({ to: `incoming+${"0".repeat(32)}@localhost` }));
    expect(unknown).toMatchObject({ status: "rejected" });
    const none = await deliver(eml({ to: "nobody@example.org" }));
    expect(none).toMatchObject({ status: "rejected", reason: expect.stringContaining("No Service Desk address") });
  });

  it("rejects mail for a project whose Service Desk is off, without mailing the sender", async () => {
    const project = await serviceDeskProject({ enabled: false });
    const outcome = await deliver(eml({ to: project.address }));
    expect(outcome).toMatchObject({ status: "rejected", reason: expect.stringContaining("not enabled") });
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(0);
    expect(await db().outboundEmail.count({ where: { to: "jake@customer.example", issue: { projectId: project.id } } })).toBe(0);
  });
});

describe("alias address (SERVICE_DESK_EMAIL_ADDRESS)", () => {
  withEnv({ SERVICE_DESK_EMAIL_ADDRESS: "contact+%{key}@support.example.com" });

  it("routes the alias key to its project, and replies go to the alias domain", async () => {
    const suffix = `help_${uid(3)}`;
    const project = await serviceDeskProject({ projectKey: suffix });
    const slug = project.fullPath.replace(/[^a-z0-9]+/g, "-");
    const outcome = await deliver(eml({ to: `contact+${slug}-${suffix}@support.example.com` }));
    expect(outcome).toMatchObject({ status: "created_issue" });
    const thanks = (await issueOf(project.id, 1)).outboundEmails[0];
    expect(thanks.replyTo).toMatch(/^contact\+[0-9a-f]{32}@support\.example\.com$/);
  });

  it("fails closed when the alias key matches two projects", async () => {
    const group = `amb${uid(3)}`;
    const suffix = `dup_${uid(3)}`;
    // "g-x/y" and "g/x-y" share the slug "g-x-y".
    const a = await serviceDeskProject({ projectKey: suffix }, { namespace: `${group}-x`, path: "y" });
    await serviceDeskProject({ projectKey: suffix }, { namespace: group, path: "x-y" });
    const outcome = await deliver(eml({ to: `contact+${group}-x-y-${suffix}@support.example.com` }));
    expect(outcome).toMatchObject({ status: "rejected", reason: expect.stringContaining("several projects") });
    expect(await db().issue.count({ where: { projectId: a.id } })).toBe(0);
  });
});

describe("guards", () => {
  it.each([
    ["Auto-Submitted", "auto-replied"],
    ["X-Autoreply", "yes"],
    ["X-Autorespond", "yes"],
    ["Precedence", "bulk"],
    ["Precedence", "junk"],
    ["Precedence", "list"],
    ["List-Id", "<announce.lists.example.org>"],
    ["X-Service-Desk-Origin", "localhost"],
  ])("ignores mail with %s: %s", async (name, value) => {
    const project = await serviceDeskProject();
    const outcome = await deliver(eml({ to: project.address, headers: { [name]: value } }));
    expect(outcome).toMatchObject({ status: "ignored" });
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(0);
  });

  it("takes mail that says Auto-Submitted: no", async () => {
    const project = await serviceDeskProject();
    expect(await deliver(eml({ to: project.address, headers: { "Auto-Submitted": "no" } }))).toMatchObject({ status: "created_issue" });
  });

  it.each(["MAILER-DAEMON@mx.example.org", "postmaster@example.org"])("ignores mail from %s", async (from) => {
    const project = await serviceDeskProject();
    expect(await deliver(eml({ to: project.address, from }))).toMatchObject({ status: "ignored" });
  });

  it("holds mail at or above the spam threshold as spam", async () => {
    const project = await serviceDeskProject();
    expect(await deliver(eml({ to: project.address }), "parsed", { spamScore: 7.5 })).toMatchObject({ status: "spam" });
    expect(await deliver(eml({ to: project.address }), "parsed", { spamScore: 1.2 })).toMatchObject({ status: "created_issue" });
  });

  it(`rejects more than ${NEW_ISSUES_PER_SENDER_PER_HOUR} new requests from one sender in an hour`, async () => {
    const project = await serviceDeskProject({ sendThankYouEmail: false });
    const from = `flood-${uid()}@example.org`;
    for (let i = 0; i < NEW_ISSUES_PER_SENDER_PER_HOUR; i++)
      expect(await deliver(eml({ to: project.address, from }))).toMatchObject({ status: "created_issue" });
    expect(await deliver(eml({ to: project.address, from }))).toMatchObject({ status: "rejected", reason: expect.stringContaining("Rate limit") });
    expect(await deliver(eml({ to: project.address, from: `other-${uid()}@example.org` }))).toMatchObject({ status: "created_issue" });
  }, 120_000);
});

describe("settings that change intake", () => {
  it("reopens a closed issue when the customer replies, if the project wants that", async () => {
    const project = await serviceDeskProject({ reopenIssueOnExternalParticipantNote: true });
    await deliver(eml({ to: project.address }));
    await db().issue.update({ where: { projectId_iid: { projectId: project.id, iid: 1 } }, data: { state: "CLOSED", closedAt: new Date() } });
    const sent = await db().sentNotification.findFirstOrThrow({ where: { projectId: project.id } });
    expect(await deliver(eml({ to: `incoming+${sent.replyKey}@localhost`, body: "Still broken." }))).toMatchObject({ status: "added_note" });
    const issue = await issueOf(project.id, 1);
    expect(issue.state).toBe("OPENED");
    expect(issue.notes.some((n) => n.system && n.body.startsWith("reopened"))).toBe(true);
  });

  it("keeps a closed issue closed by default", async () => {
    const project = await serviceDeskProject();
    await deliver(eml({ to: project.address }));
    await db().issue.update({ where: { projectId_iid: { projectId: project.id, iid: 1 } }, data: { state: "CLOSED", closedAt: new Date() } });
    const sent = await db().sentNotification.findFirstOrThrow({ where: { projectId: project.id } });
    expect(await deliver(eml({ to: `incoming+${sent.replyKey}@localhost`, body: "Thanks!" }))).toMatchObject({ status: "added_note" });
    expect((await issueOf(project.id, 1)).state).toBe("CLOSED");
  });

  it("adds Cc recipients as participants when allowed — never our own addresses, at most 10", async () => {
    const project = await serviceDeskProject({ addExternalParticipantsFromCc: true });
    const cc = [...Array.from({ length: 12 }, (_, i) => `colleague${i}@customer.example`), project.address].join(", ");
    await deliver(eml({ to: project.address, cc }));
    const emails = (await issueOf(project.id, 1)).participants.map((p) => p.email);
    expect(emails).toHaveLength(10);
    expect(emails[0]).toBe("jake@customer.example");
    expect(emails.some((e) => e.includes("incoming+"))).toBe(false);
  });

  it("appends the chosen issue template, and says so when it is missing", async () => {
    const project = await serviceDeskProject({ issueTemplateKey: "triage" });
    await db().issueTemplate.create({ data: { projectId: project.id, name: "triage", content: "## Triage\n- [ ] reproduced" } });
    await deliver(eml({ to: project.address }));
    expect((await issueOf(project.id, 1)).description).toContain("## Triage");
    await db().issueTemplate.deleteMany({ where: { projectId: project.id } });
    expect(await deliver(eml({ to: project.address }))).toMatchObject({ status: "created_issue" });
    const second = await issueOf(project.id, 2);
    expect(second.notes.some((n) => n.system && n.body.includes('"triage"'))).toBe(true);
  });

  it("sends no thank-you when the project turned it off", async () => {
    const project = await serviceDeskProject({ sendThankYouEmail: false });
    await deliver(eml({ to: project.address }));
    expect((await issueOf(project.id, 1)).outboundEmails).toHaveLength(0);
  });
});

describe("storage and replays", () => {
  it("stores attachments with the issue, byte for byte", async () => {
    const project = await serviceDeskProject();
    const content = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    await deliver(eml({ to: project.address, attachment: { filename: "log.bin", contentType: "application/octet-stream", content } }), "parsed");
    const [file] = (await issueOf(project.id, 1)).attachments;
    expect(file).toMatchObject({ filename: "log.bin", size: 3000 });
    expect(Buffer.from(file.data).equals(content)).toBe(true);
  });

  it.each(MODES)("answers a second delivery of the same mail as duplicate (%s mode)", async (mode) => {
    const project = await serviceDeskProject();
    const raw = eml({ to: project.address });
    expect(await deliver(raw, mode)).toMatchObject({ status: "created_issue" });
    expect(await deliver(raw, mode)).toMatchObject({ status: "duplicate" });
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(1);
  });

  it("dedupes a mail without Message-ID on its content", async () => {
    const project = await serviceDeskProject();
    const raw = eml({ to: project.address, messageId: null });
    expect(await deliver(raw)).toMatchObject({ status: "created_issue" });
    expect(await deliver(raw)).toMatchObject({ status: "duplicate" });
    expect(await deliver(eml({ to: project.address, messageId: null, body: "Another question" }))).toMatchObject({ status: "created_issue" });
  });

  it("keeps a mail whose processing crashed as failed with the error, and a replay succeeds", async () => {
    const project = await serviceDeskProject();
    const raw = eml({ to: project.address, messageId: newMessageId() });
    const { body, contentType } = await buildSendGridRequest(raw, "raw");
    const id = await storeInbound(body, contentType);
    // A bug cannot be summoned on demand: make the issue's write fail once to stand in for one.
    const spy = vi.spyOn(intakeQueries, "writeNewIssue").mockRejectedValueOnce(new Error("simulated bug"));
    const failed = await processInbound(id);
    spy.mockRestore();
    expect(failed).toMatchObject({ status: "failed" });
    expect(await db().inboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "failed", error: expect.stringContaining("simulated bug") });
    // Another copy of the failed mail is a duplicate of it: the failed one is what gets replayed.
    expect(await deliver(raw)).toMatchObject({ status: "duplicate" });
    // The iid the failed attempt took was given back: no gap in the project's numbering.
    expect(await processInbound(id)).toMatchObject({ status: "created_issue", issueIid: 1 });
    expect(await deliver(eml({ to: project.address }))).toMatchObject({ status: "created_issue", issueIid: 2 });
  });

  it.runIf(backend === "postgres")("turns two concurrent deliveries of one mail into one issue", async () => {
    const project = await serviceDeskProject();
    const raw = eml({ to: project.address });
    const outcomes = await Promise.all([deliver(raw), deliver(raw), deliver(raw)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["created_issue", "duplicate", "duplicate"]);
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(1);
    // The duplicates never took an iid: the issue is #1 and the next mail's is #2.
    expect(outcomes.find((o) => o.status === "created_issue")).toMatchObject({ issueIid: 1 });
    expect(await deliver(eml({ to: project.address }))).toMatchObject({ status: "created_issue", issueIid: 2 });
  });

  it("a second stored copy claiming a mail's identity fails as a unique violation before taking an iid", async () => {
    // What a concurrent second delivery runs into (on PGlite too, where the race is rarer but possible).
    const project = await serviceDeskProject();
    const { body, contentType } = await buildSendGridRequest(eml({ to: project.address }), "raw");
    const [first, second] = [await storeInbound(body, contentType), await storeInbound(body, contentType)];
    expect(await intakeQueries.claimMailAndIid(first, `${project.id}:same`, project.id, 0)).toBe(1);
    const error = await intakeQueries.claimMailAndIid(second, `${project.id}:same`, project.id, 0).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isUniqueViolation(error, "dedupe_key")).toBe(true);
    expect((await db().project.findUniqueOrThrow({ where: { id: project.id } })).lastIssueIid).toBe(1);
  });

  it("two processings of one stored mail at once (a replay clicked twice) make one issue", async () => {
    const project = await serviceDeskProject();
    const { body, contentType } = await buildSendGridRequest(eml({ to: project.address }), "raw");
    const id = await storeInbound(body, contentType);
    const outcomes = await Promise.all([processInbound(id), processInbound(id)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["created_issue", "duplicate"]);
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(1);
    expect(await db().inboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "created_issue", attempts: 1 });
    expect(await db().outboundEmail.count({ where: { kind: "thank_you", issue: { projectId: project.id } } })).toBe(1);
  });

  it("refuses to process a stored mail another processing has claimed, until that one ends or its lease runs out", async () => {
    const project = await serviceDeskProject();
    const { body, contentType } = await buildSendGridRequest(eml({ to: project.address }), "raw");
    const id = await storeInbound(body, contentType);
    // A processing that claimed the mail and is still at work (or died).
    expect(await intakeQueries.claimMailAndIid(id, `${project.id}:held`, project.id, 0)).toBe(1);
    expect(await processInbound(id)).toMatchObject({ status: "duplicate", reason: expect.stringContaining("being processed") });
    expect(await db().inboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "received", attempts: 1 });
    // The claimer went silent past its lease (INBOUND_LEASE_SECONDS): presumed dead, the mail is taken over.
    await db().$executeRawUnsafe(`UPDATE inbound_emails SET locked_until = now() - interval '1 second' WHERE id = $1`, id);
    expect(await processInbound(id)).toMatchObject({ status: "created_issue", issueIid: 2 });
  });

  it("gives an iid back only while it is the last one taken and no issue holds it", async () => {
    const project = await serviceDeskProject();
    const { body, contentType } = await buildSendGridRequest(eml({ to: project.address }), "raw");
    const iid = await intakeQueries.claimMailAndIid(await storeInbound(body, contentType), `${project.id}:a`, project.id, 0);
    await intakeQueries.releaseIid(project.id, iid!);
    expect((await db().project.findUniqueOrThrow({ where: { id: project.id } })).lastIssueIid).toBe(0);
    // An issue that was written (its answer lost) keeps its number.
    expect(await deliver(eml({ to: project.address }))).toMatchObject({ status: "created_issue", issueIid: 1 });
    await intakeQueries.releaseIid(project.id, 1);
    expect((await db().project.findUniqueOrThrow({ where: { id: project.id } })).lastIssueIid).toBe(1);
  });
});
