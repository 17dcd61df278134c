// Mailbox intake over IMAP against a real server (Debian's dovecot, started per file on a free port): mail
// APPENDed to the mailbox becomes issues and notes through the same intake as the webhook, is moved or expunged
// only after it is stored, survives a poller killed in between, and connection problems are recorded, not fatal.
// SendGrid cannot be reached from here: outgoing mail goes to the local SendGrid-compatible server.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as cronGet, POST as cronPost } from "@/app/api/cron/mailbox/route";
import { GET as healthGet } from "@/app/api/health/route";
import { db } from "@/lib/db/client";
import { listMailboxStatus } from "@/lib/data/mail-log";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { resetEnv } from "@/lib/env";
import { imapConnector, type ImapConfig } from "@/lib/mail/mailbox/imap";
import { pollMailbox } from "@/lib/mail/mailbox/poll";
import type { MailboxConnector } from "@/lib/mail/mailbox/types";
import { runWorker } from "@/lib/mail/mailbox/worker";
import { deliverOutbox } from "@/lib/mail/outbox";
import { projectKey } from "@/lib/service-desk/address";
import { CORPUS_DIR, corpusPresent, warnCorpusMissing } from "../support/corpus";
import { requireDovecot, startDovecot, type Dovecot } from "../support/dovecot";
import { eml, newMessageId } from "../support/mail";
import { startFakeSendGrid, type FakeSendGrid } from "../support/sendgrid-server";
import { backend, makeUser, outcome, uid, uniqueProjectPath, withEnv } from "./helpers";

const available = requireDovecot("tests/integration/mailbox-imap.test.ts");
// Every test talks to a real IMAP server and a database; on a busy 2-core CI machine a test can take 20 s.
vi.setConfig({ testTimeout: 90_000 });
warnCorpusMissing("tests/integration/mailbox-imap.test.ts (IMAP part)");

let server: Dovecot;
let sendgrid: FakeSendGrid;
const savedEnv: Record<string, string | undefined> = {};

