// The Microsoft Graph mailbox connector against a local fake of Graph and Entra ID (tests/support/graph-server.ts):
// the real services cannot be reached from here, so the fake stands in for them — everything else is the real code.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { graphConnector, UNREADABLE_TRIES, type GraphConfig } from "@/lib/mail/mailbox/graph";
import { retryAfterMs } from "@/lib/mail/mailbox/graph-client";
import type { FetchedMessage, MailboxConnector, QuarantinedMessage } from "@/lib/mail/mailbox/types";
import { startFakeGraph, type FakeGraph } from "../support/graph-server";

let graph: FakeGraph;
const open: MailboxConnector[] = [];

beforeEach(async () => {
  graph = await startFakeGraph();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await graph.close();
});

function connect(overrides: Partial<GraphConfig> = {}): MailboxConnector {
  const connector = graphConnector({
    tenantId: graph.tenantId,
    clientId: graph.clientId,
    clientSecret: graph.clientSecret,
    mailbox: graph.mailbox,
    folder: "inbox",
    pollIntervalMs: 60_000,
    authorityHost: graph.authorityHost,
    apiBaseUrl: graph.apiBaseUrl,
    maxRetryWaitMs: 2_000,
    ...overrides,
  });
  open.push(connector);
  return connector;
}

const mail = (n: number) => `Message-ID: <m${n}@customer.test>\r\nFrom: c${n}@customer.test\r\nSubject: Mail ${n}\r\n\r\nBody ${n}\r\n`;

/** The source of a fetched message (these tests expect no quarantine unless they say so). */
function bytes(message: FetchedMessage | QuarantinedMessage): Uint8Array {
  if ("quarantined" in message) throw new Error(`unexpectedly quarantined: ${message.quarantined.reason}`);
  return message.raw;
}

async function collect(connector: MailboxConnector, limit = 100, each?: (uid: string) => Promise<void>) {
  const seen: { uid: string; text: string }[] = [];
  for await (const message of connector.messages(limit)) {
    seen.push({ uid: message.uid, text: Buffer.from(bytes(message)).toString("utf8") });
    await each?.(message.uid);
  }
  return seen;
}

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  const result = await promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => ({ rejected: e }),
  );
  if (result instanceof Error) throw result;
  expect(result.rejected).toBeInstanceOf(Error);
  return result.rejected as Error;
}

const graphCalls = (pattern: RegExp, method = "GET") => graph.calls.filter((c) => c.method === method && pattern.test(c.path));

