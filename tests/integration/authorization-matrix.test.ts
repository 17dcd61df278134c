// Who may do what through lib/data, for every kind of actor: the exact outcome, and that a refused action
// changed nothing.
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { createIssue, getIssue, setIssueState } from "@/lib/data/issues";
import { listIssues } from "@/lib/data/issue-list";
import { addMember, changeMemberRole, listMembers, removeMember } from "@/lib/data/members";
import { addNote } from "@/lib/data/notes";
import { getProject } from "@/lib/data/projects";
import type { ErrorCode } from "@/lib/errors";
import {
  addFreshMember,
  appError,
  makeProjectWithMembers,
  makeUser,
  membershipRole,
  outcome,
  uid,
  uniqueEmail,
  type ProjectFixture,
} from "./helpers";

type Outcome = "ok" | ErrorCode;
const ACTORS = ["anon", "nonMember", "guest", "reporter", "developer", "maintainer", "owner", "admin"] as const;
type ActorColumn = (typeof ACTORS)[number];

// prettier-ignore
const MATRIX: Record<string, Outcome[]> = {
  //                          anon            nonMember    guest        reporter  developer  maintainer  owner  admin (not a member)
  "getProject":              ["unauthorized", "not_found", "ok",        "ok",     "ok",      "ok",       "ok",  "ok"],
  "listIssues":              ["unauthorized", "not_found", "ok",        "ok",     "ok",      "ok",       "ok",  "ok"],
  "getIssue (public)":       ["unauthorized", "not_found", "ok",        "ok",     "ok",      "ok",       "ok",  "ok"],
  "getIssue (confidential)": ["unauthorized", "not_found", "not_found", "ok",     "ok",      "ok",       "ok",  "ok"],
  "createIssue":             ["unauthorized", "not_found", "forbidden", "ok",     "ok",      "ok",       "ok",  "ok"],
  "addNote":                 ["unauthorized", "not_found", "forbidden", "ok",     "ok",      "ok",       "ok",  "ok"],
  "addNote (internal)":      ["unauthorized", "not_found", "forbidden", "ok",     "ok",      "ok",       "ok",  "ok"],
  "setIssueState":           ["unauthorized", "not_found", "forbidden", "ok",     "ok",      "ok",       "ok",  "ok"],
  "listMembers":             ["unauthorized", "not_found", "ok",        "ok",     "ok",      "ok",       "ok",  "ok"],
  "addMember":               ["unauthorized", "not_found", "forbidden", "forbidden", "forbidden", "ok",  "ok",  "ok"],
  "changeMemberRole":        ["unauthorized", "not_found", "forbidden", "forbidden", "forbidden", "ok",  "ok",  "ok"],
  "removeMember":            ["unauthorized", "not_found", "forbidden", "forbidden", "forbidden", "ok",  "ok",  "ok"],
};

interface Ctx {
  fx: ProjectFixture;
  publicIid: number;
  confidentialIid: number;
}

/**
 * One action of lib/data: `prepare` makes what the action works on (as the Owner, outside the assertion),
 * `run` is the call under test, `verify` checks the database agrees with the outcome.
 */
interface Action<P = unknown> {
  prepare?: (ctx: Ctx) => Promise<P>;
  run: (actor: Actor | null, ctx: Ctx, prepared: P) => Promise<unknown>;
  verify?: (ok: boolean, ctx: Ctx, prepared: P, result: unknown) => Promise<void>;
}
const action = <P>(a: Action<P>) => a as Action<unknown>;

