// The masking table: every data function and REST route that returns an address × every role. Customers'
// addresses in full from Reporter up (masked GitLab's way below, and not searchable), the project's own
// Service Desk addresses from Maintainer up, members' emails from Maintainer up; instance admins see all.
import { beforeAll, describe, expect, it } from "vitest";
import { GET as notesGet } from "@/app/api/v1/projects/[id]/issues/[iid]/notes/route";
import { GET as issueGet } from "@/app/api/v1/projects/[id]/issues/[iid]/route";
import { GET as issuesGet } from "@/app/api/v1/projects/[id]/issues/route";
import type { Actor } from "@/lib/auth/actor";
import { getIssueSidebar } from "@/lib/data/issue-sidebar";
import { listIssues, listServiceDeskIssues } from "@/lib/data/issue-list";
import { getIssue } from "@/lib/data/issues";
import { listMembers } from "@/lib/data/members";
import { addNote } from "@/lib/data/notes";
import { addParticipant, listParticipants } from "@/lib/data/participants";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { db } from "@/lib/db/client";
import { projectKey } from "@/lib/service-desk/address";
import { call, tokenFor } from "../support/api";
import { deliver, eml } from "../support/mail";
import { makeProjectWithMembers, makeUser, outcome, type ActorName, type ProjectFixture } from "./helpers";

type Who = ActorName | "admin";
const WHO: Who[] = ["anon", "nonMember", "guest", "reporter", "developer", "maintainer", "owner", "admin"];

const CUSTOMER = "jake@customer.example";
const CUSTOMER_MASKED = "j****@c****.example";
const PARTICIPANT = "ann@partner.example";

// What each actor may see: "full" address, "masked", or nothing at all (the call is refused with that code).
const CUSTOMER_VIEW: Record<Who, "full" | "masked" | "unauthorized" | "not_found"> = {
  anon: "unauthorized",
  nonMember: "not_found",
  guest: "masked",
  reporter: "full",
  developer: "full",
  maintainer: "full",
  owner: "full",
  admin: "full",
};
const SEES_INTERNAL: Record<Who, boolean> = { anon: false, nonMember: false, guest: false, reporter: false, developer: false, maintainer: true, owner: true, admin: true };
const SEES_MEMBER_EMAILS = SEES_INTERNAL;
const HTTP_REFUSED = { unauthorized: 401, not_found: 404 } as const;

let fixture: ProjectFixture;
let id: string;
let incoming: string;
let replyTo: string;
const actors = {} as Record<Who, Actor | null>;
const tokens = {} as Record<Who, string | undefined>;

beforeAll(async () => {
  fixture = await makeProjectWithMembers();
  const { fullPath, projectId } = fixture;
  Object.assign(actors, fixture.actors, { admin: await makeUser("admin", { isAdmin: true }) });
  id = String(projectId);
  await setServiceDeskEnabled(fixture.actors.owner, fullPath, true);
  // Not confidential, so Guests see the issue and the masking (not the 404) is what is tested.
  await db().serviceDeskSetting.update({ where: { projectId }, data: { ticketsConfidentialByDefault: false } });
  const project = await db().project.findUniqueOrThrow({ where: { id: projectId } });
  incoming = `incoming+${projectKey(project)}@localhost`;
  expect((await deliver(eml({ from: `Jake Customer <${CUSTOMER}>`, to: incoming, subject: "Printer on fire" }))).status).toBe("created_issue");
  await addParticipant(fixture.actors.reporter, fullPath, 1, PARTICIPANT);
  await addNote(fixture.actors.reporter, fullPath, 1, { body: "Which printer?" });
  const answer = await db().outboundEmail.findFirstOrThrow({ where: { kind: "new_note", to: CUSTOMER }, orderBy: { createdAt: "desc" } });
  replyTo = answer.replyTo!;
  expect((await deliver(eml({ from: CUSTOMER, to: replyTo, body: "The big one." }))).status).toBe("added_note");
  for (const who of WHO) tokens[who] = actors[who] ? await tokenFor(actors[who]) : undefined;
});

/** The address `who` should get for `full`/`masked`. */
const expectedAddress = (who: Who, full: string, masked: string) => (CUSTOMER_VIEW[who] === "full" ? full : masked);