/** Sets variables until the file ends (restored in afterAll), re-reading the configuration. */
function setEnv(vars: Record<string, string | undefined>) {
  for (const [key, value] of Object.entries(vars)) {
    if (!(key in savedEnv)) savedEnv[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  resetEnv();
}

beforeAll(async () => {
  if (!available) return;
  server = await startDovecot();
  sendgrid = await startFakeSendGrid();
  setEnv({ SENDGRID_API_KEY: sendgrid.apiKey, SENDGRID_API_BASE_URL: sendgrid.url });
});
afterAll(async () => {
  setEnv(savedEnv);
  await server?.destroy();
  await sendgrid?.close();
});
withEnv({ SENDGRID_FROM_EMAIL: "support@desk.example.com" });

async function serviceDeskProject() {
  const owner = await makeUser("owner");
  const project = await createProject(owner, uniqueProjectPath("imap"));
  await setServiceDeskEnabled(owner, project.fullPath, true);
  return { ...project, owner, address: `incoming+${projectKey({ id: project.id, fullPath: project.fullPath })}@localhost` };
}

/** A fresh folder per test, so tests never see each other's mail (and each has its own poll state). */
function imapConfig(overrides: Partial<ImapConfig> = {}): ImapConfig {
  return {
    host: server.host,
    port: server.port,
    secure: false,
    // The server offers STARTTLS with a self-signed certificate; these tests speak plain IMAP (TLS has its own test).
    startTls: false,
    user: server.user,
    password: server.password,
    mailbox: `t-${uid()}`,
    idleTimeoutMs: 20_000,
    connectTimeoutMs: 5_000,
    ...overrides,
  };
}

/** Creates the folder of `config` by appending the messages to it. */
async function appendAll(config: ImapConfig, ...raws: (string | Uint8Array)[]) {
  for (const raw of raws) await server.append(raw, config.mailbox);
}

async function pollOnce(config: ImapConfig, limit = 50) {
  const connector = imapConnector(config);
  try {
    return await pollMailbox(connector, { limit });
  } finally {
    await connector.close();
  }
}

const pollState = (source: string) => db().mailboxPoll.findUniqueOrThrow({ where: { source } });
const issuesOf = (projectId: number) => db().issue.findMany({ where: { projectId }, orderBy: { iid: "asc" }, include: { notes: true, participants: true } });

describe.runIf(available)("IMAP intake", () => {
  it("turns an appended mail into an issue in one poll, moves it, sends the thank-you, and threads the customer's reply as a note", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig({ processedMailbox: `done-${uid()}` });
    const messageId = newMessageId();
    await appendAll(config, eml({ to: project.address, messageId, subject: "Printer on fire", from: "Jake <jake@customer.example>" }));

    const first = await pollOnce(config);
    expect(first).toMatchObject({ status: "ok", more: false });
    expect(first.outcomes.map((o) => o.status)).toEqual(["created_issue"]);
    expect(await server.count(config.mailbox)).toBe(0);
    expect(await server.subjects(config.processedMailbox)).toEqual(["Printer on fire"]);

    const stored = await db().inboundEmail.findUniqueOrThrow({ where: { id: first.outcomes[0].inboundEmailId } });
    expect(stored).toMatchObject({ source: `imap:${server.user}@${server.host}/${config.mailbox}`, payloadContentType: "message/rfc822", messageId });
    const [issue] = await issuesOf(project.id);
    expect(issue).toMatchObject({ title: "Printer on fire", externalAuthor: "jake@customer.example", confidential: true });

    // The thank-you goes out through SendGrid.
    await deliverOutbox({ ids: first.outboxIds });
    const thanks = sendgrid.accepted.find((m) => m.customArgs.outbound_email_id === first.outboxIds[0]);
    expect(thanks).toBeDefined();
    expect(thanks!.to).toEqual(["jake@customer.example"]);
    expect(thanks!.headers["In-Reply-To"]).toBe(`<${messageId}>`);

    // The customer answers the thank-you; the answer lands in the mailbox later.
    await appendAll(
      config,
      eml({
        to: thanks!.replyTo!.email,
        from: "Jake <jake@customer.example>",
        subject: `Re: ${thanks!.subject}`,
        inReplyTo: thanks!.headers["Message-ID"],
        references: `<${messageId}> ${thanks!.headers["Message-ID"]}`,
        body: "It is still smoking.\n\nOn Tue, support wrote:\n> Thanks for your mail",
      }),
    );
    const second = await pollOnce(config);
    expect(second.outcomes.map((o) => [o.status, o.issueIid])).toEqual([["added_note", issue.iid]]);
    const [after] = await issuesOf(project.id);
    expect(after.notes.filter((n) => !n.system).map((n) => n.body.split("\n")[0])).toEqual(["It is still smoking."]);
    expect(await server.count(config.processedMailbox)).toBe(2);

    const state = await pollState(first.source);
    expect(state).toMatchObject({ consecutiveFailures: 0, lastMessages: 1, totalMessages: 2, lockedBy: null });
    expect(state.lastSuccessAt).not.toBeNull();
  });

  it("takes every message in the folder, oldest first, whatever its flags or date, and expunges without a processed folder", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig();
    await appendAll(config, eml({ to: project.address, subject: "first" }));
    // Already read in a mail client and dated years ago: a poller that looked at UNSEEN or a date window would skip it.
    const imap = await server.client();
    await imap.append(config.mailbox, Buffer.from(eml({ to: project.address, subject: "second (read, old)" }).replace("Tue, 24 Nov 2026", "Mon, 2 Jan 2006")), ["\\Seen"]);
    await imap.logout();
    await appendAll(config, eml({ to: project.address, subject: "third" }));

    const bounded = await pollOnce(config, 2);
    expect(bounded).toMatchObject({ status: "ok", more: true });
    expect(await server.count(config.mailbox)).toBe(1);
    const rest = await pollOnce(config, 2);
    expect(rest).toMatchObject({ status: "ok", more: false });
    expect(await server.count(config.mailbox)).toBe(0);
    expect((await issuesOf(project.id)).map((i) => [i.iid, i.title])).toEqual([
      [1, "first"],
      [2, "second (read, old)"],
      [3, "third"],
    ]);
  });

  it("stores a message it cannot make sense of and goes on with the next", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig();
    const garbage = "\u0001\u0002 this is not a mail at all\r\n\r\n\u00ff";
    await appendAll(config, eml({ to: project.address, subject: "before" }), garbage, eml({ to: project.address, subject: "after" }));
    const result = await pollOnce(config);
    expect(result.status).toBe("ok");
    expect(result.outcomes.map((o) => o.status)).toEqual(["created_issue", expect.stringMatching(/^(rejected|failed|ignored)$/), "created_issue"]);
    expect(await server.count(config.mailbox)).toBe(0);
    const kept = await db().inboundEmail.findUniqueOrThrow({ where: { id: result.outcomes[1].inboundEmailId } });
    expect(Buffer.from(kept.payload).toString("latin1")).toContain("this is not a mail at all");
    expect((await issuesOf(project.id)).map((i) => i.title)).toEqual(["before", "after"]);
  });

  it("makes a message fetched again after a crash between store and clear a duplicate, not a second issue", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig({ processedMailbox: `done-${uid()}` });
    await appendAll(config, eml({ to: project.address, subject: "only once" }));
    // The process dies right after storing: here, the clearing step fails the way a dead connection would.
    const imap = imapConnector(config);
    const crashing: MailboxConnector = { ...imap, markDone: () => Promise.reject(new Error("connection lost")) };
    const crashed = await pollMailbox(crashing);
    await imap.close();
    expect(crashed.status).toBe("error");
    expect(await server.count(config.mailbox)).toBe(1);

    const again = await pollOnce(config);
    expect(again.outcomes.map((o) => o.status)).toEqual(["duplicate"]);
    expect(await server.count(config.mailbox)).toBe(0);
    expect(await server.count(config.processedMailbox)).toBe(1);
    expect(await issuesOf(project.id)).toHaveLength(1);
  });

  it("lets only one of two pollers work a mailbox at once", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig();
    await appendAll(config, ...Array.from({ length: 4 }, (_, i) => eml({ to: project.address, subject: `m${i}` })));
    const [a, b] = await Promise.all([pollOnce(config), pollOnce(config)]);
    expect([a.status, b.status].sort()).toEqual(["busy", "ok"]);
    expect([...a.outcomes, ...b.outcomes].map((o) => o.status)).toEqual(Array(4).fill("created_issue"));
    expect(await issuesOf(project.id)).toHaveLength(4);
  });

  it("respects a live lease held elsewhere and takes over an expired one", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig();
    await appendAll(config, eml({ to: project.address, subject: "leased" }));
    const source = imapConnector(config).source;
    const otherMachine = { source, intervalSeconds: 60, lockedBy: "other-host:123:abcd" };
    await db().mailboxPoll.create({ data: { ...otherMachine, lockedUntil: new Date(Date.now() + 60_000) } });
    expect((await pollOnce(config)).status).toBe("busy");
    expect(await server.count(config.mailbox)).toBe(1);
    await db().mailboxPoll.update({ where: { source }, data: { lockedUntil: new Date(Date.now() - 1_000) } });
    expect((await pollOnce(config)).outcomes.map((o) => o.status)).toEqual(["created_issue"]);
  });

  it("records bad credentials, a server that is down and TLS on a plaintext port, and recovers on the next poll", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig();
    await appendAll(config, eml({ to: project.address, subject: "waiting" }));
    const source = imapConnector(config).source;

    const badLogin = await pollOnce({ ...config, password: "wrong" });
    expect(badLogin.status).toBe("error");
    expect(badLogin.error).toMatch(/login failed|authenticat/i);
    expect(await pollState(source)).toMatchObject({ consecutiveFailures: 1, lastSuccessAt: null, lockedBy: null, lastError: badLogin.error });

    const tls = await pollOnce({ ...config, secure: true });
    expect(tls.status).toBe("error");
    expect(tls.error).toMatch(/TLS|SSL|version/i);

    await server.stop();
    let down;
    try {
      down = await pollOnce(config);
    } finally {
      await server.start();
    }
    expect(down.status).toBe("error");
    expect(down.error).toMatch(/ECONNREFUSED|connect/i);
    expect((await pollState(source)).consecutiveFailures).toBe(3);

    const recovered = await pollOnce(config);
    expect(recovered.outcomes.map((o) => o.status)).toEqual(["created_issue"]);
    const state = await pollState(source);
    expect(state).toMatchObject({ consecutiveFailures: 0, lastMessages: 1 });
    expect(state.lastSuccessAt).not.toBeNull();
    expect(state.lastError).toBe(down.error); // the last error stays visible in the mail log, with its time
    expect(await server.count(config.mailbox)).toBe(0);
  });

  it("refuses a certificate it cannot verify, recording why, and speaks TLS (implicit or STARTTLS) with the right CA", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig();
    await appendAll(config, eml({ to: project.address, subject: "over TLS" }), eml({ to: project.address, subject: "over STARTTLS" }));

    const selfSigned = await pollOnce({ ...config, port: server.tlsPort, secure: true });
    expect(selfSigned.status).toBe("error");
    expect(selfSigned.error).toMatch(/^TLS failed: .*self[- ]signed/i);
    const refusedStartTls = await pollOnce({ ...config, startTls: true });
    expect(refusedStartTls.status).toBe("error");
    expect(refusedStartTls.error).toMatch(/self[- ]signed/i);
    expect(await server.count(config.mailbox)).toBe(2);

    const tls = await pollOnce({ ...config, port: server.tlsPort, secure: true, tls: { ca: server.ca } }, 1);
    expect(tls.outcomes.map((o) => o.status)).toEqual(["created_issue"]);
    const startTls = await pollOnce({ ...config, startTls: true, tls: { ca: server.ca } }, 1);
    expect(startTls.outcomes.map((o) => o.status)).toEqual(["created_issue"]);
    expect((await issuesOf(project.id)).map((i) => i.title)).toEqual(["over TLS", "over STARTTLS"]);
  });

  it.runIf(corpusPresent)("takes GitLab's Service Desk corpus mails as new issues", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig();
    const files = ["service_desk.eml", "service_desk_encoding.eml", "service_desk_forwarded.eml"];
    for (const file of files) {
      const raw = readFileSync(path.join(CORPUS_DIR, file), "latin1")
        .replaceAll("incoming+email-test-project_id-issue-@appmail.adventuretime.ooo", project.address)
        // The corpus reuses Message-IDs across files; each must be a new mail here.
        .replace(/^Message-ID: <[^>]*>/im, `Message-ID: <${newMessageId()}>`);
      await appendAll(config, Buffer.from(raw, "latin1"));
    }
    const result = await pollOnce(config);
    expect(result.outcomes.map((o) => o.status)).toEqual(["created_issue", "created_issue", "created_issue"]);
    const issues = await issuesOf(project.id);
    expect(issues.map((i) => i.title).slice(0, 2)).toEqual(["The message subject! @all", "Testing encoding iso-8859-2 ťžščľžťťč"]);
    expect(issues[1].description).toContain("Body of encoding iso-8859-2 test: ťžščľžťťč");
    expect(issues[2].participants.map((p) => p.email)).toEqual(["jake.g@adventuretime.ooo"]);
  });
});

