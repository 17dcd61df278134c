// Team notifications (issue 19): who in the team gets a mail and a To-Do for each issue event, fan-out run twice or
// concurrently, the team mail's shape, customer replies relayed to the other customers (once, however often the
// fan-out runs), and two header-less auto-responders stopped by the loop brake.
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/auth/actor";
import { atLeast, type Role } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { setIssueAssignees } from "@/lib/data/assignees";
import { createIssue, setIssueState } from "@/lib/data/issues";
import { addMember } from "@/lib/data/members";
import { addNote } from "@/lib/data/notes";
import { getIssueSubscription, setGlobalNotificationLevel, setIssueSubscription, setProjectNotificationLevel } from "@/lib/data/notification-settings";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled, updateServiceDeskSettings } from "@/lib/data/service-desk";
import { answering } from "@/lib/background";
import { duePendingEvents } from "@/lib/data/issue-events";
import { fanOutEvent, fanOutEvents, notifySoon } from "@/lib/notifications/fan-out";
import { readTeamUnsubscribeToken } from "@/lib/notifications/unsubscribe-token";
import { projectKey } from "@/lib/service-desk/address";
import { deliver, eml, newMessageId } from "../support/mail";
import { makeUser, sleep, uid, uniqueProjectPath } from "./helpers";

type Headers = Record<string, string>;
type Level = "watch" | "participating" | "mention" | "disabled" | "global" | "globalwatch";

const ROLES: Role[] = ["GUEST", "REPORTER", "DEVELOPER", "MAINTAINER"];
// "global" uses the default default (participating); "globalwatch" is "global" with a user default of watch.
const LEVELS: Level[] = ["watch", "participating", "mention", "disabled", "global", "globalwatch"];
const WATCHING: Level[] = ["watch", "globalwatch"];

const labelOf = (role: Role, level: Level) => `${role.toLowerCase()}-${level}`;
const rolesFrom = (min: Role) => ROLES.filter((r) => atLeast(r, min));
const who = (roles: Role[], levels: Level[]) => roles.flatMap((r) => levels.map((l) => labelOf(r, l)));
const without = (list: string[], ...drop: string[]) => list.filter((x) => !drop.includes(x));

interface Member extends Actor {
  username: string;
}

async function member(actor: Actor): Promise<Member> {
  const { username } = await db().user.findUniqueOrThrow({ where: { id: actor.id }, select: { username: true } });
  return { ...actor, username };
}

async function serviceDeskProject(prefix: string) {
  const owner = await member(await makeUser("owner"));
  const project = await createProject(owner, uniqueProjectPath(prefix));
  await setServiceDeskEnabled(owner, project.fullPath, true);
  return { owner, project, fullPath: project.fullPath };
}

async function join(owner: Actor, fullPath: string, label: string, role: Role): Promise<Member> {
  const user = await makeUser(label);
  await addMember(owner, fullPath, user.email, role);
  return member(user);
}

/** A customer's first mail to the desk; returns the new issue and its thank-you (which carries the reply key). */
async function newRequest(project: { id: number; fullPath: string }, from: string, subject = "Refund") {
  const outcome = await deliver(eml({ from, to: `incoming+${projectKey(project)}@localhost`, subject, body: "My order 42 never arrived." }));
  expect(outcome.status).toBe("created_issue");
  const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.id, iid: outcome.issueIid! } } });
  const thankYou = await db().outboundEmail.findFirstOrThrow({ where: { issueId: issue.id, kind: "thank_you" } });
  return { issue, thankYou, eventIds: outcome.eventIds ?? [] };
}

/** `from` answers `mail` the way a mail client does: to its Reply-To (the reply key), In-Reply-To its Message-ID. */
async function replyTo(mail: { replyTo: string | null; headers: unknown; subject: string }, from: string, body: string) {
  expect(mail.replyTo).toMatch(/^incoming\+[0-9a-f]{32}@localhost$/);
  return deliver(
    eml({ from, to: mail.replyTo!, subject: `Re: ${mail.subject}`, messageId: newMessageId(), inReplyTo: (mail.headers as Headers)["Message-ID"], body }),
  );
}