describe.each(WHO)("%s", (who) => {
  const view = CUSTOMER_VIEW[who];
  const refused = view === "unauthorized" || view === "not_found";

  it("getIssue: the issue's and the notes' customer, and the mails' details", async () => {
    const result = getIssue(actors[who], fixture.fullPath, 1);
    if (refused) return expect(await outcome(result)).toBe(view);
    const issue = await result;
    expect(issue.externalAuthor).toBe(expectedAddress(who, CUSTOMER, CUSTOMER_MASKED));
    const customerNote = issue.notes.find((n) => n.body.includes("The big one."))!;
    expect(customerNote.externalAuthor).toBe(expectedAddress(who, CUSTOMER, CUSTOMER_MASKED));
    if (view === "masked") {
      expect(issue.emails).toEqual([]);
      expect(JSON.stringify(issue)).not.toMatch(/jake@|ann@|incoming\+/);
      return;
    }
    const created = issue.emails.find((e) => e.status === "created_issue")!;
    const added = issue.emails.find((e) => e.noteId === customerNote.id)!;
    expect(created).toMatchObject({ fromAddress: CUSTOMER, route: "Service Desk address (To)" });
    expect(added).toMatchObject({ fromAddress: CUSTOMER, route: "reply key (To)" });
    if (SEES_INTERNAL[who]) {
      expect(created.reason).toBe(`To: ${incoming}`);
      expect(added.reason).toBe(`To: ${replyTo}`);
    } else {
      expect(created.reason).toBe("To: the project's Service Desk address");
      expect(added.reason).toBe("To: the issue's reply address");
      expect(JSON.stringify(issue)).not.toContain("incoming+");
    }
  });

  it("listIssues, the tracker and search: masked rows, no finding an issue by address", async () => {
    const list = listIssues(actors[who], fixture.fullPath, { serviceDesk: true });
    if (refused) return expect(await outcome(list)).toBe(view);
    expect((await list).issues.map((i) => i.externalAuthor)).toEqual([expectedAddress(who, CUSTOMER, CUSTOMER_MASKED)]);
    // Text search covers titles and descriptions only, for everyone: an address finds nothing.
    expect((await listIssues(actors[who], fixture.fullPath, { search: CUSTOMER })).issues).toEqual([]);
    expect((await listIssues(actors[who], fixture.fullPath, { search: "customer.example" })).issues).toEqual([]);
    // Called when awaited, so a refusal is never an unhandled rejection while another call is awaited.
    const byCustomer = () => listIssues(actors[who], fixture.fullPath, { author: CUSTOMER });
    const tracker = () => listServiceDeskIssues(actors[who], fixture.fullPath);
    if (view === "masked") {
      expect(await outcome(byCustomer())).toBe("bad_request");
      expect(await outcome(tracker())).toBe("forbidden");
    } else {
      expect((await byCustomer()).issues.map((i) => i.iid)).toEqual([1]);
      expect((await tracker()).issues.map((i) => i.externalAuthor)).toEqual([CUSTOMER]);
    }
  });

  it("the sidebar and the participants list", async () => {
    const sidebar = () => getIssueSidebar(actors[who], fixture.fullPath, 1);
    const participants = () => listParticipants(actors[who], fixture.fullPath, 1);
    if (refused) {
      expect(await outcome(sidebar())).toBe(view);
      return expect(await outcome(participants())).toBe(view);
    }
    if (view === "masked") {
      const data = await sidebar();
      expect(data.participants).toEqual([]);
      expect(JSON.stringify(data)).not.toMatch(/jake@|ann@/);
      return expect(await outcome(participants())).toBe("forbidden");
    }
    const emails = [CUSTOMER, PARTICIPANT].sort();
    expect((await sidebar()).participants.map((p) => p.email).sort()).toEqual(emails);
    expect((await participants()).map((p) => p.email).sort()).toEqual(emails);
  });

  it("members: emails for Maintainers and admins, names and usernames for the rest", async () => {
    const members = listMembers(actors[who], fixture.fullPath);
    if (refused) return expect(await outcome(members)).toBe(view);
    const rows = await members;
    expect(rows).toHaveLength(5);
    for (const member of rows) expect(member.username).toBeTruthy();
    if (SEES_MEMBER_EMAILS[who]) expect(rows.map((m) => m.email).sort()).toEqual(["developer", "guest", "maintainer", "owner", "reporter"].map((n) => fixture.actors[n as ActorName]!.email).sort());
    else expect(rows.map((m) => m.email)).toEqual([null, null, null, null, null]);
  });

  it("REST API: issue, notes, list and the service_desk_reply_to filter", async () => {
    const token = tokens[who];
    const issue = await call(issueGet, { id, iid: "1" }, { token });
    const notes = await call(notesGet, { id, iid: "1" }, { token });
    const list = await call(issuesGet, { id }, { token, query: "service_desk=true" });
    const filtered = await call(issuesGet, { id }, { token, query: `service_desk_reply_to=${encodeURIComponent(CUSTOMER)}` });
    const searched = await call(issuesGet, { id }, { token, query: `search=${encodeURIComponent(CUSTOMER)}` });
    if (refused) {
      for (const answer of [issue, notes, list, filtered, searched]) expect(answer.status).toBe(HTTP_REFUSED[view]);
      return;
    }
    const address = expectedAddress(who, CUSTOMER, CUSTOMER_MASKED);
    expect(issue.status).toBe(200);
    expect(issue.json.service_desk_reply_to).toBe(address);
    expect(notes.json.find((n: { body: string }) => n.body.includes("The big one.")).external_author).toBe(address);
    expect(list.json.map((i: { service_desk_reply_to: string }) => i.service_desk_reply_to)).toEqual([address]);
    expect(searched.json).toEqual([]);
    if (view === "masked") {
      expect(filtered.status).toBe(400);
      const everything = JSON.stringify([issue.json, notes.json, list.json, filtered.json]);
      expect(everything).not.toMatch(/jake@|ann@|incoming\+/);
    } else {
      expect(filtered.json.map((i: { iid: number }) => i.iid)).toEqual([1]);
      if (!SEES_INTERNAL[who]) expect(JSON.stringify([issue.json, notes.json])).not.toContain("incoming+");
    }
  });
});
