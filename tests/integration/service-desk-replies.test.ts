// The team's answers reach the customer: a public comment on a Service Desk issue queues a threaded new_note
// mail to each subscribed participant in the same transaction, sent as "<commenter> via <desk>" from the
// project's template; internal notes, the commenter's own address and ordinary issues never get one. Also the
// thread's view of the mail (how each mail was routed) and the composer's preview.
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { addMember } from "@/lib/data/members";
import { addNote, previewNote } from "@/lib/data/notes";
import { createIssue, getIssue, setIssueState } from "@/lib/data/issues";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { projectKey } from "@/lib/service-desk/address";
import { renderUserMarkdown } from "@/lib/service-desk/thread-html";
import { deliver, eml, newMessageId } from "../support/mail";
import { appError, makeUser, uniqueProjectPath } from "./helpers";

async function serviceDeskIssue(options: { confidential?: boolean } = {}) {
  const owner = await makeUser("owner");
  const reporter = await makeUser("reporter", { name: "Rita Reporter" });
  const guest = await makeUser("guest");
  const project = await createProject(owner, uniqueProjectPath("sdr"));
  await addMember(owner, project.fullPath, reporter.email, "REPORTER");
  await addMember(owner, project.fullPath, guest.email, "GUEST");
  await setServiceDeskEnabled(owner, project.fullPath, true);
  if (options.confidential === false)
    await db().serviceDeskSetting.update({ where: { projectId: project.id }, data: { ticketsConfidentialByDefault: false } });
  const customerMessageId = newMessageId();
  const outcome = await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, messageId: customerMessageId, subject: "Refund" }));
  expect(outcome.status).toBe("created_issue");
  const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.id, iid: 1 } } });
  return { project, owner, reporter, guest, issue, customerMessageId };
}

const addParticipant = (issueId: number, email: string, status = "subscribed") =>
  db().issueEmailParticipant.create({ data: { issueId, email, status } });

const mailsOf = (issueId: number, kind: string) => db().outboundEmail.findMany({ where: { issueId, kind }, orderBy: { createdAt: "asc" } });

