// Code-host webhooks end to end: signed GitHub/GitLab deliveries through receiveDelivery close and link Service
// Desk issues (notes, linked changes, the closing mail), idempotently, and only for the linked project.
import { describe, expect, it } from "vitest";
import { GET as getIssueRoute } from "@/app/api/v1/projects/[id]/issues/[iid]/route";
import { GET as listRepositoriesRoute, POST as linkRepositoryRoute } from "@/app/api/v1/projects/[id]/repositories/route";
import { DELETE as unlinkRepositoryRoute } from "@/app/api/v1/projects/[id]/repositories/[repository_id]/route";
import type { Actor } from "@/lib/auth/actor";
import { linkChangeByUrl } from "@/lib/code-hosts/link-change";
import { MAX_DELIVERY_BYTES, receiveDelivery } from "@/lib/code-hosts/receive-delivery";
import { deliveryRetryAt, recoverDeliveries } from "@/lib/code-hosts/recover-deliveries";
import { githubSignature } from "@/lib/code-hosts/secret";
import { claimDelivery, storeDelivery } from "@/lib/data/code-host-deliveries";
import { linkRepository, listDeliveries, listRepositories, regenerateRepositorySecret, setIssueReferenceKey, unlinkRepository } from "@/lib/data/code-repositories";
import { saveEmailTemplate } from "@/lib/data/email-templates";
import { createIssue, setIssueState } from "@/lib/data/issues";
import { listLinkedChanges } from "@/lib/data/linked-changes";
import { addMember } from "@/lib/data/members";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled, updateServiceDeskSettings } from "@/lib/data/service-desk";
import { db } from "@/lib/db/client";
import { projectKey } from "@/lib/service-desk/address";
import { call, tokenFor } from "../support/api";
import { githubRequest, gitlabRequest, loadFixture, newSha, signGitHub } from "../support/code-hosts";
import { deliver, eml } from "../support/mail";
import { appError, makeUser, uid, uniqueProjectPath } from "./helpers";

type Provider = "github" | "gitlab";

const CUSTOMER = "jake@customer.example";

/** A Service Desk project whose issue #1 came from a customer's mail, with a repository linked to it. */
async function deskWithRepository(provider: Provider, options: { emailOnClose?: boolean } = {}) {
  const owner = await makeUser("owner");
  const project = await createProject(owner, uniqueProjectPath("ch"));
  await setServiceDeskEnabled(owner, project.fullPath, true);
  if (options.emailOnClose !== undefined) await updateServiceDeskSettings(owner, project.fullPath, { emailOnClose: options.emailOnClose });
  const intake = await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, subject: "Printer on fire" }));
  expect(intake.status).toBe("created_issue");
  const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.id, iid: 1 } } });
  const repoPath = `acme-${uid(3)}/widget`;
  const repository = await linkRepository(owner, project.fullPath, { provider, fullPath: repoPath });
  const ref = `${project.fullPath}#1`;
  return { owner, project, issue, repository, secret: repository.secret, repoPath, ref };
}

type Desk = Awaited<ReturnType<typeof deskWithRepository>>;

