// REST: notification levels (default and per project), the To-Do list with GitLab's JSON and paging headers,
// marking To-Dos done, and the team notifications' unsubscribe link (GET asks, POST unsubscribes).
import { describe, expect, it } from "vitest";
import { GET as globalGet, PUT as globalPut } from "@/app/api/v1/notification_settings/route";
import { GET as projectGet, PUT as projectPut } from "@/app/api/v1/projects/[id]/notification_settings/route";
import { POST as markOne } from "@/app/api/v1/todos/[id]/mark_as_done/route";
import { POST as markAll } from "@/app/api/v1/todos/mark_as_done/route";
import { GET as todosGet } from "@/app/api/v1/todos/route";
import { GET as unsubscribeGet, POST as unsubscribePost } from "@/app/notifications/unsubscribe/[token]/route";
import type { Actor } from "@/lib/auth/actor";
import { createIssue } from "@/lib/data/issues";
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { teamUnsubscribeToken } from "@/lib/notifications/unsubscribe-token";
import { call, tokenFor } from "../support/api";
import { makeProjectWithMembers, makeUser, uid } from "./helpers";

async function todo(user: Actor, issue: { id: number; projectId: number }, data: { action?: string; authorId?: string | null; noteId?: number | null; state?: string; createdAt?: Date } = {}) {
  return db().todo.create({
    data: {
      userId: user.id,
      projectId: issue.projectId,
      issueId: issue.id,
      authorId: data.authorId ?? null,
      action: data.action ?? "mentioned",
      noteId: data.noteId ?? null,
      eventId: `test-${uid()}`,
      body: "please look",
      state: data.state ?? "pending",
      ...(data.createdAt ? { createdAt: data.createdAt } : {}),
    },
  });
}

async function projectWithIssue(options: { confidential?: boolean } = {}) {
  const fixture = await makeProjectWithMembers();
  const issue = await createIssue(fixture.actors.reporter, fixture.fullPath, { title: "Printer on fire", description: "", confidential: options.confidential ?? false });
  return { ...fixture, issue: { ...issue, projectId: fixture.projectId } };
}

describe("GET|PUT /notification_settings", () => {
  it("reads and sets the default level from JSON or a form, 400 for a level that is not a default", async () => {
    const user = await makeUser("levels");
    const token = await tokenFor(user);
    expect(await call(globalGet, {}, { token })).toMatchObject({ status: 200, json: { level: "participating" } });

    expect(await call(globalPut, {}, { token, method: "PUT", body: { level: "watch" } })).toMatchObject({ status: 200, json: { level: "watch" } });
    expect((await call(globalGet, {}, { token })).json).toEqual({ level: "watch" });

    const form = await call(globalPut, {}, { token, method: "PUT", body: "level=mention", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form).toMatchObject({ status: 200, json: { level: "mention" } });
    expect(await db().user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ notificationLevel: "mention" });

    for (const level of ["global", "loud", undefined]) {
      const bad = await call(globalPut, {}, { token, method: "PUT", body: level === undefined ? {} : { level } });
      expect(bad, String(level)).toMatchObject({ status: 400, json: { message: { level: [expect.stringContaining("participating")] } } });
    }
    expect((await call(globalGet, {}, { token })).json).toEqual({ level: "mention" });

    const readOnly = await tokenFor(user, ["read_api"]);
    expect((await call(globalGet, {}, { token: readOnly })).status).toBe(200);
    expect((await call(globalPut, {}, { token: readOnly, method: "PUT", body: { level: "watch" } })).status).toBe(403);
    expect((await call(globalGet, {}, {})).status).toBe(401);
  });
});