describe.runIf(available)("the worker", () => {
  it("polls, answers IDLE when new mail arrives, sends the thank-you and stops when told", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig({ idleTimeoutMs: 60_000 });
    await appendAll(config, eml({ to: project.address, subject: "to the worker" }));
    const stop = new AbortController();
    const lines: string[] = [];
    const source = imapConnector(config).source;
    const running = runWorker({
      signal: stop.signal,
      log: (line) => lines.push(line),
      mailboxes: [{ kind: "imap", source, intervalSeconds: 60, imap: config }],
      outboxIntervalMs: 60_000,
    });
    try {
      await expect.poll(async () => (await issuesOf(project.id)).length, { timeout: 15_000 }).toBe(1);
      // Well within the 60 s IDLE timeout: the server's EXISTS woke the worker.
      const appendedAt = Date.now();
      await appendAll(config, eml({ to: project.address, subject: "while idling" }));
      await expect.poll(async () => (await issuesOf(project.id)).length, { timeout: 15_000 }).toBe(2);
      expect(Date.now() - appendedAt).toBeLessThan(15_000);
      const statuses = async () => (await db().outboundEmail.findMany({ where: { issue: { projectId: project.id } }, select: { status: true } })).map((r) => r.status);
      await expect.poll(statuses, { timeout: 10_000 }).toEqual(["sent", "sent"]);
    } finally {
      stop.abort();
      await running;
    }
    expect(lines.some((line) => line.includes(`${source}: 1 message(s) (1 created_issue)`))).toBe(true);
    expect(lines.at(-1)).toBe("worker stopped");
  });
});

