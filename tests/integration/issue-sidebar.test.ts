// The issue sidebar's data layer: labels (create, case-insensitive uniqueness, colours, set with system notes),
// assignees (project members only), external participants of Service Desk issues (add with the
// new_participant mail, cap, validation, remove) and who may see or change each of them.
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { listAssignableMembers, setIssueAssignees } from "@/lib/data/assignees";
import { getIssueSidebar } from "@/lib/data/issue-sidebar";
import { createIssue, getIssue } from "@/lib/data/issues";
import { createLabel, listProjectLabels, setIssueLabels } from "@/lib/data/labels";
import { removeMember } from "@/lib/data/members";
import { addParticipant, listParticipants, removeParticipant } from "@/lib/data/participants";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { resetEnv } from "@/lib/env";
import type { ErrorCode } from "@/lib/errors";
import { LABEL_COLORS } from "@/lib/schemas";
import { projectKey, SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { deliver, eml, newMessageId } from "../support/mail";
import { appError, makeProjectWithMembers, makeUser, outcome, uid, type ProjectFixture } from "./helpers";

const CUSTOMER = "jake@customer.example";

/** A project with one member per role and Service Desk on; `confidential` decides the tickets' default. */
async function serviceDeskProject(options: { confidential?: boolean } = {}) {
  const fx = await makeProjectWithMembers();
  await setServiceDeskEnabled(fx.actors.owner, fx.fullPath, true);
  if (options.confidential === false)
    await db().serviceDeskSetting.update({ where: { projectId: fx.projectId }, data: { ticketsConfidentialByDefault: false } });
  return fx;
}

/** A new Service Desk issue in `fx` (from a customer mail), with its thank-you mail. */
async function serviceDeskIssue(fx: ProjectFixture, subject = "Refund please") {
  const customerMessageId = newMessageId();
  const result = await deliver(
    eml({ to: `incoming+${projectKey({ id: fx.projectId, fullPath: fx.fullPath })}@localhost`, messageId: customerMessageId, subject }),
  );
  expect(result.status).toBe("created_issue");
  const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: fx.projectId, iid: result.issueIid! } } });
  expect(issue.authorId).toBe(SUPPORT_BOT_ID);
  return { issue, customerMessageId };
}

const systemNotes = (issueId: number) =>
  db().note.findMany({ where: { issueId, system: true }, orderBy: { id: "asc" }, select: { body: true, internal: true, authorId: true } });

