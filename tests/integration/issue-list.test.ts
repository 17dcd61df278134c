// Issue lists and the Service Desk tracker: filters alone and combined, counts, search, sort, keyset pages over
// 10,000 seeded issues, visibility by role, and links that were tampered with.
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { seedIssues } from "@/lib/db/seed-issues";
import { createIssue, setIssueState } from "@/lib/data/issues";
import { encodeCursor, listIssues, listServiceDeskIssues, type IssueListPage } from "@/lib/data/issue-list";
import { addNote } from "@/lib/data/notes";
import type { IssueListInput } from "@/lib/schemas";
import { SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { appError, backend, makeProjectWithMembers, outcome, type ProjectFixture } from "./helpers";

interface IssueSpec {
  title: string;
  description?: string;
  /** Customer address: a Service Desk issue (confidential, by the Support Bot). */
  customer?: string;
  confidential?: boolean;
  closed?: boolean;
  labels?: string[];
  assignees?: Actor[];
  awaiting?: boolean;
}

async function makeIssue(fx: ProjectFixture, spec: IssueSpec): Promise<number> {
  let iid: number;
  if (spec.customer) {
    iid = await db().$transaction(async (tx) => {
      const { lastIssueIid } = await tx.project.update({
        where: { id: fx.projectId },
        data: { lastIssueIid: { increment: 1 } },
        select: { lastIssueIid: true },
      });
      await tx.issue.create({
        data: {
          projectId: fx.projectId,
          iid: lastIssueIid,
          title: spec.title,
          description: spec.description ?? "",
          confidential: spec.confidential ?? true,
          authorId: SUPPORT_BOT_ID,
          externalAuthor: spec.customer,
          awaitingReply: spec.awaiting ?? true,
        },
      });
      return lastIssueIid;
    });
  } else {
    ({ iid } = await createIssue(fx.actors.owner, fx.fullPath, {
      title: spec.title,
      description: spec.description,
      confidential: spec.confidential,
    }));
  }
  const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: fx.projectId, iid } }, select: { id: true } });
  for (const title of spec.labels ?? []) {
    const label = await db().label.upsert({
      where: { projectId_title: { projectId: fx.projectId, title } },
      create: { projectId: fx.projectId, title, color: title === "bug" ? "#d9534f" : "#428bca" },
      update: {},
    });
    await db().issueLabel.create({ data: { issueId: issue.id, labelId: label.id } });
  }
  for (const user of spec.assignees ?? []) await db().issueAssignee.create({ data: { issueId: issue.id, userId: user.id } });
  if (spec.closed) await setIssueState(fx.actors.owner, fx.fullPath, iid, "close");
  return iid;
}

const titles = (page: IssueListPage) => page.issues.map((i) => i.title);
const sortedTitles = (page: IssueListPage) => titles(page).sort();