describe.runIf(available)("GET|POST /api/cron/mailbox", () => {
  it("is closed without the bearer secret and polls each configured mailbox with it", async () => {
    const project = await serviceDeskProject();
    const mailbox = `cron-${uid()}`;
    await server.append(eml({ to: project.address, subject: "via cron" }), mailbox);
    setEnv({
      CRON_SECRET: "cron-secret",
      IMAP_HOST: server.host,
      IMAP_PORT: String(server.port),
      IMAP_SECURE: "false",
      IMAP_STARTTLS: "false",
      IMAP_USER: server.user,
      IMAP_PASSWORD: server.password,
      IMAP_MAILBOX: mailbox,
    });
    try {
      const url = "http://localhost/api/cron/mailbox";
      expect((await cronGet(new Request(url))).status).toBe(401);
      expect((await cronPost(new Request(url, { method: "POST", headers: { authorization: "Bearer nope" } }))).status).toBe(401);
      expect(await issuesOf(project.id)).toHaveLength(0);

      const response = await cronPost(new Request(url, { method: "POST", headers: { authorization: "Bearer cron-secret" } }));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        mailboxes: [{ source: `imap:${server.user}@${server.host}/${mailbox}`, status: "ok", messages: 1, statuses: { created_issue: 1 }, more: false }],
        // The call also fans out pending team notifications (on a shared database, other files' events too).
        team_notifications: { events: expect.any(Number), mails: expect.any(Number) },
      });
      expect((await issuesOf(project.id)).map((i) => i.title)).toEqual(["via cron"]);

      // The admin mail log shows the mailbox's poll state; nobody else sees it.
      const admin = await makeUser("admin", { isAdmin: true });
      expect(await listMailboxStatus(admin)).toEqual([
        expect.objectContaining({ source: `imap:${server.user}@${server.host}/${mailbox}`, kind: "imap", consecutiveFailures: 0, totalMessages: 1, stale: false, polling: false }),
      ]);
      expect(await outcome(listMailboxStatus(project.owner))).toBe("not_found");
      expect(await outcome(listMailboxStatus(null))).toBe("unauthorized");

      // Health lists the mailbox; a mailbox without a successful poll for 3 intervals is reported stale (not a 503).
      const healthy = await (await healthGet()).json();
      expect(healthy.mailboxes).toEqual([expect.objectContaining({ kind: "imap", stale: false })]);
      // Public: nothing that names the login, the host or the server's replies.
      expect(JSON.stringify(healthy.mailboxes)).not.toContain(server.user);
      expect(healthy.mailboxes[0]).not.toHaveProperty("last_error");
      await db().mailboxPoll.update({ where: { source: `imap:${server.user}@${server.host}/${mailbox}` }, data: { lastSuccessAt: new Date(Date.now() - 4 * 60_000) } });
      const stale = await healthGet();
      expect(stale.status).toBe(200);
      expect((await stale.json()).mailboxes).toEqual([expect.objectContaining({ stale: true })]);
    } finally {
      setEnv({ CRON_SECRET: undefined, IMAP_HOST: undefined, IMAP_PORT: undefined, IMAP_SECURE: undefined, IMAP_STARTTLS: undefined, IMAP_USER: undefined, IMAP_PASSWORD: undefined, IMAP_MAILBOX: undefined });
    }
  });
});