const ACTIONS: Record<keyof typeof MATRIX, Action> = {
  getProject: action({
    run: (actor, { fx }) => getProject(actor, fx.fullPath),
  }),
  listIssues: action({
    run: (actor, { fx }) => listIssues(actor, fx.fullPath, { state: "all" }),
  }),
  "getIssue (public)": action({
    run: (actor, { fx, publicIid }) => getIssue(actor, fx.fullPath, publicIid),
  }),
  "getIssue (confidential)": action({
    run: (actor, { fx, confidentialIid }) => getIssue(actor, fx.fullPath, confidentialIid),
  }),
  createIssue: action({
    prepare: async () => `matrix issue ${uid()}`,
    run: (actor, { fx }, title: string) => createIssue(actor, fx.fullPath, { title }),
    verify: async (ok, { fx }, title: string) => {
      expect(await db().issue.count({ where: { projectId: fx.projectId, title } })).toBe(ok ? 1 : 0);
    },
  }),
  addNote: action({
    prepare: async () => `comment ${uid()}`,
    run: (actor, { fx, publicIid }, body: string) => addNote(actor, fx.fullPath, publicIid, { body }),
    verify: async (ok, _ctx, body: string) => {
      expect(await db().note.count({ where: { body, internal: false } })).toBe(ok ? 1 : 0);
    },
  }),
  "addNote (internal)": action({
    prepare: async () => `internal ${uid()}`,
    run: (actor, { fx, publicIid }, body: string) => addNote(actor, fx.fullPath, publicIid, { body, internal: true }),
    verify: async (ok, _ctx, body: string) => {
      expect(await db().note.count({ where: { body, internal: true } })).toBe(ok ? 1 : 0);
    },
  }),
  setIssueState: action({
    prepare: async ({ fx }) => (await createIssue(fx.actors.owner, fx.fullPath, { title: "to close" })).iid,
    run: (actor, { fx }, iid: number) => setIssueState(actor, fx.fullPath, iid, "close"),
    verify: async (ok, { fx }, iid: number) => {
      const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: fx.projectId, iid } } });
      expect(issue.state).toBe(ok ? "CLOSED" : "OPENED");
    },
  }),
  listMembers: action({
    run: (actor, { fx }) => listMembers(actor, fx.fullPath),
    verify: async (ok, { fx }, _p, result) => {
      if (!ok) return;
      const roles = new Map((result as { userId: string; role: string }[]).map((m) => [m.userId, m.role]));
      const { owner, maintainer, developer, reporter, guest, nonMember } = fx.actors;
      expect(roles.get(owner.id)).toBe("OWNER");
      expect(roles.get(maintainer.id)).toBe("MAINTAINER");
      expect(roles.get(developer!.id)).toBe("DEVELOPER");
      expect(roles.get(reporter!.id)).toBe("REPORTER");
      expect(roles.get(guest.id)).toBe("GUEST");
      expect(roles.has(nonMember.id)).toBe(false);
    },
  }),
  addMember: action({
    prepare: async () => uniqueEmail("invitee"),
    run: (actor, { fx }, email: string) => addMember(actor, fx.fullPath, email, "DEVELOPER"),
    verify: async (ok, { fx }, email: string) => {
      const user = await db().user.findUnique({ where: { email } });
      // A refused invitation must not even create the account.
      expect(user !== null).toBe(ok);
      if (user) expect(await membershipRole(fx.projectId, user.id)).toBe("DEVELOPER");
    },
  }),
  changeMemberRole: action({
    prepare: ({ fx }) => addFreshMember(fx, "GUEST"),
    run: (actor, { fx }, target: Actor) => changeMemberRole(actor, fx.fullPath, target.id, "DEVELOPER"),
    verify: async (ok, { fx }, target: Actor) => {
      expect(await membershipRole(fx.projectId, target.id)).toBe(ok ? "DEVELOPER" : "GUEST");
    },
  }),
  removeMember: action({
    prepare: ({ fx }) => addFreshMember(fx, "REPORTER"),
    run: (actor, { fx }, target: Actor) => removeMember(actor, fx.fullPath, target.id),
    verify: async (ok, { fx }, target: Actor) => {
      expect(await membershipRole(fx.projectId, target.id)).toBe(ok ? null : "REPORTER");
    },
  }),
};

describe("authorization matrix", () => {
  let ctx: Ctx;
  let admin: Actor;

  beforeAll(async () => {
    const fx = await makeProjectWithMembers();
    admin = await makeUser("admin", { isAdmin: true });
    const publicIssue = await createIssue(fx.actors.reporter, fx.fullPath, { title: "Printer on fire" });
    const confidentialIssue = await createIssue(fx.actors.reporter, fx.fullPath, { title: "Leaked key", confidential: true });
    ctx = { fx, publicIid: publicIssue.iid, confidentialIid: confidentialIssue.iid };
  });

  const actorFor = (column: ActorColumn): Actor | null => (column === "admin" ? admin : ctx.fx.actors[column]);

  it("has a row for every action and a column for every actor", () => {
    expect(Object.keys(ACTIONS).sort()).toEqual(Object.keys(MATRIX).sort());
    for (const row of Object.values(MATRIX)) expect(row).toHaveLength(ACTORS.length);
  });

  const cases = Object.entries(MATRIX).flatMap(([name, row]) =>
    ACTORS.map((actor, i) => ({ name, actor, expected: row[i] })),
  );

  it.each(cases)("$name by $actor → $expected", async ({ name, actor, expected }) => {
    const act = ACTIONS[name];
    const prepared = act.prepare ? await act.prepare(ctx) : undefined;
    let result: unknown;
    const got = await outcome(act.run(actorFor(actor), ctx, prepared).then((r) => (result = r)));
    expect(got).toBe(expected);
    await act.verify?.(got === "ok", ctx, prepared, result);
  });
});

