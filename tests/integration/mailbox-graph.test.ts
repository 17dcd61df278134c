// A Microsoft Graph mailbox feeding the Service Desk through the real poller and intake. Microsoft Graph and Entra
// ID cannot be reached from here, so a local fake of their few endpoints (tests/support/graph-server.ts) holds
// the mailbox; the connector, the poller, the intake and the database are the real ones.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { addNote } from "@/lib/data/notes";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { resetEnv } from "@/lib/env";
import { connectorFor, mailboxConfigs } from "@/lib/mail/mailbox/config";
import { graphConnector, type GraphConfig } from "@/lib/mail/mailbox/graph";
import { pollMailbox } from "@/lib/mail/mailbox/poll";
import type { MailboxConnector } from "@/lib/mail/mailbox/types";
import { projectKey, SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { startFakeGraph, type FakeGraph } from "../support/graph-server";
import { eml, newMessageId } from "../support/mail";
import { makeUser, uid, uniqueProjectPath } from "./helpers";

let graph: FakeGraph;

beforeEach(async () => {
  // A mailbox of its own per test: the poll lease and its state are per source, and files share a database.
  graph = await startFakeGraph({ mailbox: `support-${uid()}@contoso.test` });
});

afterEach(async () => {
  await graph.close();
});

function connect(overrides: Partial<GraphConfig> = {}): MailboxConnector {
  return graphConnector({
    tenantId: graph.tenantId,
    clientId: graph.clientId,
    clientSecret: graph.clientSecret,
    mailbox: graph.mailbox,
    folder: "inbox",
    processedFolder: "Service Desk",
    pollIntervalMs: 60_000,
    authorityHost: graph.authorityHost,
    apiBaseUrl: graph.apiBaseUrl,
    ...overrides,
  });
}

async function serviceDeskProject() {
  const owner = await makeUser("owner");
  const project = await createProject(owner, uniqueProjectPath("graph"));
  await setServiceDeskEnabled(owner, project.fullPath, true);
  return { owner, project, address: `incoming+${projectKey(project)}@localhost` };
}

const pollState = () => db().mailboxPoll.findUniqueOrThrow({ where: { source: `graph:${graph.mailbox}` } });

describe("a Microsoft Graph mailbox", () => {
  it("turns a new mail into an issue with its thank-you queued, a later reply into a note, and moves both out", async () => {
    const { owner, project, address } = await serviceDeskProject();
    const customerMessageId = newMessageId();
    graph.addMessage(eml({ to: address, messageId: customerMessageId, subject: "The printer is on fire" }));
    const connector = connect();

    const first = await pollMailbox(connector, { limit: 10 });
    expect(first).toMatchObject({ source: `graph:${graph.mailbox}`, status: "ok", more: false });
    expect(first.outcomes).toMatchObject([{ status: "created_issue", issueIid: 1 }]);
    const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.id, iid: 1 } } });
    expect(issue).toMatchObject({ title: "The printer is on fire", authorId: SUPPORT_BOT_ID, externalAuthor: "jake@customer.example", confidential: true });
    const stored = await db().inboundEmail.findUniqueOrThrow({ where: { id: first.outcomes[0].inboundEmailId! } });
    expect(stored).toMatchObject({ source: `graph:${graph.mailbox}`, status: "created_issue", messageId: customerMessageId, issueId: issue.id });
    const thanks = await db().outboundEmail.findMany({ where: { issueId: issue.id, kind: "thank_you" } });
    expect(thanks.map((m) => m.to)).toEqual(["jake@customer.example"]);
    expect(first.outboxIds).toEqual(thanks.map((m) => m.id));
    // Cleared only now that it is stored: out of the inbox, into the processed folder.
    expect(graph.folder("inbox")).toEqual([]);
    expect(graph.folder("Service Desk")).toHaveLength(1);

    // The team answers; the customer's answer to that mail arrives in the same mailbox.
    await addNote(owner, project.fullPath, 1, { body: "Please unplug it." });
    const [answer] = await db().outboundEmail.findMany({ where: { issueId: issue.id, kind: "new_note" } });
    graph.addMessage(
      eml({
        to: answer.replyTo!,
        subject: "Re: The printer is on fire (#1)",
        inReplyTo: (answer.headers as Record<string, string>)["Message-ID"],
        body: "Unplugged. The smoke has stopped.",
      }),
    );
    const second = await pollMailbox(connector, { limit: 10 });
    expect(second.outcomes).toMatchObject([{ status: "added_note", issueIid: 1 }]);
    const notes = await db().note.findMany({ where: { issueId: issue.id, externalAuthor: "jake@customer.example" } });
    expect(notes.map((n) => n.body)).toEqual([expect.stringContaining("Unplugged. The smoke has stopped.")]);
    expect(graph.folder("inbox")).toEqual([]);
    expect(graph.folder("Service Desk")).toHaveLength(2);
    expect(await pollState()).toMatchObject({ lastError: null, consecutiveFailures: 0, totalMessages: 2, lastMessages: 1 });
    await connector.close();
    // The first mails of a worker compile the templates (mdx-bundler); on a busy 2-core machine that takes a while.
  }, 90_000);

  it("takes a mailbox's mail oldest first, at most `limit` per poll, and the rest next time", async () => {
    const { project, address } = await serviceDeskProject();
    for (const subject of ["First", "Second", "Third"]) graph.addMessage(eml({ to: address, subject }));
    const connector = connect({ pageSize: 2 });
    const first = await pollMailbox(connector, { limit: 2 });
    expect(first).toMatchObject({ status: "ok", more: true });
    const second = await pollMailbox(connector, { limit: 2 });
    expect(second).toMatchObject({ status: "ok", more: false });
    const issues = await db().issue.findMany({ where: { projectId: project.id }, orderBy: { iid: "asc" } });
    expect(issues.map((i) => [i.iid, i.title])).toEqual([
      [1, "First"],
      [2, "Second"],
      [3, "Third"],
    ]);
    expect(graph.folder("inbox")).toEqual([]);
    await connector.close();
  });

  it("records a wrong client secret on the mailbox without losing mail, and the next poll takes it", async () => {
    const { project, address } = await serviceDeskProject();
    graph.addMessage(eml({ to: address }));
    const wrong = await pollMailbox(connect({ clientSecret: "not-the-secret" }), { limit: 10 });
    expect(wrong.status).toBe("error");
    expect(wrong.error).toContain("invalid_client: AADSTS7000215: Invalid client secret provided");
    expect(wrong.error).not.toContain("not-the-secret");
    expect(await pollState()).toMatchObject({ consecutiveFailures: 1, lastError: wrong.error, lastSuccessAt: null, lockedBy: null });
    expect(graph.folder("inbox")).toHaveLength(1);

    const right = await pollMailbox(connect(), { limit: 10 });
    expect(right.outcomes).toMatchObject([{ status: "created_issue" }]);
    expect(await pollState()).toMatchObject({ consecutiveFailures: 0, lastMessages: 1 });
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(1);
  });

  it("records Graph being down, and carries on when it is back", async () => {
    const { address } = await serviceDeskProject();
    const { authorityHost, apiBaseUrl } = graph;
    await graph.close();
    const down = await pollMailbox(connect({ authorityHost, apiBaseUrl }), { limit: 10 });
    expect(down.status).toBe("error");
    expect(down.error).toContain("cannot reach");
    expect(down.error).toContain("ECONNREFUSED");
    expect((await db().mailboxPoll.findUniqueOrThrow({ where: { source: `graph:${graph.mailbox}` } })).lastError).toBe(down.error);

    // Back (the fake restarts on another port, as after a configuration fix).
    const mailbox = graph.mailbox;
    graph = await startFakeGraph({ mailbox });
    graph.addMessage(eml({ to: address }));
    const back = await pollMailbox(connect(), { limit: 10 });
    expect(back.outcomes).toMatchObject([{ status: "created_issue" }]);
  });

  it("makes a mail that was stored but not moved (a crash in between) a duplicate next time, not a second issue", async () => {
    const { project, address } = await serviceDeskProject();
    graph.addMessage(eml({ to: address }));
    const real = connect();
    // The move fails once, as if the process died right after storing: the mail stays in the inbox.
    let failMove = true;
    const crashing: MailboxConnector = {
      source: real.source,
      messages: (limit) => real.messages(limit),
      markDone: async (id) => {
        if (failMove) {
          failMove = false;
          throw new Error("connection lost before the move");
        }
        return real.markDone(id);
      },
      waitForMail: (signal) => real.waitForMail(signal),
      close: () => real.close(),
    };
    const first = await pollMailbox(crashing, { limit: 10 });
    expect(first.status).toBe("error");
    expect(graph.folder("inbox")).toHaveLength(1);

    const second = await pollMailbox(crashing, { limit: 10 });
    expect(second.outcomes).toMatchObject([{ status: "duplicate" }]);
    expect(graph.folder("inbox")).toEqual([]);
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(1);
    await real.close();
  });

  it("after three polls on which Graph cannot return a message, moves it aside and records it as ignored, with the reason", async () => {
    const { project, address } = await serviceDeskProject();
    const bad = graph.addMessage(eml({ to: address, subject: "The attachment Exchange cannot convert", from: "Ann <ann@customer.example>" }));
    graph.breakMessage(bad, 500);
    const polls = [];
    for (let poll = 1; poll <= 3; poll++) {
      graph.addMessage(eml({ to: address, subject: `Question ${poll}` }));
      // A connector per poll, as each cron call makes: the count of tries lives on the message.
      const connector = connect();
      polls.push(await pollMailbox(connector, { limit: 10 }));
      await connector.close();
    }
    // The first two polls report it (and still take the mail behind it); the third moves it aside and is ok.
    expect(polls.map((p) => p.status)).toEqual(["error", "error", "ok"]);
    expect(polls[1].error).toContain("(try 2 of 3)");
    expect(polls.map((p) => p.outcomes.map((o) => o.status))).toEqual([["created_issue"], ["created_issue"], ["ignored", "created_issue"]]);
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(3);
    expect(graph.folder("inbox")).toEqual([]);
    expect(graph.folder("Service Desk quarantine")).toHaveLength(1);

    const ignored = await db().inboundEmail.findUniqueOrThrow({ where: { id: polls[2].outcomes[0].inboundEmailId! } });
    expect(ignored).toMatchObject({
      status: "ignored",
      source: `graph:${graph.mailbox}`,
      subject: "The attachment Exchange cannot convert",
      fromAddress: "ann@customer.example",
      issueId: null,
    });
    expect(ignored.reason).toContain("Microsoft Graph could not return this message on 3 polls: HTTP 500 ErrorInternalServerError");
    expect(ignored.reason).toContain("Service Desk quarantine");
    expect(await pollState()).toMatchObject({ consecutiveFailures: 0, lastError: expect.stringContaining("try 2 of 3") });

    // It no longer fails any poll.
    expect(await pollMailbox(connect(), { limit: 10 })).toMatchObject({ status: "ok", outcomes: [] });
  });

  it("is configured by the GRAPH_* settings alone", async () => {
    const { project, address } = await serviceDeskProject();
    graph.addMessage(eml({ to: address }));
    const vars: Record<string, string> = {
      GRAPH_TENANT_ID: graph.tenantId,
      GRAPH_CLIENT_ID: graph.clientId,
      GRAPH_CLIENT_SECRET: graph.clientSecret,
      GRAPH_MAILBOX: graph.mailbox,
      GRAPH_PROCESSED_FOLDER: "Done",
      GRAPH_AUTHORITY_HOST: graph.authorityHost,
      GRAPH_API_BASE_URL: graph.apiBaseUrl,
    };
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    resetEnv();
    try {
      const mailboxes = mailboxConfigs().filter((m) => m.kind === "graph");
      expect(mailboxes.map((m) => m.source)).toEqual([`graph:${graph.mailbox}`]);
      const connector = connectorFor(mailboxes[0]);
      const result = await pollMailbox(connector, { limit: 10, intervalSeconds: mailboxes[0].intervalSeconds });
      await connector.close();
      expect(result).toMatchObject({ source: `graph:${graph.mailbox}`, status: "ok", outcomes: [{ status: "created_issue" }] });
      expect(graph.folder("Done")).toHaveLength(1);
      expect(await db().issue.count({ where: { projectId: project.id } })).toBe(1);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      resetEnv();
    }
  });
});