const teamMails = (issueId: number) => db().outboundEmail.findMany({ where: { issueId, kind: "team_notification" }, orderBy: { createdAt: "asc" } });
const customerMails = (issueId: number) =>
  db().outboundEmail.findMany({ where: { issueId, kind: { in: ["thank_you", "new_note"] } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });

describe("the recipient table", () => {
  const members = new Map<string, Member>();
  const labels = new Map<string, string>();
  const got: Record<string, string[]> = {};
  const reasons: Record<string, Record<string, string>> = {};
  let owner: Member;
  let bot: { id: string; username: string };
  const user = (label: string) => members.get(label)!;
  const at = (label: string) => `@${user(label).username}`;

  /** Fans the events out as notifySoon would, and records who got a team mail for them (every row, duplicates kept). */
  async function fanOutAs(name: string, issueId: number, eventIds: string[] | undefined) {
    expect(eventIds?.length).toBeGreaterThan(0);
    const before = new Set((await teamMails(issueId)).map((m) => m.id));
    const result = await fanOutEvents({ ids: eventIds! });
    expect(result.events).toBe(eventIds!.length);
    const rows = (await teamMails(issueId)).filter((m) => !before.has(m.id));
    got[name] = rows.map((m) => labels.get(m.to) ?? `unknown:${m.to}`).sort();
    reasons[name] = Object.fromEntries(rows.map((m) => [labels.get(m.to) ?? m.to, /reason=(\w+)/.exec((m.headers as Headers)["X-Service-Desk-Notification"] ?? "")?.[1] ?? ""]));
  }

  beforeAll(async () => {
    const sd = await serviceDeskProject("tn");
    owner = sd.owner;
    const { fullPath, project } = sd;
    labels.set(owner.email, "owner");
    for (const role of ROLES)
      for (const level of LEVELS) {
        const label = labelOf(role, level);
        const m = await join(owner, fullPath, label, role);
        if (level === "globalwatch") await setGlobalNotificationLevel(m, "watch");
        await setProjectNotificationLevel(m, fullPath, level === "globalwatch" ? "global" : level);
        members.set(label, m);
        labels.set(m.email, label);
      }
    // addMember refuses bots; a bot that is a member anyway (as linked code hosts make them) must still hear nothing.
    const botUser = await db().user.create({ data: { email: `bot-${uid()}@service-desk.invalid`, username: `bot-${uid()}`, isBot: true, notificationLevel: "watch" } });
    await db().membership.create({ data: { projectId: project.id, userId: botUser.id, role: "MAINTAINER" } });
    bot = botUser;
    labels.set(botUser.email, "bot");

    // A confidential Service Desk issue.
    const request = await newRequest(project, "jake@customer.example");
    expect(request.issue.confidential).toBe(true);
    const sdIssue = request.issue;
    await fanOutAs("sd: new request", sdIssue.id, request.eventIds);

    await setIssueSubscription(user("reporter-watch"), fullPath, sdIssue.iid, false);
    await setIssueSubscription(user("developer-participating"), fullPath, sdIssue.iid, true);
    await setIssueSubscription(user("maintainer-mention"), fullPath, sdIssue.iid, true);

    const assigned = await setIssueAssignees(user("maintainer-participating"), fullPath, sdIssue.iid, [
      user("maintainer-participating").id,
      user("reporter-participating").id,
      user("developer-mention").id,
      user("developer-watch").id,
      user("maintainer-disabled").id,
    ]);
    await fanOutAs("sd: assigned", sdIssue.id, assigned.eventIds);

    const reply1 = await replyTo(request.thankYou, "jake@customer.example", "Any news about my refund?");
    expect(reply1.status).toBe("added_note");
    await fanOutAs("sd: customer reply", sdIssue.id, reply1.eventIds);

    const mentions = [
      "guest-participating",
      "guest-mention",
      "reporter-mention",
      "reporter-watch",
      "maintainer-disabled",
      "developer-participating",
      "reporter-participating",
      "developer-watch",
    ].map(at);
    const comment = await addNote(user("developer-watch"), fullPath, sdIssue.iid, { body: `Thanks ${mentions.join(" ")} @${bot.username}, refund is on its way.` });
    await fanOutAs("sd: comment with mentions", sdIssue.id, comment.eventIds);

    const ownerComment = await addNote(owner, fullPath, sdIssue.iid, { body: "Looking into it." });
    await fanOutAs("sd: comment", sdIssue.id, ownerComment.eventIds);

    const sdMails = await customerMails(sdIssue.id);
    const lastToJake = sdMails.filter((m) => m.to === "jake@customer.example").at(-1)!;
    const reply2 = await replyTo(lastToJake, "jake@customer.example", "Still nothing.");
    expect(reply2.status).toBe("added_note");
    await fanOutAs("sd: customer reply after team comments", sdIssue.id, reply2.eventIds);

    // A non-confidential team issue, written by the Owner.
    const teamIssue = await createIssue(owner, fullPath, { title: "Printer driver", confidential: false });
    await setIssueSubscription(user("guest-participating"), fullPath, teamIssue.iid, true);
    const t1 = await addNote(user("maintainer-globalwatch"), fullPath, teamIssue.iid, {
      body: `Thanks ${at("guest-mention")}, ${at("guest-disabled")} and ${at("reporter-mention")}.`,
    });
    await fanOutAs("team: comment", teamIssue.id, t1.eventIds);
    const t2 = await addNote(user("developer-participating"), fullPath, teamIssue.iid, {
      body: `Between us: ${at("guest-mention")} and ${at("reporter-mention")}, the vendor is late.`,
      internal: true,
    });
    await fanOutAs("team: internal note", teamIssue.id, t2.eventIds);
    const t3 = await setIssueAssignees(owner, fullPath, teamIssue.iid, [owner.id, user("guest-participating").id, user("reporter-mention").id]);
    await fanOutAs("team: assigned", teamIssue.id, t3.eventIds);
    const t4 = await addNote(user("reporter-participating"), fullPath, teamIssue.iid, { body: "Fixed in 2.1." });
    await fanOutAs("team: comment after participation", teamIssue.id, t4.eventIds);
  }, 120_000);

  const CONF = rolesFrom("REPORTER");
  const sdWatchers = who(CONF, WATCHING);
  const sdWatchersButUnsubscribed = without(sdWatchers, "reporter-watch");
  const sdReplyParticipants = ["maintainer-participating", "reporter-participating", "developer-participating"];

  const table: [string, string[]][] = [
    // Guests cannot read a confidential issue; participating members have nothing to do with a new request yet.
    ["sd: new request", sdWatchers],
    // Only the new assignees who can hear of it: not the one who assigned (themselves too), not mention or disabled.
    ["sd: assigned", ["reporter-participating", "developer-watch"]],
    // Assignees, the subscribed, watchers; not reporter-watch (unsubscribed), not the mention-level assignee.
    ["sd: customer reply", [...sdWatchersButUnsubscribed, ...sdReplyParticipants]],
    // The author never; mentioned Guests and disabled members never; the unsubscribed watcher through the mention.
    [
      "sd: comment with mentions",
      [...without(sdWatchers, "developer-watch"), "reporter-mention", "reporter-participating", "maintainer-participating", "developer-participating"],
    ],
    ["sd: comment", [...sdWatchersButUnsubscribed, ...sdReplyParticipants]],
    // The Owner commented since, so now takes part.
    ["sd: customer reply after team comments", [...sdWatchersButUnsubscribed, ...sdReplyParticipants, "owner"]],
    // Guests read a non-confidential issue: watching, subscribed and mentioned Guests hear of a public comment.
    ["team: comment", [...without(who(ROLES, WATCHING), "maintainer-globalwatch"), "owner", "guest-participating", "guest-mention", "reporter-mention"]],
    // An internal note is for Reporters and up, whatever the Guest's level, subscription or mention.
    ["team: internal note", [...who(CONF, WATCHING), "owner", "reporter-mention"]],
    ["team: assigned", ["guest-participating"]],
    ["team: comment after participation", [...who(ROLES, WATCHING), "owner", "guest-participating", "developer-participating"]],
  ];

  it.each(table)("%s: exactly these members get one mail each", (name, expected) => {
    expect(got[name]).toEqual([...expected].sort());
  });

  it("never mails the bot member, whatever the event", () => {
    expect(Object.values(got).flat()).not.toContain("bot");
    expect(Object.values(got).flat().filter((l) => l.startsWith("unknown:"))).toEqual([]);
  });

  it("tells each recipient why: a mention wins over an unsubscription and over being assigned or subscribed", () => {
    expect(reasons["sd: comment with mentions"]).toMatchObject({
      "reporter-watch": "mentioned",
      "reporter-mention": "mentioned",
      "developer-participating": "mentioned",
      "reporter-participating": "mentioned",
      "maintainer-participating": "assigned",
      "maintainer-watch": "watching",
    });
    expect(reasons["sd: customer reply"]).toMatchObject({ "developer-participating": "subscribed", "maintainer-participating": "assigned", "reporter-globalwatch": "watching" });
    expect(reasons["sd: customer reply after team comments"]).toMatchObject({ owner: "participating" });
  });
});

describe("fan-out idempotency", () => {
  async function commentEvent() {
    const { owner, fullPath } = await serviceDeskProject("tni");
    const watcher = await join(owner, fullPath, "watcher", "DEVELOPER");
    await setProjectNotificationLevel(watcher, fullPath, "watch");
    const issue = await createIssue(owner, fullPath, { title: "Twice?", confidential: false });
    const note = await addNote(owner, fullPath, issue.iid, { body: "@" + watcher.username + " once, please" });
    return { issue, watcher, eventId: note.eventIds[0] };
  }

  it("mails once when the same event is fanned out twice", async () => {
    const { issue, watcher, eventId } = await commentEvent();
    const first = await fanOutEvents({ ids: [eventId] });
    const second = await fanOutEvents({ ids: [eventId] });
    expect(first).toMatchObject({ events: 1, mails: 1, todos: 1 });
    expect(second).toMatchObject({ events: 0, mails: 0, todos: 0 });
    expect((await teamMails(issue.id)).map((m) => m.to)).toEqual([watcher.email]);
    expect(await db().todo.findMany({ where: { issueId: issue.id }, select: { userId: true, action: true } })).toEqual([{ userId: watcher.id, action: "directly_addressed" }]);
    expect(await db().issueEvent.findUniqueOrThrow({ where: { id: eventId } })).toMatchObject({ status: "done" });
  });

  it("mails once when two runners take the same event at the same time", async () => {
    const { issue, watcher, eventId } = await commentEvent();
    const [one, two, batch] = await Promise.all([fanOutEvent(eventId), fanOutEvent(eventId), fanOutEvents({ ids: [eventId] })]);
    expect([one, two].filter((r) => r !== null).length + batch.events).toBe(1);
    expect((await teamMails(issue.id)).map((m) => m.to)).toEqual([watcher.email]);
    expect(await db().todo.count({ where: { issueId: issue.id } })).toBe(1);
  });
});

describe("notifySoon", () => {
  it("fans out after the webhook answers that are in progress, one event at a time, each once", async () => {
    const { owner, fullPath } = await serviceDeskProject("tnq");
    const watcher = await join(owner, fullPath, "watcher", "DEVELOPER");
    await setProjectNotificationLevel(watcher, fullPath, "watch");
    const issue = await createIssue(owner, fullPath, { title: "Queued", confidential: false });
    const ids: string[] = [];
    for (const body of ["one", "two", "three"]) ids.push(...(await addNote(owner, fullPath, issue.iid, { body })).eventIds);
    const pending = () => db().issueEvent.count({ where: { id: { in: ids }, status: "pending" } });

    // A webhook request still being answered: the team's mail waits for it.
    let answer!: () => void;
    const request = answering(() => new Promise<void>((resolve) => (answer = resolve)));
    notifySoon(ids);
    // The same events again (a retried request): still one mail each.
    notifySoon(ids);
    await sleep(300);
    expect(await pending()).toBe(3);
    answer();
    await request;
    for (let i = 0; i < 100 && (await pending()) > 0; i++) await sleep(100);
    expect(await pending()).toBe(0);
    expect((await teamMails(issue.id)).map((m) => m.to)).toEqual([watcher.email, watcher.email, watcher.email]);
  });

  it("leaves fresh events to the queues when the after-request sweep looks (minAgeMs); the cron's takes them", async () => {
    const { owner, fullPath } = await serviceDeskProject("tnm");
    const issue = await createIssue(owner, fullPath, { title: "Fresh", confidential: false });
    const [eventId] = (await addNote(owner, fullPath, issue.iid, { body: "fresh" })).eventIds;
    // Read-only (other test files share the database and fan out their own events): which events a sweep would take.
    const due = async (minAgeMs: number, now = new Date()) => (await duePendingEvents(now, 100_000, minAgeMs)).includes(eventId);
    expect(await due(0)).toBe(true);
    expect(await due(60_000)).toBe(false);
    // A minute later (the clock injected), the same sweep takes it.
    expect(await due(60_000, new Date(Date.now() + 61_000))).toBe(true);
  });
});

describe("the team notification mail", () => {
  it("is threaded on the team's own root, stamped as a team notification, carries the note and marks internal notes", async () => {
    const { owner, project, fullPath } = await serviceDeskProject("tnm");
    const reporter = await join(owner, fullPath, "rita", "REPORTER");
    await setProjectNotificationLevel(reporter, fullPath, "watch");
    const { issue, eventIds } = await newRequest(project, "jake@customer.example", "Refund");
    await fanOutEvents({ ids: eventIds });
    const internal = await addNote(owner, fullPath, issue.iid, { body: "Customer is on the **legacy** plan", internal: true });
    await fanOutEvents({ ids: internal.eventIds });
    const pub = await addNote(owner, fullPath, issue.iid, { body: "We refunded you." });
    await fanOutEvents({ ids: pub.eventIds });

    const mails = await teamMails(issue.id);
    expect(mails.map((m) => m.to)).toEqual([reporter.email, reporter.email, reporter.email]);
    const [request, note, comment] = mails;
    const ref = `${fullPath}#${issue.iid}`;
    expect(request.subject).toBe(`Refund (${ref})`);
    expect(note.subject).toBe(`Re: Refund (${ref})`);
    expect(request.text).toContain("My order 42 never arrived.");

    for (const mail of mails) {
      const h = mail.headers as Headers;
      expect(h["X-Service-Desk-Notification"]).toMatch(/^team\b/);
      expect(h["Auto-Submitted"]).toBe("auto-generated");
      expect(h["In-Reply-To"]).toBe(`<issue-${issue.id}-team@localhost>`);
      expect(h["References"]).toBe(`<issue-${issue.id}-team@localhost>`);
      // Its own reply key, bound to the member (reply by email), never a customer's key of the issue.
      const replyKey = /^incoming\+([0-9a-f]{32})@localhost$/.exec(mail.replyTo ?? "")?.[1];
      expect(replyKey).toBeDefined();
      expect(await db().sentNotification.findUniqueOrThrow({ where: { replyKey } })).toMatchObject({ issueId: issue.id, recipient: mail.to, userId: expect.any(String) });
      const unsubscribe = /^<http:\/\/localhost:3000\/notifications\/unsubscribe\/([^>]+)>$/.exec(h["List-Unsubscribe"]);
      expect(unsubscribe).not.toBeNull();
      expect(readTeamUnsubscribeToken(unsubscribe![1])).toEqual({ userId: reporter.id, issueId: issue.id });
    }
    expect((request.headers as Headers)["X-Service-Desk-Notification"]).toBe("team; reason=watching; event=new_request");
    expect((note.headers as Headers)["X-Service-Desk-Notification"]).toBe("team; reason=watching; event=comment");
    expect(new Set(mails.map((m) => (m.headers as Headers)["Message-ID"])).size).toBe(3);

    expect(note.text).toContain("Customer is on the legacy plan");
    expect(note.html).toContain("<strong>legacy</strong>");
    expect(note.text).toMatch(/Internal note: never emailed/);
    expect(note.html).toMatch(/Internal note: never emailed/);
    expect(comment.text).toContain("We refunded you.");
    expect(comment.text).not.toMatch(/Internal note: never emailed/);
    expect(comment.html).not.toMatch(/Internal note: never emailed/);
  });
});

describe("customer replies relayed to the other customers", () => {
  const A = "ann@customer.example";
  const B = "bea@customer.example";
  const C = "cem@customer.example";
  const D = "dan@customer.example";

  /** A reply by mail, fanned out as notifySoon does right after the response. */
  async function replyAndFanOut(mail: Parameters<typeof replyTo>[0], from: string, body: string) {
    const outcome = await replyTo(mail, from, body);
    expect(outcome.status).toBe("added_note");
    expect(outcome.eventIds).toHaveLength(1);
    await fanOutEvents({ ids: outcome.eventIds! });
    return outcome;
  }

  async function participantsOf(issueId: number, ...emails: string[]) {
    for (const email of emails) await db().issueEmailParticipant.create({ data: { issueId, email } });
  }

  function freshMails(issueId: number) {
    const seen = new Set<string>();
    return async () => {
      const rows = (await customerMails(issueId)).filter((m) => !seen.has(m.id));
      rows.forEach((m) => seen.add(m.id));
      return rows;
    };
  }

  it("go to every other subscribed participant, never back to the author; internal notes to no customer", async () => {
    const { owner, project, fullPath } = await serviceDeskProject("tnr");
    const { issue, thankYou } = await newRequest(project, A);
    await participantsOf(issue.id, B, C);
    await db().issueEmailParticipant.create({ data: { issueId: issue.id, email: D, status: "unsubscribed" } });
    const fresh = freshMails(issue.id);
    await fresh();

    const first = await replyTo(thankYou, A, "Order 42, paid by card.");
    expect(first.status).toBe("added_note");
    // Nothing is relayed inside the reply's own transaction: it waits for the fan-out.
    expect(await fresh()).toEqual([]);
    await fanOutEvents({ ids: first.eventIds! });
    const fromA = await fresh();
    expect(fromA.map((m) => m.to).sort()).toEqual([B, C]);
    for (const mail of fromA) {
      expect(mail.kind).toBe("new_note");
      expect(mail.text).toContain("Order 42, paid by card.");
      // Under the desk's name: A's address is not shown to people the team added.
      expect(mail.fromName).toBe("Support Bot");
      // Threaded under the thank-you, so the other customers' mail clients keep one conversation.
      expect((mail.headers as Headers)["References"]).toContain((thankYou.headers as Headers)["Message-ID"]);
    }

    await replyAndFanOut(fromA.find((m) => m.to === B)!, B, "I paid for it, not Ann.");
    const fromB = await fresh();
    expect(fromB.map((m) => m.to).sort()).toEqual([A, C]);
    expect(fromB.every((m) => m.kind === "new_note" && m.text.includes("I paid for it, not Ann."))).toBe(true);

    // Each relayed copy has its own reply key: C answering hers lands on the same issue, relayed to A and B.
    const cAnswer = await replyAndFanOut(fromB.find((m) => m.to === C)!, C, "Cem here, finance will check.");
    expect(cAnswer.issueIid).toBe(issue.iid);
    expect((await fresh()).map((m) => m.to).sort()).toEqual([A, B]);

    await addNote(owner, fullPath, issue.iid, { body: "Ann and Bea disagree, ask finance.", internal: true });
    expect(await fresh()).toEqual([]);
  });

  it("happen once when the fan-out runs again after a crash, or twice at the same time", async () => {
    const { project } = await serviceDeskProject("tnc");
    const { issue, thankYou } = await newRequest(project, A);
    await participantsOf(issue.id, B, C);
    const fresh = freshMails(issue.id);
    await fresh();

    // Two runners at once (a sweeper and the request's own fan-out): one relay.
    const outcome = await replyTo(thankYou, A, "Any news?");
    const [eventId] = outcome.eventIds!;
    await Promise.all([fanOutEvent(eventId), fanOutEvent(eventId), fanOutEvents({ ids: [eventId] })]);
    expect((await fresh()).map((m) => m.to).sort()).toEqual([B, C]);

    // The process died after the relay's transaction and before the team's (the state it leaves: the event
    // pending, relayed_at set, no team mail): the next run writes the team's mail and relays nothing again.
    const teamBefore = (await teamMails(issue.id)).length;
    await db().outboundEmail.deleteMany({ where: { issueId: issue.id, kind: "team_notification", createdAt: { gte: new Date(Date.now() - 60_000) } } });
    await db().todo.deleteMany({ where: { eventId } });
    await db().issueEvent.update({ where: { id: eventId }, data: { status: "pending", lockedUntil: null, processedAt: null } });
    const again = await fanOutEvents({ ids: [eventId] });
    expect(again.events).toBe(1);
    expect(await fresh()).toEqual([]);
    expect((await teamMails(issue.id)).length).toBe(teamBefore);
  });

  it("between two header-less auto-responders stop at the loop brake within a handful of mails", async () => {
    const { owner, project, fullPath } = await serviceDeskProject("tnl");
    // A writes with B in Cc, and the desk keeps Cc'd people on the thread: both are email participants.
    await updateServiceDeskSettings(owner, fullPath, { addExternalParticipantsFromCc: true });
    const outcome = await deliver(eml({ from: A, cc: B, to: `incoming+${projectKey(project)}@localhost`, subject: "Where is my parcel?", body: "Order 42." }));
    expect(outcome.status).toBe("created_issue");
    const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.id, iid: outcome.issueIid! } } });
    expect((await db().issueEmailParticipant.findMany({ where: { issueId: issue.id }, orderBy: { id: "asc" } })).map((p) => p.email)).toEqual([A, B]);

    // Two scripted auto-responders, one in From and one in Cc: each answers every mail it is sent (not held),
    // at once, with nothing that marks the answer automatic (no Auto-Submitted, no Precedence).
    const answered = new Set<string>();
    let stopped = false;
    for (let round = 0; round < 40 && !stopped; round++) {
      const due = (await customerMails(issue.id)).filter((m) => (m.to === A || m.to === B) && m.status !== "held" && !answered.has(m.id));
      if (!due.length) stopped = true;
      for (const mail of due) {
        answered.add(mail.id);
        await replyAndFanOut(mail, mail.to, "I am out of the office until Monday.");
      }
    }
    expect(stopped).toBe(true);
    expect(answered.size).toBeGreaterThan(2);
    expect(answered.size).toBeLessThanOrEqual(12);

    const mails = await customerMails(issue.id);
    expect(mails.filter((m) => m.status !== "held")).toHaveLength(answered.size);
    const held = mails.filter((m) => m.status === "held");
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((m) => m.to === A || m.to === B)).toBe(true);
    const notes = await db().note.findMany({ where: { issueId: issue.id, system: true, body: { startsWith: "held mail" } } });
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.every((n) => n.internal)).toBe(true);
  });
});

