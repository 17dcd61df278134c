// Description templates: every member reads them, Developers and up create, edit and delete them (Reporters
// cannot), names are unique per project, and a rename keeps Service Desk's choice of template.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import {
  createIssueTemplate,
  deleteIssueTemplate,
  getIssueTemplate,
  listIssueTemplates,
  updateIssueTemplate,
} from "@/lib/data/issue-templates";
import { getServiceDeskSettings, listSettingEvents, updateServiceDeskSettings } from "@/lib/data/service-desk";
import { appError, makeProjectWithMembers, outcome, uid, type ActorName, type ProjectFixture } from "./helpers";

const ACTORS: ActorName[] = ["anon", "nonMember", "guest", "reporter", "developer", "maintainer", "owner"];

const READ: Record<ActorName, string> = {
  anon: "unauthorized",
  nonMember: "not_found",
  guest: "ok",
  reporter: "ok",
  developer: "ok",
  maintainer: "ok",
  owner: "ok",
};
const MANAGE: Record<ActorName, string> = { ...READ, guest: "forbidden", reporter: "forbidden" };

let fixture: ProjectFixture;
let templateId: number;

beforeAll(async () => {
  fixture = await makeProjectWithMembers();
  templateId = (await createIssueTemplate(fixture.actors.developer, fixture.fullPath, { name: "Bug", content: "## Steps\n\n1." })).id;
});

describe("who may do what", () => {
  it.each(ACTORS)("listing and opening as %s", async (name) => {
    expect(await outcome(listIssueTemplates(fixture.actors[name], fixture.fullPath))).toBe(READ[name]);
    expect(await outcome(getIssueTemplate(fixture.actors[name], fixture.fullPath, templateId))).toBe(READ[name]);
  });

  it.each(ACTORS)("creating, editing and deleting as %s", async (name) => {
    const actor = fixture.actors[name];
    const created = await outcome(createIssueTemplate(actor, fixture.fullPath, { name: `by ${name}`, content: "x" }));
    expect(created).toBe(MANAGE[name]);
    expect(await outcome(updateIssueTemplate(actor, fixture.fullPath, templateId, { name: "Bug", content: `edited by ${name}` }))).toBe(MANAGE[name]);
    const victim = await createIssueTemplate(fixture.actors.owner, fixture.fullPath, { name: `victim ${name} ${uid(2)}`, content: "" });
    expect(await outcome(deleteIssueTemplate(actor, fixture.fullPath, victim.id))).toBe(MANAGE[name]);
    expect(await db().issueTemplate.count({ where: { id: victim.id } })).toBe(MANAGE[name] === "ok" ? 0 : 1);
  });

  it("tells the page whether the actor may manage", async () => {
    expect((await listIssueTemplates(fixture.actors.reporter, fixture.fullPath)).canManage).toBe(false);
    expect((await listIssueTemplates(fixture.actors.developer, fixture.fullPath)).canManage).toBe(true);
  });

  it("lists by name with content", async () => {
    const { templates } = await listIssueTemplates(fixture.actors.guest, fixture.fullPath);
    const names = templates.map((t) => t.name);
    expect(names).toEqual([...names].sort());
    expect(templates.find((t) => t.name === "Bug")?.content).toMatch(/^edited by /);
  });
});

describe("validation", () => {
  it("requires a name of at most 255 characters", async () => {
    let error = await appError(createIssueTemplate(fixture.actors.developer, fixture.fullPath, { name: "   ", content: "x" }));
    expect(error.fieldErrors?.name).toBe("Name is required.");
    error = await appError(createIssueTemplate(fixture.actors.developer, fixture.fullPath, { name: "n".repeat(256), content: "x" }));
    expect(error.fieldErrors?.name).toMatch(/255/);
  });

  it("refuses a second template with the same name in the project, but not in another project", async () => {
    const error = await appError(createIssueTemplate(fixture.actors.developer, fixture.fullPath, { name: " Bug ", content: "again" }));
    expect(error.code).toBe("conflict");
    expect(error.fieldErrors?.name).toContain('"Bug"');
    const other = await makeProjectWithMembers();
    expect(await outcome(createIssueTemplate(other.actors.developer, other.fullPath, { name: "Bug", content: "x" }))).toBe("ok");
  });

  it("refuses renaming onto an existing name", async () => {
    const { id } = await createIssueTemplate(fixture.actors.developer, fixture.fullPath, { name: `Feature ${uid(2)}`, content: "x" });
    const error = await appError(updateIssueTemplate(fixture.actors.developer, fixture.fullPath, id, { name: "Bug", content: "x" }));
    expect(error.code).toBe("conflict");
  });

  it("does not reach another project's template through its id", async () => {
    const other = await makeProjectWithMembers();
    const foreign = await createIssueTemplate(other.actors.owner, other.fullPath, { name: "Secret", content: "theirs" });
    expect(await outcome(getIssueTemplate(fixture.actors.owner, fixture.fullPath, foreign.id))).toBe("not_found");
    expect(await outcome(updateIssueTemplate(fixture.actors.owner, fixture.fullPath, foreign.id, { name: "Mine", content: "x" }))).toBe("not_found");
    expect(await outcome(deleteIssueTemplate(fixture.actors.owner, fixture.fullPath, foreign.id))).toBe("not_found");
    expect((await db().issueTemplate.findUniqueOrThrow({ where: { id: foreign.id } })).content).toBe("theirs");
  });
});

describe("with Service Desk", () => {
  it("a rename keeps the template chosen for new Service Desk issues; the history says so", async () => {
    const project = await makeProjectWithMembers();
    const { id } = await createIssueTemplate(project.actors.developer, project.fullPath, { name: "Support", content: "Thanks!" });
    await updateServiceDeskSettings(project.actors.maintainer, project.fullPath, { issueTemplateKey: "Support" });
    expect((await listIssueTemplates(project.actors.developer, project.fullPath)).templates[0].usedByServiceDesk).toBe(true);

    await updateIssueTemplate(project.actors.developer, project.fullPath, id, { name: "Support v2", content: "Thanks!" });
    const view = await getServiceDeskSettings(project.actors.maintainer, project.fullPath);
    expect(view.values.issueTemplateKey).toBe("Support v2");
    expect(view.issueTemplateMissing).toBe(false);
    expect(view.issueTemplates).toEqual(["Support v2"]);

    await deleteIssueTemplate(project.actors.developer, project.fullPath, id);
    const history = await listSettingEvents(project.actors.maintainer, project.fullPath);
    expect(history.map((e) => e.summary[0])).toEqual([
      'Description template "Support v2" deleted',
      'Description template "Support" renamed to "Support v2"',
      'Issue template: none → "Support"',
      'Description template "Support" created',
    ]);
    expect(history[0].actor?.name).toBe("developer");
  });
});
