// SendGrid Event Webhook: only batches signed with SENDGRID_EVENT_PUBLIC_KEY (and recent) are accepted; a
// bounce or spam report stops mail to that participant; delivery events move the outbox row — also one still
// `sending`, whose sender's outcome then keeps the event's state; each event acts once even when SendGrid
// delivers the batch again.
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as cronOutbox } from "@/app/api/cron/outbox/route";
import { POST as eventsWebhook } from "@/app/api/events/sendgrid/route";
import { db } from "@/lib/db/client";
import { addMember } from "@/lib/data/members";
import { addNote } from "@/lib/data/notes";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { resetEnv } from "@/lib/env";
import { deliverOutbox, enqueueMail } from "@/lib/mail/outbox";
import { projectKey } from "@/lib/service-desk/address";
import { deliver, eml } from "../support/mail";
import { startFakeSendGrid, type FakeSendGrid } from "../support/sendgrid-server";
import { makeUser, uid, uniqueEmail, uniqueProjectPath } from "./helpers";

const keys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const otherKeys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const publicKeyBase64 = keys.publicKey.export({ format: "der", type: "spki" }).toString("base64");

const saved = { ...process.env };
beforeAll(() => {
  process.env.SENDGRID_EVENT_PUBLIC_KEY = publicKeyBase64;
  process.env.CRON_SECRET = "cron-s3cret";
  resetEnv();
});
afterAll(() => {
  process.env = { ...saved };
  resetEnv();
});

function signedRequest(body: string, options: { key?: KeyObject; timestamp?: number; tamper?: boolean } = {}) {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = sign("sha256", Buffer.from(timestamp + body), options.key ?? keys.privateKey).toString("base64");
  return new Request("http://localhost/api/events/sendgrid", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-twilio-email-event-webhook-signature": signature,
      "x-twilio-email-event-webhook-timestamp": timestamp,
    },
    body: options.tamper ? body.replace("bounce", "delivered") : body,
  });
}

async function post(events: object[], options?: Parameters<typeof signedRequest>[1]) {
  const response = await eventsWebhook(signedRequest(JSON.stringify(events), options));
  return { status: response.status, body: await response.json() };
}

/** A Service Desk issue from jake@customer.example with one team comment queued to him. */
async function issueWithMail() {
  const owner = await makeUser("owner");
  const project = await createProject(owner, uniqueProjectPath("evt"));
  await addMember(owner, project.fullPath, (await makeUser("reporter")).email, "REPORTER");
  await setServiceDeskEnabled(owner, project.fullPath, true);
  expect((await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, subject: "Help" }))).status).toBe("created_issue");
  const issue = await db().issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.id, iid: 1 } }, select: { id: true } });
  const note = await addNote(owner, project.fullPath, 1, { body: "On it." });
  const outboxId = note.outboxIds[0];
  // As if SendGrid had accepted it.
  await db().outboundEmail.update({ where: { id: outboxId }, data: { status: "sent" } });
  return { owner, project, issue, outboxId };
}

const event = (type: string, outboxId: string | undefined, extra: object = {}) => ({
  email: "jake@customer.example",
  event: type,
  timestamp: Math.floor(Date.now() / 1000),
  sg_event_id: `evt-${uid()}`,
  sg_message_id: "abc.filter",
  ...(outboxId ? { outbound_email_id: outboxId } : {}),
  ...extra,
});

describe("event webhook authentication", () => {
  it("accepts a batch signed with the configured key", async () => {
    expect(await post([event("processed", undefined)])).toMatchObject({ status: 200, body: { received: 1, applied: 1 } });
  });

  it("rejects a tampered body, another key, a stale timestamp and missing headers with 401", async () => {
    const body = [event("bounce", undefined)];
    expect((await post(body, { tamper: true })).status).toBe(401);
    expect((await post(body, { key: otherKeys.privateKey })).status).toBe(401);
    expect((await post(body, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
    const unsigned = await eventsWebhook(new Request("http://localhost/api/events/sendgrid", { method: "POST", body: JSON.stringify(body) }));
    expect(unsigned.status).toBe(401);
  });

  it("is closed when no key is configured", async () => {
    delete process.env.SENDGRID_EVENT_PUBLIC_KEY;
    resetEnv();
    try {
      expect((await post([event("processed", undefined)])).status).toBe(401);
    } finally {
      process.env.SENDGRID_EVENT_PUBLIC_KEY = publicKeyBase64;
      resetEnv();
    }
  });

  it("answers 400 to a signed body that is not an event array", async () => {
    expect((await post({ not: "an array" } as unknown as object[])).status).toBe(400);
  });
});

describe("applying events", () => {
  it("a bounce marks the participant bouncing, notes it internally, and stops further mail", async () => {
    const { owner, project, issue, outboxId } = await issueWithMail();
    const bounce = event("bounce", outboxId, { reason: "550 5.1.1 mailbox does not exist" });
    expect(await post([bounce])).toMatchObject({ status: 200, body: { applied: 1 } });

    const participant = await db().issueEmailParticipant.findFirstOrThrow({ where: { issueId: issue.id } });
    expect(participant.status).toBe("bouncing");
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id: outboxId } })).toMatchObject({ status: "bounced", error: "550 5.1.1 mailbox does not exist" });
    const note = await db().note.findFirstOrThrow({ where: { issueId: issue.id, system: true, body: { contains: "bounced" } } });
    expect(note.internal).toBe(true);

    expect((await addNote(owner, project.fullPath, 1, { body: "Hello?" })).outboxIds).toEqual([]);
  });

  it("a spam report or unsubscribe marks the participant unsubscribed", async () => {
    const { issue, outboxId } = await issueWithMail();
    await post([event("spamreport", outboxId)]);
    expect((await db().issueEmailParticipant.findFirstOrThrow({ where: { issueId: issue.id } })).status).toBe("unsubscribed");
  });

  it("delivered and deferred move the outbox row forward, never back", async () => {
    const { outboxId } = await issueWithMail();
    await post([event("deferred", outboxId, { response: "421 try later" })]);
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id: outboxId } })).toMatchObject({ status: "deferred", error: "421 try later" });
    await post([event("delivered", outboxId)]);
    await post([event("deferred", outboxId)]);
    expect((await db().outboundEmail.findUniqueOrThrow({ where: { id: outboxId } })).status).toBe("delivered");
  });

  it("applies an event once when SendGrid sends the batch again", async () => {
    const { issue, outboxId } = await issueWithMail();
    const batch = [event("bounce", outboxId)];
    expect((await post(batch)).body).toMatchObject({ applied: 1, duplicates: 0 });
    // The team re-subscribes the address by hand; the redelivered bounce must not undo that.
    await db().issueEmailParticipant.updateMany({ where: { issueId: issue.id }, data: { status: "subscribed" } });
    expect((await post(batch)).body).toMatchObject({ applied: 0, duplicates: 1 });
    expect((await db().issueEmailParticipant.findFirstOrThrow({ where: { issueId: issue.id } })).status).toBe("subscribed");
    expect(await db().note.count({ where: { issueId: issue.id, body: { contains: "bounced" } } })).toBe(1);
  });
});

