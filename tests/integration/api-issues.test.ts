// REST: issue list (GitLab parameters, paging headers, keyset), one issue (DESIGN.md fields), and PUT with
// state_event / labels / assignee_ids — the same data functions as the UI, the same visibility rules.
import { describe, expect, it } from "vitest";
import { GET as issueGet, PUT as issuePut } from "@/app/api/v1/projects/[id]/issues/[iid]/route";
import { GET as issuesGet } from "@/app/api/v1/projects/[id]/issues/route";
import { createIssue } from "@/lib/data/issues";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { db } from "@/lib/db/client";
import { projectKey } from "@/lib/service-desk/address";
import { call, tokenFor } from "../support/api";
import { deliver, eml } from "../support/mail";
import { makeProjectWithMembers } from "./helpers";

async function projectWithIssues() {
  const fixture = await makeProjectWithMembers();
  const { fullPath, projectId, actors } = fixture;
  await setServiceDeskEnabled(actors.owner, fullPath, true);
  const project = await db().project.findUniqueOrThrow({ where: { id: projectId } });
  await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, subject: "Printer on fire" })); // #1, confidential
  for (let i = 2; i <= 6; i++) await createIssue(actors.reporter, fullPath, { title: `Plain ${i}`, description: i === 4 ? "mentions toner" : "" });
  return { ...fixture, id: String(projectId) };
}

describe("GET /projects/:id/issues", () => {
  it("pages with X-Total, X-Next-Page and Link; filters by service_desk and search", async () => {
    const { id, actors } = await projectWithIssues();
    const token = await tokenFor(actors.reporter);
    const first = await call(issuesGet, { id }, { token, query: "per_page=4" });
    expect(first.status).toBe(200);
    expect(first.json.map((i: { iid: number }) => i.iid)).toEqual([6, 5, 4, 3]);
    expect(first.headers.get("x-total")).toBe("6");
    expect(first.headers.get("x-total-pages")).toBe("2");
    expect(first.headers.get("x-next-page")).toBe("2");
    expect(first.headers.get("link")).toContain('rel="next"');
    const second = await call(issuesGet, { id }, { token, query: "per_page=4&page=2" });
    expect(second.json.map((i: { iid: number }) => i.iid)).toEqual([2, 1]);
    expect(second.headers.get("x-next-page")).toBe("");
    expect(second.headers.get("x-prev-page")).toBe("1");

    const desk = await call(issuesGet, { id }, { token, query: "service_desk=true" });
    expect(desk.json).toEqual([expect.objectContaining({ iid: 1, author: expect.objectContaining({ username: "support-bot" }), service_desk_reply_to: "jake@customer.example" })]);
    expect((await call(issuesGet, { id }, { token, query: "search=toner" })).json.map((i: { iid: number }) => i.iid)).toEqual([4]);
    expect((await call(issuesGet, { id }, { token, query: "search=%235" })).json.map((i: { iid: number }) => i.iid)).toEqual([5]);
  });

  it("walks keyset pages through Link rel=next", async () => {
    const { id, actors } = await projectWithIssues();
    const token = await tokenFor(actors.reporter);
    const seen: number[] = [];
    let query = "pagination=keyset&per_page=2&order_by=created_at&sort=asc";
    for (let guard = 0; guard < 10; guard++) {
      const page = await call(issuesGet, { id }, { token, query });
      seen.push(...page.json.map((i: { iid: number }) => i.iid));
      const next = page.headers.get("link")?.match(/<([^>]+)>; rel="next"/)?.[1];
      if (!next) break;
      query = new URL(next).searchParams.toString();
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("never lists a confidential Service Desk issue to a Guest; 404 for non-members", async () => {
    const { id, actors } = await projectWithIssues();
    const guest = await call(issuesGet, { id }, { token: await tokenFor(actors.guest) });
    expect(guest.json.map((i: { iid: number }) => i.iid)).not.toContain(1);
    expect(JSON.stringify(guest.json)).not.toContain("jake@customer.example");
    expect((await call(issuesGet, { id }, { token: await tokenFor(actors.nonMember) })).status).toBe(404);
    expect((await call(issuesGet, { id }, { token: await tokenFor(actors.reporter), query: "per_page=0" })).status).toBe(400);
  });
});

describe("GET|PUT /projects/:id/issues/:iid", () => {
  it("shows the DESIGN.md fields of a Service Desk issue", async () => {
    const { id, actors, fullPath } = await projectWithIssues();
    const got = await call(issueGet, { id, iid: "1" }, { token: await tokenFor(actors.reporter) });
    expect(got.json).toMatchObject({
      iid: 1,
      title: "Printer on fire",
      state: "opened",
      confidential: true,
      labels: [],
      assignees: [],
      author: { username: "support-bot" },
      service_desk_reply_to: "jake@customer.example",
      web_url: `http://localhost:3000/${fullPath}/issues/1`,
      closed_at: null,
    });
    expect(got.json).toHaveProperty("description");
    expect(got.json).toHaveProperty("created_at");
    expect((await call(issueGet, { id, iid: "1" }, { token: await tokenFor(actors.guest) })).status).toBe(404);
  });

  it("closes, labels (creating missing labels) and assigns; read_api and Guests cannot", async () => {
    const { id, actors } = await projectWithIssues();
    const token = await tokenFor(actors.developer);
    const put = await call(issuePut, { id, iid: "2" }, { token, method: "PUT", body: { state_event: "close", labels: "bug, Urgent", assignee_ids: [actors.maintainer.id] } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ state: "closed", labels: ["bug", "Urgent"], assignees: [expect.objectContaining({ username: actors.maintainer.username })] });
    expect(put.json.closed_at).not.toBeNull();

    const again = await call(issuePut, { id, iid: "2" }, { token, method: "PUT", body: { state_event: "reopen", labels: "BUG", assignee_ids: [] } });
    expect(again.json).toMatchObject({ state: "opened", labels: ["bug"], assignees: [] });

    expect((await call(issuePut, { id, iid: "2" }, { token, method: "PUT", body: { state_event: "explode" } })).status).toBe(400);
    expect((await call(issuePut, { id, iid: "2" }, { token: await tokenFor(actors.developer, ["read_api"]), method: "PUT", body: { state_event: "close" } })).status).toBe(403);
    expect((await call(issuePut, { id, iid: "2" }, { token: await tokenFor(actors.guest), method: "PUT", body: { state_event: "close" } })).status).toBe(403);
    expect((await call(issuePut, { id, iid: "1" }, { token: await tokenFor(actors.guest), method: "PUT", body: { state_event: "close" } })).status).toBe(404);
  });
});