describe("labels", () => {
  let fx: ProjectFixture;
  beforeAll(async () => {
    fx = await makeProjectWithMembers();
  });

  it("are created with a trimmed title and a validated colour, or the next colour of the palette", async () => {
    const bug = await createLabel(fx.actors.reporter, fx.fullPath, { title: "  bug  ", color: "#DC143C", description: "Something broke" });
    expect(bug).toMatchObject({ title: "bug", color: "#dc143c", description: "Something broke" });
    const plain = await createLabel(fx.actors.reporter, fx.fullPath, { title: "needs info" });
    expect(LABEL_COLORS).toContain(plain.color);
    expect((await listProjectLabels(fx.actors.guest, fx.fullPath)).map((l) => l.title)).toEqual(["bug", "needs info"]);
  });

  it("refuse a title that exists already in any letter case, and a bad colour or title, with field errors", async () => {
    await createLabel(fx.actors.developer, fx.fullPath, { title: "Feature" });
    for (const title of ["Feature", "feature", " FEATURE "]) {
      const error = await appError(createLabel(fx.actors.developer, fx.fullPath, { title }));
      expect(error.code).toBe("conflict");
      expect(error.fieldErrors?.title).toMatch(/already exists/);
    }
    for (const color of ["red", "#12345", "#1234567", "#ggg000", "javascript:alert(1)"]) {
      const error = await appError(createLabel(fx.actors.developer, fx.fullPath, { title: `c-${uid()}`, color }));
      expect(error).toMatchObject({ code: "bad_request" });
      expect(error.fieldErrors?.color).toMatch(/hex colour/);
    }
    expect((await appError(createLabel(fx.actors.developer, fx.fullPath, { title: "   " }))).fieldErrors?.title).toBe("Title is required.");
    expect((await appError(createLabel(fx.actors.developer, fx.fullPath, { title: "a,b" }))).fieldErrors?.title).toMatch(/commas/);
    expect((await appError(createLabel(fx.actors.developer, fx.fullPath, { title: "x".repeat(256) }))).fieldErrors?.title).toMatch(/too long/);
    expect(await db().label.count({ where: { projectId: fx.projectId, title: { equals: "feature", mode: "insensitive" } } })).toBe(1);
  });

  it("created at the same moment with titles that differ only in case end as one label", async () => {
    const results = await Promise.allSettled(["Urgent", "urgent", "URGENT"].map((title) => createLabel(fx.actors.owner, fx.fullPath, { title })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "conflict" });
    expect(await db().label.count({ where: { projectId: fx.projectId, title: { equals: "urgent", mode: "insensitive" } } })).toBe(1);
  });

  it("with the same title may exist in another project", async () => {
    const other = await makeProjectWithMembers();
    await createLabel(other.actors.owner, other.fullPath, { title: "bug" });
    await expect(createLabel(fx.actors.owner, fx.fullPath, { title: "Bug" })).rejects.toMatchObject({ code: "conflict" });
  });

  it("are set on an issue with GitLab-style system notes, bump the issue, and setting the same set changes nothing", async () => {
    const issue = await createIssue(fx.actors.reporter, fx.fullPath, { title: `Labelled ${uid()}` });
    const labels = await listProjectLabels(fx.actors.reporter, fx.fullPath);
    const id = (title: string) => labels.find((l) => l.title === title)!.id;
    const before = (await db().issue.findUniqueOrThrow({ where: { id: issue.id } })).updatedAt;

    const first = await setIssueLabels(fx.actors.reporter, fx.fullPath, issue.iid, [id("needs info"), id("bug"), id("bug")]);
    expect(first).toMatchObject({ changed: true });
    expect(first.labels.map((l) => l.title)).toEqual(["bug", "needs info"]);
    expect((await db().issue.findUniqueOrThrow({ where: { id: issue.id } })).updatedAt.getTime()).toBeGreaterThan(before.getTime());

    const second = await setIssueLabels(fx.actors.developer, fx.fullPath, issue.iid, [id("needs info"), id("Feature")]);
    expect(second.labels.map((l) => l.title)).toEqual(["Feature", "needs info"]);
    expect(await setIssueLabels(fx.actors.developer, fx.fullPath, issue.iid, [id("Feature"), id("needs info")])).toMatchObject({ changed: false });
    await setIssueLabels(fx.actors.developer, fx.fullPath, issue.iid, []);

    expect(await systemNotes(issue.id)).toEqual([
      { body: 'added ~bug ~"needs info" labels', internal: false, authorId: fx.actors.reporter!.id },
      { body: "added ~Feature label and removed ~bug label", internal: false, authorId: fx.actors.developer!.id },
      { body: 'removed ~Feature ~"needs info" labels', internal: false, authorId: fx.actors.developer!.id },
    ]);
    expect(await db().issueLabel.count({ where: { issueId: issue.id } })).toBe(0);
  });

  it("of another project (or unknown ones) cannot be put on an issue", async () => {
    const other = await makeProjectWithMembers();
    const foreign = await createLabel(other.actors.owner, other.fullPath, { title: `foreign-${uid()}` });
    const issue = await createIssue(fx.actors.owner, fx.fullPath, { title: "No foreign labels" });
    for (const ids of [[foreign.id], [2_000_000_000]]) {
      const error = await appError(setIssueLabels(fx.actors.owner, fx.fullPath, issue.iid, ids));
      expect(error.code).toBe("bad_request");
    }
    expect(await db().issueLabel.count({ where: { issueId: issue.id } })).toBe(0);
    expect(await systemNotes(issue.id)).toEqual([]);
  });
});

