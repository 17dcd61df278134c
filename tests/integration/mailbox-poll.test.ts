// The mailbox poller with an in-memory connector (the protocol is beside the point here): a message too large
// to take in is recorded with its headers and cleared, and the mail behind it still becomes an issue; the poll
// lease is renewed on a timer, so a slow message keeps a second poller out; a poll that lost its lease stops
// and still records its error.
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { replayInboundMail } from "@/lib/data/mail-log";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { pollMailbox } from "@/lib/mail/mailbox/poll";
import type { FetchedMessage, MailboxConnector } from "@/lib/mail/mailbox/types";
import { projectKey } from "@/lib/service-desk/address";
import { MAX_INBOUND_BYTES } from "@/lib/service-desk/intake";
import { eml, newMessageId } from "../support/mail";
import { makeUser, outcome, uid, uniqueProjectPath } from "./helpers";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A mailbox holding `messages`; `before(uid)` runs before each is handed over (to be slow, or steal the lease). */
function memoryMailbox(messages: FetchedMessage[], options: { source?: string; before?: (uid: string) => Promise<void> } = {}) {
  const done: string[] = [];
  const connector: MailboxConnector = {
    source: options.source ?? `memory:${uid()}`,
    async *messages(limit) {
      for (const message of messages.filter((m) => !done.includes(m.uid)).slice(0, limit)) {
        await options.before?.(message.uid);
        yield message;
      }
    },
    markDone: async (id) => {
      done.push(id);
    },
    waitForMail: async () => undefined,
    close: async () => undefined,
  };
  return { connector, done };
}

describe("the mailbox poller", () => {
  it("records a message over the size cap by its headers, clears it, and goes on with the next", async () => {
    const owner = await makeUser("owner");
    const project = await createProject(owner, uniqueProjectPath("poll"));
    await setServiceDeskEnabled(owner, project.fullPath, true);
    const address = `incoming+${projectKey(project)}@localhost`;

    const bigId = newMessageId();
    const head = eml({ to: address, messageId: bigId, subject: "Here is the whole disk image" });
    const big = Buffer.concat([Buffer.from(head), Buffer.alloc(MAX_INBOUND_BYTES + 1024, "A")]);
    const small = Buffer.from(eml({ to: address, subject: "And a small question" }));
    const { connector, done } = memoryMailbox([
      { uid: "1", raw: big },
      { uid: "2", raw: small },
    ]);

    const result = await pollMailbox(connector, { limit: 10 });
    expect(result.status).toBe("ok");
    expect(result.outcomes.map((o) => o.status)).toEqual(["ignored", "created_issue"]);
    expect(done).toEqual(["1", "2"]);

    const stored = await db().inboundEmail.findUniqueOrThrow({ where: { id: result.outcomes[0].inboundEmailId! } });
    expect(stored).toMatchObject({ status: "ignored", size: big.byteLength, messageId: bigId, subject: "Here is the whole disk image", source: connector.source });
    expect(stored.reason).toMatch(/^Mail over 30 MB \(30\.0 MB\)/);
    expect(stored.payload.byteLength).toBeLessThan(4096);
    // Its body is gone, so it cannot be replayed into an empty issue.
    expect(await outcome(replayInboundMail(await makeUser("admin", { isAdmin: true }), stored.id))).toBe("conflict");
    expect(await db().issue.count({ where: { projectId: project.id } })).toBe(1);
  });

  it("renews its lease while a slow message is fetched, so a second poller stays out", async () => {
    let fetching!: () => void;
    const started = new Promise<void>((resolve) => (fetching = resolve));
    const { connector, done } = memoryMailbox([{ uid: "1", raw: Buffer.from(eml({ to: "nobody@localhost" })) }], {
      before: async () => {
        fetching();
        await sleep(2_400); // four times the lease
      },
    });
    const first = pollMailbox(connector, { limit: 10, leaseMs: 600 });
    await started;
    await sleep(1_400);
    const second = await pollMailbox(memoryMailbox([], { source: connector.source }).connector, { limit: 10, leaseMs: 600 });
    expect(second.status).toBe("busy");
    expect(await first).toMatchObject({ status: "ok", outcomes: [{ status: "rejected" }] });
    expect(done).toEqual(["1"]);
    expect(await db().mailboxPoll.findUniqueOrThrow({ where: { source: connector.source } })).toMatchObject({ lockedBy: null, lockedUntil: null, consecutiveFailures: 0, totalMessages: 1 });
  });

  it("stops when another poller took its lease over, and records the error all the same", async () => {
    const other = "elsewhere.example:4242:cafe0123";
    let source = "";
    const { connector, done } = memoryMailbox(
      [
        { uid: "1", raw: Buffer.from(eml({ to: "nobody@localhost" })) },
        { uid: "2", raw: Buffer.from(eml({ to: "nobody@localhost" })) },
      ],
      {
        before: async (id) => {
          if (id !== "2") return;
          // Say this poller stalled past its lease and another one took the mailbox; the renewal timer notices.
          await db().mailboxPoll.update({ where: { source }, data: { lockedBy: other, lockedUntil: new Date(Date.now() + 60_000) } });
          await sleep(400);
        },
      },
    );
    source = connector.source;
    const result = await pollMailbox(connector, { limit: 10, leaseMs: 150 });
    expect(result).toMatchObject({ status: "error", error: expect.stringContaining("lease was lost"), outcomes: [{ status: "rejected" }] });
    expect(done).toEqual(["1"]); // the second message is the other poller's to take
    expect(await db().mailboxPoll.findUniqueOrThrow({ where: { source } })).toMatchObject({
      lockedBy: other,
      lastError: result.error,
      lastErrorAt: expect.any(Date),
      consecutiveFailures: 1,
      totalMessages: 1,
    });
  });
});
