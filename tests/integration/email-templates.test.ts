// Custom Service Desk email templates: Maintainer-only (404 below), save / reset to emails/*.md with an audit
// row, a preview that is byte for byte the mail the outgoing path sends, unknown placeholders reported and kept
// as typed, and hostile template text (MDX import/export/expressions, HTML) rendered as inert text.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import {
  getEmailTemplate,
  listEmailTemplates,
  PREVIEW_SAMPLE,
  previewEmailTemplate,
  resetEmailTemplate,
  saveEmailTemplate,
} from "@/lib/data/email-templates";
import { addNote } from "@/lib/data/notes";
import { listSettingEvents, setServiceDeskEnabled } from "@/lib/data/service-desk";
import { projectKey } from "@/lib/service-desk/address";
import { TEMPLATE_NAMES } from "@/lib/service-desk/templates";
import { deliver, eml } from "../support/mail";
import { appError, makeProjectWithMembers, outcome, type ProjectFixture, ALL_ACTORS, MAINTAINER_ONLY } from "./helpers";

const ACTORS = ALL_ACTORS;
const ACCESS = MAINTAINER_ONLY;

const ALL_PLACEHOLDERS = [
  "# Hello from %{ISSUE_PATH}",
  "Ticket %<ISSUE_ID> — [open it](%{ISSUE_URL}) or %{ISSUE_URL}",
  "%{ISSUE_DESCRIPTION}",
  "> %{NOTE_TEXT}",
  "%{SYSTEM_HEADER}%{SYSTEM_FOOTER}%{ADDITIONAL_TEXT}",
  "[Unsubscribe](%{UNSUBSCRIBE_URL})",
].join("\n\n");

const HOSTILE = [
  'import fs from "node:fs"',
  "export const leak = fs.readFileSync('/etc/passwd')",
  "",
  "Result: {process.exit(1)} and {globalThis.pwned = true}",
  "",
  "<script>alert('x')</script>",
  "",
  '<img src="x" onerror="alert(1)">',
  "",
  "export default function Layout() { return null }",
].join("\n");

const defaultFile = (name: string) => readFileSync(path.join(process.cwd(), "emails", `${name}.md`), "utf8");

let fixture: ProjectFixture;

beforeAll(async () => {
  fixture = await makeProjectWithMembers();
});

describe("access: Maintainer and up; 404 below", () => {
  it.each(ACTORS)("as %s", async (name) => {
    const actor = fixture.actors[name];
    expect(await outcome(listEmailTemplates(actor, fixture.fullPath))).toBe(ACCESS[name]);
    expect(await outcome(getEmailTemplate(actor, fixture.fullPath, "thank_you"))).toBe(ACCESS[name]);
    expect(await outcome(previewEmailTemplate(actor, fixture.fullPath, "thank_you", "Hi %{ISSUE_ID}"))).toBe(ACCESS[name]);
    expect(await outcome(saveEmailTemplate(actor, fixture.fullPath, "new_participant", `by ${name}`))).toBe(ACCESS[name]);
    expect(await outcome(resetEmailTemplate(actor, fixture.fullPath, "new_participant"))).toBe(ACCESS[name]);
  });

  it("a refused save stores nothing", async () => {
    await outcome(saveEmailTemplate(fixture.actors.developer, fixture.fullPath, "issue_closed", "hijacked"));
    expect(await db().serviceDeskEmailTemplate.count({ where: { projectId: fixture.projectId, name: "issue_closed" } })).toBe(0);
  });

  it.each(["nope", "../package.json", "thank_you.md", ""])("an unknown template name %j is not found", async (name) => {
    expect(await outcome(getEmailTemplate(fixture.actors.owner, fixture.fullPath, name))).toBe("not_found");
    expect(await outcome(saveEmailTemplate(fixture.actors.owner, fixture.fullPath, name, "x"))).toBe("not_found");
    expect(await outcome(previewEmailTemplate(fixture.actors.owner, fixture.fullPath, name, "x"))).toBe("not_found");
  });
});