describe("the issue's subscription switch", () => {
  it("says whether the member hears of replies and comments, and why, by the fan-out's own rule", async () => {
    const { owner, project, fullPath } = await serviceDeskProject("tns");
    const { issue } = await newRequest(project, "sam@customer.example");
    const standing = async (m: Member) => getIssueSubscription(m, fullPath, issue.iid);
    const quiet = await join(owner, fullPath, "quiet", "REPORTER");
    const watcher = await join(owner, fullPath, "watcher", "REPORTER");
    const mention = await join(owner, fullPath, "mention", "REPORTER");
    const assignee = await join(owner, fullPath, "assignee", "DEVELOPER");
    const commenter = await join(owner, fullPath, "commenter", "REPORTER");
    await setProjectNotificationLevel(watcher, fullPath, "watch");
    await setProjectNotificationLevel(mention, fullPath, "mention");
    await setIssueAssignees(owner, fullPath, issue.iid, [assignee.id]);
    await addNote(commenter, fullPath, issue.iid, { body: "Seen it.", internal: true });

    expect(await standing(quiet)).toEqual({ subscribed: false, why: "not_participating" });
    expect(await standing(watcher)).toEqual({ subscribed: true, why: "watching" });
    expect(await standing(mention)).toEqual({ subscribed: false, why: "mention" });
    expect(await standing(assignee)).toEqual({ subscribed: true, why: "assigned" });
    expect(await standing(commenter)).toEqual({ subscribed: true, why: "participating" });
    await setIssueSubscription(quiet, fullPath, issue.iid, true);
    expect(await standing(quiet)).toEqual({ subscribed: true, why: "subscribed" });
    await setIssueSubscription(watcher, fullPath, issue.iid, false);
    expect(await standing(watcher)).toEqual({ subscribed: false, why: "unsubscribed" });
    // A Guest cannot see the confidential Service Desk issue at all.
    const guest = await join(owner, fullPath, "guest", "GUEST");
    await expect(standing(guest)).rejects.toMatchObject({ code: "not_found" });

    // And the fan-out agrees: a customer reply mails exactly those the switch shows as subscribed.
    const thankYou = await db().outboundEmail.findFirstOrThrow({ where: { issueId: issue.id, kind: "thank_you" } });
    const before = new Set((await teamMails(issue.id)).map((m) => m.id));
    const reply = await replyTo(thankYou, "sam@customer.example", "Still broken.");
    await fanOutEvents({ ids: reply.eventIds! });
    const got = (await teamMails(issue.id)).filter((m) => !before.has(m.id)).map((m) => m.to);
    const team = [quiet, watcher, mention, assignee, commenter];
    const shown = [];
    for (const m of team) if ((await standing(m)).subscribed) shown.push(m.email);
    expect(got.filter((to) => team.some((m) => m.email === to)).sort()).toEqual(shown.sort());
  });
});

