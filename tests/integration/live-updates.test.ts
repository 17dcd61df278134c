// Live pages (issue 19): what the database announces at commit (triggers of migration live_updates) reaches this
// process's bus; a viewer's stream passes on only what they may see (confidential issues from Reporter up, their
// own To-Dos); presence rules; the polling fallback's answer; and on Postgres the listening connection comes back
// by itself after the server drops it, telling the pages to resync.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { sql } from "@/lib/db/sql";
import { setIssueAssignees } from "@/lib/data/assignees";
import { fanOutEvents } from "@/lib/notifications/fan-out";
import { createIssue, setIssueState } from "@/lib/data/issues";
import { liveChangesSince } from "@/lib/data/live-changes";
import { addNote } from "@/lib/data/notes";
import { issuePresence, purgeStalePresence, setIssuePresence } from "@/lib/data/presence";
import { liveBusStatus, subscribeLive } from "@/lib/live/bus";
import type { LiveSignal } from "@/lib/live/signals";
import { liveStream, liveStreamsOf } from "@/lib/live/stream";
import { takeSseFrames, type SseEvent } from "../support/sse";
import { backend, makeProjectWithMembers, outcome, sleep, type ProjectFixture } from "./helpers";

/** Collects the bus's signals; `next` waits for the first matching one after the call. */
function recorder() {
  const signals: LiveSignal[] = [];
  const waiters: { match: (s: LiveSignal) => boolean; resolve: (s: LiveSignal) => void }[] = [];
  const listener = (signal: LiveSignal) => {
    signals.push(signal);
    for (const w of [...waiters])
      if (w.match(signal)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(signal);
      }
  };
  return {
    signals,
    listener,
    next: (match: (s: LiveSignal) => boolean, ms = 5_000) =>
      new Promise<LiveSignal>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching live signal within ${ms} ms; got ${JSON.stringify(signals.slice(-5))}`)), ms);
        waiters.push({
          match,
          resolve: (s) => {
            clearTimeout(timer);
            resolve(s);
          },
        });
      }),
  };
}

/** Reads a stream's events until `until` says stop (or the time runs out). */
async function readEvents(stream: ReadableStream<Uint8Array>, until: (events: { event: string; data: Record<string, unknown> }[]) => boolean, ms = 5_000) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = "";
  const deadline = Date.now() + ms;
  while (!until(events) && Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
    if (!chunk || chunk.done) break;
    buffer = takeSseFrames(buffer + decoder.decode(chunk.value, { stream: true }), events);
  }
  reader.releaseLock();
  return events;
}

let p: ProjectFixture;
let other: ProjectFixture;
const bus = recorder();
let stop: () => void;

beforeAll(async () => {
  p = await makeProjectWithMembers();
  other = await makeProjectWithMembers();
  stop = await subscribeLive(bus.listener);
});
afterAll(() => stop?.());

describe("the database announces changes at commit", () => {
  it("a new issue, a note, a state change: the issue's ids and whether it is confidential", async () => {
    const created = bus.next((s) => s.type === "issue" && s.projectId === p.projectId);
    const issue = await createIssue(p.actors.reporter!, p.fullPath, { title: "Printer on fire", description: "", confidential: true });
    expect(await created).toMatchObject({ type: "issue", projectId: p.projectId, iid: issue.iid, confidential: true });

    const noted = bus.next((s) => s.type === "issue" && s.iid === issue.iid && s.projectId === p.projectId);
    await addNote(p.actors.developer!, p.fullPath, issue.iid, { body: "Looking", internal: true });
    expect(await noted).toMatchObject({ confidential: true });

    const closed = bus.next((s) => s.type === "issue" && s.iid === issue.iid && s.projectId === p.projectId);
    await setIssueState(p.actors.developer!, p.fullPath, issue.iid, "close");
    await closed;
    expect(liveBusStatus()).toMatchObject({ listening: true });
  });

  it("nothing for a transaction that rolled back", async () => {
    const issue = await createIssue(p.actors.reporter!, p.fullPath, { title: "Rolled back", description: "" });
    await sleep(200);
    const before = bus.signals.length;
    await db()
      .$transaction(async (tx) => {
        await tx.note.create({ data: { issueId: (await tx.issue.findFirstOrThrow({ where: { projectId: p.projectId, iid: issue.iid } })).id, body: "never", authorId: p.actors.owner.id } });
        throw new Error("rollback");
      })
      .catch(() => undefined);
    await sleep(300);
    expect(bus.signals.slice(before).filter((s) => s.type === "issue" && s.iid === issue.iid && s.projectId === p.projectId)).toEqual([]);
  });

  it("a member's To-Dos, and presence with the member's name", async () => {
    const issue = await createIssue(p.actors.reporter!, p.fullPath, { title: "Assign me", description: "" });
    const todo = bus.next((s) => s.type === "todos" && s.userId === p.actors.developer!.id);
    const events = await setIssueAssignees(p.actors.maintainer, p.fullPath, issue.iid, [p.actors.developer!.id]);
    await fanOutEvents({ ids: events.eventIds });
    await todo;

    const seen = bus.next((s) => s.type === "presence" && s.userId === p.actors.developer!.id);
    await setIssuePresence(p.actors.developer!, p.fullPath, issue.iid, "replying");
    const presence = await seen;
    expect(presence).toMatchObject({ type: "presence", projectId: p.projectId, iid: issue.iid, name: "developer", state: "replying" });
    expect(Date.parse((presence as { expiresAt: string }).expiresAt)).toBeGreaterThan(Date.now());
  });
});

describe("a viewer's stream", () => {
  it("passes on only what the viewer may see", async () => {
    const controller = new AbortController();
    // The Guest: may hear of public issues of their project, not of confidential ones, nor of other projects.
    const stream = liveStream(p.actors.guest, { signal: controller.signal, heartbeatMs: 100 });
    let publicIid = -1;
    const reading = readEvents(stream, (events) => events.some((e) => e.event === "issue" && e.data.iid === publicIid));
    await sleep(300);
    const secret = await createIssue(p.actors.reporter!, p.fullPath, { title: "Secret", description: "", confidential: true });
    await createIssue(other.actors.reporter!, other.fullPath, { title: "Elsewhere", description: "" });
    await setIssuePresence(p.actors.developer!, p.fullPath, secret.iid, "viewing");
    const publicIssue = await createIssue(p.actors.reporter!, p.fullPath, { title: "Public", description: "" });
    publicIid = publicIssue.iid;
    const events = await reading;
    controller.abort();
    expect(events[0]).toEqual({ event: "ready", data: {} });
    const issues = events.filter((e) => e.event === "issue");
    expect(issues).toEqual([{ event: "issue", data: { projectId: p.projectId, iid: publicIssue.iid } }]);
    expect(events.filter((e) => e.event === "presence")).toEqual([]);
    // Ids only: never a title or a body.
    expect(JSON.stringify(events)).not.toMatch(/Secret|Public|Elsewhere/);
  });

  it("gives a Reporter the confidential issue and the presence on it, and their own To-Dos only", async () => {
    const controller = new AbortController();
    const stream = liveStream(p.actors.reporter!, { signal: controller.signal, heartbeatMs: 100 });
    let secretIid = -1;
    const reading = readEvents(stream, (events) => events.some((e) => e.event === "presence" && e.data.iid === secretIid));
    await sleep(300);
    const secret = await createIssue(p.actors.maintainer, p.fullPath, { title: "Secret", description: "", confidential: true });
    secretIid = secret.iid;
    // Someone else's To-Do is not the Reporter's business.
    const { eventIds } = await setIssueAssignees(p.actors.maintainer, p.fullPath, secret.iid, [p.actors.developer!.id]);
    await fanOutEvents({ ids: eventIds });
    await setIssuePresence(p.actors.developer!, p.fullPath, secret.iid, "replying");
    const events = await reading;
    controller.abort();
    expect(events.some((e) => e.event === "issue" && e.data.iid === secret.iid)).toBe(true);
    expect(events.find((e) => e.event === "presence")?.data).toMatchObject({ iid: secret.iid, userId: p.actors.developer!.id, name: "developer", state: "replying" });
    expect(events.filter((e) => e.event === "todos")).toEqual([]);
  });

  it("ends when the request is aborted, and leaves the bus", async () => {
    const before = liveBusStatus().streams;
    const controller = new AbortController();
    const stream = liveStream(p.actors.owner, { signal: controller.signal });
    const reading = readEvents(stream, () => false, 2_000);
    await sleep(300);
    expect(liveBusStatus().streams).toBe(before + 1);
    // Counted per user, for the route's cap on streams one user may hold.
    expect(liveStreamsOf(p.actors.owner.id)).toBe(1);
    controller.abort();
    await reading;
    expect(liveBusStatus().streams).toBe(before);
    expect(liveStreamsOf(p.actors.owner.id)).toBe(0);
  });
});

describe("a stream whose viewer changes", () => {
  it("closes when the session ends, and follows a role taken away", async () => {
    // Signed out: revalidate says so at the next check and the stream ends by itself.
    const ended = liveStream(p.actors.owner, { signal: new AbortController().signal, revalidate: async () => null, recheckMs: 200, heartbeatMs: 100 });
    const reader = ended.getReader();
    const started = Date.now();
    let done = false;
    while (!done && Date.now() - started < 5_000) done = (await reader.read()).done;
    expect(done).toBe(true);
    expect(liveStreamsOf(p.actors.owner.id)).toBe(0);

    // Still signed in but no longer an admin of anything: an admin's stream stops hearing of a project it is not in.
    const admin = { ...p.actors.owner, id: other.actors.owner.id, isAdmin: true };
    const controller = new AbortController();
    const demoted = liveStream(admin, { signal: controller.signal, revalidate: async () => ({ ...admin, isAdmin: false }), recheckMs: 1_000, heartbeatMs: 100 });
    const reading = readEvents(demoted, () => false, 2_500);
    await sleep(300);
    const early = await createIssue(p.actors.reporter!, p.fullPath, { title: "Seen by the admin", description: "" });
    // The first re-check (at 1 s) finds the admin flag gone.
    await sleep(1_200);
    const late = await createIssue(p.actors.reporter!, p.fullPath, { title: "After the demotion", description: "" });
    const events = await reading;
    controller.abort();
    const iids = events.filter((e) => e.event === "issue" && e.data.projectId === p.projectId).map((e) => e.data.iid);
    expect(iids).toContain(early.iid);
    expect(iids).not.toContain(late.iid);
  });
});

describe("presence", () => {
  it("is for those who may read the issue; a Guest's typing is only viewing; the viewer is not in their own list", async () => {
    const secret = await createIssue(p.actors.reporter!, p.fullPath, { title: "Secret", description: "", confidential: true });
    const open = await createIssue(p.actors.reporter!, p.fullPath, { title: "Open", description: "" });
    expect(await outcome(setIssuePresence(p.actors.guest, p.fullPath, secret.iid, "viewing"))).toBe("not_found");
    expect(await outcome(setIssuePresence(p.actors.nonMember, p.fullPath, open.iid, "viewing"))).toBe("not_found");
    expect(await outcome(setIssuePresence(null, p.fullPath, open.iid, "viewing"))).toBe("unauthorized");

    await setIssuePresence(p.actors.guest, p.fullPath, open.iid, "replying");
    await setIssuePresence(p.actors.developer!, p.fullPath, open.iid, "replying");
    const seenByOwner = await issuePresence(p.actors.owner, p.fullPath, open.iid);
    expect(seenByOwner.map((e) => [e.name, e.state])).toEqual([
      ["developer", "replying"],
      ["guest", "viewing"],
    ]);
    expect((await issuePresence(p.actors.developer!, p.fullPath, open.iid)).map((e) => e.name)).toEqual(["guest"]);

    await setIssuePresence(p.actors.developer!, p.fullPath, open.iid, "left");
    expect((await issuePresence(p.actors.owner, p.fullPath, open.iid)).map((e) => e.name)).toEqual(["guest"]);
    // A heartbeat that stopped: gone after its time.
    const later = new Date(Date.now() + 60_000);
    expect(await issuePresence(p.actors.owner, p.fullPath, open.iid, later)).toEqual([]);
    // Rows a closed tab left behind are dropped by the retention sweep a day later, not before.
    const rows = () => db().issuePresence.count({ where: { issue: { projectId: p.projectId, iid: open.iid } } });
    expect(await rows()).toBe(2);
    await purgeStalePresence(new Date(Date.now() + 3_600_000));
    expect(await rows()).toBe(2);
    await purgeStalePresence(new Date(Date.now() + 2 * 86_400_000));
    expect(await rows()).toBe(0);
  });
});

describe("the polling fallback", () => {
  it("lists the issues changed since then that the viewer may read, and their pending To-Dos", async () => {
    const since = new Date(Date.now() - 1_000);
    const secret = await createIssue(p.actors.reporter!, p.fullPath, { title: "Secret", description: "", confidential: true });
    const open = await createIssue(p.actors.reporter!, p.fullPath, { title: "Open", description: "" });
    const elsewhere = await createIssue(other.actors.reporter!, other.fullPath, { title: "Elsewhere", description: "" });
    // Other tests of this file change issues too: only this test's three count.
    const ours = new Set([`${p.projectId}:${secret.iid}`, `${p.projectId}:${open.iid}`, `${other.projectId}:${elsewhere.iid}`]);
    const mine = (changes: { projectId: number; iid: number }[]) => changes.filter((c) => ours.has(`${c.projectId}:${c.iid}`)).map((c) => c.iid);

    const guest = await liveChangesSince(p.actors.guest, since);
    expect(mine(guest.issues)).toEqual([open.iid]);
    const reporter = await liveChangesSince(p.actors.reporter!, since);
    expect(mine(reporter.issues).sort()).toEqual([open.iid, secret.iid].sort());
    expect(reporter.pendingTodos).toBe(0);
    expect(Date.parse(reporter.now)).toBeGreaterThan(since.getTime());
    expect(mine((await liveChangesSince(p.actors.nonMember, since)).issues)).toEqual([]);
    expect(mine((await liveChangesSince(p.actors.reporter!, new Date(Date.now() + 5_000))).issues)).toEqual([]);
  });
});

describe.runIf(backend === "postgres")("on Postgres", () => {
  it("the listening connection comes back after the server drops it, and the pages are told to resync", async () => {
    const resync = bus.next((s) => s.type === "resync", 15_000);
    // What a Postgres restart does to it: the server ends the session.
    const killed = await sql<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN service_desk_live%' AND pid <> pg_backend_pid()`,
    );
    expect(killed[0].n).toBeGreaterThanOrEqual(1);
    await resync;
    expect(liveBusStatus().listening).toBe(true);
    const after = bus.next((s) => s.type === "issue" && s.projectId === p.projectId);
    const issue = await createIssue(p.actors.reporter!, p.fullPath, { title: "After the restart", description: "" });
    expect(await after).toMatchObject({ iid: issue.iid });
  }, 30_000);
});
