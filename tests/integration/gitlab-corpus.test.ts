// GitLab's incoming-mail corpus (shared, outside the repo) end to end through intake in both SendGrid modes: addresses mapped onto the app's, outcomes checked against EXPECTED.md.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusPresent, warnCorpusMissing } from "../support/corpus";
import { db } from "@/lib/db/client";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { buildSendGridRequest, type SendGridRequestOptions } from "@/lib/mail/inbound/sendgrid-form";
import { fullPathSlug, projectKey, SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { processInbound, storeInbound, type IntakeOutcome } from "@/lib/service-desk/intake";
import { deliver, eml } from "../support/mail";
import { makeUser, uid, uniqueProjectPath, withEnv } from "./helpers";

const CORPUS = CORPUS_DIR;
const present = corpusPresent;
warnCorpusMissing("tests/integration/gitlab-corpus.test.ts");

const MODES = ["raw", "parsed"] as const;
type Mode = (typeof MODES)[number];

/** Every corpus file some test below uses; the coverage test compares it with the folder. */
const covered = new Set<string>();
const use = (file: string) => (covered.add(file), file);

// ---------------------------------------------------------------------------------------------------------
// Projects and mapping
//
// The corpus uses GitLab's test configuration (incoming+%{key}@appmail.adventuretime.ooo, alias
// support+%{key}@example.com, reply+KEY, <reply-KEY@localhost>). Each test rewrites those header values onto
// a fresh project of this app (incoming+<slug>-<id>-issue-@localhost, a real reply key from sent_notifications,
// SERVICE_DESK_EMAIL_ADDRESS=support+%{key}@example.com) and makes every other Message-ID unique to the test,
// so tests never thread into each other's issues. Bodies are left alone unless a test says otherwise (line
// endings, a changed sender). Where this app intentionally differs from GitLab, the test asserts the app's
// behaviour and says why.

interface SdProject {
  id: number;
  fullPath: string;
  slug: string;
  key: string;
  address: string;
}

async function sdProject(settings: Record<string, unknown> = {}, projectPath = uniqueProjectPath("gl")): Promise<SdProject> {
  const owner = await makeUser("owner");
  const project = await createProject(owner, projectPath);
  await setServiceDeskEnabled(owner, project.fullPath, true);
  if (Object.keys(settings).length) await db().serviceDeskSetting.update({ where: { projectId: project.id }, data: settings });
  const key = projectKey({ id: project.id, fullPath: project.fullPath });
  return { id: project.id, fullPath: project.fullPath, slug: fullPathSlug(project.fullPath), key, address: `incoming+${key}@localhost` };
}

interface Mapping {
  /** GitLab's Service Desk, legacy and create-issue addresses become this project's. */
  project?: SdProject;
  /** Replaces `project_slug-project_key` in GitLab's alias address `support+project_slug-project_key@example.com`. */
  aliasKey?: string;
  /** GitLab's reply keys (reply+KEY addresses, <reply-KEY@…> ids) become this one ("" removes the key). */
  replyKey?: string;
  /** Prefix that makes every other Message-ID unique to the test. */
  tag: string;
}

const newTag = () => `t${uid(4)}`;
/** A corpus Message-ID as the mapped mail carries it. */
const mid = (m: Mapping, id: string) => `${m.tag}.${id}`;

function addressRules(m: Mapping): [RegExp, string][] {
  const rules: [RegExp, string][] = [];
  const p = m.project;
  if (p)
    rules.push(
      [/incoming\+email-test-project_id-issue-@appmail\.adventuretime\.ooo/gi, p.address],
      [/incoming\+email\/test@appmail\.adventuretime\.ooo/gi, `incoming+${p.fullPath}@localhost`],
      // GitLab's create-issue-by-email keys (a user's token): this app only has Service Desk addresses.
      [/incoming\+gitlabhq\/gitlabhq(?:\+auth_token)?@(?:appmail\.)?example\.com/gi, p.address],
      [/incoming\+gitlabhq-gitlabhq-project_id-auth_token-issue@appmail\.adventuretime\.ooo/gi, p.address],
      [/gitlab\+gitlab-instance-administrators-9a72b788-code-hello-world-php-2-issue-@qyber\.black/gi, p.address],
      [/support\+(?:email-test|project_slug)-project_id-issue-@example\.com/gi, `support+${p.key}@example.com`],
    );
  if (m.aliasKey !== undefined) rules.push([/support\+project_slug-project_key@example\.com/gi, `support+${m.aliasKey}@example.com`]);
  if (m.replyKey !== undefined) {
    const to = `incoming+${m.replyKey}@localhost`;
    rules.push(
      [/reply\+[0-9a-f]{32}@appmail\.adventuretime\.ooo/gi, to],
      [/dlouzan\.dummy\+[0-9a-f]{32}@gmail\.com/gi, to],
      // Discourse's reply fixtures that GitLab feeds straight into its reply parser: addressed to the reply key here.
      [/reply@discourse\.org/gi, to],
      [/mail\+[0-9a-f]{32}@arpitjalan\.com/gi, to],
      [/<TO>/g, `<${to}>`],
    );
  }
  // GitLab's address without %{key} (no sub-addressing): an address of ours that carries no key.
  rules.push([/reply@appmail\.adventuretime\.ooo/gi, "incoming@localhost"], [/<FROM>/g, "<jake@adventuretime.ooo>"]);
  return rules;
}

function mapIds(value: string, m: Mapping): string {
  return value.replace(/<\s*([^<>\s]+)\s*>/g, (all, id: string) => {
    // GitLab's reply Message-IDs (old form reply+KEY@host, current reply-KEY@host) → ours, <reply-KEY@localhost>.
    if (/^reply[-+][0-9a-f]{32}@/i.test(id)) return m.replyKey !== undefined ? `<reply-${m.replyKey}@localhost>` : all;
    return `<${mid(m, id)}>`;
  });
}

/** Applies `fn` to each header field (with its folded lines) of a mail held as a latin1 string; the body is kept. */
function mapHeaderFields(raw: string, fn: (name: string, field: string) => string): string {
  const lead = /^(?:\r?\n)*/.exec(raw)![0];
  const rest = raw.slice(lead.length);
  const end = /\r?\n\r?\n/.exec(rest);
  const head = end ? rest.slice(0, end.index) : rest;
  const tail = end ? rest.slice(end.index) : "";
  const nl = head.includes("\r\n") ? "\r\n" : "\n";
  const fields: string[][] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) fields.at(-1)!.push(line);
    else fields.push([line]);
  }
  const mapped = fields.map((lines) => {
    const field = lines.join(nl);
    return fn(field.split(":")[0].trim().toLowerCase(), field);
  });
  return lead + mapped.join(nl) + tail;
}