describe("assignees", () => {
  let fx: ProjectFixture;
  beforeAll(async () => {
    fx = await makeProjectWithMembers();
  });

  it("are members of the project, with system notes for assigning and unassigning", async () => {
    const { reporter, developer, guest } = fx.actors;
    const issue = await createIssue(reporter!, fx.fullPath, { title: "Assign me" });
    const assignable = await listAssignableMembers(reporter, fx.fullPath, issue.iid);
    expect(assignable.map((u) => u.id)).toEqual(expect.arrayContaining([guest.id, reporter!.id, developer!.id, fx.actors.owner.id]));
    expect(assignable.map((u) => u.id)).not.toContain(fx.actors.nonMember.id);

    const first = await setIssueAssignees(reporter, fx.fullPath, issue.iid, [developer!.id, guest.id]);
    expect(first.assignees.map((u) => u.id).sort()).toEqual([developer!.id, guest.id].sort());
    await setIssueAssignees(reporter, fx.fullPath, issue.iid, [guest.id, reporter!.id]);
    expect(await setIssueAssignees(reporter, fx.fullPath, issue.iid, [reporter!.id, guest.id])).toMatchObject({ changed: false });
    await setIssueAssignees(reporter, fx.fullPath, issue.iid, []);

    expect((await systemNotes(issue.id)).map((n) => n.body)).toEqual([
      `assigned to ${[developer!, guest].map((u) => `@${u.username}`).sort().join(" and ")}`,
      `assigned to @${reporter!.username} and unassigned @${developer!.username}`,
      `unassigned ${[guest, reporter!].map((u) => `@${u.username}`).sort().join(" and ")}`,
    ]);
    expect(await db().issueAssignee.count({ where: { issueId: issue.id } })).toBe(0);
  });

  it("cannot be people outside the project, unknown users or the Support Bot", async () => {
    const issue = await createIssue(fx.actors.owner, fx.fullPath, { title: "Members only" });
    const admin = await makeUser("admin", { isAdmin: true });
    for (const id of [fx.actors.nonMember.id, admin.id, "no-such-user", SUPPORT_BOT_ID]) {
      const error = await appError(setIssueAssignees(fx.actors.owner, fx.fullPath, issue.iid, [id]));
      expect(error.code).toBe("bad_request");
      expect(error.message).toMatch(/members of this project/);
    }
    expect(await db().issueAssignee.count({ where: { issueId: issue.id } })).toBe(0);
  });

  it("of a confidential issue must be able to see it (Reporter and up)", async () => {
    const issue = await createIssue(fx.actors.owner, fx.fullPath, { title: "Secret", confidential: true });
    const assignable = (await listAssignableMembers(fx.actors.reporter, fx.fullPath, issue.iid)).map((u) => u.id);
    expect(assignable).toContain(fx.actors.reporter!.id);
    expect(assignable).not.toContain(fx.actors.guest.id);
    await expect(setIssueAssignees(fx.actors.owner, fx.fullPath, issue.iid, [fx.actors.guest.id])).rejects.toMatchObject({ code: "bad_request" });
  });

  it("who left the project can still be unassigned", async () => {
    const fy = await makeProjectWithMembers();
    const issue = await createIssue(fy.actors.owner, fy.fullPath, { title: "Leaver" });
    await setIssueAssignees(fy.actors.owner, fy.fullPath, issue.iid, [fy.actors.developer!.id, fy.actors.reporter!.id]);
    await removeMember(fy.actors.owner, fy.fullPath, fy.actors.developer!.id);
    // Keeping them while changing someone else is fine; re-adding after removal is not.
    await setIssueAssignees(fy.actors.owner, fy.fullPath, issue.iid, [fy.actors.developer!.id]);
    const result = await setIssueAssignees(fy.actors.owner, fy.fullPath, issue.iid, []);
    expect(result.assignees).toEqual([]);
    await expect(setIssueAssignees(fy.actors.owner, fy.fullPath, issue.iid, [fy.actors.developer!.id])).rejects.toMatchObject({ code: "bad_request" });
  });
});