describe("GET|PUT /projects/:id/notification_settings", () => {
  it("reads and sets the member's level by numeric id or path, global allowed; 400 bad level; 404 for non-members", async () => {
    const { projectId, fullPath, actors } = await makeProjectWithMembers();
    const token = await tokenFor(actors.developer);
    const byId = { id: String(projectId) };
    const byPath = { id: encodeURIComponent(fullPath) };
    expect(await call(projectGet, byId, { token })).toMatchObject({ status: 200, json: { level: "global" } });

    expect(await call(projectPut, byPath, { token, method: "PUT", body: { level: "disabled" } })).toMatchObject({ status: 200, json: { level: "disabled" } });
    expect((await call(projectGet, byId, { token })).json).toEqual({ level: "disabled" });
    const row = await db().projectNotificationSetting.findUniqueOrThrow({ where: { userId_projectId: { userId: actors.developer!.id, projectId } } });
    expect(row.level).toBe("disabled");
    // Another member's level is their own.
    expect((await call(projectGet, byId, { token: await tokenFor(actors.guest) })).json).toEqual({ level: "global" });

    expect(await call(projectPut, byId, { token, method: "PUT", body: { level: "global" } })).toMatchObject({ status: 200, json: { level: "global" } });
    const bad = await call(projectPut, byId, { token, method: "PUT", body: { level: "everything" } });
    expect(bad).toMatchObject({ status: 400, json: { message: { level: [expect.stringContaining("global")] } } });
    expect((await call(projectGet, byId, { token })).json).toEqual({ level: "global" });

    const outsider = await tokenFor(actors.nonMember);
    expect((await call(projectGet, byId, { token: outsider })).status).toBe(404);
    expect((await call(projectPut, byId, { token: outsider, method: "PUT", body: { level: "watch" } })).status).toBe(404);
    expect(await db().projectNotificationSetting.count({ where: { userId: actors.nonMember.id, projectId } })).toBe(0);
    expect((await call(projectGet, { id: "999999999" }, { token })).status).toBe(404);
    expect((await call(projectPut, byId, { token: await tokenFor(actors.developer, ["read_api"]), method: "PUT", body: { level: "watch" } })).status).toBe(403);
  });
});