/**
 * A corpus mail with GitLab's addresses and keys rewritten onto this app's (bytes outside the headers
 * untouched, unless `lineEndings` converts them, or `edit` changes the raw text).
 */
function corpusMail(file: string, m: Mapping, options: { lineEndings?: "lf" | "crlf"; edit?: (raw: string) => string } = {}): Uint8Array {
  let raw = readFileSync(path.join(CORPUS, file)).toString("latin1");
  if (options.lineEndings === "lf") raw = raw.replace(/\r\n/g, "\n");
  if (options.lineEndings === "crlf") raw = raw.replace(/\r?\n/g, "\r\n");
  if (options.edit) raw = options.edit(raw);
  const rules = addressRules(m);
  const mapped = mapHeaderFields(raw, (name, field) =>
    ["message-id", "in-reply-to", "references"].includes(name)
      ? mapIds(field, m)
      : rules.reduce((text, [pattern, to]) => text.replace(pattern, to), field),
  );
  return new Uint8Array(Buffer.from(mapped, "latin1"));
}

/** Stores and processes a mail as the webhook does (tests/support/mail.ts `deliver`, for bytes that are not UTF-8 text). */
async function deliverMail(bytes: Uint8Array, mode: Mode, options: SendGridRequestOptions = {}): Promise<IntakeOutcome> {
  const { body, contentType } = await buildSendGridRequest(bytes, mode, options);
  return processInbound(await storeInbound(body, contentType));
}

const deliverCorpus = (file: string, mode: Mode, m: Mapping, options: SendGridRequestOptions = {}) =>
  deliverMail(corpusMail(file, m), mode, options);

const LINE_ENDINGS = [
  ["as stored", undefined],
  ["LF", "lf"],
  ["CRLF", "crlf"],
] as const;

async function issueOf(projectId: number, iid: number) {
  return db().issue.findUniqueOrThrow({
    where: { projectId_iid: { projectId, iid } },
    include: {
      participants: { orderBy: { email: "asc" } },
      notes: { orderBy: { id: "asc" } },
      attachments: { orderBy: { filename: "asc" } },
      outboundEmails: true,
    },
  });
}

const issueCount = (projectId: number) => db().issue.count({ where: { projectId } });
const thankYous = (issue: Awaited<ReturnType<typeof issueOf>>) => issue.outboundEmails.filter((e) => e.kind === "thank_you");
/** The new text of a note: what precedes the collapsed quote block. */
const visible = (body: string) => body.split("\n\n<details>")[0];

/** A project with issue #1 opened by jake@adventuretime.ooo, and the reply key its thank-you carries. */
async function openThread(settings: Record<string, unknown> = {}) {
  const project = await sdProject(settings);
  const opened = await deliver(eml({ to: project.address, from: "Jake the Dog <jake@adventuretime.ooo>", subject: "Adventure Time Sux" }));
  expect(opened.status).toBe("created_issue");
  const { replyKey } = await db().sentNotification.findFirstOrThrow({ where: { projectId: project.id } });
  return { project, replyKey };
}

/** Checks that `outcome` added exactly one customer note to issue #1 and nothing else; returns the note. */
async function expectOneNote(project: SdProject, outcome: IntakeOutcome, author: string) {
  expect(outcome).toMatchObject({ status: "added_note", issueIid: 1 });
  expect(await issueCount(project.id)).toBe(1);
  const issue = await issueOf(project.id, 1);
  const notes = issue.notes.filter((n) => !n.system);
  expect(notes).toHaveLength(1);
  expect(notes[0]).toMatchObject({ authorId: SUPPORT_BOT_ID, externalAuthor: author, internal: false, system: false });
  // A reply never gets a thank-you of its own: the one from opening the thread is all.
  expect(thankYous(issue)).toHaveLength(1);
  return { note: notes[0], issue };
}