describe("listing", () => {
  it("yields every message of the folder oldest first, following nextLink across pages", async () => {
    // Added out of order: the fake (like Graph) answers newest first unless asked otherwise.
    const ids = [3, 1, 5, 2, 4].map((n) => ({ n, id: graph.addMessage(mail(n), { receivedDateTime: `2026-01-0${n}T10:00:00Z` }) }));
    graph.addMessage(mail(9), { folder: "archive" });
    const seen = await collect(connect({ pageSize: 2 }));
    expect(seen.map((m) => m.text.match(/Subject: (.*)/)?.[1])).toEqual(["Mail 1", "Mail 2", "Mail 3", "Mail 4", "Mail 5"]);
    expect(seen.map((m) => m.uid)).toEqual([1, 2, 3, 4, 5].map((n) => ids.find((x) => x.n === n)!.id));
    const lists = graphCalls(/\/mailFolders\/inbox\/messages$/);
    expect(lists).toHaveLength(3);
    expect(lists[0].query).toMatchObject({ $orderby: "receivedDateTime asc", $select: "id,categories", $top: "2" });
    expect(lists.map((c) => c.query.$skip)).toEqual([undefined, "2", "4"]);
  });

  it("returns each message's MIME source byte for byte", async () => {
    // CRLF, a bare LF, 8-bit Latin-1 and a NUL-free binary-ish tail: nothing may be re-encoded.
    const raw = Buffer.concat([
      Buffer.from("Message-ID: <bytes@customer.test>\r\nSubject: =?ISO-8859-1?Q?caf=E9?=\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"),
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a, 0x0a, 0xff, 0xfe, 0x80, 0x0d, 0x0a]),
    ]);
    graph.addMessage(raw);
    const messages = [];
    for await (const message of connect().messages(10)) messages.push(message);
    expect(messages).toHaveLength(1);
    expect(Buffer.from(bytes(messages[0])).equals(raw)).toBe(true);
  });

  it("yields at most `limit` messages, the oldest, and fetches no more than it yields", async () => {
    for (let n = 1; n <= 5; n++) graph.addMessage(mail(n));
    const seen = await collect(connect({ pageSize: 2 }), 3);
    expect(seen.map((m) => m.text.match(/Subject: (.*)/)?.[1])).toEqual(["Mail 1", "Mail 2", "Mail 3"]);
    expect(graphCalls(/\/\$value$/)).toHaveLength(3);
    expect(graphCalls(/\/mailFolders\/inbox\/messages$/)).toHaveLength(2);
  });

  it("skips nothing when each message is moved away while the listing is being walked", async () => {
    // Graph pages with $skip: walking nextLink after moving earlier messages would jump over unseen ones.
    for (let n = 1; n <= 7; n++) graph.addMessage(mail(n));
    const connector = connect({ pageSize: 2 });
    const seen = await collect(connector, 100, (uid) => connector.markDone(uid));
    expect(seen).toHaveLength(7);
    expect(graph.folder("inbox")).toEqual([]);
    expect(graph.folder("deleteditems")).toHaveLength(7);
  });

  it("passes over a message that disappeared between the listing and its download", async () => {
    graph.addMessage(mail(1));
    const second = graph.addMessage(mail(2));
    graph.addMessage(mail(3));
    const connector = connect();
    const seen = await collect(connector, 100, async () => {
      // Someone else (another client) deletes the second one after the list was taken.
      if (graph.folder("inbox")!.some((m) => m.id === second)) await connect().markDone(second);
    });
    expect(seen.map((m) => m.text.match(/Subject: (.*)/)?.[1])).toEqual(["Mail 1", "Mail 3"]);
  });

  it("goes on past one message Graph cannot serve, then reports it", async () => {
    graph.addMessage(mail(1));
    const bad = graph.addMessage(mail(2));
    graph.addMessage(mail(3));
    graph.breakMessage(bad, 500);
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const message of connect().messages(10)) seen.push(Buffer.from(bytes(message)).toString("utf8").match(/Subject: (.*)/)![1]);
      })(),
    );
    expect(seen).toEqual(["Mail 1", "Mail 3"]);
    expect(error.message).toContain("could not return 1 message(s)");
    expect(error.message).toContain(bad);
    expect(error.message).toContain("HTTP 500 ErrorInternalServerError");
    expect(error.message).toContain(`(try 1 of ${UNREADABLE_TRIES})`);
  });

  it("counts the polls on which a message cannot be read on the message itself, and moves it aside on the third", async () => {
    const bad = graph.addMessage(mail(1));
    graph.addMessage(mail(2));
    graph.breakMessage(bad, 500);
    /** One poll by a connector of its own (as each cron call makes): what it yielded, and its error. */
    const poll = async () => {
      const yielded: (FetchedMessage | QuarantinedMessage)[] = [];
      const error = await (async () => {
        for await (const message of connect({ processedFolder: "Done" }).messages(10)) yielded.push(message);
      })().then(
        () => undefined,
        (e: Error) => e.message,
      );
      return { yielded, error };
    };

    for (const tries of [1, 2]) {
      const { yielded, error } = await poll();
      expect(error).toContain(`(try ${tries} of 3)`);
      expect(yielded.map((m) => "quarantined" in m)).toEqual([false]);
      expect(graph.folder("inbox")!.find((m) => m.id === bad)!.categories).toEqual([`Service Desk: unreadable (try ${tries})`]);
    }
    const third = await poll();
    expect(third.error).toBeUndefined();
    const [quarantined] = third.yielded.filter((m): m is QuarantinedMessage => "quarantined" in m);
    expect(quarantined).toMatchObject({
      uid: bad,
      quarantined: { subject: "Mail 1", from: "c1@customer.test", messageId: "<m1@customer.test>" },
    });
    expect(quarantined.quarantined.reason).toMatch(
      /^Microsoft Graph could not return this message on 3 polls: HTTP 500 ErrorInternalServerError: .*It was moved to the folder “Service Desk quarantine” of .*; move it back to inbox to try again\.$/,
    );
    expect(graph.folder("Service Desk quarantine")!.map((m) => m.raw.toString())).toEqual([mail(1)]);
    expect(graph.folder("inbox")!.map((m) => m.raw.toString())).toEqual([mail(2)]);
    // Behind it, nothing is held up any more.
    expect(await poll()).toEqual({ yielded: [expect.objectContaining({ raw: expect.any(Uint8Array) })], error: undefined });
  });

  it("moves an unreadable message aside at once when its try cannot even be counted", async () => {
    const bad = graph.addMessage(mail(1));
    graph.breakMessage(bad, 400, { refuseChanges: true });
    const yielded = [];
    for await (const message of connect({ quarantineFolder: "Unreadable" }).messages(10)) yielded.push(message);
    expect(yielded).toMatchObject([{ uid: bad, quarantined: { reason: expect.stringContaining("its tries could not be counted (HTTP 400 ErrorInvalidRequest: ") } }]);
    expect(graph.folder("Unreadable")).toHaveLength(1);
    expect(graph.folder("inbox")).toEqual([]);
  });

  it("names the status and Graph's error code when the mailbox does not exist", async () => {
    const error = await failure(collect(connect({ mailbox: "nobody@contoso.test" })));
    expect(error.message).toMatch(/^Microsoft Graph GET \/v1\.0\/users\/nobody@contoso\.test\/mailFolders\/inbox\/messages failed: HTTP 404 ErrorInvalidUser: The requested user/);
  });
});

