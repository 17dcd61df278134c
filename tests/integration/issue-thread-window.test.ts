// getIssue's latest-notes window (the issue page of a long thread): what it returns, what it counts, and that
// visibility by role, files and routed mails still follow the notes.
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { createIssue, getIssue } from "@/lib/data/issues";
import { appError, makeProjectWithMembers } from "./helpers";

/**
 * An issue with 12 notes a minute apart, "n1" … "n12": n4 and n9 are system notes, n3, n6 and n11 internal.
 * n2 and n12 came by mail with a file each; the description has a file and the mail that created it.
 */
async function thread() {
  const fx = await makeProjectWithMembers();
  const { iid, id: issueId } = await createIssue(fx.actors.reporter, fx.fullPath, { title: "Long thread", description: "It broke." });
  const start = Date.now() - 60 * 60_000;
  await db().note.createMany({
    data: Array.from({ length: 12 }, (_, i) => ({
      issueId,
      authorId: fx.actors.owner.id,
      body: `n${i + 1}`,
      system: [4, 9].includes(i + 1),
      internal: [3, 6, 11].includes(i + 1),
      createdAt: new Date(start + i * 60_000),
    })),
  });
  const ids = Object.fromEntries(
    (await db().note.findMany({ where: { issueId }, select: { id: true, body: true } })).map((n) => [n.body, n.id]),
  );
  const mail = (status: string, noteId: number | null) =>
    db().inboundEmail.create({
      data: { payload: Buffer.from("x"), payloadContentType: "text/plain", size: 1, status, issueId, noteId, projectId: fx.projectId, messageId: `${status}-${noteId}@test` },
      select: { id: true },
    });
  const file = (filename: string, noteId: number | null) =>
    db().attachment.create({ data: { issueId, noteId, filename, contentType: "text/plain", size: 1, data: Buffer.from("x") } });
  await mail("created_issue", null);
  await mail("added_note", ids.n2);
  await mail("added_note", ids.n12);
  await file("description.txt", null);
  await file("old.txt", ids.n2);
  await file("recent.txt", ids.n12);
  await file("internal.txt", ids.n11);
  return { fx, iid, ids };
}

const bodies = (issue: { notes: { body: string }[] }) => issue.notes.map((n) => n.body);

describe("getIssue's latest-notes window", () => {
  it("returns the latest N notes oldest first, whether older ones exist, and the count of all comments", async () => {
    const { fx, iid } = await thread();
    const { reporter } = fx.actors;

    const all = await getIssue(reporter, fx.fullPath, iid);
    expect(bodies(all)).toEqual(Array.from({ length: 12 }, (_, i) => `n${i + 1}`));
    expect(all).toMatchObject({ earlierNotes: false, commentCount: 10 });

    const latest = await getIssue(reporter, fx.fullPath, iid, { latestNotes: 5 });
    expect(bodies(latest)).toEqual(["n8", "n9", "n10", "n11", "n12"]);
    // The count is of the whole thread, not of the window: the page says how many comments it left out.
    expect(latest).toMatchObject({ earlierNotes: true, commentCount: 10 });
    expect(latest.notes.find((n) => n.body === "n9")?.system).toBe(true);

    // The boundaries: a window as long as the thread leaves nothing out, one shorter leaves one note out.
    expect(await getIssue(reporter, fx.fullPath, iid, { latestNotes: 12 })).toMatchObject({ earlierNotes: false });
    expect(bodies(await getIssue(reporter, fx.fullPath, iid, { latestNotes: 12 }))).toHaveLength(12);
    const elevenOfTwelve = await getIssue(reporter, fx.fullPath, iid, { latestNotes: 11 });
    expect(elevenOfTwelve.earlierNotes).toBe(true);
    expect(bodies(elevenOfTwelve)[0]).toBe("n2");
  });

  it("hides internal notes from Guests in the window and in the count", async () => {
    const { fx, iid } = await thread();
    const { guest } = fx.actors;

    const all = await getIssue(guest, fx.fullPath, iid);
    expect(bodies(all)).toEqual(["n1", "n2", "n4", "n5", "n7", "n8", "n9", "n10", "n12"]);
    expect(all).toMatchObject({ earlierNotes: false, commentCount: 7 });

    // Five visible notes, not five notes of which some are then hidden.
    const latest = await getIssue(guest, fx.fullPath, iid, { latestNotes: 5 });
    expect(bodies(latest)).toEqual(["n7", "n8", "n9", "n10", "n12"]);
    expect(latest).toMatchObject({ earlierNotes: true, commentCount: 7 });
  });

  it("carries the files and mails of the description and of the notes in the window only", async () => {
    const { fx, iid, ids } = await thread();
    const { reporter, guest } = fx.actors;

    const all = await getIssue(reporter, fx.fullPath, iid);
    expect(all.attachments.map((a) => [a.filename, a.noteId]).sort()).toEqual(
      [["description.txt", null], ["internal.txt", ids.n11], ["old.txt", ids.n2], ["recent.txt", ids.n12]].sort(),
    );
    expect(all.emails.map((e) => [e.status, e.noteId])).toEqual([["created_issue", null], ["added_note", ids.n2], ["added_note", ids.n12]]);

    const latest = await getIssue(reporter, fx.fullPath, iid, { latestNotes: 5 });
    expect(latest.attachments.map((a) => [a.filename, a.noteId])).toEqual([["description.txt", null], ["internal.txt", ids.n11], ["recent.txt", ids.n12]]);
    expect(latest.emails.map((e) => [e.status, e.noteId])).toEqual([["created_issue", null], ["added_note", ids.n12]]);

    // Guests: no file of an internal note, no mails at all, windowed or not.
    const asGuest = await getIssue(guest, fx.fullPath, iid, { latestNotes: 5 });
    expect(asGuest.attachments.map((a) => a.filename)).toEqual(["description.txt", "recent.txt"]);
    expect(asGuest.emails).toEqual([]);
    expect((await getIssue(guest, fx.fullPath, iid)).attachments.map((a) => a.filename).sort()).toEqual(["description.txt", "old.txt", "recent.txt"]);
  });

  it("refuses a window that is not a positive integer", async () => {
    const { fx, iid } = await thread();
    for (const latestNotes of [0, -1, 1.5]) expect((await appError(getIssue(fx.actors.reporter, fx.fullPath, iid, { latestNotes }))).code).toBe("bad_request");
  });
});