describe("save and reset", () => {
  it("starts from the defaults in emails/*.md", async () => {
    const project = await makeProjectWithMembers();
    const list = await listEmailTemplates(project.actors.maintainer, project.fullPath);
    expect(list.map((t) => [t.name, t.isCustom])).toEqual(TEMPLATE_NAMES.map((n) => [n, false]));
    for (const name of TEMPLATE_NAMES) {
      const view = await getEmailTemplate(project.actors.maintainer, project.fullPath, name);
      expect(view.content).toBe(defaultFile(name));
      expect(view.defaultContent).toBe(defaultFile(name));
      expect(view.isCustom).toBe(false);
    }
  });

  it("lists the placeholders each template supports", async () => {
    const names = async (t: string) => (await getEmailTemplate(fixture.actors.owner, fixture.fullPath, t)).placeholders.map((p) => p.name);
    expect(await names("new_note")).toContain("NOTE_TEXT");
    expect(await names("thank_you")).not.toContain("NOTE_TEXT");
    expect(await names("thank_you")).toEqual(expect.arrayContaining(["ISSUE_ID", "ISSUE_PATH", "ISSUE_URL", "ISSUE_DESCRIPTION", "UNSUBSCRIBE_URL", "SYSTEM_HEADER", "SYSTEM_FOOTER", "ADDITIONAL_TEXT"]));
  });

  it("saves, records who saved it, and resets to the default; each is one history entry", async () => {
    const project = await makeProjectWithMembers();
    const { maintainer } = project.actors;
    const saved = await saveEmailTemplate(maintainer, project.fullPath, "thank_you", "Thanks! We track this as %{ISSUE_ID}.");
    expect(saved).toMatchObject({ isCustom: true, content: "Thanks! We track this as %{ISSUE_ID}.", updatedBy: "maintainer" });
    // The same text again changes nothing and is not recorded.
    await saveEmailTemplate(maintainer, project.fullPath, "thank_you", "Thanks! We track this as %{ISSUE_ID}.");
    expect((await listEmailTemplates(maintainer, project.fullPath)).find((t) => t.name === "thank_you")?.isCustom).toBe(true);

    const reset = await resetEmailTemplate(project.actors.owner, project.fullPath, "thank_you");
    expect(reset).toMatchObject({ isCustom: false, content: defaultFile("thank_you") });
    expect(await db().serviceDeskEmailTemplate.count({ where: { projectId: project.projectId } })).toBe(0);
    // Resetting a default is a no-op, not another history entry.
    await resetEmailTemplate(project.actors.owner, project.fullPath, "thank_you");

    const events = await db().serviceDeskSettingEvent.findMany({ where: { projectId: project.projectId }, orderBy: { id: "asc" } });
    expect(events.map((e) => [e.actorId, e.changes])).toEqual([
      [maintainer.id, { template: "thank_you", action: "saved" }],
      [project.actors.owner.id, { template: "thank_you", action: "reset" }],
    ]);
    expect((await listSettingEvents(maintainer, project.fullPath)).map((e) => e.summary[0])).toEqual([
      "Email template thank_you reset to the default",
      "Email template thank_you saved",
    ]);
  });

  it("refuses an empty or oversized template with a field error", async () => {
    let error = await appError(saveEmailTemplate(fixture.actors.owner, fixture.fullPath, "new_note", "  \n "));
    expect(error.fieldErrors?.content).toMatch(/reset it to the default/);
    error = await appError(saveEmailTemplate(fixture.actors.owner, fixture.fullPath, "new_note", "x".repeat(50_001)));
    expect(error.fieldErrors?.content).toMatch(/too long/);
  });
});