describe("GET /todos", () => {
  it("answers GitLab's todo JSON, newest first, only the user's own", async () => {
    const { issue, fullPath, projectId, actors } = await projectWithIssue();
    const note = await db().note.create({ data: { issueId: issue.id, authorId: actors.maintainer.id, body: "@dev please look" } });
    const mention = await todo(actors.developer!, issue, { authorId: actors.maintainer.id, noteId: note.id, createdAt: new Date(Date.now() - 1000) });
    const replied = await todo(actors.developer!, issue, { action: "customer_replied" });
    await todo(actors.guest, issue);

    const got = await call(todosGet, {}, { token: await tokenFor(actors.developer) });
    expect(got.status).toBe(200);
    expect(got.json.map((t: { id: number }) => t.id)).toEqual([replied.id, mention.id]);
    const issueUrl = `${env().APP_URL}/${fullPath}/issues/${issue.iid}`;
    expect(got.json[1]).toEqual({
      id: mention.id,
      project: { id: projectId, name: expect.any(String), path_with_namespace: fullPath },
      author: { id: actors.maintainer.id, username: actors.maintainer.username, name: actors.maintainer.name, state: "active" },
      action_name: "mentioned",
      target_type: "Issue",
      target: { id: issue.id, iid: issue.iid, project_id: projectId, title: "Printer on fire", state: "opened", confidential: false, web_url: issueUrl },
      target_url: `${issueUrl}#note_${note.id}`,
      body: "please look",
      state: "pending",
      created_at: mention.createdAt.toISOString(),
      updated_at: mention.updatedAt.toISOString(),
    });
    expect(got.json[0]).toMatchObject({ author: null, action_name: "customer_replied", target_url: issueUrl });
  });

  it("pages with X-Total, X-Next-Page and Link, caps per_page at 100, and filters by state", async () => {
    const { issue, actors } = await projectWithIssue();
    const user = actors.developer!;
    const now = Date.now();
    const pending = [];
    for (let i = 0; i < 3; i++) pending.push(await todo(user, issue, { createdAt: new Date(now - i * 1000) }));
    const done = await todo(user, issue, { state: "done" });
    const token = await tokenFor(user);

    const first = await call(todosGet, {}, { token, query: "per_page=2" });
    expect(first.json.map((t: { id: number }) => t.id)).toEqual([pending[0].id, pending[1].id]);
    expect(Object.fromEntries(["x-page", "x-per-page", "x-total", "x-total-pages", "x-next-page", "x-prev-page"].map((h) => [h, first.headers.get(h)]))).toEqual({
      "x-page": "1",
      "x-per-page": "2",
      "x-total": "3",
      "x-total-pages": "2",
      "x-next-page": "2",
      "x-prev-page": "",
    });
    const link = first.headers.get("link") ?? "";
    expect(link).toMatch(/<[^>]*[?&]page=2[^>]*>; rel="next"/);
    expect(link).toMatch(/<[^>]*[?&]page=1[^>]*>; rel="first"/);
    expect(link).toMatch(/<[^>]*[?&]page=2[^>]*>; rel="last"/);
    expect(link).not.toContain('rel="prev"');

    const second = await call(todosGet, {}, { token, query: "per_page=2&page=2" });
    expect(second.json.map((t: { id: number }) => t.id)).toEqual([pending[2].id]);
    expect(second.headers.get("x-next-page")).toBe("");
    expect(second.headers.get("x-prev-page")).toBe("1");
    expect(second.headers.get("link")).toMatch(/<[^>]*[?&]page=1[^>]*>; rel="prev"/);
    expect(second.headers.get("link")).not.toContain('rel="next"');

    expect((await call(todosGet, {}, { token, query: "per_page=500" })).headers.get("x-per-page")).toBe("100");
    const doneList = await call(todosGet, {}, { token, query: "state=done" });
    expect(doneList.json.map((t: { id: number; state: string }) => [t.id, t.state])).toEqual([[done.id, "done"]]);
    expect(doneList.headers.get("x-total")).toBe("1");
    expect((await call(todosGet, {}, { token, query: "state=all" })).status).toBe(400);
    expect((await call(todosGet, {}, { token, query: "page=0" })).status).toBe(400);
  });

  it("hides To-Dos on confidential issues from a member below Reporter", async () => {
    const { issue, actors } = await projectWithIssue({ confidential: true });
    const hidden = await todo(actors.guest, issue);
    const token = await tokenFor(actors.guest);
    const got = await call(todosGet, {}, { token });
    expect(got.json).toEqual([]);
    expect(got.headers.get("x-total")).toBe("0");
    expect((await call(markOne, { id: String(hidden.id) }, { token, method: "POST" })).status).toBe(404);
    expect((await db().todo.findUniqueOrThrow({ where: { id: hidden.id } })).state).toBe("pending");
  });
});

describe("POST /todos/:id/mark_as_done and /todos/mark_as_done", () => {
  it("marks one of the user's own To-Dos done and answers it; 404 for someone else's", async () => {
    const { issue, actors } = await projectWithIssue();
    const mine = await todo(actors.developer!, issue);
    const theirs = await todo(actors.guest, issue);
    const token = await tokenFor(actors.developer);

    const marked = await call(markOne, { id: String(mine.id) }, { token, method: "POST" });
    expect(marked).toMatchObject({ status: 200, json: { id: mine.id, state: "done", target: { iid: issue.iid }, action_name: "mentioned" } });
    expect((await db().todo.findUniqueOrThrow({ where: { id: mine.id } })).state).toBe("done");

    const denied = await call(markOne, { id: String(theirs.id) }, { token, method: "POST" });
    expect(denied.status).toBe(404);
    expect(JSON.stringify(denied.json)).not.toContain("Printer");
    expect((await db().todo.findUniqueOrThrow({ where: { id: theirs.id } })).state).toBe("pending");
    expect((await call(markOne, { id: "abc" }, { token, method: "POST" })).status).toBe(404);
    expect((await call(markOne, { id: String(mine.id) }, { token: await tokenFor(actors.developer, ["read_api"]), method: "POST" })).status).toBe(403);
  });

  it("marks all of the user's pending To-Dos done with 204, nobody else's", async () => {
    const { issue, actors } = await projectWithIssue();
    const mine = [await todo(actors.developer!, issue), await todo(actors.developer!, issue, { action: "assigned" })];
    const theirs = await todo(actors.guest, issue);
    const token = await tokenFor(actors.developer);

    const response = await call(markAll, {}, { token, method: "POST" });
    expect(response.status).toBe(204);
    expect(response.json).toBeNull();
    const states = await db().todo.findMany({ where: { id: { in: mine.map((t) => t.id) } }, select: { state: true } });
    expect(states.map((t) => t.state)).toEqual(["done", "done"]);
    expect((await db().todo.findUniqueOrThrow({ where: { id: theirs.id } })).state).toBe("pending");
    expect((await call(todosGet, {}, { token })).json).toEqual([]);
  });
});

