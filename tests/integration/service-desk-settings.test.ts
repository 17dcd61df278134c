// Service Desk settings as a Maintainer edits them: who may read and change them (404 below Maintainer), every
// field's validation, the alias suffix's uniqueness among projects with the same slug, the audit trail, and
// the effect of each setting on the next mail that arrives.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { createIssueTemplate, deleteIssueTemplate } from "@/lib/data/issue-templates";
import { createProject } from "@/lib/data/projects";
import {
  describeSettingChanges,
  getServiceDeskSettings,
  listSettingEvents,
  setServiceDeskEnabled,
  updateServiceDeskSettings,
} from "@/lib/data/service-desk";
import { fullPathSlug, projectKey, SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { deliver, eml } from "../support/mail";
import { appError, makeProjectWithMembers, makeUser, outcome, uid, uniqueProjectPath, type ProjectFixture, withEnv, ALL_ACTORS, MAINTAINER_ONLY } from "./helpers";

const ACTORS = ALL_ACTORS;
const SETTINGS_ACCESS = MAINTAINER_ONLY;

let fixture: ProjectFixture;

beforeAll(async () => {
  fixture = await makeProjectWithMembers();
});

async function ownProject(path = uniqueProjectPath("sds")) {
  const owner = await makeUser("owner");
  const project = await createProject(owner, path);
  const address = `incoming+${projectKey({ id: project.id, fullPath: project.fullPath })}@localhost`;
  return { ...project, owner, address };
}

async function newestIssue(projectId: number) {
  return db().issue.findFirstOrThrow({
    where: { projectId },
    orderBy: { iid: "desc" },
    include: { notes: { orderBy: { id: "asc" } }, outboundEmails: true, participants: true },
  });
}

describe("access: Maintainer and up; everyone else gets 404 for reads and writes", () => {
  it.each(ACTORS)("reading the settings as %s", async (name) => {
    expect(await outcome(getServiceDeskSettings(fixture.actors[name], fixture.fullPath))).toBe(SETTINGS_ACCESS[name]);
  });

  it.each(ACTORS)("changing the settings as %s", async (name) => {
    expect(await outcome(updateServiceDeskSettings(fixture.actors[name], fixture.fullPath, { sendThankYouEmail: true }))).toBe(SETTINGS_ACCESS[name]);
  });

  it.each(ACTORS)("turning Service Desk on as %s", async (name) => {
    expect(await outcome(setServiceDeskEnabled(fixture.actors[name], fixture.fullPath, true))).toBe(SETTINGS_ACCESS[name]);
  });

  it.each(ACTORS)("reading the history as %s", async (name) => {
    expect(await outcome(listSettingEvents(fixture.actors[name], fixture.fullPath))).toBe(SETTINGS_ACCESS[name]);
  });

  it("answers 404 before validating, so a Developer learns nothing from the error", async () => {
    expect(await outcome(updateServiceDeskSettings(fixture.actors.developer, fixture.fullPath, { projectKey: "NOT VALID" }))).toBe("not_found");
  });

  it("changes nothing when refused", async () => {
    const project = await ownProject();
    const developer = await makeUser("dev");
    await db().membership.create({ data: { projectId: project.id, userId: developer.id, role: "DEVELOPER" } });
    await outcome(updateServiceDeskSettings(developer, project.fullPath, { enabled: true, outgoingName: "Hijack" }));
    expect(await db().serviceDeskSetting.findUnique({ where: { projectId: project.id } })).toBeNull();
    expect(await db().serviceDeskSettingEvent.count({ where: { projectId: project.id } })).toBe(0);
  });
});

describe("reading the settings", () => {
  it("gives the defaults of a project that never saved any, and the new-format address", async () => {
    const project = await ownProject();
    const view = await getServiceDeskSettings(project.owner, project.fullPath);
    expect(view.values).toEqual({
      enabled: false,
      projectKey: "",
      outgoingName: "",
      issueTemplateKey: "",
      ticketsConfidentialByDefault: true,
      reopenIssueOnExternalParticipantNote: false,
      addExternalParticipantsFromCc: false,
      sendThankYouEmail: true,
      emailOnClose: false,
    });
    expect(view.address).toBe(project.address);
    expect(view.defaultOutgoingName).toBe("Support Bot");
    // Without SERVICE_DESK_EMAIL_ADDRESS there is no alias to offer.
    expect(view.alias).toBeNull();
  });
});

describe("validation", () => {
  let project: Awaited<ReturnType<typeof ownProject>>;
  beforeAll(async () => {
    project = await ownProject();
  });

  it.each([
    ["upper-case letters", "Support"],
    ["a dash", "help-desk"],
    ["a dot", "help.desk"],
    ["a space", "help desk"],
    ["a non-ASCII letter", "hélp"],
    ["more than 255 characters", "a".repeat(256)],
  ])("rejects an alias suffix with %s", async (_what, suffix) => {
    const error = await appError(updateServiceDeskSettings(project.owner, project.fullPath, { projectKey: suffix }));
    expect(error.code).toBe("bad_request");
    expect(error.fieldErrors?.projectKey).toBeTruthy();
  });

  it("accepts a 255-character suffix of a-z, 0-9 and _, trims it, and clears it with an empty value or null", async () => {
    const suffix = `a_1${"z".repeat(252)}`;
    const saved = await updateServiceDeskSettings(project.owner, project.fullPath, { projectKey: `  ${suffix} ` });
    expect(saved.values.projectKey).toBe(suffix);
    expect((await updateServiceDeskSettings(project.owner, project.fullPath, { projectKey: "" })).values.projectKey).toBe("");
    await updateServiceDeskSettings(project.owner, project.fullPath, { projectKey: "x_1" });
    expect((await updateServiceDeskSettings(project.owner, project.fullPath, { projectKey: null })).values.projectKey).toBe("");
    expect((await db().serviceDeskSetting.findUniqueOrThrow({ where: { projectId: project.id } })).projectKey).toBeNull();
  });

  it("limits the display name to 255 characters; empty means the default", async () => {
    const error = await appError(updateServiceDeskSettings(project.owner, project.fullPath, { outgoingName: "x".repeat(256) }));
    expect(error.fieldErrors?.outgoingName).toMatch(/255/);
    await updateServiceDeskSettings(project.owner, project.fullPath, { outgoingName: "y".repeat(255) });
    await updateServiceDeskSettings(project.owner, project.fullPath, { outgoingName: "   " });
    expect((await db().serviceDeskSetting.findUniqueOrThrow({ where: { projectId: project.id } })).outgoingName).toBeNull();
  });

  it("only lets you choose an issue template that exists in the project", async () => {
    const error = await appError(updateServiceDeskSettings(project.owner, project.fullPath, { issueTemplateKey: "nope" }));
    expect(error.code).toBe("bad_request");
    expect(error.fieldErrors?.issueTemplateKey).toContain("nope");
    // Another project's template of that name does not count.
    const other = await ownProject();
    await createIssueTemplate(other.owner, other.fullPath, { name: "elsewhere", content: "x" });
    expect(await outcome(updateServiceDeskSettings(project.owner, project.fullPath, { issueTemplateKey: "elsewhere" }))).toBe("bad_request");
  });

  it.each([
    ["enabled", "yes"],
    ["ticketsConfidentialByDefault", 1],
    ["emailOnClose", null],
    ["outgoingName", 42],
  ])("rejects %s = %j with a field error", async (field, value) => {
    const error = await appError(updateServiceDeskSettings(project.owner, project.fullPath, { [field]: value }));
    expect(error.code).toBe("bad_request");
    expect(Object.keys(error.fieldErrors ?? {})).toEqual([field]);
  });

  it("saves nothing from a request with one invalid field", async () => {
    const before = await getServiceDeskSettings(project.owner, project.fullPath);
    await outcome(updateServiceDeskSettings(project.owner, project.fullPath, { emailOnClose: !before.values.emailOnClose, projectKey: "BAD" }));
    expect((await getServiceDeskSettings(project.owner, project.fullPath)).values).toEqual(before.values);
  });
});

describe("alias suffix: unique among projects with the same slug", () => {
  it("refuses a suffix another project with the same slug uses, and allows it for a different slug", async () => {
    const group = `sl${uid(3)}`;
    const suffix = `help_${uid(3)}`;
    // "g-x/y" and "g/x-y" share the slug "g-x-y".
    const a = await ownProject({ namespace: `${group}-x`, path: "y" });
    const b = await ownProject({ namespace: group, path: "x-y" });
    const c = await ownProject({ namespace: `${group}-other`, path: "y" });
    expect(fullPathSlug(a.fullPath)).toBe(fullPathSlug(b.fullPath));

    await updateServiceDeskSettings(a.owner, a.fullPath, { projectKey: suffix });
    const error = await appError(updateServiceDeskSettings(b.owner, b.fullPath, { projectKey: suffix }));
    expect(error.code).toBe("conflict");
    expect(error.fieldErrors?.projectKey).toContain(suffix);
    expect(error.fieldErrors?.projectKey).toContain("another project");

    expect((await updateServiceDeskSettings(c.owner, c.fullPath, { projectKey: suffix })).values.projectKey).toBe(suffix);
    // Saving the project's own suffix again is fine.
    expect(await outcome(updateServiceDeskSettings(a.owner, a.fullPath, { projectKey: suffix, outgoingName: "A" }))).toBe("ok");
    // Once A lets go of it, B may take it.
    await updateServiceDeskSettings(a.owner, a.fullPath, { projectKey: "" });
    expect((await updateServiceDeskSettings(b.owner, b.fullPath, { projectKey: suffix })).values.projectKey).toBe(suffix);
  });

  it("lets only one of two simultaneous claims of the same suffix through", async () => {
    const group = `cc${uid(3)}`;
    const suffix = `race_${uid(3)}`;
    const a = await ownProject({ namespace: `${group}-x`, path: "y" });
    const b = await ownProject({ namespace: group, path: "x-y" });
    const results = await Promise.all([
      outcome(updateServiceDeskSettings(a.owner, a.fullPath, { projectKey: suffix })),
      outcome(updateServiceDeskSettings(b.owner, b.fullPath, { projectKey: suffix })),
    ]);
    expect(results.sort()).toEqual(["conflict", "ok"]);
    expect(await db().serviceDeskSetting.count({ where: { projectKey: suffix } })).toBe(1);
  });

  describe("with SERVICE_DESK_EMAIL_ADDRESS configured", () => {
    withEnv({ SERVICE_DESK_EMAIL_ADDRESS: "contact+%{key}@support.example.com" });

    it("shows the resulting alias address, and mail to it becomes an issue", async () => {
      const project = await ownProject();
      const slug = fullPathSlug(project.fullPath);
      const empty = await getServiceDeskSettings(project.owner, project.fullPath);
      expect(empty.alias).toEqual({ before: `contact+${slug}-`, after: "@support.example.com", address: null });

      const suffix = `desk_${uid(3)}`;
      const view = await updateServiceDeskSettings(project.owner, project.fullPath, { enabled: true, projectKey: suffix });
      expect(view.alias?.address).toBe(`contact+${slug}-${suffix}@support.example.com`);
      expect(await deliver(eml({ to: view.alias!.address! }))).toMatchObject({ status: "created_issue" });
    });
  });
});

describe("audit trail", () => {
  it("records who changed which field from what to what, only for real changes, newest first", async () => {
    const project = await ownProject();
    const maintainer = await makeUser("maint", { name: "Mia Maintainer" });
    await db().membership.create({ data: { projectId: project.id, userId: maintainer.id, role: "MAINTAINER" } });

    await setServiceDeskEnabled(project.owner, project.fullPath, true);
    await updateServiceDeskSettings(maintainer, project.fullPath, { outgoingName: "Acme Support", emailOnClose: true, sendThankYouEmail: true });
    // Same values again: nothing to record.
    await updateServiceDeskSettings(maintainer, project.fullPath, { outgoingName: "Acme Support", emailOnClose: true });

    const rows = await db().serviceDeskSettingEvent.findMany({ where: { projectId: project.id }, orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.actorId, r.changes])).toEqual([
      [project.owner.id, { enabled: [false, true] }],
      [maintainer.id, { outgoingName: [null, "Acme Support"], emailOnClose: [false, true] }],
    ]);

    const history = await listSettingEvents(maintainer, project.fullPath);
    expect(history).toHaveLength(2);
    expect(history[0].actor?.name).toBe("Mia Maintainer");
    expect(history[0].summary).toEqual(['Email display name: none → "Acme Support"', "Email the customer when an issue is closed: off → on"]);
    expect(history[1].summary).toEqual(["Service Desk: off → on"]);
    expect(history[0].createdAt.getTime()).toBeGreaterThanOrEqual(history[1].createdAt.getTime());
  });

  it("writes nothing when the change fails", async () => {
    const group = `au${uid(3)}`;
    const a = await ownProject({ namespace: `${group}-x`, path: "y" });
    const b = await ownProject({ namespace: group, path: "x-y" });
    await updateServiceDeskSettings(a.owner, a.fullPath, { projectKey: "taken" });
    await outcome(updateServiceDeskSettings(b.owner, b.fullPath, { outgoingName: "B", projectKey: "taken" }));
    expect(await db().serviceDeskSettingEvent.count({ where: { projectId: b.id } })).toBe(0);
    expect(await db().serviceDeskSetting.findUnique({ where: { projectId: b.id } })).toBeNull();
  });

  it("describes template events and unknown shapes without hiding them", () => {
    expect(describeSettingChanges({ template: "thank_you", action: "reset" })).toEqual(["Email template thank_you reset to the default"]);
    expect(describeSettingChanges({ descriptionTemplate: "Bug", action: "deleted" })).toEqual(['Description template "Bug" deleted']);
    expect(describeSettingChanges({ somethingNew: [1, 2] })).toEqual(["somethingNew: 1 → 2"]);
  });
});