describe("issue list filters, search and counts", () => {
  let fx: ProjectFixture;
  let owner: Actor;
  let developer: Actor;
  let maintainer: Actor;
  const iids: Record<string, number> = {};

  beforeAll(async () => {
    fx = await makeProjectWithMembers();
    ({ owner, maintainer } = fx.actors);
    developer = fx.actors.developer!;
    const specs: [string, Omit<IssueSpec, "title">][] = [
      ["Printer on fire", { customer: "jake@customer.example", labels: ["bug", "urgent"], assignees: [developer] }],
      ["Refund for order 123", { customer: "Finn_Human@customer.example", labels: ["bug"], awaiting: false }],
      ["Invoice 50% off?", { customer: "finnXhuman@customer.example", closed: true, awaiting: false }],
      ["Login broken", { description: "The login_form field is empty", labels: ["bug"], assignees: [developer, maintainer] }],
      ["Dark mode", { labels: ["feature"], closed: true }],
      ["Secret roadmap", { confidential: true, assignees: [maintainer] }],
      ["Plain task", {}],
    ];
    for (const [title, spec] of specs) iids[title] = await makeIssue(fx, { title, ...spec });
  });

  it("lists open issues, newest first, with the tab counts", async () => {
    const page = await listIssues(owner, fx.fullPath);
    expect(titles(page)).toEqual(["Plain task", "Secret roadmap", "Login broken", "Refund for order 123", "Printer on fire"]);
    expect(page.counts).toEqual({ opened: 5, closed: 2, all: 7 });
    expect(page.nextCursor).toBeNull();
    expect(page.prevCursor).toBeNull();
    expect(page.query).toMatchObject({ state: "opened", sort: "created_desc", labels: [], serviceDesk: false });
  });

  it("returns plain rows with labels, assignees, Service Desk fields and comment counts", async () => {
    const iid = iids["Printer on fire"];
    await addNote(developer, fx.fullPath, iid, { body: "On it" });
    await addNote(developer, fx.fullPath, iid, { body: "internal: check the fuse", internal: true });
    const [row] = (await listIssues(owner, fx.fullPath, { search: `#${iid}` })).issues;
    expect(row).toEqual({
      id: expect.any(Number),
      iid,
      title: "Printer on fire",
      state: "OPENED",
      confidential: true,
      serviceDesk: true,
      externalAuthor: "jake@customer.example",
      author: { username: "support-bot", name: expect.any(String) },
      labels: [
        { title: "bug", color: "#d9534f" },
        { title: "urgent", color: "#428bca" },
      ],
      assignees: [{ username: developer.username, name: developer.name }],
      commentCount: 2,
      // The public comment answered the customer (lib/data/notes.ts clears the flag).
      awaitingReply: false,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    const login = (await listIssues(owner, fx.fullPath, { search: `#${iids["Login broken"]}` })).issues[0];
    expect(login.assignees.map((a) => a.username).sort()).toEqual([developer.username, maintainer.username].sort());
    expect(login.serviceDesk).toBe(false);
    expect(login.externalAuthor).toBeNull();
  });

  it("filters by state", async () => {
    expect(sortedTitles(await listIssues(owner, fx.fullPath, { state: "closed" }))).toEqual(["Dark mode", "Invoice 50% off?"]);
    expect(titles(await listIssues(owner, fx.fullPath, { state: "all" }))).toHaveLength(7);
  });

  it("filters Service Desk issues, with counts for that filter", async () => {
    const page = await listIssues(owner, fx.fullPath, { serviceDesk: true, state: "all" });
    expect(sortedTitles(page)).toEqual(["Invoice 50% off?", "Printer on fire", "Refund for order 123"]);
    expect(page.issues.every((i) => i.serviceDesk)).toBe(true);
    expect(page.counts).toEqual({ opened: 2, closed: 1, all: 3 });
    // The URL form of the flag.
    expect(sortedTitles(await listIssues(owner, fx.fullPath, { serviceDesk: "true" }))).toEqual(["Printer on fire", "Refund for order 123"]);
  });

  it("filters by label (every given label, any case)", async () => {
    expect(sortedTitles(await listIssues(owner, fx.fullPath, { labels: ["bug"] }))).toEqual([
      "Login broken",
      "Printer on fire",
      "Refund for order 123",
    ]);
    expect(titles(await listIssues(owner, fx.fullPath, { labels: ["BUG", "Urgent"] }))).toEqual(["Printer on fire"]);
    expect(titles(await listIssues(owner, fx.fullPath, { labels: ["bug", "feature"], state: "all" }))).toEqual([]);
    expect(titles(await listIssues(owner, fx.fullPath, { labels: ["no-such-label"] }))).toEqual([]);
    // "b_g" is a title, not a LIKE pattern.
    expect(titles(await listIssues(owner, fx.fullPath, { labels: ["b_g"] }))).toEqual([]);
    const counted = await listIssues(owner, fx.fullPath, { labels: ["bug"] });
    expect(counted.counts).toEqual({ opened: 3, closed: 0, all: 3 });
  });

  it("filters by assignee username, and by 'none'", async () => {
    expect(sortedTitles(await listIssues(owner, fx.fullPath, { assignee: developer.username }))).toEqual(["Login broken", "Printer on fire"]);
    expect(sortedTitles(await listIssues(owner, fx.fullPath, { assignee: maintainer.username.toUpperCase() }))).toEqual([
      "Login broken",
      "Secret roadmap",
    ]);
    expect(sortedTitles(await listIssues(owner, fx.fullPath, { assignee: "none", state: "all" }))).toEqual([
      "Dark mode",
      "Invoice 50% off?",
      "Plain task",
      "Refund for order 123",
    ]);
    expect(titles(await listIssues(owner, fx.fullPath, { assignee: "nobody-with-this-name" }))).toEqual([]);
  });

  it("filters by the customer's address: exact, any case, '_' literal", async () => {
    expect(titles(await listIssues(owner, fx.fullPath, { author: "JAKE@customer.example" }))).toEqual(["Printer on fire"]);
    expect(titles(await listIssues(owner, fx.fullPath, { author: "jake@customer" }))).toEqual([]);
    // finnXhuman@… must not match the '_' of Finn_Human@… (nor the other way round).
    expect(titles(await listIssues(owner, fx.fullPath, { author: "finn_human@customer.example", state: "all" }))).toEqual([
      "Refund for order 123",
    ]);
    expect(titles(await listIssues(owner, fx.fullPath, { author: "finnxhuman@customer.example", state: "all" }))).toEqual([
      "Invoice 50% off?",
    ]);
  });

  it("filters by 'awaiting team reply' (and its opposite)", async () => {
    // Whether "Printer on fire" is still waiting depends on the comment test above: ask the database.
    const waiting = await db().issue.findMany({ where: { projectId: fx.projectId, awaitingReply: true }, select: { title: true } });
    const awaiting = sortedTitles(await listIssues(owner, fx.fullPath, { awaiting: true, state: "all" }));
    expect(awaiting).toEqual(waiting.map((i) => i.title).sort());
    expect(awaiting).not.toContain("Refund for order 123");
    const answered = sortedTitles(await listIssues(owner, fx.fullPath, { awaiting: "false", serviceDesk: true, state: "all" }));
    expect(answered).toEqual(expect.arrayContaining(["Invoice 50% off?", "Refund for order 123"]));
    expect([...awaiting, ...answered].sort()).toEqual(["Invoice 50% off?", "Printer on fire", "Refund for order 123"]);
    // Ordinary issues never wait for a customer.
    expect(await listIssues(owner, fx.fullPath, { awaiting: "true", state: "all" }).then(titles)).not.toContain("Login broken");
  });

  it("searches titles and descriptions as text, case-insensitively", async () => {
    expect(titles(await listIssues(owner, fx.fullPath, { search: "printer" }))).toEqual(["Printer on fire"]);
    expect(titles(await listIssues(owner, fx.fullPath, { search: "LOGIN_FORM" }))).toEqual(["Login broken"]);
    // A plain number is text: "123" is in a title; "#123" is an iid.
    expect(titles(await listIssues(owner, fx.fullPath, { search: "123" }))).toEqual(["Refund for order 123"]);
    expect(titles(await listIssues(owner, fx.fullPath, { search: "#123" }))).toEqual([]);
    expect(titles(await listIssues(owner, fx.fullPath, { search: "  fire  " }))).toEqual(["Printer on fire"]);
  });

  it("treats % and _ in the search as the characters themselves", async () => {
    expect(titles(await listIssues(owner, fx.fullPath, { search: "50%", state: "all" }))).toEqual(["Invoice 50% off?"]);
    expect(titles(await listIssues(owner, fx.fullPath, { search: "%", state: "all" }))).toEqual(["Invoice 50% off?"]);
    expect(titles(await listIssues(owner, fx.fullPath, { search: "login_" }))).toEqual(["Login broken"]);
    // Unescaped, "_" would match any character and "%" anything at all.
    expect(titles(await listIssues(owner, fx.fullPath, { search: "_", state: "all" }))).toEqual(["Login broken"]);
    expect(titles(await listIssues(owner, fx.fullPath, { search: "P_inter" }))).toEqual([]);
    expect(titles(await listIssues(owner, fx.fullPath, { search: "\\" }))).toEqual([]);
  });

  it("finds an issue by #iid in any state, within the other filters", async () => {
    const iid = iids["Dark mode"];
    expect(titles(await listIssues(owner, fx.fullPath, { search: `#${iid}`, state: "all" }))).toEqual(["Dark mode"]);
    const opened = await listIssues(owner, fx.fullPath, { search: `#${iid}` });
    expect(titles(opened)).toEqual([]);
    expect(opened.counts).toEqual({ opened: 0, closed: 1, all: 1 });
    expect(titles(await listIssues(owner, fx.fullPath, { search: `#${iid}`, state: "all", serviceDesk: true }))).toEqual([]);
    expect(titles(await listIssues(owner, fx.fullPath, { search: "#999999" }))).toEqual([]);
  });

  it("combines filters (all must hold)", async () => {
    const page = await listIssues(owner, fx.fullPath, { labels: ["bug"], assignee: developer.username, search: "broken" });
    expect(titles(page)).toEqual(["Login broken"]);
    expect(page.counts).toEqual({ opened: 1, closed: 0, all: 1 });
    expect(
      titles(await listIssues(owner, fx.fullPath, { serviceDesk: true, labels: ["bug"], assignee: "none", author: "finn_human@customer.example" })),
    ).toEqual(["Refund for order 123"]);
    expect(titles(await listIssues(owner, fx.fullPath, { serviceDesk: true, labels: ["feature"], state: "all" }))).toEqual([]);
  });

  it("sorts by created and updated time, both ways", async () => {
    const all = { state: "all" } as const;
    const createdDesc = titles(await listIssues(owner, fx.fullPath, { ...all, sort: "created_desc" }));
    expect(titles(await listIssues(owner, fx.fullPath, { ...all, sort: "created_asc" }))).toEqual([...createdDesc].reverse());
    expect(createdDesc[0]).toBe("Plain task");
    await addNote(developer, fx.fullPath, iids["Dark mode"], { body: "bump" });
    const updatedDesc = titles(await listIssues(owner, fx.fullPath, { ...all, sort: "updated_desc" }));
    expect(updatedDesc[0]).toBe("Dark mode");
    expect(titles(await listIssues(owner, fx.fullPath, { ...all, sort: "updated_asc" }))).toEqual([...updatedDesc].reverse());
    const rows = await db().issue.findMany({
      where: { projectId: fx.projectId },
      orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
      select: { title: true },
    });
    expect(updatedDesc).toEqual(rows.map((r) => r.title));
  });
});

describe("visibility and access", () => {
  let fx: ProjectFixture;

  beforeAll(async () => {
    fx = await makeProjectWithMembers();
    await makeIssue(fx, { title: "public" });
    await makeIssue(fx, { title: "secret", confidential: true });
    await makeIssue(fx, { title: "request", customer: "jake@customer.example" });
    await makeIssue(fx, { title: "public request", customer: "marceline@vampire.example", confidential: false });
  });

  it("hides confidential issues from Guests, in the rows and the counts", async () => {
    const guest = await listIssues(fx.actors.guest, fx.fullPath, { state: "all" });
    expect(sortedTitles(guest)).toEqual(["public", "public request"]);
    expect(guest.counts).toEqual({ opened: 2, closed: 0, all: 2 });
    const reporter = await listIssues(fx.actors.reporter, fx.fullPath, { state: "all" });
    expect(sortedTitles(reporter)).toEqual(["public", "public request", "request", "secret"]);
    expect(reporter.counts.all).toBe(4);
    // #iid of a confidential issue finds nothing for a Guest.
    const secretIid = (await db().issue.findFirstOrThrow({ where: { projectId: fx.projectId, title: "secret" } })).iid;
    expect(titles(await listIssues(fx.actors.guest, fx.fullPath, { search: `#${secretIid}` }))).toEqual([]);
  });

  it("masks customers' addresses below Reporter and refuses the address filter there", async () => {
    const [row] = (await listIssues(fx.actors.guest, fx.fullPath, { serviceDesk: true })).issues;
    expect(row).toMatchObject({ title: "public request", serviceDesk: true, externalAuthor: "m****@v****.example" });
    expect(JSON.stringify(await listIssues(fx.actors.guest, fx.fullPath, { state: "all" }))).not.toContain("marceline");
    const refused = await appError(listIssues(fx.actors.guest, fx.fullPath, { author: "marceline@vampire.example" }));
    expect(refused.code).toBe("bad_request");
    expect(refused.fieldErrors).toHaveProperty("author");
    expect((await listIssues(fx.actors.reporter, fx.fullPath, { serviceDesk: true, state: "all" })).issues.map((i) => i.externalAuthor).sort()).toEqual([
      "jake@customer.example",
      "marceline@vampire.example",
    ]);
  });

  it("gives 404 to non-members and asks the signed-out to sign in", async () => {
    expect(await outcome(listIssues(fx.actors.nonMember, fx.fullPath))).toBe("not_found");
    expect(await outcome(listIssues(null, fx.fullPath))).toBe("unauthorized");
    expect(await outcome(listIssues(fx.actors.owner, "no-such/project"))).toBe("not_found");
    // Authorization comes before validation: a bad link tells a non-member nothing either.
    expect(await outcome(listIssues(fx.actors.nonMember, fx.fullPath, { cursor: "!!" }))).toBe("not_found");
  });

  it("opens the Service Desk tracker to Reporters and up, with Service Desk issues only", async () => {
    const outcomes = await Promise.all(
      (["anon", "nonMember", "guest", "reporter", "developer", "maintainer", "owner"] as const).map((name) =>
        outcome(listServiceDeskIssues(fx.actors[name], fx.fullPath)),
      ),
    );
    expect(outcomes).toEqual(["unauthorized", "not_found", "forbidden", "ok", "ok", "ok", "ok"]);
    const tracker = await listServiceDeskIssues(fx.actors.reporter, fx.fullPath, { state: "all", serviceDesk: false });
    expect(sortedTitles(tracker)).toEqual(["public request", "request"]);
    expect(tracker.counts).toEqual({ opened: 2, closed: 0, all: 2 });
    expect(tracker.query.serviceDesk).toBe(true);
  });

  it("counts only the comments the actor may see", async () => {
    const iid = (await db().issue.findFirstOrThrow({ where: { projectId: fx.projectId, title: "public" } })).iid;
    await addNote(fx.actors.reporter, fx.fullPath, iid, { body: "public" });
    await addNote(fx.actors.reporter, fx.fullPath, iid, { body: "internal", internal: true });
    await setIssueState(fx.actors.reporter, fx.fullPath, iid, "close");
    const count = async (actor: Actor) =>
      (await listIssues(actor, fx.fullPath, { search: `#${iid}`, state: "all" })).issues[0].commentCount;
    expect(await count(fx.actors.guest)).toBe(1);
    expect(await count(fx.actors.reporter!)).toBe(2);
  });

  it("answers a tampered or invalid link with a clear bad_request", async () => {
    const b64 = (value: string) => Buffer.from(value).toString("base64url");
    const bad: IssueListInput[] = [
      { cursor: "not a cursor" },
      { cursor: "AAAA" },
      { cursor: b64("not json") },
      { cursor: b64("{}") },
      { cursor: b64('["2025-01-01T00:00:00.000Z"]') },
      { cursor: b64('["yesterday", 1]') },
      { cursor: b64('["2025-13-45T00:00:00.000Z", 1]') },
      { cursor: b64('["2025-01-01T00:00:00.000Z", -1]') },
      { cursor: b64('["2025-01-01T00:00:00.000Z", 1.5]') },
      { cursor: b64('["2025-01-01T00:00:00.000Z", 99999999999]') },
      { cursor: b64('["2025-01-01T00:00:00.000Z", "1"]') },
      { cursor: "x".repeat(500) },
      { cursor: encodeCursor(new Date(), 1), direction: "sideways" as never },
      { state: "open" as never },
      { sort: "title_asc" as never },
      { serviceDesk: "maybe" },
      { awaiting: "yes please" },
      { labels: [""] },
      { search: "x".repeat(300) },
    ];
    for (const input of bad) {
      const error = await appError(listIssues(fx.actors.owner, fx.fullPath, input));
      expect(error.code, JSON.stringify(input)).toBe("bad_request");
      expect(error.message.length).toBeGreaterThan(10);
      expect(Object.keys(error.fieldErrors ?? {}).length).toBe(1);
    }
    const cursorError = await appError(listIssues(fx.actors.owner, fx.fullPath, { cursor: b64("[1,2]") }));
    expect(cursorError.fieldErrors).toEqual({ cursor: expect.stringMatching(/first page/) });
    // A well-formed cursor from nowhere is just a position: no crash, a (possibly empty) page.
    const page = await listIssues(fx.actors.owner, fx.fullPath, { cursor: encodeCursor(new Date("2000-01-01"), 1) });
    expect(page.issues).toEqual([]);
  });
});

describe(`keyset pages over 10,000 seeded issues (${backend})`, () => {
  let fx: ProjectFixture;

  beforeAll(async () => {
    fx = await makeProjectWithMembers();
    await makeIssue(fx, { title: "made by hand first" });
    const seeded = await seedIssues(db(), { projectId: fx.projectId, count: 10_000, authorId: fx.actors.owner.id });
    expect(seeded).toEqual({ firstIid: 2, lastIid: 10_001 });
    await makeIssue(fx, { title: "made by hand after" });
  }, 120_000);

  it("seeds the mix it promises and keeps iids allocated", async () => {
    const project = await db().project.findUniqueOrThrow({ where: { id: fx.projectId }, select: { lastIssueIid: true } });
    expect(project.lastIssueIid).toBe(10_002);
    const owner = fx.actors.owner;
    const all = await listIssues(owner, fx.fullPath, { state: "all" });
    expect(all.counts).toEqual({ opened: 7502, closed: 2500, all: 10_002 });
    expect((await listIssues(owner, fx.fullPath, { serviceDesk: true, state: "all" })).counts.all).toBe(3333);
    expect((await listIssues(fx.actors.guest, fx.fullPath, { state: "all" })).counts.all).toBe(10_002 - 3333 - 667);
    expect((await listIssues(owner, fx.fullPath, { labels: ["bug", "feature"], state: "all" })).counts.all).toBe(2500);
    expect((await listIssues(owner, fx.fullPath, { search: "#5000", state: "all" })).issues.map((i) => i.title)).toEqual([
      "Export fails (seed 4999)",
    ]);
  });

  async function expectedOrder(actor: Actor, input: IssueListInput, order: "created_desc" | "updated_asc") {
    const [column, dir] = order === "created_desc" ? (["createdAt", "desc"] as const) : (["updatedAt", "asc"] as const);
    const rows = await db().issue.findMany({
      where: {
        projectId: fx.projectId,
        ...(actor === fx.actors.guest ? { confidential: false } : {}),
        ...(input.state === "closed" ? { state: "CLOSED" } : input.state === "all" ? {} : { state: "OPENED" }),
        ...(input.serviceDesk ? { authorId: SUPPORT_BOT_ID } : {}),
        ...(input.labels ? { labels: { some: { label: { title: { in: [input.labels].flat() } } } } } : {}),
      },
      orderBy: [{ [column]: dir }, { id: dir }],
      select: { iid: true },
    });
    return rows.map((r) => r.iid);
  }

  async function walk(actor: Actor, input: IssueListInput) {
    const forward: number[] = [];
    const pages: IssueListPage[] = [];
    let page = await listIssues(actor, fx.fullPath, input);
    expect(page.prevCursor).toBeNull();
    for (;;) {
      pages.push(page);
      expect(page.issues.length).toBe(page.nextCursor ? 20 : page.issues.length);
      forward.push(...page.issues.map((i) => i.iid));
      if (!page.nextCursor) break;
      page = await listIssues(actor, fx.fullPath, { ...input, cursor: page.nextCursor, direction: "next" });
      expect(page.prevCursor).not.toBeNull();
    }
    // Back from the last page with "Previous": the same pages, in reverse.
    const backward: number[][] = [pages[pages.length - 1].issues.map((i) => i.iid)];
    let back = pages[pages.length - 1];
    while (back.prevCursor) {
      back = await listIssues(actor, fx.fullPath, { ...input, cursor: back.prevCursor, direction: "prev" });
      expect(back.nextCursor).not.toBeNull();
      backward.unshift(back.issues.map((i) => i.iid));
    }
    expect(backward.length).toBe(pages.length);
    expect(backward.flat()).toEqual(forward);
    return forward;
  }

  it("walks every issue a Guest may see exactly once, newest first, forward and back (20 a page)", async () => {
    const start = Date.now();
    const input = { state: "all" } as const;
    const walked = await walk(fx.actors.guest, input);
    // Creation times come in threes, so page boundaries fall inside ties: nothing lost, nothing twice.
    expect(walked.length).toBe(10_002 - 3333 - 667);
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked).toEqual(await expectedOrder(fx.actors.guest, input, "created_desc"));
    console.info(`walked ${walked.length} issues both ways in ${Date.now() - start} ms on ${backend}`);
  }, 240_000);

  it("walks every Service Desk issue with a label, oldest update first (ties broken by id), forward and back", async () => {
    const input = { state: "all", sort: "updated_asc", serviceDesk: true, labels: ["support"] } as const;
    const walked = await walk(fx.actors.owner, input);
    // Seeded issue g is Service Desk when g % 3 = 0 and carries "support" when bit 2 of g is set.
    const seeded = Array.from({ length: 10_000 }, (_, i) => i + 1).filter((g) => g % 3 === 0 && (g >> 2) & 1);
    expect(walked.length).toBe(seeded.length);
    expect(new Set(walked)).toEqual(new Set(seeded.map((g) => g + 1)));
    expect(walked).toEqual(await expectedOrder(fx.actors.owner, input, "updated_asc"));
    // Many update times are shared: the walk crossed ties without losing or repeating a row.
    const shared = await db().issue.groupBy({
      by: ["updatedAt"],
      where: { projectId: fx.projectId, authorId: SUPPORT_BOT_ID },
      _count: { _all: true },
      having: { updatedAt: { _count: { gt: 1 } } },
    });
    expect(shared.length).toBeGreaterThan(100);
  }, 240_000);

  it("pages a filtered search", async () => {
    const input = { search: "printer", labels: ["bug"], state: "all" } as const;
    const first = await listIssues(fx.actors.owner, fx.fullPath, input);
    const expected = await db().issue.count({
      where: {
        projectId: fx.projectId,
        title: { startsWith: "Printer on fire" },
        labels: { some: { label: { title: "bug" } } },
      },
    });
    expect(first.counts.all).toBe(expected);
    let seen = first.issues.length;
    let page = first;
    while (page.nextCursor) {
      page = await listIssues(fx.actors.owner, fx.fullPath, { ...input, cursor: page.nextCursor });
      expect(page.issues.every((i) => i.title.startsWith("Printer on fire") && i.labels.some((l) => l.title === "bug"))).toBe(true);
      seen += page.issues.length;
    }
    expect(seen).toBe(expected);
  }, 120_000);
});
