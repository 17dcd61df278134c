// A local SendGrid-compatible v3 Mail Send server for tests: it checks the payload the way SendGrid does
// (auth, required fields, ASCII headers) and records what it accepted. Tests choose its answers. E2E tests run
// it in Playwright's runner process and read what it accepted over HTTP (`inspect`: GET /__test/messages) and
// script its next answers (`inspect`: POST /__test/fail-next with a JSON array of replies, POST /__test/outage
// with one reply or null).
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface SentMessage {
  to: string[];
  from: { email: string; name?: string };
  replyTo?: { email: string; name?: string };
  subject: string;
  text?: string;
  html?: string;
  headers: Record<string, string>;
  customArgs: Record<string, string>;
  messageId: string;
}

/**
 * A scripted answer: a status, or a fault — drop the connection, never answer, or accept the mail and never
 * answer (the sender cannot know it went out: the one case where a retry sends a mail twice); or accept the mail
 * and answer 202 only after `acceptAfterMs` (a send still in flight while the test does something else).
 */
export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { fault: "drop" | "hang" | "accept-hang" }
  | { acceptAfterMs: number };

export interface FakeSendGrid {
  url: string;
  apiKey: string;
  accepted: SentMessage[];
  /** Every request to /v3/mail/send, answered or not (accepted, refused or forced). */
  readonly requests: number;
  /** The next requests get these answers (in order) instead of 202. */
  failNext(...replies: Reply[]): void;
  /** Until `recover()`, every request gets `reply` (after the failNext ones): SendGrid is down. */
  outage(reply?: Reply): void;
  recover(): void;
  close(): Promise<void>;
}

interface Payload {
  personalizations?: { to?: { email?: string }[] }[];
  from?: { email?: string; name?: string };
  reply_to?: { email?: string; name?: string };
  subject?: string;
  content?: { type?: string; value?: string }[];
  headers?: Record<string, unknown>;
  custom_args?: Record<string, unknown>;
}

function validate(payload: Payload): string[] {
  const errors: string[] = [];
  const to = payload.personalizations?.flatMap((p) => p.to ?? []) ?? [];
  if (to.length === 0 || to.some((t) => !t.email?.includes("@"))) errors.push("personalizations.to must contain valid emails");
  if (!payload.from?.email?.includes("@")) errors.push("from.email is required");
  if (!payload.subject) errors.push("subject is required");
  if (!payload.content?.length || payload.content.some((c) => !c.type || typeof c.value !== "string"))
    errors.push("content must be a non-empty array of {type, value}");
  else if (payload.content[0].type !== "text/plain" && payload.content.some((c) => c.type === "text/plain"))
    errors.push("text/plain content must come first");
  for (const [name, value] of Object.entries(payload.headers ?? {})) {
    if (typeof value !== "string") errors.push(`header ${name} must be a string`);
    else if (!/^[\x20-\x7e]*$/.test(value)) errors.push(`header ${name} must be ASCII`);
  }
  for (const [name, value] of Object.entries(payload.custom_args ?? {}))
    if (typeof value !== "string") errors.push(`custom_args.${name} must be a string`);
  return errors;
}

export interface FakeSendGridOptions {
  /** A fixed port (E2E: the app under test is configured with it before the fake starts); default: any free one. */
  port?: number;
  /** Serve GET /__test/messages (what was accepted, plus the request count) and POST /__test/fail-next for tests in other processes. */
  inspect?: boolean;
}

export async function startFakeSendGrid(apiKey = "SG.test-key", options: FakeSendGridOptions = {}): Promise<FakeSendGrid> {
  const accepted: SentMessage[] = [];
  const queue: Reply[] = [];
  let down: Reply | undefined;
  let requests = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (reply: Exclude<Reply, { acceptAfterMs: number }>) => {
      if ("fault" in reply) {
        if (reply.fault === "drop") req.socket.destroy();
        return; // "hang": the client's timeout has to deal with it
      }
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
    };
    if (options.inspect && req.method === "GET" && req.url === "/__test/messages") return send({ status: 200, body: { requests, accepted } });
    if (options.inspect && req.method === "POST" && req.url === "/__test/fail-next") {
      queue.push(...(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Reply[]));
      return send({ status: 204 });
    }
    if (options.inspect && req.method === "POST" && req.url === "/__test/outage") {
      down = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Reply | null) ?? undefined;
      return send({ status: 204 });
    }
    if (req.method !== "POST" || req.url !== "/v3/mail/send") return send({ status: 404, body: { errors: [{ message: "not found" }] } });
    requests++;
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return send({ status: 401, body: { errors: [{ message: "The provided authorization grant is invalid, expired, or revoked" }] } });
    const forced = queue.shift() ?? down;
    const acceptSilently = !!forced && "fault" in forced && forced.fault === "accept-hang";
    const acceptLater = forced && "acceptAfterMs" in forced ? forced.acceptAfterMs : undefined;
    if (forced && !acceptSilently && !("acceptAfterMs" in forced)) return send(forced);
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send({ status: 400, body: { errors: [{ message: "Invalid JSON" }] } });
    }
    const errors = validate(payload);
    if (errors.length) return send({ status: 400, body: { errors: errors.map((message) => ({ message })) } });
    const messageId = randomUUID().replace(/-/g, "").slice(0, 22);
    accepted.push({
      to: payload.personalizations!.flatMap((p) => p.to!.map((t) => t.email!)),
      from: payload.from as SentMessage["from"],
      replyTo: payload.reply_to as SentMessage["replyTo"],
      subject: payload.subject!,
      text: payload.content!.find((c) => c.type === "text/plain")?.value,
      html: payload.content!.find((c) => c.type === "text/html")?.value,
      headers: (payload.headers ?? {}) as Record<string, string>,
      customArgs: (payload.custom_args ?? {}) as Record<string, string>,
      messageId,
    });
    if (acceptSilently) return;
    if (acceptLater !== undefined) await new Promise((resolve) => setTimeout(resolve, acceptLater));
    send({ status: 202, headers: { "x-message-id": messageId } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    accepted,
    get requests() {
      return requests;
    },
    failNext: (...replies) => queue.push(...replies),
    outage: (reply = { status: 503, body: { errors: [{ message: "Service Unavailable" }] } }) => {
      down = reply;
    },
    recover: () => {
      down = undefined;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Hung requests would keep close() waiting forever.
        server.closeAllConnections();
      }),
  };
}