describe("each setting changes what happens to the next mail", () => {
  it("display name, confidentiality, thank-you mail and Cc participants", async () => {
    const project = await ownProject();
    await updateServiceDeskSettings(project.owner, project.fullPath, { enabled: true, outgoingName: "Acme Support", addExternalParticipantsFromCc: true });
    await deliver(eml({ to: project.address, cc: "boss@customer.example" }));
    let issue = await newestIssue(project.id);
    expect(issue.confidential).toBe(true);
    expect(issue.outboundEmails).toHaveLength(1);
    expect(issue.outboundEmails[0].fromName).toBe("Acme Support");
    expect(issue.participants.map((p) => p.email).sort()).toEqual(["boss@customer.example", "jake@customer.example"]);

    await updateServiceDeskSettings(project.owner, project.fullPath, {
      outgoingName: "",
      ticketsConfidentialByDefault: false,
      sendThankYouEmail: false,
      addExternalParticipantsFromCc: false,
    });
    await deliver(eml({ to: project.address, cc: "boss@customer.example" }));
    issue = await newestIssue(project.id);
    expect(issue.confidential).toBe(false);
    expect(issue.outboundEmails).toHaveLength(0);
    expect(issue.participants.map((p) => p.email)).toEqual(["jake@customer.example"]);
  });

  it("turning Service Desk off rejects new mail", async () => {
    const project = await ownProject();
    await updateServiceDeskSettings(project.owner, project.fullPath, { enabled: true });
    await updateServiceDeskSettings(project.owner, project.fullPath, { enabled: false });
    expect(await deliver(eml({ to: project.address }))).toMatchObject({ status: "rejected" });
  });

  it("appends the chosen issue template; once it is deleted, issues still arrive with a warning note", async () => {
    const project = await ownProject();
    await createIssueTemplate(project.owner, project.fullPath, { name: "Triage checklist", content: "## Checklist\n\n- [ ] reproduced" });
    await updateServiceDeskSettings(project.owner, project.fullPath, { enabled: true, issueTemplateKey: "Triage checklist" });
    await deliver(eml({ to: project.address }));
    expect((await newestIssue(project.id)).description).toMatch(/smoke is coming out[\s\S]*## Checklist\n\n- \[ \] reproduced$/);

    const id = (await db().issueTemplate.findFirstOrThrow({ where: { projectId: project.id } })).id;
    await deleteIssueTemplate(project.owner, project.fullPath, id);
    const view = await getServiceDeskSettings(project.owner, project.fullPath);
    expect(view.values.issueTemplateKey).toBe("Triage checklist");
    expect(view.issueTemplateMissing).toBe(true);

    expect(await deliver(eml({ to: project.address }))).toMatchObject({ status: "created_issue" });
    const issue = await newestIssue(project.id);
    expect(issue.description).not.toContain("Checklist");
    expect(issue.notes.some((n) => n.system && n.authorId === SUPPORT_BOT_ID && n.body.includes('"Triage checklist"'))).toBe(true);

    // The form sends the dangling choice back with other changes: that still saves.
    expect(await outcome(updateServiceDeskSettings(project.owner, project.fullPath, { ...view.values, emailOnClose: true }))).toBe("ok");
  });
});
