// The mail log: admins see all mail, a project's Maintainers see their project's, nobody else sees any; replay
// re-processes stored inbound mail once (a second replay or a processed mail changes nothing); retry re-queues
// failed outgoing mail.
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { getInboundMail, listInboundMail, listOutboundMail, mailFailureCounts, replayInboundMail, requeueOutboundMail } from "@/lib/data/mail-log";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import { projectKey } from "@/lib/service-desk/address";
import { storeInbound } from "@/lib/service-desk/intake";
import { deliver, eml } from "../support/mail";
import { makeProjectWithMembers, makeUser, outcome, uid } from "./helpers";

async function serviceDeskProject() {
  const fixture = await makeProjectWithMembers();
  const project = await db().project.findUniqueOrThrow({ where: { id: fixture.projectId } });
  await setServiceDeskEnabled(fixture.actors.owner, fixture.fullPath, true);
  return { ...fixture, address: `incoming+${projectKey(project)}@localhost` };
}

describe("who sees the mail log", () => {
  it("admins see every project's mail; Maintainers only their project's; others get 404", async () => {
    const a = await serviceDeskProject();
    const b = await serviceDeskProject();
    const subjectA = `A ${uid()}`;
    const subjectB = `B ${uid()}`;
    await deliver(eml({ to: a.address, subject: subjectA }));
    await deliver(eml({ to: b.address, subject: subjectB }));
    const admin = await makeUser("admin", { isAdmin: true });

    const all = await listInboundMail(admin, {});
    expect(all.mails.map((m) => m.subject)).toEqual(expect.arrayContaining([subjectA, subjectB]));

    const scoped = await listInboundMail(a.actors.maintainer, { projectPath: a.fullPath });
    expect(scoped.mails.map((m) => m.subject)).toEqual([subjectA]);
    const outbound = await listOutboundMail(a.actors.maintainer, { projectPath: a.fullPath });
    expect(outbound.mails).toEqual([expect.objectContaining({ kind: "thank_you", to: "jake@customer.example" })]);

    expect(await outcome(listInboundMail(a.actors.maintainer, {}))).toBe("not_found");
    expect(await outcome(listInboundMail(a.actors.developer, { projectPath: a.fullPath }))).toBe("forbidden");
    expect(await outcome(listInboundMail(a.actors.nonMember, { projectPath: a.fullPath }))).toBe("not_found");
    expect(await outcome(listInboundMail(null, {}))).toBe("unauthorized");
    // One project's Maintainer cannot open another project's mail by id.
    const mailOfB = (await listInboundMail(admin, {})).mails.find((m) => m.subject === subjectB)!;
    expect(await outcome(getInboundMail(a.actors.maintainer, mailOfB.id))).toBe("not_found");
    expect(await outcome(replayInboundMail(a.actors.maintainer, mailOfB.id))).toBe("not_found");
    expect((await getInboundMail(b.actors.maintainer, mailOfB.id)).raw.text).toContain(subjectB);
  });

  it("filters by status and pages with a cursor, newest first", async () => {
    const a = await serviceDeskProject();
    for (let i = 0; i < 3; i++) await deliver(eml({ to: a.address, subject: `page ${i}` }));
    await deliver(eml({ to: `incoming+nothing-${uid()}@localhost`, subject: "lost" }));
    const admin = await makeUser("admin", { isAdmin: true });
    const created = await listInboundMail(a.actors.owner, { projectPath: a.fullPath }, { status: "created_issue" });
    expect(created.mails.map((m) => m.subject)).toEqual(["page 2", "page 1", "page 0"]);
    expect(created.nextCursor).toBeUndefined();
    expect((await listInboundMail(admin, {}, { status: "rejected" })).mails.some((m) => m.subject === "lost")).toBe(true);
    expect(await outcome(listInboundMail(admin, {}, { cursor: "not-a-cursor" }))).toBe("bad_request");
  });
});

describe("replay", () => {
  it("turns a mail rejected while Service Desk was off into exactly one issue once it is on", async () => {
    const fixture = await makeProjectWithMembers();
    const project = await db().project.findUniqueOrThrow({ where: { id: fixture.projectId } });
    const first = await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, subject: "Too early" }));
    expect(first.status).toBe("rejected");

    await setServiceDeskEnabled(fixture.actors.owner, fixture.fullPath, true);
    const replayed = await replayInboundMail(fixture.actors.maintainer, first.inboundEmailId);
    expect(replayed).toMatchObject({ status: "created_issue", issueIid: 1 });
    expect(replayed.outboxIds).toHaveLength(1);
    expect(await outcome(replayInboundMail(fixture.actors.maintainer, first.inboundEmailId))).toBe("conflict");
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(1);
  });

  it("re-processes a failed mail after the cause is fixed, and a spam verdict can be overruled", async () => {
    const a = await serviceDeskProject();
    // A mail whose processing failed (the row keeps the request; the cause was on our side).
    const { body, contentType } = await buildSendGridRequest(eml({ to: a.address, subject: "Crashed once" }), "raw");
    const failedId = await storeInbound(body, contentType);
    await db().inboundEmail.update({ where: { id: failedId }, data: { status: "failed", error: "TypeError: boom" } });
    const admin = await makeUser("admin", { isAdmin: true });
    expect((await mailFailureCounts(admin))!.inbound).toBeGreaterThanOrEqual(1);
    expect(await mailFailureCounts(a.actors.owner)).toBeNull();
    expect(await replayInboundMail(admin, failedId)).toMatchObject({ status: "created_issue" });

    const spam = await deliver(eml({ to: a.address, subject: "Cheap pills?" }), "raw", { spamScore: 99 });
    expect(spam.status).toBe("spam");
    expect(await replayInboundMail(a.actors.maintainer, spam.inboundEmailId)).toMatchObject({ status: "created_issue" });
    expect(await db().issue.count({ where: { projectId: a.projectId } })).toBe(2);
  });
});

describe("retry of outgoing mail", () => {
  it("re-queues failed mail only", async () => {
    const a = await serviceDeskProject();
    await deliver(eml({ to: a.address }));
    const [mail] = (await listOutboundMail(a.actors.maintainer, { projectPath: a.fullPath })).mails;
    expect(await outcome(requeueOutboundMail(a.actors.maintainer, mail.id, "failed"))).toBe("conflict");
    await db().outboundEmail.update({ where: { id: mail.id }, data: { status: "failed", attempts: 5, error: "400 Bad Request" } });
    expect(await outcome(requeueOutboundMail(a.actors.developer, mail.id, "failed"))).toBe("not_found");
    await requeueOutboundMail(a.actors.maintainer, mail.id, "failed");
    // Back in the queue: no SENDGRID_API_KEY in these tests, so the queue is the dev mailbox.
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id: mail.id } })).toMatchObject({ status: "dev", attempts: 0 });
  });
});

it("raw source shows the stored message, not a rendering of it", async () => {
  const a = await serviceDeskProject();
  const sent = await deliver(eml({ to: a.address, subject: "Raw", body: "<script>alert(1)</script> hello" }));
  const mail = await getInboundMail(a.actors.owner, sent.inboundEmailId);
  expect(mail.raw.text).toContain("Subject: Raw");
  expect(mail.raw.text).toContain("<script>alert(1)</script>");
});