describe("/notifications/unsubscribe/:token", () => {
  const open = (method: "GET" | "POST", token: string, body?: string) =>
    (method === "GET" ? unsubscribeGet : unsubscribePost)(
      new Request(`http://localhost/notifications/unsubscribe/${token}`, {
        method,
        body,
        headers: body ? { "content-type": "application/x-www-form-urlencoded" } : {},
      }),
      { params: Promise.resolve({ token }) },
    );
  const subscription = (issueId: number, userId: string) => db().issueSubscription.findUnique({ where: { issueId_userId: { issueId, userId } } });

  it("GET asks without unsubscribing; a one-click POST unsubscribes from that issue only", async () => {
    const { issue, fullPath, actors } = await projectWithIssue();
    const user = actors.developer!;
    const token = teamUnsubscribeToken(user.id, issue.id);
    const reference = `${fullPath}#${issue.iid}`;

    const asked = await open("GET", token);
    expect(asked.status).toBe(200);
    expect(asked.headers.get("content-type")).toContain("text/html");
    const question = await asked.text();
    expect(question).toContain(`Stop mail about ${reference}`);
    expect(question).toMatch(/<form method="post">/);
    expect(await subscription(issue.id, user.id)).toBeNull();

    const done = await open("POST", token, "List-Unsubscribe=One-Click");
    expect(done.status).toBe(200);
    expect(await done.text()).toContain(`You will no longer get mail about <strong>${reference}</strong>`);
    expect(await subscription(issue.id, user.id)).toMatchObject({ subscribed: false });
    expect(await subscription(issue.id, actors.guest.id)).toBeNull();
  });

  it("the confirmation form's POST unsubscribes too, and again changes nothing", async () => {
    const { issue, actors } = await projectWithIssue();
    await db().issueSubscription.create({ data: { issueId: issue.id, userId: actors.guest.id, subscribed: true } });
    const token = teamUnsubscribeToken(actors.guest.id, issue.id);
    expect((await open("POST", token)).status).toBe(200);
    expect((await open("POST", token)).status).toBe(200);
    expect(await subscription(issue.id, actors.guest.id)).toMatchObject({ subscribed: false });
  });

  it("answers 404 for a forged, altered or stale token and changes nothing", async () => {
    const { issue, actors } = await projectWithIssue();
    const user = actors.developer!;
    const good = teamUnsubscribeToken(user.id, issue.id);
    const [payload, mac] = good.split(".");
    const other = teamUnsubscribeToken(actors.guest.id, issue.id);
    const gone = teamUnsubscribeToken(user.id, 2_000_000_000);
    const bad = [
      "nonsense",
      `${payload}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`,
      `${other.split(".")[0]}.${mac}`,
      `${payload}.${"é".repeat(32)}`,
      gone,
    ];
    for (const token of bad) {
      for (const method of ["GET", "POST"] as const) {
        const response = await open(method, token, method === "POST" ? "List-Unsubscribe=One-Click" : undefined);
        expect(response.status, `${method} ${token}`).toBe(404);
        expect(await response.text()).toContain("not valid");
      }
    }
    expect(await db().issueSubscription.count({ where: { issueId: issue.id } })).toBe(0);
  });
});