describe("marking done", () => {
  it("deletes a processed message when no processed folder is configured", async () => {
    const id = graph.addMessage(mail(1));
    await connect().markDone(id);
    expect(graphCalls(/\/messages\/.+$/, "DELETE").map((c) => c.path)).toEqual([`/v1.0/users/${graph.mailbox}/messages/${id}`]);
    expect(graph.folder("inbox")).toEqual([]);
    expect(graph.folder("deleteditems")!.map((m) => m.raw.toString())).toEqual([mail(1)]);
  });

  it("moves processed mail to the processed folder, creating it once when it is missing", async () => {
    const ids = [1, 2, 3].map((n) => graph.addMessage(mail(n)));
    const connector = connect({ processedFolder: "Service Desk/Done's" });
    for (const id of ids) await connector.markDone(id);
    expect(graph.folder("inbox")).toEqual([]);
    expect(graph.folder("Service Desk/Done's")!.map((m) => m.raw.toString())).toEqual([mail(1), mail(2), mail(3)]);
    expect(graphCalls(/\/mailFolders$/, "POST")).toHaveLength(1);
    expect(graphCalls(/\/mailFolders$/)).toHaveLength(1); // one lookup, then the id is reused
    expect(graphCalls(/\/mailFolders$/)[0].query.$filter).toBe("displayName eq 'Service Desk/Done''s'");
    expect(graphCalls(/\/move$/, "POST")).toHaveLength(3);
    expect(graphCalls(/\/messages\/.+$/, "DELETE")).toHaveLength(0);
  });

  it("uses an existing processed folder and never creates another", async () => {
    graph.addFolder("Processed");
    const id = graph.addMessage(mail(1));
    await connect({ processedFolder: "processed" }).markDone(id);
    expect(graph.folder("Processed")).toHaveLength(1);
    expect(graphCalls(/\/mailFolders$/, "POST")).toHaveLength(0);
  });

  it("accepts a well-known folder name without looking it up", async () => {
    const id = graph.addMessage(mail(1));
    await connect({ processedFolder: "archive" }).markDone(id);
    expect(graph.folder("archive")).toHaveLength(1);
    expect(graphCalls(/\/mailFolders$/)).toHaveLength(0);
  });

  it("treats a message that is already gone as done", async () => {
    const id = graph.addMessage(mail(1));
    const connector = connect();
    await connector.markDone(id);
    await expect(connector.markDone(id)).resolves.toBeUndefined();
    const moving = connect({ processedFolder: "Done" });
    await expect(moving.markDone(id)).resolves.toBeUndefined();
  });

  it("refuses a processed or quarantine folder that is the folder being read", () => {
    expect(() => connect({ folder: "Inbox", processedFolder: "inbox" })).toThrow(/The processed folder \(inbox\) must not be the folder being read/);
    expect(() => connect({ folder: "Intake", quarantineFolder: "intake" })).toThrow(/The quarantine folder \(intake\) must not be the folder being read/);
  });
});