describe("To-Dos", () => {
  let fullPath: string;
  let projectId: number;
  let owner: Member;
  let alice: Member;
  let bob: Member;
  let guest: Member;

  beforeAll(async () => {
    const sd = await serviceDeskProject("tnt");
    ({ fullPath, owner } = sd);
    projectId = sd.project.id;
    alice = await join(owner, fullPath, "alice", "DEVELOPER");
    bob = await join(owner, fullPath, "bob", "DEVELOPER");
    guest = await join(owner, fullPath, "gus", "GUEST");
    // No mail is not no To-Do.
    await setProjectNotificationLevel(bob, fullPath, "disabled");
  });

  const todos = (issueId: number) =>
    db().todo.findMany({ where: { issueId }, orderBy: { id: "asc" }, select: { userId: true, action: true, state: true, authorId: true, noteId: true } });
  // Rows one event makes come in no particular order.
  const sorted = (rows: unknown[][]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const fan = async (ids: string[]) => {
    const result = await fanOutEvents({ ids });
    expect(result.events).toBe(ids.length);
  };

  it("are made for the assigned (not who assigned themselves), the addressed and the mentioned; commenting or closing does them", async () => {
    const issue = await createIssue(owner, fullPath, { title: "Logs", confidential: false });
    await fan((await setIssueAssignees(alice, fullPath, issue.iid, [alice.id, bob.id])).eventIds);
    expect(await todos(issue.id)).toEqual([{ userId: bob.id, action: "assigned", state: "pending", authorId: alice.id, noteId: null }]);

    const addressed = await addNote(alice, fullPath, issue.iid, { body: `@${bob.username} please check the logs` });
    await fan(addressed.eventIds);
    const thanks = await addNote(alice, fullPath, issue.iid, { body: `thanks @${bob.username}` });
    await fan(thanks.eventIds);
    const toGuest = await addNote(alice, fullPath, issue.iid, { body: `fyi @${guest.username}` });
    await fan(toGuest.eventIds);
    // An internal note is not for a Guest to read: no To-Do either.
    const hidden = await addNote(alice, fullPath, issue.iid, { body: `@${guest.username} you cannot read this`, internal: true });
    await fan(hidden.eventIds);
    expect(await todos(issue.id)).toEqual([
      { userId: bob.id, action: "assigned", state: "pending", authorId: alice.id, noteId: null },
      { userId: bob.id, action: "directly_addressed", state: "pending", authorId: alice.id, noteId: addressed.id },
      { userId: bob.id, action: "mentioned", state: "pending", authorId: alice.id, noteId: thanks.id },
      { userId: guest.id, action: "mentioned", state: "pending", authorId: alice.id, noteId: toGuest.id },
    ]);

    const other = await createIssue(owner, fullPath, { title: "Other", confidential: false });
    await fan((await addNote(owner, fullPath, other.iid, { body: `@${bob.username} @${alice.username} see also` })).eventIds);

    // Bob answers on the first issue: his To-Dos there are done, nobody else's and none elsewhere.
    await addNote(bob, fullPath, issue.iid, { body: "On it." });
    expect((await todos(issue.id)).map((t) => [t.userId, t.action, t.state])).toEqual([
      [bob.id, "assigned", "done"],
      [bob.id, "directly_addressed", "done"],
      [bob.id, "mentioned", "done"],
      [guest.id, "mentioned", "pending"],
    ]);
    expect(sorted((await todos(other.id)).map((t) => [t.userId, t.action, t.state]))).toEqual(
      sorted([
        [bob.id, "directly_addressed", "pending"],
        [alice.id, "directly_addressed", "pending"],
      ]),
    );

    await setIssueState(bob, fullPath, other.iid, "close");
    expect(sorted((await todos(other.id)).map((t) => [t.userId, t.state]))).toEqual(
      sorted([
        [bob.id, "done"],
        [alice.id, "pending"],
      ]),
    );
  });

  it("on a confidential Service Desk issue: customer_replied for each assignee, nothing for a mentioned Guest", async () => {
    const { issue, thankYou } = await newRequest({ id: projectId, fullPath }, "jake@customer.example", "Broken");
    await fan((await setIssueAssignees(alice, fullPath, issue.iid, [alice.id, bob.id])).eventIds);
    const mention = await addNote(alice, fullPath, issue.iid, { body: `thanks @${guest.username} and @${owner.username}` });
    await fan(mention.eventIds);
    const reply = await replyTo(thankYou, "jake@customer.example", "Still broken.");
    expect(reply.status).toBe("added_note");
    await fan(reply.eventIds ?? []);

    const rows = await todos(issue.id);
    expect(rows.filter((t) => t.userId === guest.id)).toEqual([]);
    const customerNote = await db().note.findFirstOrThrow({ where: { issueId: issue.id, body: { contains: "Still broken." } } });
    expect(sorted(rows.map((t) => [t.userId, t.action, t.noteId]))).toEqual(
      sorted([
        [bob.id, "assigned", null],
        [owner.id, "mentioned", mention.id],
        [alice.id, "customer_replied", customerNote.id],
        [bob.id, "customer_replied", customerNote.id],
      ]),
    );
  });
});