describe("external participants", () => {
  let fx: ProjectFixture;
  beforeAll(async () => {
    fx = await serviceDeskProject();
  });

  it("added by a Reporter get the new_participant mail, threaded with a fresh reply key", async () => {
    const { issue, customerMessageId } = await serviceDeskIssue(fx, "Broken invoice");
    const result = await addParticipant(fx.actors.reporter, fx.fullPath, issue.iid, "  Jane@Example.COM ");
    expect(result.participant).toMatchObject({ email: "jane@example.com", status: "subscribed" });
    expect(result.outboxIds).toHaveLength(1);

    const mail = await db().outboundEmail.findUniqueOrThrow({ where: { id: result.outboxIds[0] } });
    expect(mail).toMatchObject({ kind: "new_participant", to: "jane@example.com", subject: "Re: Broken invoice (#1)", issueId: issue.id });
    expect(mail.text).toContain("You have been added to ticket #1");
    const sent = await db().sentNotification.findMany({ where: { issueId: issue.id }, orderBy: { id: "asc" } });
    const thanks = sent.find((s) => s.recipient === CUSTOMER)!;
    const jane = sent.find((s) => s.recipient === "jane@example.com")!;
    expect(jane.replyKey).toMatch(/^[0-9a-f]{32}$/);
    expect(mail.replyTo).toBe(`incoming+${jane.replyKey}@localhost`);
    const headers = mail.headers as Record<string, string>;
    expect(headers["Message-ID"]).toBe(`<${jane.messageId}>`);
    expect(headers["In-Reply-To"]).toBe(`<${thanks.messageId}>`);
    expect(headers["References"]).toBe(`<${customerMessageId}> <${thanks.messageId}> <reply-${jane.replyKey}@localhost>`);
    expect(headers["List-Unsubscribe"]).toBe(`<http://localhost:3000/unsubscribe/${jane.replyKey}>`);

    // Recorded for the team only: a note about a customer's address is internal.
    expect((await systemNotes(issue.id)).at(-1)).toEqual({ body: "added jane@example.com as a participant", internal: true, authorId: fx.actors.reporter!.id });
    expect((await listParticipants(fx.actors.reporter, fx.fullPath, issue.iid)).map((p) => p.email)).toEqual([CUSTOMER, "jane@example.com"]);

    // Jane's answer to that mail lands in the issue.
    const reply = await deliver(eml({ from: "Jane <jane@example.com>", to: mail.replyTo!, body: "Adding my details." }));
    expect(reply).toMatchObject({ status: "added_note", issueIid: issue.iid });
  });

  it("refuse invalid addresses, duplicates and the Service Desk's own addresses with a message on the field", async () => {
    const { issue } = await serviceDeskIssue(fx);
    for (const email of ["", "not-an-email", "jane@", "a b@example.com"]) {
      const error = await appError(addParticipant(fx.actors.developer, fx.fullPath, issue.iid, email));
      expect(error).toMatchObject({ code: "bad_request", fieldErrors: { email: "Enter a valid email address." } });
    }
    const dup = await appError(addParticipant(fx.actors.developer, fx.fullPath, issue.iid, CUSTOMER.toUpperCase()));
    expect(dup).toMatchObject({ code: "conflict", fieldErrors: { email: `${CUSTOMER} is already a participant of this issue.` } });
    // Our own addresses (here under the alias domain, a real one) would mail the project itself.
    const saved = process.env.SERVICE_DESK_EMAIL_ADDRESS;
    process.env.SERVICE_DESK_EMAIL_ADDRESS = "contact+%{key}@support.example.com";
    resetEnv();
    try {
      for (const email of ["contact+anything-1-issue-@support.example.com", "CONTACT+x_y@Support.Example.com"]) {
        const error = await appError(addParticipant(fx.actors.developer, fx.fullPath, issue.iid, email));
        expect(error).toMatchObject({ code: "bad_request" });
        expect(error.fieldErrors?.email).toMatch(/own addresses/);
      }
    } finally {
      if (saved === undefined) delete process.env.SERVICE_DESK_EMAIL_ADDRESS;
      else process.env.SERVICE_DESK_EMAIL_ADDRESS = saved;
      resetEnv();
    }
    expect(await db().issueEmailParticipant.count({ where: { issueId: issue.id } })).toBe(1);
    expect(await db().outboundEmail.count({ where: { issueId: issue.id, kind: "new_participant" } })).toBe(0);
  });

  it("are at most 10 per issue", async () => {
    const { issue } = await serviceDeskIssue(fx);
    for (let i = 1; i <= 9; i++) await addParticipant(fx.actors.maintainer, fx.fullPath, issue.iid, `p${i}@example.com`);
    const error = await appError(addParticipant(fx.actors.maintainer, fx.fullPath, issue.iid, "eleventh@example.com"));
    expect(error).toMatchObject({ code: "bad_request" });
    expect(error.fieldErrors?.email).toMatch(/at most 10/);
    expect(await db().issueEmailParticipant.count({ where: { issueId: issue.id } })).toBe(10);
    // Removing one makes room again.
    await removeParticipant(fx.actors.maintainer, fx.fullPath, issue.iid, "p1@example.com");
    await addParticipant(fx.actors.maintainer, fx.fullPath, issue.iid, "eleventh@example.com");
    expect(await db().issueEmailParticipant.count({ where: { issueId: issue.id } })).toBe(10);
  });

  it("added concurrently still stop at 10", async () => {
    const { issue } = await serviceDeskIssue(fx);
    for (let i = 1; i <= 6; i++) await addParticipant(fx.actors.maintainer, fx.fullPath, issue.iid, `s${i}@example.com`);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => addParticipant(fx.actors.maintainer, fx.fullPath, issue.iid, `c${i}@example.com`)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "bad_request" });
    expect(await db().issueEmailParticipant.count({ where: { issueId: issue.id } })).toBe(10);
  });

  it("are removed with an internal system note, and removing one who is not there is a 404", async () => {
    const { issue } = await serviceDeskIssue(fx);
    await addParticipant(fx.actors.reporter, fx.fullPath, issue.iid, "bob@example.com");
    expect(await removeParticipant(fx.actors.reporter, fx.fullPath, issue.iid, " BOB@example.com ")).toEqual({ email: "bob@example.com" });
    expect((await systemNotes(issue.id)).at(-1)).toEqual({ body: "removed bob@example.com as a participant", internal: true, authorId: fx.actors.reporter!.id });
    await expect(removeParticipant(fx.actors.reporter, fx.fullPath, issue.iid, "bob@example.com")).rejects.toMatchObject({ code: "not_found" });
    expect((await listParticipants(fx.actors.reporter, fx.fullPath, issue.iid)).map((p) => p.email)).toEqual([CUSTOMER]);
  });

  it("show whether each one is subscribed, unsubscribed or bouncing", async () => {
    const { issue } = await serviceDeskIssue(fx);
    await addParticipant(fx.actors.reporter, fx.fullPath, issue.iid, "gone@example.com");
    await addParticipant(fx.actors.reporter, fx.fullPath, issue.iid, "bounce@example.com");
    await db().issueEmailParticipant.update({ where: { issueId_email: { issueId: issue.id, email: "gone@example.com" } }, data: { status: "unsubscribed" } });
    await db().issueEmailParticipant.update({ where: { issueId_email: { issueId: issue.id, email: "bounce@example.com" } }, data: { status: "bouncing" } });
    const statuses = Object.fromEntries((await listParticipants(fx.actors.reporter, fx.fullPath, issue.iid)).map((p) => [p.email, p.status]));
    expect(statuses).toEqual({ [CUSTOMER]: "subscribed", "gone@example.com": "unsubscribed", "bounce@example.com": "bouncing" });
    const sidebar = await getIssueSidebar(fx.actors.reporter, fx.fullPath, issue.iid);
    expect(sidebar.participants.map((p) => [p.email, p.status])).toEqual([
      [CUSTOMER, "subscribed"],
      ["gone@example.com", "unsubscribed"],
      ["bounce@example.com", "bouncing"],
    ]);
  });

  it("belong to Service Desk issues only", async () => {
    const issue = await createIssue(fx.actors.reporter, fx.fullPath, { title: "An ordinary issue" });
    const error = await appError(addParticipant(fx.actors.reporter, fx.fullPath, issue.iid, "jane@example.com"));
    expect(error).toMatchObject({ code: "bad_request" });
    expect(error.fieldErrors?.email).toMatch(/Service Desk issues/);
    expect(await db().issueEmailParticipant.count({ where: { issueId: issue.id } })).toBe(0);
    const sidebar = await getIssueSidebar(fx.actors.reporter, fx.fullPath, issue.iid);
    expect(sidebar).toMatchObject({ isServiceDesk: false, participants: [], permissions: { canTriage: true, canManageParticipants: false } });
  });
});