describe("token", () => {
  it("asks for an app-only Graph token once and reuses it across requests", async () => {
    for (let n = 1; n <= 3; n++) graph.addMessage(mail(n));
    const connector = connect({ pageSize: 2 });
    await collect(connector, 100, (uid) => connector.markDone(uid));
    const graphRequests = graph.calls.filter((c) => c.path.startsWith("/v1.0/"));
    expect(graphRequests.length).toBeGreaterThan(5);
    expect(graph.tokensIssued).toBe(1);
    expect(new Set(graphRequests.map((c) => c.token)).size).toBe(1);
    const tokenCalls = graph.calls.filter((c) => c.path.endsWith("/oauth2/v2.0/token"));
    expect(tokenCalls.map((c) => [c.method, c.path])).toEqual([["POST", `/${graph.tenantId}/oauth2/v2.0/token`]]);
  });

  it("shares the token with the next connector for the same app (a connector per poll), not with another secret", async () => {
    graph.addMessage(mail(1));
    const first = connect();
    await collect(first);
    await first.close();
    await collect(connect());
    expect(graph.tokensIssued).toBe(1);
    await failure(collect(connect({ clientSecret: "wrong" })));
  });

  it("gets a new token once when Graph says the token expired, and carries on", async () => {
    graph.addMessage(mail(1));
    graph.addMessage(mail(2));
    const connector = connect();
    const seen = await collect(connector, 100, async (uid) => {
      graph.expireTokens();
      await connector.markDone(uid);
    });
    expect(seen).toHaveLength(2);
    expect(graph.folder("inbox")).toEqual([]);
    // The first token, then one new token per expiry (each noticed by exactly one refused request).
    expect(graph.tokensIssued).toBe(3);
    expect(graph.calls.filter((c) => c.status === 401)).toHaveLength(2);
  });

  it("renews a token before it expires instead of waiting for a 401", async () => {
    await graph.close();
    graph = await startFakeGraph({ tokenLifetimeSec: 4 });
    graph.addMessage(mail(1));
    const connector = connect();
    await collect(connector);
    const before = graph.tokensIssued;
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // past half of its 4 s lifetime, before its end
    await collect(connector);
    expect(graph.tokensIssued).toBe(before + 1);
    expect(graph.calls.filter((c) => c.status === 401)).toHaveLength(0);
  });

  it("gives up after one refresh when Graph keeps refusing the token", async () => {
    graph.addMessage(mail(1));
    graph.rejectAllTokens(true);
    const error = await failure(collect(connect()));
    expect(error.message).toContain("failed: HTTP 401 InvalidAuthenticationToken");
    expect(graph.tokensIssued).toBe(2);
  });

  it("explains a wrong client secret without repeating it", async () => {
    const secret = "wrong~Secret-value";
    const error = await failure(collect(connect({ clientSecret: secret })));
    expect(error.message).toMatch(/^Microsoft Graph sign-in \(tenant [\w-]+, client [\w-]+\) failed: HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided/);
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain("Trace ID"); // only the first line of Entra's description
    expect(graph.calls.filter((c) => c.path.startsWith("/v1.0/"))).toHaveLength(0);
  });

  it("explains an unknown tenant", async () => {
    const error = await failure(collect(connect({ tenantId: "not-a-tenant" })));
    expect(error.message).toContain("HTTP 400 invalid_request: AADSTS90002: Tenant 'not-a-tenant' not found.");
  });
});