const SERVICE_DESK_BODY = "Service desk stuff!\n\n```\na = b\n```\n\n/label ~label1\n/assign @user1\n/close";
const SUBJECT = "The message subject! @all";
const JAKE_MID = "CADkmRc+rNGAGGbV2iE5p918UVy4UyJqVcXRO2=otppgzduJSg@mail.gmail.com";

// ---------------------------------------------------------------------------------------------------------

describe.skipIf(!present)("GitLab mail corpus through intake", () => {
  describe.each(MODES)("%s mode", (mode) => {
    describe("new Service Desk requests", () => {
      it(use("service_desk.eml"), async () => {
        const project = await sdProject();
        const m: Mapping = { project, tag: newTag() };
        const outcome = await deliverCorpus("service_desk.eml", mode, m);
        expect(outcome).toMatchObject({ status: "created_issue", issueIid: 1 });
        expect(outcome.reason).toBe(`To: ${project.address}`);
        const issue = await issueOf(project.id, 1);
        expect(issue).toMatchObject({
          title: SUBJECT,
          confidential: true,
          state: "OPENED",
          authorId: SUPPORT_BOT_ID,
          externalAuthor: "jake@adventuretime.ooo",
          externalMessageId: mid(m, JAKE_MID),
        });
        // GitLab wraps quick-action lines in backticks so they do not run. This app has no quick actions at
        // all, so the lines stay plain, inert text (the issue above is still open, unlabelled, unassigned).
        expect(issue.description).toBe(SERVICE_DESK_BODY);
        expect(issue.participants.map((p) => p.email)).toEqual(["jake@adventuretime.ooo"]);
        expect(thankYous(issue).map((e) => e.to)).toEqual(["jake@adventuretime.ooo"]);
      });

      it("service_desk.eml with external participants from Cc: From + both Cc addresses", async () => {
        const project = await sdProject({ addExternalParticipantsFromCc: true });
        await deliverCorpus("service_desk.eml", mode, { project, tag: newTag() });
        const issue = await issueOf(project.id, 1);
        expect(issue.participants.map((p) => p.email)).toEqual(["cc@example.com", "jake@adventuretime.ooo", "kk@example.org"]);
      });

      it("service_desk.eml with confidential-by-default off: not confidential", async () => {
        // GitLab keeps tickets of public projects confidential regardless; this app has no public projects
        // (no visibility levels), which is GitLab's private-project case.
        const project = await sdProject({ ticketsConfidentialByDefault: false });
        await deliverCorpus("service_desk.eml", mode, { project, tag: newTag() });
        expect((await issueOf(project.id, 1)).confidential).toBe(false);
      });

      it(use("service_desk_all_quoted.eml"), async () => {
        const project = await sdProject();
        expect(await deliverCorpus("service_desk_all_quoted.eml", mode, { project, tag: newTag() })).toMatchObject({ status: "created_issue" });
        expect((await issueOf(project.id, 1)).description).toContain("> This is an empty quote");
      });

      it.each(LINE_ENDINGS)(`${use("service_desk_encoding.eml")} (%s line endings)`, async (_name, lineEndings) => {
        // Stored with CRLF; GitLab also had an LF-only version of the same text.
        const project = await sdProject();
        const outcome = await deliverMail(corpusMail("service_desk_encoding.eml", { project, tag: newTag() }, { lineEndings }), mode);
        expect(outcome).toMatchObject({ status: "created_issue" });
        const issue = await issueOf(project.id, 1);
        expect(issue.title).toBe("Testing encoding iso-8859-2 ťžščľžťťč");
        expect(issue.description).toBe("Body of encoding iso-8859-2 test: ťžščľžťťč");
      });

      it(use("service_desk_forwarded.eml"), async () => {
        const project = await sdProject();
        const m: Mapping = { project, tag: newTag() };
        const outcome = await deliverCorpus("service_desk_forwarded.eml", mode, m);
        expect(outcome).toMatchObject({ status: "created_issue" });
        expect(outcome.reason).toBe(`delivered-to: ${project.address}`);
        const issue = await issueOf(project.id, 1);
        expect(issue).toMatchObject({ title: SUBJECT, description: SERVICE_DESK_BODY, externalAuthor: "jake.g@adventuretime.ooo" });
        expect(issue.externalMessageId).toBe(mid(m, "CADkmRc+rNGAGGbV2iE5p918UVy4UyJqVcXRO2=fdskbsf@mail.gmail.com"));
        expect(issue.participants.map((p) => p.email)).toEqual(["jake.g@adventuretime.ooo"]);
      });

      it(use("service_desk_forwarded_new_issue.eml"), async () => {
        const project = await sdProject();
        expect(await deliverCorpus("service_desk_forwarded_new_issue.eml", mode, { project, tag: newTag() })).toMatchObject({
          status: "created_issue",
        });
        expect((await issueOf(project.id, 1)).description).toBe(
          "Service desk stuff!\n\n---------- Forwarded message ---------\nFrom: Jake the Dog <jake@adventuretime.ooo>\nTo: <jake@adventuretime.ooo>\n\n\nforwarded content",
        );
      });

      it(use("service_desk_legacy.eml"), async () => {
        const project = await sdProject();
        const outcome = await deliverCorpus("service_desk_legacy.eml", mode, { project, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue" });
        expect(outcome.reason).toBe(`To: incoming+${project.fullPath}@localhost`);
        expect((await issueOf(project.id, 1)).description).toBe(SERVICE_DESK_BODY);
      });

      it(`${use("service_desk_reply.eml")} without an issue for its In-Reply-To: a new issue`, async () => {
        const project = await sdProject();
        const outcome = await deliverCorpus("service_desk_reply.eml", mode, { project, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue", issueIid: 1 });
        const issue = await issueOf(project.id, 1);
        expect(issue.description).toBe("Service desk reply!\n\n/label ~label2");
        expect(issue.participants.map((p) => p.email)).toEqual(["alan@adventuretime.ooo"]);
        expect(thankYous(issue).map((e) => e.to)).toEqual(["alan@adventuretime.ooo"]);
      });

      it(use("service_desk_reply_illegal_utf8.eml"), async () => {
        // GitLab only checks that the Shift_JIS bytes do not crash intake; this app decodes them by the charset.
        const project = await sdProject();
        const outcome = await deliverCorpus("service_desk_reply_illegal_utf8.eml", mode, { project, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue" });
        const issue = await issueOf(project.id, 1);
        expect(issue.title).toBe(SUBJECT);
        expect(issue.description).toMatch(/^Service desk reply!\nピーター・ジョーンズ\n/);
        expect(issue.description).not.toContain("\ufffd");
      });

      it("service_desk_reply_illegal_utf8.eml labelled ISO-8859-1 (GitLab's other stored version): taken, no crash", async () => {
        const project = await sdProject();
        const raw = corpusMail("service_desk_reply_illegal_utf8.eml", { project, tag: newTag() }, { edit: (text) => text.replace("charset=Shift_JIS", "charset=ISO-8859-1") });
        expect(await deliverMail(raw, mode)).toMatchObject({ status: "created_issue" });
        const issue = await issueOf(project.id, 1);
        expect(issue.description).toMatch(/^Service desk reply!\n/);
        expect(issue.description).toContain("/label ~label2");
      });

      it(`${use("service_desk_reply_to_and_from.eml")}: the customer is Reply-To`, async () => {
        // GitLab's old spec (42afc4d6) shows "finn@ (reply to: marceline@)". This app, like current GitLab,
        // takes Reply-To as the customer's address (else From, else Sender): answers must reach the customer.
        const project = await sdProject();
        expect(await deliverCorpus("service_desk_reply_to_and_from.eml", mode, { project, tag: newTag() })).toMatchObject({
          status: "created_issue",
        });
        const issue = await issueOf(project.id, 1);
        expect(issue.externalAuthor).toBe("marceline@adventuretime.ooo");
        expect(issue.participants.map((p) => p.email)).toEqual(["marceline@adventuretime.ooo"]);
        expect(thankYous(issue).map((e) => e.to)).toEqual(["marceline@adventuretime.ooo"]);
      });

      it(`${use("service_desk_reply_to_sender_and_from.eml")}: the customer is Reply-To`, async () => {
        // GitLab's old spec (33bbd0b3) ignored Reply-To (finn@); this app follows Reply-To (see above).
        const project = await sdProject();
        await deliverCorpus("service_desk_reply_to_sender_and_from.eml", mode, { project, tag: newTag() });
        expect((await issueOf(project.id, 1)).externalAuthor).toBe("hooman@adventuretime.ooo");
      });

      it(`${use("service_desk_sender_and_from.eml")}: From wins over Sender`, async () => {
        const project = await sdProject();
        await deliverCorpus("service_desk_sender_and_from.eml", mode, { project, tag: newTag() });
        const issue = await issueOf(project.id, 1);
        expect(issue.externalAuthor).toBe("finn@adventuretime.ooo");
        expect(issue.description).toBe("Service desk stuff!\n\n```\na = b\n```");
      });

      it(`${use("no_content_type.eml")}: plain mail without Content-Type`, async () => {
        const project = await sdProject();
        const outcome = await deliverCorpus("no_content_type.eml", mode, { project, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue" });
        const issue = await issueOf(project.id, 1);
        expect(issue).toMatchObject({ title: "Testing Service Desk E-Mail", description: "Test.", externalAuthor: "frank@example.org" });
        expect(issue.attachments).toEqual([]);
      });
    });

    describe("GitLab create-issue-by-email mails, sent to the Service Desk address", () => {
      // This app has no personal create-issue addresses (a user's incoming-email token): GitLab's
      // `…-auth_token-issue` address is mapped to the project's Service Desk address, so the issue is the
      // Support Bot's with the sender as external author, not the token owner's.
      it(use("valid_new_issue_empty.eml"), async () => {
        const project = await sdProject();
        expect(await deliverCorpus("valid_new_issue_empty.eml", mode, { project, tag: newTag() })).toMatchObject({ status: "created_issue" });
        expect(await issueOf(project.id, 1)).toMatchObject({
          title: "New Issue by email",
          description: "",
          authorId: SUPPORT_BOT_ID,
          externalAuthor: "jake@adventuretime.ooo",
        });
      });

      it(use("valid_new_issue_with_only_quotes.eml"), async () => {
        const project = await sdProject();
        await deliverCorpus("valid_new_issue_with_only_quotes.eml", mode, { project, tag: newTag() });
        const { description } = await issueOf(project.id, 1);
        expect(description).toContain("> This email has been forwarded without new content.");
        expect(description).toContain("> Quote 2");
      });

      it(use("valid_new_issue_with_quote.eml"), async () => {
        const project = await sdProject();
        await deliverCorpus("valid_new_issue_with_quote.eml", mode, { project, tag: newTag() });
        const { description } = await issueOf(project.id, 1);
        expect(description).toContain("reply by email");
        expect(description).toMatch(/there should be a quote below this line:\n\n> this is a quote$/);
      });
    });

    describe("routing headers", () => {
      it.each([
        [use("envelope_to_header.eml"), "envelope-to"],
        [use("envelope_to_header_with_angle_brackets.eml"), "envelope-to"],
        [use("x_envelope_to_header.eml"), "x-envelope-to"],
      ])("%s: the key is found in %s", async (file, header) => {
        const project = await sdProject();
        const outcome = await deliverCorpus(file, mode, { project, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue" });
        expect(outcome.reason).toBe(`${header}: ${project.address}`);
        expect(await issueOf(project.id, 1)).toMatchObject({
          title: "Insert hilarious subject line here",
          description: "Look, a message with some alternate headers! We should really support them.",
          externalAuthor: "jake@example.com",
        });
      });

      it(`${use("forwarded_new_issue.eml")}: the key is found in the first Delivered-To`, async () => {
        const project = await sdProject();
        const outcome = await deliverCorpus("forwarded_new_issue.eml", mode, { project, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue" });
        expect(outcome.reason).toBe(`delivered-to: ${project.address}`);
        expect((await issueOf(project.id, 1)).title).toBe("New Issue by email");
      });

      it(`${use("missing_delivered_to_header.eml")}: Received is not read; SendGrid's envelope is`, async () => {
        // GitLab falls back to `Received: … for <…>`. This app does not: any relay may write Received, and
        // DESIGN.md fixes the searched headers. The same fact reaches it trustworthily as SendGrid's envelope
        // (SMTP RCPT TO), which is where the address of this mail is found.
        const project = await sdProject();
        const headersOnly = await deliverCorpus("missing_delivered_to_header.eml", mode, { project, tag: newTag() });
        expect(headersOnly).toMatchObject({ status: "rejected", reason: "No Service Desk address or reply key found in the mail." });
        expect(await issueCount(project.id)).toBe(0);

        const withEnvelope = await deliverCorpus("missing_delivered_to_header.eml", mode, { project, tag: newTag() }, { to: [project.address] });
        expect(withEnvelope).toMatchObject({ status: "created_issue" });
        expect(withEnvelope.reason).toBe(`envelope.to: ${project.address}`);
      });

      it(`${use("service_desk_reference_headers.eml")}: no key anywhere is rejected`, async () => {
        const outcome = await deliverCorpus("service_desk_reference_headers.eml", mode, { tag: newTag() });
        expect(outcome).toMatchObject({ status: "rejected", reason: "No Service Desk address or reply key found in the mail.", issueIid: null });
        const row = await db().inboundEmail.findUniqueOrThrow({ where: { id: outcome.inboundEmailId } });
        expect(row).toMatchObject({ status: "rejected", projectId: null, issueId: null });
      });
    });

    describe("alias address (SERVICE_DESK_EMAIL_ADDRESS = GitLab's support+%{key}@example.com)", () => {
      withEnv({ SERVICE_DESK_EMAIL_ADDRESS: "support+%{key}@example.com" });

      const aliasProject = async (suffix = `mykey_${uid(3)}`) => ({ project: await sdProject({ projectKey: suffix }), suffix });

      it(use("service_desk_custom_address.eml"), async () => {
        const { project, suffix } = await aliasProject();
        const outcome = await deliverCorpus("service_desk_custom_address.eml", mode, { project, aliasKey: `${project.slug}-${suffix}`, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue", issueIid: 1 });
        expect(outcome.reason).toBe(`To: support+${project.slug}-${suffix}@example.com`);
        const issue = await issueOf(project.id, 1);
        expect(issue).toMatchObject({ title: SUBJECT, description: SERVICE_DESK_BODY, externalAuthor: "jake@adventuretime.ooo", confidential: true });
        // The thank-you's Reply-To stays on the alias domain.
        expect(thankYous(issue)[0].replyTo).toMatch(/^support\+[0-9a-f]{32}@example\.com$/);
      });

      it("service_desk_custom_address.eml with an unknown key or another project's slug is rejected", async () => {
        const { project, suffix } = await aliasProject();
        const unknownKey = await deliverCorpus("service_desk_custom_address.eml", mode, { aliasKey: `${project.slug}-otherkey`, tag: newTag() });
        expect(unknownKey).toMatchObject({ status: "rejected", reason: "The Service Desk key in the address matches no project or issue." });
        const otherSlug = await deliverCorpus("service_desk_custom_address.eml", mode, { aliasKey: `other-${uid(3)}-${suffix}`, tag: newTag() });
        expect(otherSlug).toMatchObject({ status: "rejected", reason: "The Service Desk key in the address matches no project or issue." });
        expect(await issueCount(project.id)).toBe(0);
      });

      it("service_desk_custom_address.eml: of two projects sharing the key, the one whose slug matches gets the issue", async () => {
        const suffix = `mykey_${uid(3)}`;
        const { project: first } = await aliasProject(suffix);
        const { project: second } = await aliasProject(suffix);
        const outcome = await deliverCorpus("service_desk_custom_address.eml", mode, { aliasKey: `${second.slug}-${suffix}`, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue", issueIid: 1 });
        expect(await issueCount(second.id)).toBe(1);
        expect(await issueCount(first.id)).toBe(0);
      });

      it.each([
        [use("service_desk_custom_address_envelope_to.eml"), "envelope-to"],
        [use("service_desk_custom_address_reply.eml"), "delivered-to"],
        [use("service_desk_custom_address_x_envelope_to.eml"), "x-envelope-to"],
      ])("%s: the alias key is found in %s", async (file, header) => {
        const { project, suffix } = await aliasProject();
        const outcome = await deliverCorpus(file, mode, { project, aliasKey: `${project.slug}-${suffix}`, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue", issueIid: 1 });
        expect(outcome.reason).toBe(`${header}: support+${project.slug}-${suffix}@example.com`);
        expect(await issueOf(project.id, 1)).toMatchObject({ description: "Service desk reply!\n\n/label ~label2", externalAuthor: "alan@adventuretime.ooo" });
      });

      it(`${use("service_desk_custom_address_no_key.eml")}: the default key under the alias domain`, async () => {
        const { project } = await aliasProject();
        const outcome = await deliverCorpus("service_desk_custom_address_no_key.eml", mode, { project, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue" });
        expect(outcome.reason).toBe(`To: support+${project.key}@example.com`);
        const issue = await issueOf(project.id, 1);
        expect(issue.description).toBe(SERVICE_DESK_BODY);
        expect(issue.participants.map((p) => p.email)).toEqual(["jake@adventuretime.ooo"]);
      });

      it(`${use("service_desk_custom_email_address_verification.eml")}: an ordinary request here`, async () => {
        // GitLab recognises its own custom-email verification mail (To: …+verify) and, with no verification
        // pending, ignores it. This app has no custom-email verification (not in DESIGN.md): the mail reaches
        // the project through the alias in Delivered-To, says `Auto-Submitted: no`, and becomes a request from
        // its Reply-To address.
        const { project } = await aliasProject();
        const outcome = await deliverCorpus("service_desk_custom_email_address_verification.eml", mode, { project, tag: newTag() });
        expect(outcome).toMatchObject({ status: "created_issue" });
        expect(outcome.reason).toBe(`delivered-to: support+${project.key}@example.com`);
        const issue = await issueOf(project.id, 1);
        expect(issue.title).toBe("Verify custom email address custom-support-email@example.com for Flight");
        expect(issue.description).toContain("Verification token: ZROT4ZZXA-Y6");
        expect(issue.externalAuthor).toBe("noreply@example.com");
      });
    });

    describe("replies to an issue", () => {
      it(`${use("service_desk_reply.eml")} after service_desk.eml: one comment on that issue, no new issue`, async () => {
        // GitLab threads a mail to the project address whose In-Reply-To is the Message-ID of an existing
        // issue's mail onto that issue (a customer answering their own first mail).
        const project = await sdProject();
        const m: Mapping = { project, tag: newTag() };
        expect(await deliverCorpus("service_desk.eml", mode, m)).toMatchObject({ status: "created_issue", issueIid: 1 });
        const outcome = await deliverCorpus("service_desk_reply.eml", mode, m);
        const { note } = await expectOneNote(project, outcome, "alan@adventuretime.ooo");
        expect(note.body).toBe("Service desk reply!\n\n/label ~label2");
      });

      it("service_desk_reply.eml after service_desk.eml: the replying customer becomes a participant", async () => {
        const project = await sdProject();
        const m: Mapping = { project, tag: newTag() };
        await deliverCorpus("service_desk.eml", mode, m);
        await deliverCorpus("service_desk_reply.eml", mode, m);
        const issue = await issueOf(project.id, 1);
        expect(issue.participants.map((p) => p.email)).toEqual(["alan@adventuretime.ooo", "jake@adventuretime.ooo"]);
      });

      it(`${use("valid_reply.eml")}: a note by the Support Bot for the sender, quote collapsed`, async () => {
        // GitLab's note author is the notification's recipient (a GitLab user); here every mail note is the
        // Support Bot's with the sender as external author.
        const { project, replyKey } = await openThread();
        const outcome = await deliverCorpus("valid_reply.eml", mode, { replyKey, tag: newTag() });
        expect(outcome.reason).toBe(`To: incoming+${replyKey}@localhost`);
        const { note } = await expectOneNote(project, outcome, "jake@adventuretime.ooo");
        expect(visible(note.body)).toBe(
          "I could not disagree more. I am obviously biased but adventure time is the\ngreatest show ever created. Everyone should watch it.\n\n- Jake out",
        );
        expect(note.body).toContain("<details><summary>Quoted text</summary>");
      });

      it("valid_reply.eml with an unknown key, or with the key removed, is rejected", async () => {
        const { project } = await openThread();
        const unknown = await deliverCorpus("valid_reply.eml", mode, { replyKey: "0123456789abcdef0123456789abcdef", tag: newTag() });
        expect(unknown).toMatchObject({ status: "rejected", reason: "The Service Desk key in the address matches no project or issue." });
        const removed = await deliverCorpus("valid_reply.eml", mode, { replyKey: "", tag: newTag() });
        expect(removed).toMatchObject({ status: "rejected", reason: "No Service Desk address or reply key found in the mail." });
        expect((await issueOf(project.id, 1)).notes.filter((n) => !n.system)).toHaveLength(0);
      });

      it("valid_reply.eml from someone other than the notification's recipient: still a note", async () => {
        // GitLab's create-note handler answers "user not found" (the sender must be the GitLab user who got
        // the notification). Service Desk notes are external: the reply key is the credential, the sender is
        // recorded as the note's external author.
        const { project, replyKey } = await openThread();
        const raw = corpusMail("valid_reply.eml", { replyKey, tag: newTag() }, { edit: (text) => text.replace("From: Jake the Dog <jake@", "From: Finn <finn@") });
        const outcome = await deliverMail(raw, mode);
        await expectOneNote(project, outcome, "finn@adventuretime.ooo");
      });

      it.each([
        use("reply_without_subaddressing_and_key_inside_references.eml"),
        use("reply_without_subaddressing_and_key_inside_references_with_a_comma.eml"),
        use("key_in_headers_reply.eml"),
      ])("%s: the key is found in References / In-Reply-To", async (file) => {
        // key_in_headers_reply.eml carries GitLab's old `<reply+KEY@host>` id; mapped to this app's `<reply-KEY@localhost>`.
        const { project, replyKey } = await openThread();
        const outcome = await deliverCorpus(file, mode, { replyKey, tag: newTag() });
        expect(outcome.reason).toBe(`References: <reply-${replyKey}@localhost>`);
        const { note } = await expectOneNote(project, outcome, "jake@adventuretime.ooo");
        expect(visible(note.body)).toMatch(/^I could not disagree more\./);
      });

      it(`${use("valid_reply_with_references_in_comma.eml")}: quoted, comma-separated References`, async () => {
        const { project, replyKey } = await openThread();
        const outcome = await deliverCorpus("valid_reply_with_references_in_comma.eml", mode, { replyKey, tag: newTag() });
        await expectOneNote(project, outcome, "jake@example.com");
        // The same mail without the key in To: the key comes out of the quoted References string.
        const { project: other, replyKey: otherKey } = await openThread();
        const raw = corpusMail("valid_reply_with_references_in_comma.eml", { replyKey: otherKey, tag: newTag() }, { edit: (text) => text.replace(/^To: .*$/m, "To: incoming@localhost") });
        const bare = await deliverMail(raw, mode);
        expect(bare.reason).toBe(`References: <reply-${otherKey}@localhost>`);
        await expectOneNote(other, bare, "jake@example.com");
      });

      it(`${use("attachment.eml")}: the PNG is stored with the note`, async () => {
        const { project, replyKey } = await openThread();
        const outcome = await deliverCorpus("attachment.eml", mode, { replyKey, tag: newTag() });
        const { note, issue } = await expectOneNote(project, outcome, "jake@adventuretime.ooo");
        expect(visible(note.body)).toBe("here is an image attachment");
        expect(issue.attachments.map((a) => [a.filename, a.contentType, a.noteId])).toEqual([["bricks.png", "image/png", note.id]]);
        expect(Buffer.from(issue.attachments[0].data).subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
      });

      it.each(LINE_ENDINGS)(`${use("valid_reply_signed_smime.eml")} (%s line endings): the PNG is stored, the S/MIME signature is not`, async (_name, lineEndings) => {
        // Stored with LF; GitLab's checkout has CRLF (.gitattributes), the bytes the signature covers.
        const { project, replyKey } = await openThread();
        const outcome = await deliverMail(corpusMail("valid_reply_signed_smime.eml", { replyKey, tag: newTag() }, { lineEndings }), mode);
        const { note, issue } = await expectOneNote(project, outcome, "diego.louzan.ext@siemens.com");
        expect(visible(note.body)).toMatch(/^Me too, with an attachment/);
        expect(issue.attachments.map((a) => [a.filename, a.contentType])).toEqual([["gitlab_logo.png", "image/png"]]);
      });

      it(`${use("auto_reply.eml")}: ignored, nothing added`, async () => {
        const { project, replyKey } = await openThread();
        const outcome = await deliverCorpus("auto_reply.eml", mode, { replyKey, tag: newTag() });
        expect(outcome).toMatchObject({ status: "ignored", reason: "X-Autoreply header (automatic reply).", issueIid: null });
        expect((await issueOf(project.id, 1)).notes).toHaveLength(0);
      });
    });

    describe("reply bodies", () => {
      // GitLab drops the quoted history and signature; this app keeps them in a collapsed <details> block
      // below the new text (`visible`), so the assertions are about the new text.
      const replyCases: [file: string, author: string, check: (text: string, body: string) => void][] = [
        [
          use("bullet_list_reply.eml"),
          "jake@adventuretime.ooo",
          (text) => {
            expect(text).toMatch(/\n {3}-\n\n {3}Rename the first field on the form\.\n {3}\*\n\n {3}Add a short description below it\.$/);
          },
        ],
        [
          use("bullet_list_reply_quoted_printable.eml"),
          "jake@adventuretime.ooo",
          (text) => {
            for (const part of ["würde ich", "ändern, dass sie kürzer ist", "Eine weitere Anpassung."]) expect(text).toContain(part);
          },
        ],
        [use("dutch.eml"), "walter.white@googlemail.com", (text) => expect(text).toBe("Dit is een antwoord in het Nederlands.")],
        [use("html_empty_link.eml"), "arpit@techapj.com", (text) => expect(text).toBe("no brackets!")],
        [
          use("html_only.eml"),
          "walter.white@googlemail.com",
          (text) => {
            // Markdown the customer typed as text in an HTML mail is escaped (shown as they saw it), unlike
            // GitLab, which passes it on; <details> from a stranger's HTML is sanitised away, its text kept.
            expect(text).toMatch(/^\\### This is a reply from standard GMail in Google Chrome\.\n\n(The quick brown fox jumps over the lazy dog\. ?)+\n/);
            expect(text).toContain("Here's some \\*\\*bold\\*\\* text, **strong** text and _italic_ in Markdown.");
            expect(text).toContain("Here's a link <http://example.com>");
            expect(text).toContain("Here's an img ![Miro](http://img.png)");
            expect(text).toContain("Some details");
            expect(text).toMatch(/\n\nTest reply\.\n\nFirst paragraph\.\n\nSecond paragraph\.$/);
          },
        ],
        [
          use("html_table_and_blockquote.eml"),
          "arpit@techapj.com",
          (text, body) => {
            // A simple HTML table becomes a Markdown table (GitLab: tab-separated lines), and a <blockquote>
            // a `> ` quote, which a reply's trimming collapses; the words and their punctuation are kept.
            expect(text).toContain("| Company | Contact | Country |");
            expect(text).toContain("| Centro comercial Moctezuma | Francisco Chang | Mexico |");
            expect(body).toContain("Words can be like X-rays, if you use them properly—they’ll go through anything. You read and you’re pierced.");
          },
        ],
        [
          use("ios_default.eml"),
          "walter.white@googlemail.com",
          (text) => {
            expect(text).toMatch(/^### this is a reply from iOS default mail\n\n(The quick brown fox jumps over the lazy dog\. ?)+\n\n/);
            expect(text).toMatch(/\n\nHere's some \*\*bold\*\* markdown text\.\n\nHere's a link http:\/\/example\.com$/);
          },
        ],
        [
          use("on_wrote.eml"),
          "jake@adventuretime.ooo",
          (text) => expect(text).toBe("Sure, all you need to do is frobnicate the foobar and you'll be all set!"),
        ],
        [use("outlook_html.eml"), "arpit@techapj.com", (text) => expect(text).toBe("Microsoft Outlook 2010")],
        [
          use("paragraphs.eml"),
          "jake@adventuretime.ooo",
          (text) =>
            expect(text).toBe(
              "Is there any reason the *old* candy can't be kept in silos while the new candy\nis imported into *new* silos?\n\n" +
                "The thing about candy is it stays delicious for a long time -- we can just keep\nit there without worrying about it too much, imo.\n\n" +
                "Thanks for listening.",
            ),
        ],
        [
          use("plaintext_only.eml"),
          "walter.white@googlemail.com",
          (text) =>
            expect(text).toMatch(
              /^### reply from default mail client in Windows 8\.1 Metro\n\n\n(The quick brown fox jumps over the lazy dog\. ?)+\n\n\nThis is a \*\*bold\*\* word in Markdown\n\n\nThis is a link http:\/\/example\.com$/,
            ),
        ],
        [use("signature_delimiter_reply.eml"), "jake@adventuretime.ooo", (text) => expect(text).toBe("This is the actual reply body.")],
        [
          use("no_content_with_quote.eml"),
          "jake@adventuretime.ooo",
          (text) => {
            // GitLab rejects this reply as empty. This app never drops a customer's mail: a reply that is
            // nothing but signature and quote keeps all of it as the note's text (body.ts trimReply, `allQuoted`).
            // A lone "--" signature delimiter is not new text.
            expect(text).not.toBe("--");
            expect(text).toContain("> quote line 1");
          },
        ],
      ];

      it.each(replyCases)("%s", async (file, author, check) => {
        const { project, replyKey } = await openThread();
        const outcome = await deliverCorpus(file, mode, { replyKey, tag: newTag() });
        const { note } = await expectOneNote(project, outcome, author);
        check(visible(note.body), note.body);
      });
    });
  });

  it("covers every .eml of the corpus (an unmapped or empty corpus must not pass silently)", () => {
    const files = readdirSync(CORPUS).filter((name) => name.endsWith(".eml")).sort();
    expect(files.length).toBeGreaterThanOrEqual(48);
    expect(files.filter((file) => !covered.has(file))).toEqual([]);
    expect([...covered].filter((file) => !files.includes(file))).toEqual([]);
  });
});
