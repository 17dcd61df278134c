import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { createIssue, getIssue, setIssueState } from "@/lib/data/issues";
import { listIssues } from "@/lib/data/issue-list";
import { addNote } from "@/lib/data/notes";
import { appError, backend, makeProjectWithMembers, sleep } from "./helpers";

describe("issue iids", () => {
  it("count 1, 2, 3 … per project, independently across projects", async () => {
    const a = await makeProjectWithMembers();
    const b = await makeProjectWithMembers();
    const iids: [string, number][] = [];
    for (const fx of [a, b, a, a, b]) {
      const issue = await createIssue(fx.actors.reporter, fx.fullPath, { title: `in ${fx.fullPath}` });
      iids.push([fx === a ? "a" : "b", issue.iid]);
    }
    expect(iids).toEqual([
      ["a", 1],
      ["b", 1],
      ["a", 2],
      ["a", 3],
      ["b", 2],
    ]);
    expect((await getIssue(a.actors.guest, a.fullPath, 3)).title).toBe(`in ${a.fullPath}`);
    expect((await appError(getIssue(b.actors.owner, b.fullPath, 3))).code).toBe("not_found");
  });

  it(`are distinct and gap-free under 20 concurrent creates (${backend})`, async () => {
    const fx = await makeProjectWithMembers();
    const authors = [fx.actors.reporter, fx.actors.developer, fx.actors.maintainer, fx.actors.owner];
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createIssue(authors[i % authors.length], fx.fullPath, { title: `parallel ${i}` }),
      ),
    );
    expect(created.map((c) => c.iid).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const project = await db().project.findUniqueOrThrow({ where: { id: fx.projectId } });
    expect(project.lastIssueIid).toBe(20);
    expect((await listIssues(fx.actors.owner, fx.fullPath, { state: "all" })).counts.all).toBe(20);
  });

  it("are not used up by a refused or invalid create", async () => {
    const fx = await makeProjectWithMembers();
    expect((await appError(createIssue(fx.actors.guest, fx.fullPath, { title: "nope" }))).code).toBe("forbidden");
    const invalid = await appError(createIssue(fx.actors.reporter, fx.fullPath, { title: "   " }));
    expect(invalid.code).toBe("bad_request");
    expect(invalid.fieldErrors).toHaveProperty("title");
    expect((await createIssue(fx.actors.reporter, fx.fullPath, { title: "first" })).iid).toBe(1);
  });
});

describe("close and reopen", () => {
  it("record system notes, set and clear closedAt/closedBy, and are idempotent", async () => {
    const fx = await makeProjectWithMembers();
    const { reporter, developer } = fx.actors;
    const { iid } = await createIssue(reporter, fx.fullPath, { title: "Broken link" });
    const systemNotes = async () =>
      (await getIssue(reporter, fx.fullPath, iid)).notes.filter((n) => n.system).map((n) => [n.body, n.author?.id]);

    expect(await setIssueState(developer, fx.fullPath, iid, "close")).toEqual({ iid, state: "CLOSED", changed: true, outboxIds: [] });
    let issue = await getIssue(reporter, fx.fullPath, iid);
    expect(issue.state).toBe("CLOSED");
    expect(issue.closedAt).toBeInstanceOf(Date);
    expect(issue.closedBy?.id).toBe(developer!.id);

    expect(await setIssueState(reporter, fx.fullPath, iid, "close")).toEqual({ iid, state: "CLOSED", changed: false, outboxIds: [] });
    expect(await systemNotes()).toEqual([["closed", developer!.id]]);
    expect((await getIssue(reporter, fx.fullPath, iid)).closedBy?.id).toBe(developer!.id);

    expect(await setIssueState(reporter, fx.fullPath, iid, "reopen")).toMatchObject({ state: "OPENED", changed: true });
    expect(await setIssueState(reporter, fx.fullPath, iid, "reopen")).toMatchObject({ state: "OPENED", changed: false });
    issue = await getIssue(reporter, fx.fullPath, iid);
    expect(issue.state).toBe("OPENED");
    expect(issue.closedAt).toBeNull();
    expect(issue.closedBy).toBeNull();
    expect(await systemNotes()).toEqual([
      ["closed", developer!.id],
      ["reopened", reporter!.id],
    ]);
    // System notes are not comments: the list's note count ignores them.
    expect((await listIssues(reporter, fx.fullPath)).issues.find((i) => i.iid === iid)?.commentCount).toBe(0);
  });

  it("moves the issue between the opened and closed tabs", async () => {
    const fx = await makeProjectWithMembers();
    const { owner } = fx.actors;
    const { iid } = await createIssue(owner, fx.fullPath, { title: "tabs" });
    await createIssue(owner, fx.fullPath, { title: "stays open" });
    await setIssueState(owner, fx.fullPath, iid, "close");
    const opened = await listIssues(owner, fx.fullPath, { state: "opened" });
    const closed = await listIssues(owner, fx.fullPath, { state: "closed" });
    expect(opened.issues.map((i) => i.title)).toEqual(["stays open"]);
    expect(closed.issues.map((i) => i.title)).toEqual(["tabs"]);
    expect(closed.counts).toEqual({ opened: 1, closed: 1, all: 2 });
  });

  it("gives a 404 for an unknown issue, and for a Guest closing a hidden one before a 403", async () => {
    const fx = await makeProjectWithMembers();
    expect((await appError(setIssueState(fx.actors.owner, fx.fullPath, 99, "close"))).code).toBe("not_found");
    expect((await appError(getIssue(fx.actors.owner, fx.fullPath, 0))).code).toBe("not_found");
    expect((await appError(getIssue(fx.actors.owner, fx.fullPath, 1.5))).code).toBe("not_found");
  });
});

describe("notes", () => {
  it("addNote stores the comment and bumps the issue's updatedAt", async () => {
    const fx = await makeProjectWithMembers();
    const { reporter, developer } = fx.actors;
    const { iid } = await createIssue(reporter, fx.fullPath, { title: "Slow page" });
    const before = (await getIssue(reporter, fx.fullPath, iid)).updatedAt;
    await sleep(20);
    const note = await addNote(developer, fx.fullPath, iid, { body: "  Looking into it  " });
    expect(note).toMatchObject({ body: "Looking into it", internal: false });
    const after = await getIssue(reporter, fx.fullPath, iid);
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.getTime());
    expect(after.notes.map((n) => [n.body, n.author?.id, n.system])).toEqual([["Looking into it", developer!.id, false]]);
  });

  it("rejects an empty comment without touching the issue", async () => {
    const fx = await makeProjectWithMembers();
    const { iid } = await createIssue(fx.actors.reporter, fx.fullPath, { title: "x" });
    const before = (await getIssue(fx.actors.reporter, fx.fullPath, iid)).updatedAt;
    const error = await appError(addNote(fx.actors.reporter, fx.fullPath, iid, { body: "   " }));
    expect(error.code).toBe("bad_request");
    expect(error.fieldErrors).toHaveProperty("body");
    const after = await getIssue(fx.actors.reporter, fx.fullPath, iid);
    expect(after.notes).toEqual([]);
    expect(after.updatedAt.getTime()).toBe(before.getTime());
  });

  it("gives a 404 when commenting on an issue that does not exist", async () => {
    const fx = await makeProjectWithMembers();
    expect((await appError(addNote(fx.actors.reporter, fx.fullPath, 42, { body: "hello" }))).code).toBe("not_found");
  });
});