describe("throttling and outages", () => {
  it("waits as long as Retry-After says, then retries", async () => {
    graph.addMessage(mail(1));
    graph.throttle(1, "1");
    const started = Date.now();
    const seen = await collect(connect());
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toHaveLength(1);
    expect(graph.calls.filter((c) => c.status === 429)).toHaveLength(1);
  });

  it("retries 503 too, and caps a long Retry-After", async () => {
    graph.addMessage(mail(1));
    graph.throttle(2, "3600", 503);
    const started = Date.now();
    const seen = await collect(connect({ maxRetryWaitMs: 50 }));
    expect(Date.now() - started).toBeLessThan(5_000); // not an hour
    expect(seen).toHaveLength(1);
    expect(graph.calls.filter((c) => c.status === 503)).toHaveLength(2);
  });

  it("stops after the allowed attempts with the throttling error", async () => {
    graph.addMessage(mail(1));
    graph.throttle(10, "0");
    const error = await failure(collect(connect({ maxAttempts: 3 })));
    expect(error.message).toMatch(/failed: HTTP 429 TooManyRequests: Please retry/);
    expect(graph.calls.filter((c) => c.status === 429)).toHaveLength(3);
  });

  it("cancels a Retry-After wait when the connector is closed", async () => {
    graph.addMessage(mail(1));
    graph.throttle(1, "30");
    const connector = connect({ maxRetryWaitMs: 60_000 });
    const started = Date.now();
    const pending = failure(collect(connector));
    setTimeout(() => void connector.close(), 100);
    const error = await pending;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.message).toContain("cancelled: the mailbox connection was closed");
  });

  it("says which host cannot be reached when Graph is down", async () => {
    const { apiBaseUrl, authorityHost } = graph;
    await graph.close();
    const error = await failure(collect(connect({ apiBaseUrl, authorityHost })));
    expect(error.message).toContain(`failed: cannot reach ${new URL(authorityHost).origin} (ECONNREFUSED)`);
    graph = await startFakeGraph(); // for afterEach
  });

  it("never sends the token to a host other than the configured Graph", async () => {
    // A nextLink pointing elsewhere (here: the same fake under another host name) is refused, not followed.
    for (let n = 1; n <= 3; n++) graph.addMessage(mail(n));
    const error = await failure(collect(connect({ pageSize: 2, apiBaseUrl: graph.apiBaseUrl.replace("127.0.0.1", "localhost") })));
    expect(error.message).toContain("link to another host");
  });
});

describe("waiting", () => {
  it("sleeps for the poll interval", async () => {
    const started = Date.now();
    await connect({ pollIntervalMs: 150 }).waitForMail(new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("returns early when aborted", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    await connect({ pollIntervalMs: 60_000 }).waitForMail(controller.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("names the mailbox as its source", () => {
    expect(connect().source).toBe(`graph:${graph.mailbox}`);
  });
});

describe("Retry-After", () => {
  it("reads delta-seconds and HTTP dates", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("7", now)).toBe(7000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:04 GMT", now)).toBe(4000);
    expect(retryAfterMs("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