describe("the sidebar", () => {
  it("gives triagers the pickers and participants, and Guests only labels and assignees of issues they can see", async () => {
    const fx = await serviceDeskProject({ confidential: false });
    const { issue } = await serviceDeskIssue(fx, "Public ticket");
    expect(issue.confidential).toBe(false);
    const label = await createLabel(fx.actors.reporter, fx.fullPath, { title: "billing", color: "#6699cc" });
    await setIssueLabels(fx.actors.reporter, fx.fullPath, issue.iid, [label.id]);
    await setIssueAssignees(fx.actors.reporter, fx.fullPath, issue.iid, [fx.actors.developer!.id]);
    await addParticipant(fx.actors.reporter, fx.fullPath, issue.iid, "secret.person@example.com");

    const full = await getIssueSidebar(fx.actors.reporter, fx.fullPath, issue.iid);
    expect(full).toMatchObject({
      projectPath: fx.fullPath,
      iid: issue.iid,
      currentUserId: fx.actors.reporter!.id,
      isServiceDesk: true,
      labels: [{ id: label.id, title: "billing", color: "#6699cc" }],
      assignees: [{ id: fx.actors.developer!.id, username: fx.actors.developer!.username }],
      projectLabels: [{ id: label.id, title: "billing" }],
      maxParticipants: 10,
      permissions: { canTriage: true, canManageParticipants: true },
    });
    expect(full.participants.map((p) => p.email)).toEqual([CUSTOMER, "secret.person@example.com"]);
    expect(full.assignableMembers.map((u) => u.id)).toContain(fx.actors.guest.id);

    const guestView = await getIssueSidebar(fx.actors.guest, fx.fullPath, issue.iid);
    expect(guestView).toMatchObject({
      labels: [{ title: "billing" }],
      assignees: [{ id: fx.actors.developer!.id }],
      projectLabels: [],
      assignableMembers: [],
      participants: [],
      permissions: { canTriage: false, canManageParticipants: false },
    });
    // Nothing the Guest receives names a participant, not even the thread's system notes.
    expect(JSON.stringify(guestView)).not.toMatch(/secret\.person|jake@/);
    const thread = await getIssue(fx.actors.guest, fx.fullPath, issue.iid);
    expect(thread.notes.map((n) => n.body).join("\n")).not.toContain("secret.person");
    expect(thread.notes.map((n) => n.body)).toEqual(expect.arrayContaining(["added ~billing label", `assigned to @${fx.actors.developer!.username}`]));
    const teamThread = await getIssue(fx.actors.reporter, fx.fullPath, issue.iid);
    expect(teamThread.notes.map((n) => n.body)).toContain("added secret.person@example.com as a participant");
  });
});