describe("Owner role rules", () => {
  it("a Maintainer cannot add an Owner, promote to Owner, or demote or remove an Owner", async () => {
    const fx = await makeProjectWithMembers();
    const { maintainer, owner, developer } = fx.actors;
    const email = uniqueEmail("would-be-owner");
    expect((await appError(addMember(maintainer, fx.fullPath, email, "OWNER"))).code).toBe("forbidden");
    expect(await db().user.findUnique({ where: { email } })).toBeNull();
    expect((await appError(changeMemberRole(maintainer, fx.fullPath, developer!.id, "OWNER"))).code).toBe("forbidden");
    expect((await appError(changeMemberRole(maintainer, fx.fullPath, maintainer.id, "OWNER"))).code).toBe("forbidden");
    expect((await appError(changeMemberRole(maintainer, fx.fullPath, owner.id, "GUEST"))).code).toBe("forbidden");
    expect((await appError(removeMember(maintainer, fx.fullPath, owner.id))).code).toBe("forbidden");
    expect(await membershipRole(fx.projectId, developer!.id)).toBe("DEVELOPER");
    expect(await membershipRole(fx.projectId, maintainer.id)).toBe("MAINTAINER");
    expect(await membershipRole(fx.projectId, owner.id)).toBe("OWNER");
  });

  it("an Owner can add and promote Owners", async () => {
    const fx = await makeProjectWithMembers();
    const added = await addMember(fx.actors.owner, fx.fullPath, uniqueEmail("co-owner"), "OWNER");
    expect(await membershipRole(fx.projectId, added.userId)).toBe("OWNER");
    await changeMemberRole(fx.actors.owner, fx.fullPath, fx.actors.maintainer.id, "OWNER");
    expect(await membershipRole(fx.projectId, fx.actors.maintainer.id)).toBe("OWNER");
  });

  it("the last Owner can be neither demoted nor removed, not even by an admin", async () => {
    const fx = await makeProjectWithMembers();
    const { owner } = fx.actors;
    const admin = await makeUser("admin", { isAdmin: true });
    for (const actor of [owner, admin]) {
      expect((await appError(changeMemberRole(actor, fx.fullPath, owner.id, "MAINTAINER"))).code).toBe("conflict");
      expect((await appError(removeMember(actor, fx.fullPath, owner.id))).code).toBe("conflict");
    }
    expect(await membershipRole(fx.projectId, owner.id)).toBe("OWNER");
  });

  it("an Owner can leave or step down only while another Owner remains", async () => {
    const fx = await makeProjectWithMembers();
    const { owner, maintainer } = fx.actors;
    expect((await appError(removeMember(owner, fx.fullPath, owner.id))).code).toBe("conflict");
    await changeMemberRole(owner, fx.fullPath, maintainer.id, "OWNER");
    await removeMember(owner, fx.fullPath, owner.id);
    expect(await membershipRole(fx.projectId, owner.id)).toBeNull();
    // Having left, the former Owner is a non-member: 404.
    expect((await appError(getProject(owner, fx.fullPath))).code).toBe("not_found");
    // The remaining Owner is now the last one.
    expect((await appError(changeMemberRole(maintainer, fx.fullPath, maintainer.id, "DEVELOPER"))).code).toBe("conflict");
  });

  it("an Owner can demote another Owner", async () => {
    const fx = await makeProjectWithMembers();
    const second = await addFreshMember(fx, "OWNER");
    await changeMemberRole(fx.actors.owner, fx.fullPath, second.id, "GUEST");
    expect(await membershipRole(fx.projectId, second.id)).toBe("GUEST");
  });

  it("any member may leave; only managers remove others", async () => {
    const fx = await makeProjectWithMembers();
    const { guest, reporter } = fx.actors;
    expect((await appError(removeMember(guest, fx.fullPath, reporter!.id))).code).toBe("forbidden");
    await removeMember(guest, fx.fullPath, guest.id);
    expect(await membershipRole(fx.projectId, guest.id)).toBeNull();
  });

  it("member management reports missing members and existing ones", async () => {
    const fx = await makeProjectWithMembers();
    const { owner, nonMember, guest } = fx.actors;
    expect((await appError(changeMemberRole(owner, fx.fullPath, nonMember.id, "GUEST"))).code).toBe("not_found");
    expect((await appError(removeMember(owner, fx.fullPath, nonMember.id))).code).toBe("not_found");
    const dup = await appError(addMember(owner, fx.fullPath, guest.email.toUpperCase(), "REPORTER"));
    expect(dup.code).toBe("conflict");
    expect(dup.fieldErrors?.email).toMatch(/already a member \(Guest\)/);
    const bad = await appError(addMember(owner, fx.fullPath, "not an email", "REPORTER"));
    expect(bad.code).toBe("bad_request");
    expect(bad.fieldErrors).toHaveProperty("email");
  });
});