// A second process cannot open the in-memory PGlite of this one: the crash tests run on Postgres.
describe.runIf(available && backend === "postgres")("a poller process killed between store and move (SIGKILL)", () => {
  it("loses nothing and makes no second issue on the next poll", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig({ processedMailbox: `done-${uid()}` });
    await appendAll(config, eml({ to: project.address, subject: "one" }), eml({ to: project.address, subject: "two" }));
    const root = path.resolve(__dirname, "../..");
    // `node --import tsx`, not the tsx binary: that one runs the script in a grandchild SIGKILL would not reach.
    const child = spawn(process.execPath, ["--import", "tsx", "tests/support/poll-mailbox.ts", JSON.stringify(config)], {
      cwd: root,
      env: { ...process.env, NODE_ENV: "development" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const storedId = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /stored (\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      child.once("exit", (code) => reject(new Error(`poller exited early (${code})`)));
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    // Stored, never processed, still in the mailbox.
    expect(await db().inboundEmail.findUniqueOrThrow({ where: { id: storedId }, select: { status: true } })).toEqual({ status: "received" });
    expect(await server.count(config.mailbox)).toBe(2);

    // The dead process's lease does not block the restart (same machine, its pid is gone).
    const next = await pollOnce(config);
    expect(next.status).toBe("ok");
    expect(next.outcomes.map((o) => o.status)).toEqual(["created_issue", "created_issue"]);
    expect(await server.count(config.mailbox)).toBe(0);
    expect((await issuesOf(project.id)).map((i) => i.title)).toEqual(["one", "two"]);
  }, 150_000);
});

describe.runIf(available && backend === "postgres")("npm run worker", () => {
  it("takes mail with only IMAP_* configured and exits cleanly on SIGTERM", async () => {
    const project = await serviceDeskProject();
    const config = imapConfig();
    await appendAll(config, eml({ to: project.address, subject: "worker process" }));
    const root = path.resolve(__dirname, "../..");
    // The command of `npm run worker`. (Not the tsx binary: its signal relay SIGKILLs a child that is slow to
    // acknowledge SIGTERM, which a busy worker can be.)
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: "development",
        IMAP_HOST: config.host,
        IMAP_PORT: String(config.port),
        IMAP_SECURE: "false",
        IMAP_STARTTLS: "false",
        IMAP_USER: config.user,
        IMAP_PASSWORD: config.password,
        IMAP_MAILBOX: config.mailbox,
        SENDGRID_API_KEY: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      // Starting a TypeScript process takes a while on a loaded machine.
      await expect.poll(async () => (await issuesOf(project.id)).length, { timeout: 90_000 }).toBe(1);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nworker output:\n${output}`);
    } finally {
      child.kill("SIGTERM");
    }
    expect({ code: await exited, output }).toEqual({ code: 0, output: expect.stringContaining("SIGTERM") });
    expect(output).toContain("1 message(s) (1 created_issue)");
    expect(output).toContain("worker stopped");
  }, 150_000);
});