// prettier-ignore
const MATRIX: Record<string, [publicIssue: ErrorCode | "ok", confidentialIssue: ErrorCode | "ok"][]> = {
  //                     anon                              nonMember                   guest                       reporter      developer     maintainer    owner
  getIssueSidebar:      [["unauthorized", "unauthorized"], ["not_found", "not_found"], ["ok", "not_found"],        ["ok", "ok"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"]],
  listProjectLabels:    [["unauthorized", "unauthorized"], ["not_found", "not_found"], ["ok", "ok"],               ["ok", "ok"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"]],
  createLabel:          [["unauthorized", "unauthorized"], ["not_found", "not_found"], ["forbidden", "forbidden"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"]],
  setIssueLabels:       [["unauthorized", "unauthorized"], ["not_found", "not_found"], ["forbidden", "forbidden"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"]],
  listAssignableMembers:[["unauthorized", "unauthorized"], ["not_found", "not_found"], ["forbidden", "forbidden"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"]],
  setIssueAssignees:    [["unauthorized", "unauthorized"], ["not_found", "not_found"], ["forbidden", "forbidden"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"]],
  listParticipants:     [["unauthorized", "unauthorized"], ["not_found", "not_found"], ["forbidden", "forbidden"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"]],
  addParticipant:       [["unauthorized", "unauthorized"], ["not_found", "not_found"], ["forbidden", "forbidden"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"]],
  removeParticipant:    [["unauthorized", "unauthorized"], ["not_found", "not_found"], ["forbidden", "forbidden"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"], ["ok", "ok"]],
};
const COLUMNS = ["anon", "nonMember", "guest", "reporter", "developer", "maintainer", "owner"] as const;

describe("authorization", () => {
  let fx: ProjectFixture;
  const iids = { public: 0, confidential: 0 };
  beforeAll(async () => {
    fx = await serviceDeskProject({ confidential: false });
    iids.public = (await serviceDeskIssue(fx, "Public")).issue.iid;
    iids.confidential = (await serviceDeskIssue(fx, "Confidential")).issue.iid;
    await db().issue.update({ where: { projectId_iid: { projectId: fx.projectId, iid: iids.confidential } }, data: { confidential: true } });
  });

  const run: Record<keyof typeof MATRIX, (actor: Actor | null, iid: number, tag: string) => Promise<unknown>> = {
    getIssueSidebar: (actor, iid) => getIssueSidebar(actor, fx.fullPath, iid),
    listProjectLabels: (actor) => listProjectLabels(actor, fx.fullPath),
    createLabel: (actor, _iid, tag) => createLabel(actor, fx.fullPath, { title: `label-${tag}` }),
    setIssueLabels: async (actor, iid, tag) => {
      const label = await createLabel(fx.actors.owner, fx.fullPath, { title: `set-${tag}` });
      return setIssueLabels(actor, fx.fullPath, iid, [label.id]);
    },
    listAssignableMembers: (actor, iid) => listAssignableMembers(actor, fx.fullPath, iid),
    setIssueAssignees: (actor, iid) => setIssueAssignees(actor, fx.fullPath, iid, [fx.actors.owner.id]).then(() => setIssueAssignees(fx.actors.owner, fx.fullPath, iid, [])),
    listParticipants: (actor, iid) => listParticipants(actor, fx.fullPath, iid),
    addParticipant: (actor, iid, tag) => addParticipant(actor, fx.fullPath, iid, `${tag}@example.com`).then(() => removeParticipant(fx.actors.owner, fx.fullPath, iid, `${tag}@example.com`)),
    removeParticipant: async (actor, iid, tag) => {
      await addParticipant(fx.actors.owner, fx.fullPath, iid, `${tag}@example.com`);
      try {
        return await removeParticipant(actor, fx.fullPath, iid, `${tag}@example.com`);
      } finally {
        // A refused removal must have left the participant in place.
        await removeParticipant(fx.actors.owner, fx.fullPath, iid, `${tag}@example.com`).catch(() => undefined);
      }
    },
  };

  for (const [name, row] of Object.entries(MATRIX))
    it(name, async () => {
      const got: typeof row = [];
      for (const [i, column] of COLUMNS.entries()) {
        const actor = fx.actors[column];
        const cell: (ErrorCode | "ok")[] = [];
        for (const kind of ["public", "confidential"] as const) cell.push(await outcome(run[name](actor, iids[kind], `${column}-${kind}-${uid(3)}`)));
        got[i] = cell as [ErrorCode | "ok", ErrorCode | "ok"];
      }
      expect(got).toEqual(row);
    });

  it("leaves nothing behind when refused", async () => {
    const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: fx.projectId, iid: iids.public } }, select: { id: true } });
    expect(await db().issueEmailParticipant.findMany({ where: { issueId: issue.id }, select: { email: true } })).toEqual([{ email: CUSTOMER }]);
    expect(await db().issueAssignee.count({ where: { issueId: issue.id } })).toBe(0);
    const labelTitles = (await db().label.findMany({ where: { projectId: fx.projectId, title: { startsWith: "label-" } }, select: { title: true } })).map((l) => l.title);
    expect(labelTitles.every((t) => /^label-(reporter|developer|maintainer|owner)-/.test(t))).toBe(true);
    // Refused setIssueLabels left only the successful roles' labels on the issue.
    const onIssue = await db().issueLabel.findMany({ where: { issueId: issue.id }, select: { label: { select: { title: true } } } });
    expect(onIssue.every((l) => /^set-(reporter|developer|maintainer|owner)-/.test(l.label.title))).toBe(true);
  });
});
