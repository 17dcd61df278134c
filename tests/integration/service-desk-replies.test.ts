// The team's answers reach the customer: a public comment on a Service Desk issue queues a threaded new_note
// mail to each subscribed participant in the same transaction; internal notes and ordinary issues never do.
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { addMember } from "@/lib/data/members";
import { addNote } from "@/lib/data/notes";
import { createIssue, setIssueState } from "@/lib/data/issues";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { projectKey } from "@/lib/service-desk/address";
import { deliver, eml, newMessageId } from "../support/mail";
import { makeUser, uniqueProjectPath } from "./helpers";

async function serviceDeskIssue() {
  const owner = await makeUser("owner");
  const reporter = await makeUser("reporter");
  const project = await createProject(owner, uniqueProjectPath("sdr"));
  await addMember(owner, project.fullPath, reporter.email, "REPORTER");
  await setServiceDeskEnabled(owner, project.fullPath, true);
  const customerMessageId = newMessageId();
  const outcome = await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, messageId: customerMessageId, subject: "Refund" }));
  expect(outcome.status).toBe("created_issue");
  const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.id, iid: 1 } } });
  return { project, owner, reporter, issue, customerMessageId };
}

const mailsOf = (issueId: number, kind: string) => db().outboundEmail.findMany({ where: { issueId, kind }, orderBy: { createdAt: "asc" } });

describe("public comments on a Service Desk issue", () => {
  it("queue a new_note mail to the customer, threaded under the thank-you with a fresh reply key", async () => {
    const { project, reporter, issue, customerMessageId } = await serviceDeskIssue();
    const note = await addNote(reporter, project.fullPath, 1, { body: "We have refunded **$20**. <script>alert(1)</script>" });
    expect(note.outboxIds).toHaveLength(1);

    const [mail] = await mailsOf(issue.id, "new_note");
    expect(mail).toMatchObject({ to: "jake@customer.example", subject: "Re: Refund (#1)", fromName: "Support Bot" });
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