async function answer(response: Response) {
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

const sendGitHub = async (desk: Desk, event: string, payload: unknown, options: { deliveryId?: string; secret?: string } = {}) =>
  answer(await receiveDelivery("github", String(desk.repository.id), githubRequest(desk.repository.id, { event, payload, secret: options.secret ?? desk.secret, deliveryId: options.deliveryId })));

const sendGitLab = async (desk: Desk, event: string, payload: unknown, options: { uuid?: string; token?: string } = {}) =>
  answer(await receiveDelivery("gitlab", String(desk.repository.id), gitlabRequest(desk.repository.id, { event, payload, token: options.token ?? desk.secret, uuid: options.uuid })));

function githubPr(desk: Desk, vars: { number?: number; title?: string; body: string; action?: string; merged?: boolean; base?: string }) {
  const merged = vars.merged ?? true;
  return loadFixture("github-pull-request", {
    REPO: desk.repoPath,
    NUMBER: vars.number ?? 45,
    ACTION: vars.action ?? "closed",
    STATE: (vars.action ?? "closed") === "closed" ? "closed" : "open",
    MERGED: merged,
    TITLE: vars.title ?? "Put out the printer fire",
    BODY: vars.body,
    BASE: vars.base ?? "main",
  });
}

function githubPush(desk: Desk, vars: { message: string; sha?: string; branch?: string }) {
  return loadFixture("github-push", { REPO: desk.repoPath, SHA: vars.sha ?? newSha(), MESSAGE: vars.message, BRANCH: vars.branch ?? "main" });
}

function gitlabMr(desk: Desk, vars: { iid?: number; title?: string; description: string; action?: string; target?: string }) {
  const action = vars.action ?? "merge";
  return loadFixture("gitlab-merge-request", {
    REPO: desk.repoPath,
    IID: vars.iid ?? 45,
    TITLE: vars.title ?? "Fix the printer fire",
    DESCRIPTION: vars.description,
    ACTION: action,
    STATE: action === "merge" ? "merged" : action === "close" ? "closed" : "opened",
    TARGET: vars.target ?? "main",
  });
}

function gitlabPush(desk: Desk, vars: { message: string; sha?: string; branch?: string }) {
  return loadFixture("gitlab-push", {
    REPO: desk.repoPath,
    SHA: vars.sha ?? newSha(),
    MESSAGE: vars.message,
    TITLE: vars.message.split("\n")[0],
    BRANCH: vars.branch ?? "main",
  });
}

const systemNotes = async (issueId: number) =>
  (await db().note.findMany({ where: { issueId, system: true }, orderBy: { id: "asc" }, select: { body: true } })).map((n) => n.body);
const issueRow = (issueId: number) => db().issue.findUniqueOrThrow({ where: { id: issueId }, select: { state: true, closedById: true, closedAt: true } });
const linkedRows = (issueId: number) => db().linkedChange.findMany({ where: { issueId }, orderBy: { id: "asc" } });
const deliveriesOf = (repositoryId: number) => db().codeHostDelivery.findMany({ where: { repositoryId }, orderBy: { receivedAt: "asc" } });
const closingMails = (issueId: number) => db().outboundEmail.findMany({ where: { issueId, kind: "issue_closed" } });

/** The issue as nothing touched it: open, no code-host notes, nothing linked. */
async function expectUntouched(issueId: number) {
  expect(await issueRow(issueId)).toMatchObject({ state: "OPENED", closedById: null, closedAt: null });
  expect(await systemNotes(issueId)).toEqual([]);
  expect(await linkedRows(issueId)).toEqual([]);
}

describe("webhook signatures", () => {
  it("computes GitHub's documented X-Hub-Signature-256 test vector", () => {
    expect(githubSignature("It's a Secret to Everybody", Buffer.from("Hello, World!"))).toBe("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    // The tests' own signer agrees, so the requests below are signed as GitHub signs them.
    expect(signGitHub("It's a Secret to Everybody", "Hello, World!")).toBe("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  });

  it("refuses a bad or missing GitHub signature with 401 and stores nothing", async () => {
    const desk = await deskWithRepository("github");
    const payload = githubPr(desk, { body: `Fixes ${desk.ref}` });
    const forged = await sendGitHub(desk, "pull_request", payload, { secret: "not-the-secret" });
    expect(forged.status).toBe(401);
    expect(forged.json.message).toContain("X-Hub-Signature-256");
    // Signed with the right secret over another body: a tampered payload.
    const body = JSON.stringify(payload);
    const tampered = await receiveDelivery(
      "github",
      String(desk.repository.id),
      githubRequest(desk.repository.id, { event: "pull_request", payload: body.replace("Fixes", "Closes"), signature: signGitHub(desk.secret, body) }),
    );
    expect(tampered.status).toBe(401);
    const unsigned = await receiveDelivery("github", String(desk.repository.id), githubRequest(desk.repository.id, { event: "pull_request", payload }));
    expect(unsigned.status).toBe(401);
    expect(await deliveriesOf(desk.repository.id)).toEqual([]);
    await expectUntouched(desk.issue.id);
    expect((await db().codeRepository.findUniqueOrThrow({ where: { id: desk.repository.id } })).lastDeliveryAt).toBeNull();
  });

  it("refuses a wrong or missing GitLab token with 401 and stores nothing", async () => {
    const desk = await deskWithRepository("gitlab");
    const payload = gitlabMr(desk, { description: `Closes ${desk.ref}` });
    const wrong = await sendGitLab(desk, "Merge Request Hook", payload, { token: `${desk.secret}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.json.message).toContain("X-Gitlab-Token");
    const missing = await receiveDelivery("gitlab", String(desk.repository.id), gitlabRequest(desk.repository.id, { event: "Merge Request Hook", payload }));
    expect(missing.status).toBe(401);
    // A GitHub-style signature is no GitLab token.
    const signed = await receiveDelivery("gitlab", String(desk.repository.id), gitlabRequest(desk.repository.id, { event: "Merge Request Hook", payload, token: signGitHub(desk.secret, JSON.stringify(payload)) }));
    expect(signed.status).toBe(401);
    expect(await deliveriesOf(desk.repository.id)).toEqual([]);
    await expectUntouched(desk.issue.id);
  });
});

describe("closing issues from the default branch", () => {
  it("a merged GitHub pull request with 'Fixes <path>#<iid>' closes the issue, links the PR and shows it in the API", async () => {
    const desk = await deskWithRepository("github");
    const prUrl = `https://github.com/${desk.repoPath}/pull/45`;
    const res = await sendGitHub(desk, "pull_request", githubPr(desk, { body: `This puts the fire out.\n\nFixes ${desk.ref}` }), { deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: "processed", delivery_id: expect.any(String), closed: [desk.ref], mentioned: [] });
    expect(res.json.outcome).toContain(`Closed ${desk.ref} (pull request #45)`);

    const issue = await issueRow(desk.issue.id);
    expect(issue).toMatchObject({ state: "CLOSED", closedById: "code-host-github" });
    expect(issue.closedAt).toBeInstanceOf(Date);
    expect(await systemNotes(desk.issue.id)).toEqual([`closed via pull request [#45](${prUrl}) in ${desk.repoPath}`]);
    const note = await db().note.findFirstOrThrow({ where: { issueId: desk.issue.id, system: true } });
    expect(note.authorId).toBe("code-host-github");

    const rows = await linkedRows(desk.issue.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ repositoryId: desk.repository.id, kind: "merge_request", externalId: "45", state: "merged", title: "Put out the printer fire", url: prUrl, closing: true, closedIssue: true, source: "webhook" });

    expect(await listLinkedChanges(desk.owner, desk.project.fullPath, 1)).toEqual([
      expect.objectContaining({ provider: "github", repositoryPath: desk.repoPath, kind: "merge_request", reference: "#45", state: "merged", url: prUrl, closing: true, closedIssue: true }),
    ]);

    const got = await call(getIssueRoute, { id: String(desk.project.id), iid: "1" }, { token: await tokenFor(desk.owner) });
    expect(got.status).toBe(200);
    expect(got.json.state).toBe("closed");
    expect(got.json.linked_changes).toEqual([
      expect.objectContaining({ provider: "github", repository: desk.repoPath, kind: "merge_request", id: "45", reference: "#45", web_url: prUrl, state: "merged", closes_issue: true, closed_issue: true }),
    ]);

    const [delivery] = await deliveriesOf(desk.repository.id);
    expect(delivery).toMatchObject({ id: res.json.delivery_id, event: "pull_request", deliveryKey: "72d3162e-cc78-11e3-81ab-4c9367dc0958", status: "processed", sender: "octocat", summary: "pull request #45 merged" });
    const repository = await db().codeRepository.findUniqueOrThrow({ where: { id: desk.repository.id } });
    expect(repository).toMatchObject({ lastDeliveryStatus: "processed", defaultBranch: "main" });
  });

  it("a merged GitLab merge request (action merge) closes the issue as the GitLab bot", async () => {
    const desk = await deskWithRepository("gitlab");
    const mrUrl = `https://gitlab.com/${desk.repoPath}/-/merge_requests/45`;
    const res = await sendGitLab(desk, "Merge Request Hook", gitlabMr(desk, { description: `Closes ${desk.ref}` }));
    expect(res).toMatchObject({ status: 200, json: { status: "processed", closed: [desk.ref], mentioned: [] } });
    expect(await issueRow(desk.issue.id)).toMatchObject({ state: "CLOSED", closedById: "code-host-gitlab" });
    expect(await systemNotes(desk.issue.id)).toEqual([`closed via merge request [!45](${mrUrl}) in ${desk.repoPath}`]);
    expect(await linkedRows(desk.issue.id)).toEqual([expect.objectContaining({ kind: "merge_request", externalId: "45", state: "merged", url: mrUrl, closing: true, closedIssue: true })]);
    expect(await listLinkedChanges(desk.owner, desk.project.fullPath, 1)).toEqual([expect.objectContaining({ provider: "gitlab", reference: "!45", state: "merged" })]);
    const [delivery] = await deliveriesOf(desk.repository.id);
    expect(delivery).toMatchObject({ event: "Merge Request Hook", status: "processed", sender: "root", summary: "merge request !45 merged" });
  });

  it("a GitLab push to the default branch closes the issue via its commit", async () => {
    const desk = await deskWithRepository("gitlab");
    const sha = newSha();
    const commitUrl = `https://gitlab.com/${desk.repoPath}/-/commit/${sha}`;
    const res = await sendGitLab(desk, "Push Hook", gitlabPush(desk, { sha, message: `Put out the fire\n\nFixes ${desk.ref}` }));
    expect(res).toMatchObject({ status: 200, json: { status: "processed", closed: [desk.ref] } });
    expect(await issueRow(desk.issue.id)).toMatchObject({ state: "CLOSED", closedById: "code-host-gitlab" });
    expect(await systemNotes(desk.issue.id)).toEqual([`closed via commit [${sha.slice(0, 7)}](${commitUrl}) in ${desk.repoPath}`]);
    expect(await linkedRows(desk.issue.id)).toEqual([expect.objectContaining({ kind: "commit", externalId: sha, state: "pushed", title: "Put out the fire", closedIssue: true })]);
    expect(await listLinkedChanges(desk.owner, desk.project.fullPath, 1)).toEqual([expect.objectContaining({ kind: "commit", reference: sha.slice(0, 7) })]);
  });

  it("a GitLab push listing 20 of its 25 commits says so in the delivery's outcome", async () => {
    const desk = await deskWithRepository("gitlab");
    const payload = gitlabPush(desk, { message: "Tidy up" });
    const template = payload.commits[0];
    const shas = Array.from({ length: 20 }, () => newSha());
    payload.commits = shas.map((sha, i) => ({ ...template, id: sha, url: `https://gitlab.com/${desk.repoPath}/-/commit/${sha}`, message: i === 19 ? `Fix it\n\nCloses ${desk.ref}` : `Tidy up ${i}`, title: i === 19 ? "Fix it" : `Tidy up ${i}` }));
    payload.after = shas[19];
    payload.total_commits_count = 25;
    const res = await sendGitLab(desk, "Push Hook", payload);
    expect(res).toMatchObject({ status: 200, json: { status: "processed", closed: [desk.ref] } });
    expect(res.json.outcome).toContain("GitLab listed 20 of the push's 25 commits");
    const [delivery] = await deliveriesOf(desk.repository.id);
    expect(delivery.summary).toBe("push of 25 commits to main");
    expect(delivery.outcome).toContain("the other 5 were not read");
    expect(await linkedRows(desk.issue.id)).toEqual([expect.objectContaining({ kind: "commit", externalId: shas[19] })]);
  });

  it("a push to another branch does nothing", async () => {
    const desk = await deskWithRepository("github");
    const res = await sendGitHub(desk, "push", githubPush(desk, { branch: "feature/printer", message: `Fixes ${desk.ref}` }));
    expect(res).toMatchObject({ status: 202, json: { status: "ignored" } });
    expect(res.json.outcome).toBe("Pushed to feature/printer, not to the default branch (main).");
    await expectUntouched(desk.issue.id);
    const [delivery] = await deliveriesOf(desk.repository.id);
    expect(delivery).toMatchObject({ status: "ignored", outcome: "Pushed to feature/printer, not to the default branch (main)." });

    const gitlab = await deskWithRepository("gitlab");
    const pushed = await sendGitLab(gitlab, "Push Hook", gitlabPush(gitlab, { branch: "develop", message: `Fixes ${gitlab.ref}` }));
    expect(pushed).toMatchObject({ status: 202, json: { status: "ignored" } });
    await expectUntouched(gitlab.issue.id);
  });

  it("a pull or merge request merged into another branch does nothing", async () => {
    const desk = await deskWithRepository("github");
    const res = await sendGitHub(desk, "pull_request", githubPr(desk, { base: "release-1.x", body: `Fixes ${desk.ref}` }));
    expect(res).toMatchObject({ status: 202, json: { status: "ignored", outcome: "Targets release-1.x, not the default branch (main)." } });
    await expectUntouched(desk.issue.id);

    const gitlab = await deskWithRepository("gitlab");
    const merged = await sendGitLab(gitlab, "Merge Request Hook", gitlabMr(gitlab, { target: "stable", description: `Closes ${gitlab.ref}` }));
    expect(merged).toMatchObject({ status: 202, json: { status: "ignored", outcome: "Targets stable, not the default branch (main)." } });
    await expectUntouched(gitlab.issue.id);
  });
});

describe("redeliveries and repeats", () => {
  it("a redelivery with the same delivery id answers duplicate and adds nothing", async () => {
    const desk = await deskWithRepository("github");
    const payload = githubPr(desk, { body: `Fixes ${desk.ref}` });
    const first = await sendGitHub(desk, "pull_request", payload, { deliveryId: "dup-1" });
    expect(first.json.closed).toEqual([desk.ref]);
    const again = await sendGitHub(desk, "pull_request", payload, { deliveryId: "dup-1" });
    expect(again).toMatchObject({ status: 200, json: { status: "duplicate", delivery_id: first.json.delivery_id, outcome: first.json.outcome } });
    expect(await systemNotes(desk.issue.id)).toHaveLength(1);
    expect(await linkedRows(desk.issue.id)).toHaveLength(1);
    expect(await deliveriesOf(desk.repository.id)).toHaveLength(1);
  });

  it("the same commit in a second push under a new delivery id adds no second note", async () => {
    const desk = await deskWithRepository("github");
    const sha = newSha();
    // Mentioned only, so the issue stays open and a second sight of the commit could still add a note.
    const first = await sendGitHub(desk, "push", githubPush(desk, { sha, message: `Prepare for ${desk.ref}` }));
    expect(first.json).toMatchObject({ status: "processed", mentioned: [desk.ref], closed: [] });
    const second = await sendGitHub(desk, "push", githubPush(desk, { sha, message: `Prepare for ${desk.ref}` }));
    expect(second.json).toMatchObject({ status: "processed", mentioned: [], closed: [] });
    expect(second.json.outcome).toContain("already knew");
    expect(await systemNotes(desk.issue.id)).toEqual([`mentioned in commit [${sha.slice(0, 7)}](https://github.com/${desk.repoPath}/commit/${sha}) in ${desk.repoPath}`]);
    expect(await linkedRows(desk.issue.id)).toHaveLength(1);
    expect(await deliveriesOf(desk.repository.id)).toHaveLength(2);
  });

  it("the same merged merge request under a new event UUID changes nothing", async () => {
    const desk = await deskWithRepository("gitlab", { emailOnClose: true });
    const payload = gitlabMr(desk, { description: `Closes ${desk.ref}` });
    expect((await sendGitLab(desk, "Merge Request Hook", payload)).json.closed).toEqual([desk.ref]);
    const notes = await systemNotes(desk.issue.id);
    const closedAt = (await issueRow(desk.issue.id)).closedAt;
    const again = await sendGitLab(desk, "Merge Request Hook", payload);
    expect(again.json).toMatchObject({ status: "processed", closed: [], mentioned: [] });
    expect(await systemNotes(desk.issue.id)).toEqual(notes);
    expect((await issueRow(desk.issue.id)).closedAt).toEqual(closedAt);
    expect(await linkedRows(desk.issue.id)).toHaveLength(1);
    expect(await closingMails(desk.issue.id)).toHaveLength(1);
  });
});

describe("the customer's closing mail", () => {
  it("is queued to the customer when the project emails on close", async () => {
    const desk = await deskWithRepository("gitlab", { emailOnClose: true });
    await sendGitLab(desk, "Merge Request Hook", gitlabMr(desk, { description: `Closes ${desk.ref}` }));
    const mails = await closingMails(desk.issue.id);
    expect(mails).toHaveLength(1);
    expect(mails[0].to).toBe(CUSTOMER);
    expect(mails[0].text).toContain("has been closed");
  });

  it("is not queued when the project does not email on close", async () => {
    const desk = await deskWithRepository("gitlab", { emailOnClose: false });
    await sendGitLab(desk, "Merge Request Hook", gitlabMr(desk, { description: `Closes ${desk.ref}` }));
    expect((await issueRow(desk.issue.id)).state).toBe("CLOSED");
    expect(await closingMails(desk.issue.id)).toEqual([]);
  });

  it("renders %{CLOSED_BY_URL} and %{CLOSED_BY_TITLE} of a custom issue_closed template", async () => {
    const desk = await deskWithRepository("gitlab", { emailOnClose: true });
    await saveEmailTemplate(desk.owner, desk.project.fullPath, "issue_closed", "Fixed by %{CLOSED_BY_TITLE}, see %{CLOSED_BY_URL} for the change.");
    await sendGitLab(desk, "Merge Request Hook", gitlabMr(desk, { iid: 46, title: "Stop the paper jam", description: `Closes ${desk.ref}` }));
    const [mail] = await closingMails(desk.issue.id);
    expect(mail.to).toBe(CUSTOMER);
    expect(mail.text).toContain(`https://gitlab.com/${desk.repoPath}/-/merge_requests/46`);
    expect(mail.text).toContain("Stop the paper jam");
    expect(mail.text).toContain(`Fixed by Stop the paper jam (merge request !46 in ${desk.repoPath})`);
  });
});

describe("which issues a delivery may touch", () => {
  it("never another project's issue, even with the same iid", async () => {
    const desk = await deskWithRepository("github");
    const outsider = await makeUser("other-owner");
    const other = await createProject(outsider, uniqueProjectPath("other"));
    await createIssue(outsider, other.fullPath, { title: "Unrelated" });
    const otherIssue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: other.id, iid: 1 } } });

    const res = await sendGitHub(desk, "pull_request", githubPr(desk, { number: 3, body: `Fixes ${other.fullPath}#1` }));
    expect(res.json).toMatchObject({ status: "processed", closed: [], mentioned: [] });
    expect(res.json.outcome).toContain(`No references to ${desk.project.fullPath}'s issues.`);
    await expectUntouched(otherIssue.id);
    await expectUntouched(desk.issue.id);

    // Closing the linked project's #1 leaves the other project's #1 alone.
    const ours = await sendGitHub(desk, "pull_request", githubPr(desk, { number: 4, body: `Fixes ${desk.ref}` }));
    expect(ours.json.closed).toEqual([desk.ref]);
    expect((await issueRow(desk.issue.id)).state).toBe("CLOSED");
    await expectUntouched(otherIssue.id);
  });

  it("closes through a link to the issue in this app, but never through a pull request's title", async () => {
    const desk = await deskWithRepository("github");
    const titled = await sendGitHub(desk, "pull_request", githubPr(desk, { number: 8, title: `Fixes ${desk.ref}`, body: "No keyword here." }));
    expect(titled.json).toMatchObject({ closed: [], mentioned: [desk.ref] });
    expect((await issueRow(desk.issue.id)).state).toBe("OPENED");
    const linked = await sendGitHub(desk, "pull_request", githubPr(desk, { number: 9, body: `Closes http://localhost:3000/${desk.project.fullPath}/-/issues/1.` }));
    expect(linked.json).toMatchObject({ closed: [desk.ref] });
    expect(await systemNotes(desk.issue.id)).toEqual([
      `mentioned in pull request [#8](https://github.com/${desk.repoPath}/pull/8) in ${desk.repoPath}`,
      `closed via pull request [#9](https://github.com/${desk.repoPath}/pull/9) in ${desk.repoPath}`,
    ]);
  });

  it("a pull request opened with 'Fixes' is noted, then closes the issue when merged", async () => {
    const desk = await deskWithRepository("github");
    const opened = await sendGitHub(desk, "pull_request", githubPr(desk, { action: "opened", merged: false, body: `Fixes ${desk.ref}` }));
    expect(opened.json).toMatchObject({ closed: [], mentioned: [desk.ref] });
    expect((await issueRow(desk.issue.id)).state).toBe("OPENED");
    const merged = await sendGitHub(desk, "pull_request", githubPr(desk, { body: `Fixes ${desk.ref}` }));
    expect(merged.json).toMatchObject({ closed: [desk.ref], mentioned: [] });
    const url = `https://github.com/${desk.repoPath}/pull/45`;
    expect(await systemNotes(desk.issue.id)).toEqual([`mentioned in pull request [#45](${url}) in ${desk.repoPath}`, `closed via pull request [#45](${url}) in ${desk.repoPath}`]);
    expect(await linkedRows(desk.issue.id)).toEqual([expect.objectContaining({ state: "merged", closing: true, closedIssue: true })]);
  });

  it("says which referenced issues do not exist", async () => {
    const desk = await deskWithRepository("github");
    const res = await sendGitHub(desk, "pull_request", githubPr(desk, { body: `Fixes ${desk.project.fullPath}#99` }));
    expect(res.json).toMatchObject({ status: "processed", closed: [], mentioned: [] });
    expect(res.json.outcome).toContain(`No such issue in ${desk.project.fullPath}: #99.`);
    await expectUntouched(desk.issue.id);
  });

  it("ignores a bare #1 (the repository's own issue)", async () => {
    const desk = await deskWithRepository("github");
    const res = await sendGitHub(desk, "pull_request", githubPr(desk, { body: "Fixes #1" }));
    expect(res.json).toMatchObject({ status: "processed", closed: [], mentioned: [] });
    await expectUntouched(desk.issue.id);
  });

  it("reads DESK-1 once the project's reference key is DESK", async () => {
    const desk = await deskWithRepository("github");
    const before = await sendGitHub(desk, "pull_request", githubPr(desk, { number: 5, body: "Fixes DESK-1" }));
    expect(before.json.closed).toEqual([]);
    await expectUntouched(desk.issue.id);

    expect(await setIssueReferenceKey(desk.owner, desk.project.fullPath, "DESK")).toBe("DESK");
    const after = await sendGitHub(desk, "pull_request", githubPr(desk, { number: 6, body: "Fixes DESK-1" }));
    expect(after.json.closed).toEqual([desk.ref]);
    expect(await systemNotes(desk.issue.id)).toEqual([`closed via pull request [#6](https://github.com/${desk.repoPath}/pull/6) in ${desk.repoPath}`]);
  });
});

describe("mentions, closed and reopened issues", () => {
  it("a reference without a closing keyword notes the mention once", async () => {
    const desk = await deskWithRepository("github");
    const prUrl = `https://github.com/${desk.repoPath}/pull/46`;
    const opened = await sendGitHub(desk, "pull_request", githubPr(desk, { number: 46, action: "opened", merged: false, body: `Related to ${desk.ref}` }));
    expect(opened.json).toMatchObject({ status: "processed", mentioned: [desk.ref], closed: [] });
    const edited = await sendGitHub(desk, "pull_request", githubPr(desk, { number: 46, action: "edited", merged: false, body: `Related to ${desk.ref}, see logs` }));
    expect(edited.json).toMatchObject({ status: "processed", mentioned: [], closed: [] });
    expect(await systemNotes(desk.issue.id)).toEqual([`mentioned in pull request [#46](${prUrl}) in ${desk.repoPath}`]);
    expect(await issueRow(desk.issue.id)).toMatchObject({ state: "OPENED", closedById: null });
    expect(await linkedRows(desk.issue.id)).toEqual([expect.objectContaining({ externalId: "46", state: "opened", closing: false, closedIssue: false })]);
  });

  it("a closing reference to an already closed issue leaves it closed and notes the mention", async () => {
    const desk = await deskWithRepository("github");
    await setIssueState(desk.owner, desk.project.fullPath, 1, "close");
    const byHand = await issueRow(desk.issue.id);
    const notesBefore = await systemNotes(desk.issue.id);
    const res = await sendGitHub(desk, "pull_request", githubPr(desk, { body: `Fixes ${desk.ref}` }));
    expect(res.json).toMatchObject({ status: "processed", closed: [], mentioned: [desk.ref] });
    expect(await issueRow(desk.issue.id)).toEqual(byHand);
    expect(byHand).toMatchObject({ state: "CLOSED", closedById: desk.owner.id });
    expect(await systemNotes(desk.issue.id)).toEqual([...notesBefore, `mentioned in pull request [#45](https://github.com/${desk.repoPath}/pull/45) in ${desk.repoPath}`]);
    expect(await linkedRows(desk.issue.id)).toEqual([expect.objectContaining({ state: "merged", closing: true, closedIssue: false })]);
  });

  it("a merge seen while the issue was closed does not close it after a reopen when delivered again", async () => {
    const desk = await deskWithRepository("github");
    await setIssueState(desk.owner, desk.project.fullPath, 1, "close");
    const payload = githubPr(desk, { body: `Fixes ${desk.ref}` });
    expect((await sendGitHub(desk, "pull_request", payload)).json.mentioned).toEqual([desk.ref]);
    await setIssueState(desk.owner, desk.project.fullPath, 1, "reopen");
    const notes = await systemNotes(desk.issue.id);
    // The same merge under a new delivery id: it happened before the reopen, so it must not close the issue now.
    const again = await sendGitHub(desk, "pull_request", payload);
    expect(again.json).toMatchObject({ status: "processed", closed: [] });
    expect(await issueRow(desk.issue.id)).toMatchObject({ state: "OPENED" });
    expect(await systemNotes(desk.issue.id)).toEqual(notes);
  });

  it("editing a merged pull request afterwards keeps its linked change merged", async () => {
    const desk = await deskWithRepository("github");
    await sendGitHub(desk, "pull_request", githubPr(desk, { body: `Fixes ${desk.ref}` }));
    // GitHub sends "edited" for a merged pull request too: merged true, state closed.
    const edit = githubPr(desk, { action: "edited", title: "Put out the printer fire (for good)", body: `Fixes ${desk.ref}` });
    edit.pull_request.state = "closed";
    expect((await sendGitHub(desk, "pull_request", edit)).status).toBe(200);
    expect(await linkedRows(desk.issue.id)).toEqual([expect.objectContaining({ title: "Put out the printer fire (for good)", state: "merged" })]);
    expect((await listLinkedChanges(desk.owner, desk.project.fullPath, 1))[0].state).toBe("merged");
  });

  it("updating a merged merge request afterwards keeps its linked change merged", async () => {
    const desk = await deskWithRepository("gitlab");
    await sendGitLab(desk, "Merge Request Hook", gitlabMr(desk, { description: `Closes ${desk.ref}` }));
    // GitLab sends "update" when a merged merge request's labels or description change; its state stays merged.
    const update = gitlabMr(desk, { action: "update", description: `Closes ${desk.ref}` });
    update.object_attributes.state = "merged";
    expect((await sendGitLab(desk, "Merge Request Hook", update)).status).toBe(200);
    expect(await linkedRows(desk.issue.id)).toEqual([expect.objectContaining({ state: "merged" })]);
  });

  it("a reopened issue is not closed again by the same change delivered again", async () => {
    const desk = await deskWithRepository("gitlab");
    const payload = gitlabMr(desk, { description: `Closes ${desk.ref}` });
    expect((await sendGitLab(desk, "Merge Request Hook", payload)).json.closed).toEqual([desk.ref]);
    await setIssueState(desk.owner, desk.project.fullPath, 1, "reopen");
    const notes = await systemNotes(desk.issue.id);
    const again = await sendGitLab(desk, "Merge Request Hook", payload);
    expect(again.json).toMatchObject({ status: "processed", closed: [], mentioned: [] });
    expect((await issueRow(desk.issue.id)).state).toBe("OPENED");
    expect(await systemNotes(desk.issue.id)).toEqual(notes);

    // The same holds for a commit: pushed again after the reopen, it does not close the issue a second time.
    const sha = newSha();
    expect((await sendGitLab(desk, "Push Hook", gitlabPush(desk, { sha, message: `Fixes ${desk.ref}` }))).json.closed).toEqual([desk.ref]);
    await setIssueState(desk.owner, desk.project.fullPath, 1, "reopen");
    expect((await sendGitLab(desk, "Push Hook", gitlabPush(desk, { sha, message: `Fixes ${desk.ref}` }))).json.closed).toEqual([]);
    expect((await issueRow(desk.issue.id)).state).toBe("OPENED");
  });
});

describe("other deliveries", () => {
  it("stores an unknown event as ignored and answers 202", async () => {
    const desk = await deskWithRepository("github");
    const res = await sendGitHub(desk, "issues", { action: "opened", issue: { number: 1, title: "x" }, repository: { full_name: desk.repoPath, default_branch: "main" }, sender: { login: "octocat" } });
    expect(res).toMatchObject({ status: 202, json: { status: "ignored", outcome: 'GitHub event "issues" is not used.' } });
    const [delivery] = await deliveriesOf(desk.repository.id);
    expect(delivery).toMatchObject({ event: "issues", status: "ignored", outcome: 'GitHub event "issues" is not used.', sender: "octocat" });
    expect(delivery.processedAt).toBeInstanceOf(Date);

    const gitlab = await deskWithRepository("gitlab");
    const note = await sendGitLab(gitlab, "Note Hook", { object_kind: "note", user: { username: "jsmith" }, project: { path_with_namespace: gitlab.repoPath, default_branch: "main" } });
    expect(note).toMatchObject({ status: 202, json: { status: "ignored" } });
    expect((await deliveriesOf(gitlab.repository.id))[0]).toMatchObject({ event: "Note Hook", status: "ignored" });
  });

  it("answers a ping and records it as the repository's last delivery", async () => {
    const desk = await deskWithRepository("github");
    const res = await sendGitHub(desk, "ping", loadFixture("github-ping", { REPO: desk.repoPath, EVENTS: ["push", "pull_request"] }));
    expect(res).toMatchObject({ status: 200, json: { status: "processed", outcome: "The webhook works.", closed: [], mentioned: [] } });
    const [view] = await listRepositories(desk.owner, desk.project.fullPath);
    expect(view.lastDelivery).toMatchObject({ status: "processed", at: expect.any(Date) });
    expect(view.lastDelivery?.summary).toContain("ping");
    const [logged] = await listDeliveries(desk.owner, desk.project.fullPath, desk.repository.id);
    expect(logged).toMatchObject({ event: "ping", status: "processed", sender: "octocat" });

    // A webhook that leaves out pull_request events is told so.
    const partial = await sendGitHub(desk, "ping", loadFixture("github-ping", { REPO: desk.repoPath, EVENTS: ["push"] }));
    expect(partial.json.outcome).toContain("does not send pull_request events");
  });

  it("ignores a payload about another repository, and says why", async () => {
    const desk = await deskWithRepository("github");
    const payload = githubPr(desk, { body: `Fixes ${desk.ref}` });
    payload.repository.full_name = "someone-else/widget";
    const res = await sendGitHub(desk, "pull_request", payload);
    expect(res).toMatchObject({ status: 202, json: { status: "ignored" } });
    expect(res.json.outcome).toContain(`This delivery is about someone-else/widget, but the webhook URL belongs to ${desk.repoPath}`);
    expect((await deliveriesOf(desk.repository.id))[0]).toMatchObject({ status: "ignored", outcome: res.json.outcome });
    await expectUntouched(desk.issue.id);
  });

  it("refuses a body over 5 MB with 413 and stores nothing", async () => {
    const desk = await deskWithRepository("github");
    const payload = githubPr(desk, { body: `Fixes ${desk.ref}\n\n${"x".repeat(MAX_DELIVERY_BYTES)}` });
    expect(JSON.stringify(payload).length).toBeGreaterThan(5 * 1024 * 1024);
    const res = await sendGitHub(desk, "pull_request", payload);
    expect(res.status).toBe(413);
    expect(await deliveriesOf(desk.repository.id)).toEqual([]);
    await expectUntouched(desk.issue.id);
    // Just under the cap is read (and signed, so it is processed).
    const fits = githubPr(desk, { body: `Fixes ${desk.ref}\n\n${"x".repeat(MAX_DELIVERY_BYTES - 5000)}` });
    expect((await sendGitHub(desk, "pull_request", fits)).json.closed).toEqual([desk.ref]);
  });

  it("answers 404 for an unknown repository id or the other host's URL", async () => {
    const desk = await deskWithRepository("github");
    const payload = githubPr(desk, { body: `Fixes ${desk.ref}` });
    const unknown = await receiveDelivery("github", "2147483000", githubRequest(2147483000, { event: "pull_request", payload, secret: desk.secret }));
    expect(unknown.status).toBe(404);
    const wrongHost = await receiveDelivery("gitlab", String(desk.repository.id), gitlabRequest(desk.repository.id, { event: "Merge Request Hook", payload, token: desk.secret }));
    expect(wrongHost.status).toBe(404);
    await expectUntouched(desk.issue.id);
  });
});

describe("recovering interrupted deliveries", () => {
  it("recoverDeliveries finishes a delivery left received, once", async () => {
    const desk = await deskWithRepository("gitlab", { emailOnClose: true });
    const payload = Buffer.from(JSON.stringify(gitlabMr(desk, { description: `Closes ${desk.ref}` })));
    // What a request that died after storing leaves behind: received, its lease already run out.
    const stored = await storeDelivery({ repositoryId: desk.repository.id, event: "Merge Request Hook", deliveryKey: `uuid-${uid()}`, payload, leaseSeconds: -60 });
    expect(stored).toMatchObject({ created: true, status: "received" });
    await expectUntouched(desk.issue.id);

    const first = await recoverDeliveries({ now: new Date(), limit: 500 });
    expect(first.processed).toBeGreaterThanOrEqual(1);
    const row = await db().codeHostDelivery.findUniqueOrThrow({ where: { id: stored.id } });
    expect(row).toMatchObject({ status: "processed", attempts: 2, lockedUntil: null });
    expect(row.outcome).toContain(`Closed ${desk.ref}`);
    expect(await issueRow(desk.issue.id)).toMatchObject({ state: "CLOSED", closedById: "code-host-gitlab" });
    const notes = await systemNotes(desk.issue.id);
    expect(notes).toEqual([`closed via merge request [!45](https://gitlab.com/${desk.repoPath}/-/merge_requests/45) in ${desk.repoPath}`]);
    const [mail] = await closingMails(desk.issue.id);
    expect(first.outboxIds).toContain(mail.id);

    const second = await recoverDeliveries({ now: new Date(), limit: 500 });
    expect(second.outboxIds).not.toContain(mail.id);
    expect(await db().codeHostDelivery.findUniqueOrThrow({ where: { id: stored.id } })).toMatchObject({ status: "processed", attempts: 2, processedAt: row.processedAt });
    expect(await systemNotes(desk.issue.id)).toEqual(notes);
    expect(await closingMails(desk.issue.id)).toHaveLength(1);
  });

  it("a redelivery of an interrupted delivery finishes it too", async () => {
    const desk = await deskWithRepository("gitlab");
    const payload = gitlabMr(desk, { description: `Closes ${desk.ref}` });
    const uuid = `uuid-${uid()}`;
    const stored = await storeDelivery({ repositoryId: desk.repository.id, event: "Merge Request Hook", deliveryKey: uuid, payload: Buffer.from(JSON.stringify(payload)), leaseSeconds: -60 });
    const res = await sendGitLab(desk, "Merge Request Hook", payload, { uuid });
    expect(res).toMatchObject({ status: 200, json: { status: "processed", delivery_id: stored.id, closed: [desk.ref] } });
    expect(await deliveriesOf(desk.repository.id)).toHaveLength(1);
  });
});

describe("deliveries that keep failing", () => {
  it("retries 30 s after the first failure, doubling up to an hour apart", () => {
    const now = new Date("2026-12-03T12:00:00Z");
    const gaps = [1, 2, 3, 4, 5, 6, 7, 8, 12].map((attempt) => (deliveryRetryAt(now, attempt).getTime() - now.getTime()) / 1000);
    expect(gaps).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
  });

  it("a claim's lease doubles with each attempt, so a delivery that kills its process every time is tried less and less", async () => {
    const desk = await deskWithRepository("github");
    const payload = Buffer.from(JSON.stringify(githubPr(desk, { body: `Fixes ${desk.ref}` })));
    const stored = await storeDelivery({ repositoryId: desk.repository.id, event: "pull_request", deliveryKey: `d-${uid()}`, payload, leaseSeconds: -60 });
    await db().codeHostDelivery.update({ where: { id: stored.id }, data: { attempts: 4 } });
    const now = new Date();
    expect(await claimDelivery(stored.id, 10, now, 3), "a claim by someone who read an older attempt count").toBe(false);
    expect(await claimDelivery(stored.id, 10, now, 4)).toBe(true);
    const row = await db().codeHostDelivery.findUniqueOrThrow({ where: { id: stored.id } });
    expect(row.attempts).toBe(5);
    expect(row.lockedUntil!.getTime() - now.getTime()).toBe(10 * 2 ** 3 * 1000);
    expect(await claimDelivery(stored.id, 10, now, 5), "the lease holds").toBe(false);
  });

  it("is given up after a day of attempts, and a person's redelivery then processes it", async () => {
    const desk = await deskWithRepository("github", { emailOnClose: true });
    const body = githubPr(desk, { body: `Fixes ${desk.ref}` });
    const deliveryId = `d-${uid()}`;
    const stored = await storeDelivery({ repositoryId: desk.repository.id, event: "pull_request", deliveryKey: deliveryId, payload: Buffer.from(JSON.stringify(body)), leaseSeconds: -60 });
    // What a delivery that killed its process at every try for a day leaves: received, attempts counted, old.
    const now = new Date();
    await db().codeHostDelivery.update({ where: { id: stored.id }, data: { attempts: 7, receivedAt: new Date(now.getTime() - 25 * 3600_000) } });

    const swept = await recoverDeliveries({ now, limit: 500 });
    expect(swept.failed).toBeGreaterThanOrEqual(1);
    const failed = await db().codeHostDelivery.findUniqueOrThrow({ where: { id: stored.id } });
    expect(failed.status).toBe("failed");
    expect(failed.outcome).toMatch(/Given up after 24 hours and 7 attempts/);
    await expectUntouched(desk.issue.id);
    expect((await db().codeRepository.findUniqueOrThrow({ where: { id: desk.repository.id } })).lastDeliveryStatus).toBe("failed");

    const again = await sendGitHub(desk, "pull_request", body, { deliveryId });
    expect(again).toMatchObject({ status: 200, json: { status: "processed", delivery_id: stored.id, closed: [desk.ref] } });
    expect(await issueRow(desk.issue.id)).toMatchObject({ state: "CLOSED", closedById: "code-host-github" });
    expect(await closingMails(desk.issue.id)).toHaveLength(1);
    const twice = await sendGitHub(desk, "pull_request", body, { deliveryId });
    expect(twice).toMatchObject({ status: 200, json: { status: "duplicate" } });
    expect(await deliveriesOf(desk.repository.id)).toHaveLength(1);
  });
});

describe("who manages linked repositories", () => {
  async function team() {
    const owner = await makeUser("owner");
    const project = await createProject(owner, uniqueProjectPath("team"));
    const members: Record<"maintainer" | "developer" | "reporter" | "guest", Actor> = {
      maintainer: await makeUser("maintainer"),
      developer: await makeUser("developer"),
      reporter: await makeUser("reporter"),
      guest: await makeUser("guest"),
    };
    const roles = { maintainer: "MAINTAINER", developer: "DEVELOPER", reporter: "REPORTER", guest: "GUEST" } as const;
    for (const [name, user] of Object.entries(members)) await addMember(owner, project.fullPath, user.email, roles[name as keyof typeof roles]);
    return { owner, project, ...members, outsider: await makeUser("outsider") };
  }

  it("Maintainers link and list; Developers and below, and non-members, get not found", async () => {
    const t = await team();
    const input = { provider: "github" as const, fullPath: `acme-${uid(3)}/widget` };
    // Like the other project settings, members below Maintainer are not told the page exists.
    for (const who of [t.developer, t.reporter, t.guest, t.outsider]) {
      expect((await appError(linkRepository(who, t.project.fullPath, input))).code, who.username).toBe("not_found");
      expect((await appError(listRepositories(who, t.project.fullPath))).code, who.username).toBe("not_found");
    }
    expect(await db().codeRepository.count({ where: { projectId: t.project.id } })).toBe(0);

    const linked = await linkRepository(t.maintainer, t.project.fullPath, input);
    expect(linked.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(linked.webhookUrl).toBe(`http://localhost:3000/api/webhooks/github/${linked.id}`);
    const listed = await listRepositories(t.maintainer, t.project.fullPath);
    expect(listed.map((r) => r.fullPath)).toEqual([input.fullPath]);
    expect(JSON.stringify(listed)).not.toContain(linked.secret);
    // The secret is stored sealed, never as is.
    expect((await db().codeRepository.findUniqueOrThrow({ where: { id: linked.id } })).secretSealed).not.toContain(linked.secret);
    // A regenerated secret replaces the old one at once.
    const fresh = await regenerateRepositorySecret(t.maintainer, t.project.fullPath, linked.id);
    expect(fresh.secret).not.toBe(linked.secret);
    const ping = loadFixture("github-ping", { REPO: input.fullPath, EVENTS: ["*"] });
    const send = (secret: string) => receiveDelivery("github", String(linked.id), githubRequest(linked.id, { event: "ping", payload: ping, secret }));
    expect((await send(linked.secret)).status).toBe(401);
    expect((await send(fresh.secret)).status).toBe(200);
    expect((await appError(regenerateRepositorySecret(t.developer, t.project.fullPath, linked.id))).code).toBe("not_found");
    expect((await appError(unlinkRepository(t.developer, t.project.fullPath, linked.id))).code).toBe("not_found");
    expect(await db().codeRepository.count({ where: { projectId: t.project.id } })).toBe(1);
  });

  it("REST: POST answers the webhook secret once, GET never, DELETE 204 and the webhook is gone", async () => {
    const t = await team();
    const token = await tokenFor(t.maintainer);
    const fullPath = `acme-${uid(3)}/widget`;
    const denied = await call(linkRepositoryRoute, { id: String(t.project.id) }, { token: await tokenFor(t.developer), method: "POST", body: { provider: "gitlab", full_path: fullPath } });
    expect(denied.status).toBe(404);
    expect(JSON.stringify(denied.json)).not.toContain("webhook_secret");

    const posted = await call(linkRepositoryRoute, { id: String(t.project.id) }, { token, method: "POST", body: { provider: "gitlab", full_path: fullPath } });
    expect(posted.status).toBe(201);
    expect(posted.json).toMatchObject({ provider: "gitlab", full_path: fullPath, base_url: "https://gitlab.com", webhook_secret: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const secret: string = posted.json.webhook_secret;
    const repositoryId: number = posted.json.id;

    const listed = await call(listRepositoriesRoute, { id: String(t.project.id) }, { token });
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([expect.objectContaining({ id: repositoryId, full_path: fullPath })]);
    expect(listed.json[0]).not.toHaveProperty("webhook_secret");
    expect(JSON.stringify(listed.json)).not.toContain(secret);

    // The secret answered is the one the webhook checks.
    const ping = { object_kind: "push", ref: "refs/tags/v1", after: newSha(), user_username: "jsmith", project: { path_with_namespace: fullPath, default_branch: "main" }, commits: [], total_commits_count: 0 };
    expect((await receiveDelivery("gitlab", String(repositoryId), gitlabRequest(repositoryId, { event: "Push Hook", payload: ping, token: secret }))).status).toBe(202);

    const notYours = await call(unlinkRepositoryRoute, { id: String(t.project.id), repository_id: String(repositoryId) }, { token: await tokenFor(t.developer), method: "DELETE" });
    expect(notYours.status).toBe(404);
    expect(await db().codeRepository.findUnique({ where: { id: repositoryId } })).not.toBeNull();
    const deleted = await call(unlinkRepositoryRoute, { id: String(t.project.id), repository_id: String(repositoryId) }, { token, method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(await db().codeRepository.findUnique({ where: { id: repositoryId } })).toBeNull();
    expect(await db().codeHostDelivery.count({ where: { repositoryId } })).toBe(0);
    expect((await receiveDelivery("gitlab", String(repositoryId), gitlabRequest(repositoryId, { event: "Push Hook", payload: ping, token: secret }))).status).toBe(404);
  });
});

describe("linking a change by hand", () => {
  it("links a pull request URL of the linked repository with a note; other repositories and Guests are refused", async () => {
    const desk = await deskWithRepository("github");
    const reporter = await makeUser("reporter");
    const guest = await makeUser("guest");
    await addMember(desk.owner, desk.project.fullPath, reporter.email, "REPORTER");
    await addMember(desk.owner, desk.project.fullPath, guest.email, "GUEST");
    const url = `https://github.com/${desk.repoPath}/pull/7`;

    const linked = await linkChangeByUrl(reporter, desk.project.fullPath, 1, url);
    expect(linked).toMatchObject({ kind: "merge_request", externalId: "7", reference: "#7", url, source: "manual", state: "linked", closing: false, repositoryPath: desk.repoPath });
    expect(await systemNotes(desk.issue.id)).toEqual([`linked pull request [#7](${url}) in ${desk.repoPath}`]);
    const note = await db().note.findFirstOrThrow({ where: { issueId: desk.issue.id, system: true } });
    expect(note.authorId).toBe(reporter.id);
    expect(await linkedRows(desk.issue.id)).toEqual([expect.objectContaining({ source: "manual", linkedById: reporter.id, externalId: "7" })]);
    expect((await issueRow(desk.issue.id)).state).toBe("OPENED");

    const elsewhere = await appError(linkChangeByUrl(reporter, desk.project.fullPath, 1, "https://github.com/someone-else/widget/pull/7"));
    expect(elsewhere.code).toBe("bad_request");
    expect((await appError(linkChangeByUrl(guest, desk.project.fullPath, 1, `https://github.com/${desk.repoPath}/pull/8`))).code).toBe("forbidden");
    expect(await linkedRows(desk.issue.id)).toHaveLength(1);
    expect(await systemNotes(desk.issue.id)).toHaveLength(1);
  });
});