describe("events for mail whose send is not recorded yet", () => {
  let sendgrid: FakeSendGrid;
  beforeAll(async () => {
    sendgrid = await startFakeSendGrid();
    Object.assign(process.env, { SENDGRID_API_KEY: sendgrid.apiKey, SENDGRID_API_BASE_URL: sendgrid.url, SENDGRID_TIMEOUT_MS: "2000" });
    resetEnv();
  });
  afterAll(async () => {
    for (const key of ["SENDGRID_API_KEY", "SENDGRID_API_BASE_URL", "SENDGRID_TIMEOUT_MS"]) delete process.env[key];
    resetEnv();
    await sendgrid.close();
  });

  /** A queued mail, and its send started: SendGrid has it (as its events show), the sender has not heard back. */
  async function inFlight(reply: Parameters<FakeSendGrid["failNext"]>[0]) {
    const to = uniqueEmail("customer");
    const id = await enqueueMail({ kind: "test", to, subject: "Your question", text: "t", html: "<p>t</p>" });
    sendgrid.failNext(reply);
    const drain = deliverOutbox({ ids: [id] });
    await expect.poll(() => sendgrid.accepted.some((m) => m.customArgs.outbound_email_id === id)).toBe(true);
    expect((await db().outboundEmail.findUniqueOrThrow({ where: { id } })).status).toBe("sending");
    return { id, to, drain };
  }
  const sends = (id: string) => sendgrid.accepted.filter((m) => m.customArgs.outbound_email_id === id).length;

  it("a delivered event that comes before the sender's outcome write is kept: the row ends delivered", async () => {
    const { id, to, drain } = await inFlight({ acceptAfterMs: 1_000 });
    expect(await post([{ ...event("delivered", id), email: to }])).toMatchObject({ status: 200, body: { applied: 1 } });
    expect(await drain).toMatchObject({ sent: 1 });
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "delivered",
      error: null,
      lockedUntil: null,
      providerMessageId: expect.any(String),
      sentAt: expect.any(Date),
    });
  });

  it("a bounce that comes while the sender waits for SendGrid's answer in vain stays, with its reason, and nothing is sent again", async () => {
    const { id, to, drain } = await inFlight({ fault: "accept-hang" });
    await post([{ ...event("bounce", id), email: to, reason: "550 5.1.1 no such user" }]);
    // The sender times out and would retry; the event has said where the mail is.
    expect(await drain).toMatchObject({ retrying: 1 });
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "bounced", error: "550 5.1.1 no such user", lockedUntil: null });
    await deliverOutbox({ ids: [id], now: () => new Date(Date.now() + 3_600_000) });
    expect(sends(id)).toBe(1);
  });

  it("a delivered event for a mail queued for a retry (SendGrid took it, its answer was lost) ends the retries", async () => {
    const { id, to, drain } = await inFlight({ fault: "accept-hang" });
    await drain;
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "pending", error: expect.stringContaining("timeout") });
    await post([{ ...event("delivered", id), email: to }]);
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "delivered", error: null });
    await deliverOutbox({ ids: [id], now: () => new Date(Date.now() + 3_600_000) });
    expect(sends(id)).toBe(1);
  });
});

describe("cron outbox route", () => {
  const cron = (authorization?: string) =>
    cronOutbox(new Request("http://localhost/api/cron/outbox", { method: "POST", headers: authorization ? { authorization } : {} }));

  it("needs Authorization: Bearer $CRON_SECRET", async () => {
    expect((await cron()).status).toBe(401);
    expect((await cron("Bearer wrong")).status).toBe(401);
    const ok = await cron("Bearer cron-s3cret");
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ sent: expect.any(Number), failed: expect.any(Number) });
  });

  it("is closed when CRON_SECRET is not configured", async () => {
    delete process.env.CRON_SECRET;
    resetEnv();
    try {
      const response = await cron("Bearer ");
      expect(response.status).toBe(401);
      expect((await response.json()).message).toContain("CRON_SECRET");
    } finally {
      process.env.CRON_SECRET = "cron-s3cret";
      resetEnv();
    }
  });
});