describe("what Guests do not see", () => {
  it("internal notes are hidden from Guests in getIssue and in note counts", async () => {
    const fx = await makeProjectWithMembers();
    const { guest, reporter } = fx.actors;
    const { iid } = await createIssue(reporter, fx.fullPath, { title: "Needs triage" });
    await addNote(reporter, fx.fullPath, iid, { body: "public reply" });
    await addNote(reporter, fx.fullPath, iid, { body: "internal: customer is on the old plan", internal: true });

    const asGuest = await getIssue(guest, fx.fullPath, iid);
    expect(asGuest.notes.map((n) => n.body)).toEqual(["public reply"]);
    const asReporter = await getIssue(reporter, fx.fullPath, iid);
    expect(asReporter.notes.map((n) => [n.body, n.internal])).toEqual([
      ["public reply", false],
      ["internal: customer is on the old plan", true],
    ]);

    const guestList = await listIssues(guest, fx.fullPath);
    expect(guestList.issues.find((i) => i.iid === iid)?.commentCount).toBe(1);
    const reporterList = await listIssues(reporter, fx.fullPath);
    expect(reporterList.issues.find((i) => i.iid === iid)?.commentCount).toBe(2);
  });

  it("confidential issues are hidden from Guests in listIssues and its counts", async () => {
    const fx = await makeProjectWithMembers();
    const { guest, reporter, owner } = fx.actors;
    await createIssue(owner, fx.fullPath, { title: "public open" });
    const closed = await createIssue(owner, fx.fullPath, { title: "public closed" });
    await setIssueState(owner, fx.fullPath, closed.iid, "close");
    await createIssue(owner, fx.fullPath, { title: "secret open", confidential: true });
    const secretClosed = await createIssue(owner, fx.fullPath, { title: "secret closed", confidential: true });
    await setIssueState(owner, fx.fullPath, secretClosed.iid, "close");

    const g = await listIssues(guest, fx.fullPath, { state: "all" });
    expect(g.issues.map((i) => i.title).sort()).toEqual(["public closed", "public open"]);
    expect(g.counts).toEqual({ opened: 1, closed: 1, all: 2 });
    expect((await listIssues(guest, fx.fullPath, { state: "opened" })).issues.map((i) => i.title)).toEqual(["public open"]);

    const r = await listIssues(reporter, fx.fullPath, { state: "all" });
    expect(r.issues.map((i) => i.title).sort()).toEqual(["public closed", "public open", "secret closed", "secret open"]);
    expect(r.counts).toEqual({ opened: 2, closed: 2, all: 4 });
    expect((await listIssues(reporter, fx.fullPath, { state: "closed" })).issues.map((i) => i.title).sort()).toEqual([
      "public closed",
      "secret closed",
    ]);
  });

  it("a Guest gets 404 for a confidential issue and for one that does not exist, alike", async () => {
    const fx = await makeProjectWithMembers();
    const { iid } = await createIssue(fx.actors.owner, fx.fullPath, { title: "secret", confidential: true });
    const hidden = await appError(getIssue(fx.actors.guest, fx.fullPath, iid));
    const missing = await appError(getIssue(fx.actors.guest, fx.fullPath, iid + 100));
    expect([hidden.code, hidden.message]).toEqual([missing.code, missing.message]);
  });
});