describe("public comments on a Service Desk issue", () => {
  it("queue a new_note mail to the customer, threaded under the thank-you with a fresh reply key", async () => {
    const { project, reporter, issue, customerMessageId } = await serviceDeskIssue();
    const note = await addNote(reporter, project.fullPath, 1, { body: "We have refunded **$20**. <script>alert(1)</script>" });
    expect(note.outboxIds).toHaveLength(1);

    const [mail] = await mailsOf(issue.id, "new_note");
    expect(mail).toMatchObject({ to: "jake@customer.example", subject: "Re: Refund (#1)", fromName: "Rita Reporter via Support Bot" });
    expect(mail.html).toContain("<strong>$20</strong>");
    expect(mail.html).not.toContain("<script>");
    expect(mail.text).toContain("$20");
    const headers = mail.headers as Record<string, string>;
    const sent = await db().sentNotification.findMany({ where: { issueId: issue.id }, orderBy: { id: "asc" } });
    expect(sent).toHaveLength(2);
    const [thanks, answer] = sent;
    expect(mail.replyTo).toBe(`incoming+${answer.replyKey}@localhost`);
    expect(headers["Message-ID"]).toBe(`<${answer.messageId}>`);
    expect(headers["In-Reply-To"]).toBe(`<${thanks.messageId}>`);
    expect(headers["References"]).toBe(`<${customerMessageId}> <${thanks.messageId}> <reply-${answer.replyKey}@localhost>`);
    expect(headers["Auto-Submitted"]).toBe("auto-generated");
    expect(headers["List-Unsubscribe"]).toBe(`<http://localhost:3000/unsubscribe/${answer.replyKey}>`);

    // The customer's answer to that mail threads back into the issue.
    const reply = await deliver(eml({ to: mail.replyTo!, inReplyTo: headers["Message-ID"], body: "Received, thank you!" }));
    expect(reply).toMatchObject({ status: "added_note", issueIid: 1 });
  });

  it("are never mailed when internal", async () => {
    const { project, reporter, issue } = await serviceDeskIssue();
    const note = await addNote(reporter, project.fullPath, 1, { body: "Customer is on the legacy plan", internal: true });
    expect(note.outboxIds).toEqual([]);
    expect(await mailsOf(issue.id, "new_note")).toHaveLength(0);
  });

  it("skip participants who unsubscribed", async () => {
    const { project, reporter, issue } = await serviceDeskIssue();
    await db().issueEmailParticipant.updateMany({ where: { issueId: issue.id }, data: { status: "unsubscribed" } });
    expect((await addNote(reporter, project.fullPath, 1, { body: "Any news?" })).outboxIds).toEqual([]);
  });

  it("go to every subscribed participant, each with a reply key of their own, but not to bouncing addresses", async () => {
    const { project, reporter, issue } = await serviceDeskIssue();
    await addParticipant(issue.id, "cc.colleague@customer.example");
    await addParticipant(issue.id, "gone@customer.example", "bouncing");
    await addParticipant(issue.id, "left@customer.example", "unsubscribed");
    const note = await addNote(reporter, project.fullPath, 1, { body: "Refund is on its way." });
    expect(note.outboxIds).toHaveLength(2);

    const mails = await mailsOf(issue.id, "new_note");
    expect(mails.map((m) => m.to).sort()).toEqual(["cc.colleague@customer.example", "jake@customer.example"]);
    expect(new Set(mails.map((m) => m.replyTo)).size).toBe(2);
    for (const mail of mails) {
      const sent = await db().sentNotification.findFirstOrThrow({ where: { issueId: issue.id, recipient: mail.to }, orderBy: { id: "desc" } });
      expect(mail.replyTo).toBe(`incoming+${sent.replyKey}@localhost`);
      expect((mail.headers as Record<string, string>)["List-Unsubscribe"]).toBe(`<http://localhost:3000/unsubscribe/${sent.replyKey}>`);
    }
  });

  it("skip the commenter's own address when the commenter is also a participant", async () => {
    const { project, reporter, issue } = await serviceDeskIssue();
    // Participants are stored lower-cased; the account's address may be written otherwise.
    await db().user.update({ where: { id: reporter.id }, data: { email: reporter.email.toUpperCase() } });
    await addParticipant(issue.id, reporter.email.toLowerCase());
    const note = await addNote({ ...reporter, email: reporter.email.toUpperCase() }, project.fullPath, 1, { body: "Looping in myself." });
    expect(note.outboxIds).toHaveLength(1);
    expect((await mailsOf(issue.id, "new_note")).map((m) => m.to)).toEqual(["jake@customer.example"]);
  });

  it("are sent as the commenter via the project's display name (the username when there is no name)", async () => {
    const { project, owner, issue } = await serviceDeskIssue();
    await db().serviceDeskSetting.update({ where: { projectId: project.id }, data: { outgoingName: "Acme Support" } });
    const nameless = await makeUser("nameless");
    await db().user.update({ where: { id: nameless.id }, data: { name: null } });
    await addMember(owner, project.fullPath, nameless.email, "DEVELOPER");
    await addNote({ ...nameless, name: null }, project.fullPath, 1, { body: "Hello from the team." });
    const [mail] = await mailsOf(issue.id, "new_note");
    expect(mail.fromName).toBe(`${nameless.username} via Acme Support`);

    // The closing mail is the desk's, not a person's.
    await db().serviceDeskSetting.update({ where: { projectId: project.id }, data: { emailOnClose: true } });
    await setIssueState(owner, project.fullPath, 1, "close");
    const [closed] = await mailsOf(issue.id, "issue_closed");
    expect(closed.fromName).toBe("Acme Support");
  });

  it("use the project's own new_note template with the comment rendered as Markdown", async () => {
    const { project, reporter, issue } = await serviceDeskIssue();
    await db().serviceDeskEmailTemplate.create({
      data: {
        projectId: project.id,
        name: "new_note",
        content: "Acme answered %{ISSUE_ID} (%{ISSUE_PATH}):\n\n%{NOTE_TEXT}\n\nSee %{ISSUE_URL} · stop: %{UNSUBSCRIBE_URL}",
      },
    });
    await addNote(reporter, project.fullPath, 1, { body: "Your refund of **$20** is [tracked here](https://pay.example.com/r/1).\n\n- step one\n- step two" });
    const [mail] = await mailsOf(issue.id, "new_note");
    const sent = await db().sentNotification.findFirstOrThrow({ where: { issueId: issue.id, recipient: "jake@customer.example" }, orderBy: { id: "desc" } });
    expect(mail.html).toContain(`Acme answered #1 (${project.fullPath}#1)`);
    expect(mail.html).toContain("<strong>$20</strong>");
    expect(mail.html).toMatch(/<a [^>]*href="https:\/\/pay\.example\.com\/r\/1"[^>]*>tracked here<\/a>/);
    expect(mail.html).toMatch(/<li[^>]*>step one<\/li>/);
    expect(mail.html).toContain(`href="http://localhost:3000/${project.fullPath}/issues/1"`);
    expect(mail.html).toContain(`http://localhost:3000/unsubscribe/${sent.replyKey}`);
    expect(mail.text).toContain("Acme answered #1");
    expect(mail.text).toContain("$20");
    expect(mail.text).not.toContain("**");
  });
});

