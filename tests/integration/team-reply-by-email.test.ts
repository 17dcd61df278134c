// Reply by email for team members: each team notification carries the recipient's own reply key; a reply from
// that member's verified address becomes their comment (public, or internal with /internal), quote trimmed,
// with the customer's mail for a public one; from any other address, or from someone who may no longer
// comment, it is refused and logged, and nothing is added.
import { describe, expect, it } from "vitest";
import { addMember } from "@/lib/data/members";
import { addNote } from "@/lib/data/notes";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { createUser } from "@/lib/data/users";
import { db } from "@/lib/db/client";
import { fanOutEvents } from "@/lib/notifications/fan-out";
import { projectKey } from "@/lib/service-desk/address";
import { deliver, eml, newMessageId } from "../support/mail";
import { makeUser, toActor, uniqueEmail, uniqueProjectPath } from "./helpers";

async function deskWithBob(options: { verified?: boolean; role?: "REPORTER" | "GUEST" } = {}) {
  const ana = await makeUser("ana");
  const project = await createProject(ana, uniqueProjectPath("rbe"));
  await setServiceDeskEnabled(ana, project.fullPath, true);
  const bobEmail = uniqueEmail("bob");
  const bob = toActor(await createUser({ email: bobEmail, name: "Bob", emailVerified: options.verified === false ? null : new Date() }));
  await addMember(ana, project.fullPath, bobEmail, options.role ?? "REPORTER");
  const customerMail = newMessageId();
  const created = await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, messageId: customerMail, subject: "Refund please" }));
  expect(created.status).toBe("created_issue");
  const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.id, iid: 1 } } });
  // Ana mentions Bob: his notification (with his reply key) is queued by the fan-out.
  const note = await addNote(ana, project.fullPath, 1, { body: `@${bob.username} can you take this one?`, internal: true });
  await fanOutEvents({ ids: note.eventIds });
  const mail = await db().outboundEmail.findFirstOrThrow({ where: { issueId: issue.id, kind: "team_notification", to: bobEmail } });
  expect(mail.replyTo, "the team mail carries a reply address").toMatch(/^incoming\+[0-9a-f]{32}@localhost$/);
  const key = await db().sentNotification.findFirstOrThrow({ where: { issueId: issue.id, userId: bob.id } });
  expect(mail.replyTo).toBe(`incoming+${key.replyKey}@localhost`);
  return { ana, bob, bobEmail, project, issue, replyTo: mail.replyTo! };
}

const notesOf = (issueId: number) =>
  db().note.findMany({ where: { issueId, system: false }, orderBy: { id: "asc" }, select: { authorId: true, externalAuthor: true, body: true, internal: true } });

describe("a team member's reply to their notification", () => {
  it("from their own address becomes their public comment, quote trimmed, and is mailed to the customer", async () => {
    const { bob, bobEmail, issue, replyTo } = await deskWithBob();
    const outcome = await deliver(
      eml({ from: `Bob <${bobEmail}>`, to: replyTo, subject: "Re: Refund please", body: "Refund is on its way.\n\nOn Tue, Ana wrote:\n> @bob can you take this one?\n> thanks" }),
    );
    expect(outcome).toMatchObject({ status: "added_note" });
    const notes = await notesOf(issue.id);
    expect(notes.at(-1)).toMatchObject({ authorId: bob.id, externalAuthor: null, internal: false });
    expect(notes.at(-1)!.body).toContain("Refund is on its way.");
    expect(notes.at(-1)!.body).not.toContain("thanks");
    const customerMail = await db().outboundEmail.findFirst({ where: { issueId: issue.id, kind: "new_note", to: "jake@customer.example" }, orderBy: { createdAt: "desc" } });
    expect(customerMail?.text).toContain("Refund is on its way.");
    expect(customerMail?.fromName).toMatch(/^Bob via /);
    const inbound = await db().inboundEmail.findFirstOrThrow({ where: { issueId: issue.id, status: "added_note" }, orderBy: { receivedAt: "desc" } });
    expect(inbound.reason).toContain(`reply by email from @${bob.username}`);
  });

  it("starting with /internal becomes an internal note, never mailed to the customer", async () => {
    const { bob, bobEmail, issue, replyTo } = await deskWithBob();
    const before = await db().outboundEmail.count({ where: { issueId: issue.id, kind: "new_note" } });
    const outcome = await deliver(eml({ from: bobEmail, to: replyTo, subject: "Re: Refund please", body: "/internal\nThey already got a refund in May." }));
    expect(outcome.status).toBe("added_note");
    expect((await notesOf(issue.id)).at(-1)).toMatchObject({ authorId: bob.id, internal: true, body: "They already got a refund in May." });
    expect(await db().outboundEmail.count({ where: { issueId: issue.id, kind: "new_note" } })).toBe(before);
  });

  it("from any other address is refused and logged, and nothing is added", async () => {
    const { issue, replyTo } = await deskWithBob();
    const before = await notesOf(issue.id);
    const outcome = await deliver(eml({ from: "mallory@evil.example", to: replyTo, subject: "Re: Refund please", body: "Refund approved, send it to my account." }));
    expect(outcome.status).toBe("rejected");
    expect(outcome.reason).toMatch(/not from their own verified address: refused/);
    expect(await notesOf(issue.id)).toEqual(before);
    const logged = await db().inboundEmail.findFirstOrThrow({ where: { id: outcome.inboundEmailId } });
    expect(logged).toMatchObject({ status: "rejected", fromAddress: "mallory@evil.example" });
  });

  it("is refused when the address was never verified, or the member may no longer comment", async () => {
    const unverified = await deskWithBob({ verified: false });
    const first = await deliver(eml({ from: unverified.bobEmail, to: unverified.replyTo, body: "On it." }));
    expect(first.status).toBe("rejected");
    expect(await notesOf(unverified.issue.id)).toHaveLength(1);

    const demoted = await deskWithBob();
    await db().membership.updateMany({ where: { userId: demoted.bob.id }, data: { role: "GUEST" } });
    const second = await deliver(eml({ from: demoted.bobEmail, to: demoted.replyTo, body: "On it." }));
    expect(second.status).toBe("rejected");
    expect(second.reason).toMatch(/may no longer comment/);
    expect(await notesOf(demoted.issue.id)).toHaveLength(1);
  });

  it("tells the team like a comment from the web (the author is not notified; To-Dos done)", async () => {
    const { ana, bob, bobEmail, issue, replyTo } = await deskWithBob();
    expect(await db().todo.count({ where: { userId: bob.id, issueId: issue.id, state: "pending" } })).toBe(1);
    const outcome = await deliver(eml({ from: bobEmail, to: replyTo, body: "Calling them now." }));
    expect(outcome.status).toBe("added_note");
    await fanOutEvents({ ids: outcome.eventIds });
    expect(await db().todo.count({ where: { userId: bob.id, issueId: issue.id, state: "pending" } })).toBe(0);
    const team = await db().outboundEmail.findMany({ where: { issueId: issue.id, kind: "team_notification" }, select: { to: true, text: true } });
    // Ana commented, so she takes part and hears of Bob's reply; Bob never hears of his own.
    expect(team.filter((m) => m.text.includes("Calling them now.")).map((m) => m.to)).toEqual([ana.email]);
    expect(team.filter((m) => m.to === bobEmail)).toHaveLength(1);
  });
});