describe("preview", () => {
  it("is exactly what the outgoing path sends for the same values (thank_you and new_note)", async () => {
    const project = await makeProjectWithMembers();
    const { maintainer } = project.actors;
    await setServiceDeskEnabled(maintainer, project.fullPath, true);
    await saveEmailTemplate(maintainer, project.fullPath, "thank_you", `${ALL_PLACEHOLDERS}\n\n${HOSTILE}`);
    await saveEmailTemplate(maintainer, project.fullPath, "new_note", `${ALL_PLACEHOLDERS}\n\n%{BOGUS}`);

    const address = `incoming+${projectKey({ id: project.projectId, fullPath: project.fullPath })}@localhost`;
    const outcomeOfMail = await deliver(eml({ to: address, body: "My **printer** is <b>on fire</b>.\n\n- one\n- two" }));
    expect(outcomeOfMail.status).toBe("created_issue");
    const issue = await db().issue.findFirstOrThrow({ where: { projectId: project.projectId } });

    const sentMail = async (kind: string) => {
      const mail = await db().outboundEmail.findFirstOrThrow({ where: { issueId: issue.id, kind }, orderBy: { createdAt: "desc" } });
      const replyKey = /\/unsubscribe\/([0-9a-f]{32})>/.exec((mail.headers as Record<string, string>)["List-Unsubscribe"])![1];
      return { mail, replyKey };
    };

    const thanks = await sentMail("thank_you");
    const thanksPreview = await previewEmailTemplate(maintainer, project.fullPath, "thank_you", `${ALL_PLACEHOLDERS}\n\n${HOSTILE}`, {
      issue: { iid: issue.iid, description: issue.description },
      replyKey: thanks.replyKey,
    });
    expect(thanksPreview.html).toBe(thanks.mail.html);
    expect(thanksPreview.text).toBe(thanks.mail.text);
    expect(thanks.mail.text).toContain(`${project.fullPath}#${issue.iid}`);

    await addNote(project.actors.reporter, project.fullPath, issue.iid, { body: "Try **unplugging** it.\n\n<script>x()</script>" });
    const note = await sentMail("new_note");
    const notePreview = await previewEmailTemplate(maintainer, project.fullPath, "new_note", `${ALL_PLACEHOLDERS}\n\n%{BOGUS}`, {
      issue: { iid: issue.iid, description: issue.description },
      noteText: "Try **unplugging** it.\n\n<script>x()</script>",
      replyKey: note.replyKey,
    });
    expect(notePreview.html).toBe(note.mail.html);
    expect(notePreview.text).toBe(note.mail.text);
    expect(note.mail.html).toContain("<strong>unplugging</strong>");
  });

  it("renders sample values without saving, and reports unknown and unsupported placeholders (kept as typed)", async () => {
    const before = await db().serviceDeskEmailTemplate.count({ where: { projectId: fixture.projectId } });
    const preview = await previewEmailTemplate(
      fixture.actors.maintainer,
      fixture.fullPath,
      "thank_you",
      "We track %{ISSUE_ID} at %<ISSUE_URL>. %{issue_id} %{NOTE_TEXT} %{ ISSUE_ID }",
    );
    expect(preview.text).toContain(`We track #${PREVIEW_SAMPLE.issue.iid} at http://`);
    expect(preview.text).toContain("%{issue_id} %{NOTE_TEXT} %{ ISSUE_ID }");
    expect(preview.html).toMatch(/^<!DOCTYPE html>/);
    expect(preview.placeholders.map((p) => [p.name, p.known, p.reason])).toEqual([
      ["ISSUE_ID", true, undefined],
      ["ISSUE_URL", true, undefined],
      ["issue_id", false, "unknown"],
      ["NOTE_TEXT", false, "unsupported"],
      [" ISSUE_ID ", false, "unknown"],
    ]);
    expect(await db().serviceDeskEmailTemplate.count({ where: { projectId: fixture.projectId } })).toBe(before);
  });

  it("fills NOTE_TEXT with a sample comment in new_note", async () => {
    const preview = await previewEmailTemplate(fixture.actors.owner, fixture.fullPath, "new_note", "%{NOTE_TEXT}");
    expect(preview.text).toContain("turning it off and on again");
    expect(preview.html).toContain("<li");
  });
});

describe("hostile template text is inert", () => {
  it("shows import, export, {expressions} and HTML as text, never runs them", async () => {
    const marker = globalThis as { pwned?: boolean };
    const preview = await previewEmailTemplate(fixture.actors.owner, fixture.fullPath, "thank_you", HOSTILE);
    expect(marker.pwned).toBeUndefined();
    // The process is still here (process.exit did not run), and the words are in the mail.
    expect(preview.text).toContain('import fs from "node:fs"');
    expect(preview.text).toContain("export const leak");
    expect(preview.text).toContain("{process.exit(1)}");
    expect(preview.text).toContain("{globalThis.pwned = true}");
    expect(preview.text).toContain("export default function Layout()");
    // No element: the tags are escaped text (an attribute like onerror= is only ever inside that text).
    expect(preview.html).not.toMatch(/<(script|img)\b/i);
    expect(preview.html).toContain("&lt;script&gt;alert(");
    expect(preview.html).toContain("&lt;img src=");
    expect(preview.text).toContain("<script>alert('x')</script>");
  });

  it("saves such a template as text and sends it as text", async () => {
    const project = await makeProjectWithMembers();
    await setServiceDeskEnabled(project.actors.owner, project.fullPath, true);
    await saveEmailTemplate(project.actors.owner, project.fullPath, "thank_you", HOSTILE);
    expect((await getEmailTemplate(project.actors.owner, project.fullPath, "thank_you")).content).toBe(HOSTILE);
    const address = `incoming+${projectKey({ id: project.projectId, fullPath: project.fullPath })}@localhost`;
    expect((await deliver(eml({ to: address }))).status).toBe("created_issue");
    const mail = await db().outboundEmail.findFirstOrThrow({ where: { kind: "thank_you", issue: { projectId: project.projectId } } });
    expect(mail.text).toContain("{process.exit(1)}");
    expect(mail.html).not.toMatch(/<script|<img/i);
  });
});