describe("the thread's view of Service Desk mail", () => {
  it("shows the team how each mail was routed (our addresses to Maintainers only), and Guests nothing of it", async () => {
    const { project, owner, reporter, guest, issue, customerMessageId } = await serviceDeskIssue({ confidential: false });
    await addNote(reporter, project.fullPath, 1, { body: "Which order?" });
    const [answer] = await mailsOf(issue.id, "new_note");
    const replyId = newMessageId();
    const reply = await deliver(eml({ to: answer.replyTo!, messageId: replyId, inReplyTo: (answer.headers as Record<string, string>)["Message-ID"], body: "Order 42." }));
    expect(reply.status).toBe("added_note");

    const thread = await getIssue(reporter, project.fullPath, 1);
    const created = thread.emails.find((e) => e.status === "created_issue");
    expect(created).toMatchObject({ noteId: null, messageId: customerMessageId, fromAddress: "jake@customer.example", route: "Service Desk address (To)" });
    expect(created?.reason).toBe("To: the project's Service Desk address");
    const customerNote = thread.notes.find((n) => n.body.includes("Order 42."))!;
    const added = thread.emails.find((e) => e.noteId === customerNote.id);
    expect(added).toMatchObject({ status: "added_note", messageId: replyId, route: "reply key (To)" });
    expect(added?.reason).toBe("To: the issue's reply address");

    const asOwner = await getIssue(owner, project.fullPath, 1);
    expect(asOwner.emails.find((e) => e.status === "created_issue")?.reason).toMatch(/^To: incoming\+.*-issue-@localhost$/);
    expect(asOwner.emails.find((e) => e.noteId === customerNote.id)?.reason).toBe(`To: ${answer.replyTo}`);

    const asGuest = await getIssue(guest, project.fullPath, 1);
    expect(asGuest.notes.some((n) => n.id === customerNote.id)).toBe(true);
    expect(asGuest.emails).toEqual([]);
  });
});

describe("the composer's preview", () => {
  it("renders like the thread and is only for people who may comment", async () => {
    const { project, reporter, guest } = await serviceDeskIssue({ confidential: false });
    const body = "**bold** <script>alert(1)</script> [x](javascript:alert(1))";
    const html = await previewNote(reporter, project.fullPath, 1, body);
    expect(html).toBe(await renderUserMarkdown(body));
    expect(html).toContain("<strong>bold</strong>");
    expect(html).not.toMatch(/<script|javascript:/);

    expect((await appError(previewNote(guest, project.fullPath, 1, body))).code).toBe("forbidden");
    expect((await appError(previewNote(await makeUser("stranger"), project.fullPath, 1, body))).code).toBe("not_found");
    expect((await appError(previewNote(null, project.fullPath, 1, body))).code).toBe("unauthorized");
    expect((await appError(previewNote(reporter, project.fullPath, 99, body))).code).toBe("not_found");
  });
});

describe("closing a Service Desk issue", () => {
  it("mails the customer only when the project turned on email on close", async () => {
    const { project, reporter, issue } = await serviceDeskIssue();
    const quiet = await setIssueState(reporter, project.fullPath, 1, "close");
    expect(quiet.outboxIds).toEqual([]);
    await setIssueState(reporter, project.fullPath, 1, "reopen");

    await db().serviceDeskSetting.update({ where: { projectId: project.id }, data: { emailOnClose: true } });
    const closed = await setIssueState(reporter, project.fullPath, 1, "close");
    expect(closed.outboxIds).toHaveLength(1);
    const [mail] = await mailsOf(issue.id, "issue_closed");
    expect(mail).toMatchObject({ to: "jake@customer.example", subject: "Re: Refund (#1)" });
    expect(mail.text).toContain("#1");
    // Closing what is already closed sends nothing more.
    expect((await setIssueState(reporter, project.fullPath, 1, "close")).outboxIds).toEqual([]);
    expect(await mailsOf(issue.id, "issue_closed")).toHaveLength(1);
  });
});

describe("comments on an ordinary issue", () => {
  it("mail nobody", async () => {
    const owner = await makeUser("owner");
    const project = await createProject(owner, uniqueProjectPath("plain"));
    const issue = await createIssue(owner, project.fullPath, { title: "Internal work" });
    const note = await addNote(owner, project.fullPath, issue.iid, { body: "Done." });
    expect(note.outboxIds).toEqual([]);
  });
});
