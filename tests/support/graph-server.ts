// A local stand-in for the few Microsoft Graph and Entra ID endpoints the mailbox connector uses (Microsoft's
// services cannot be reached from the test machines): client-credentials token, folder messages with $skip paging,
// MIME $value, a message's properties (GET, and PATCH of its categories), move, delete, top-level folder lookup
// and creation. Messages live in memory; every call is recorded; tests can expire tokens, throttle with
// Retry-After and break single messages.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeGraphMessage {
  id: string;
  raw: Buffer;
  receivedDateTime: string;
  /** Outlook categories (PATCH-able). */
  categories: string[];
}

interface Folder {
  id: string;
  displayName: string;
  wellKnownName?: string;
  messages: FakeGraphMessage[];
}

export interface GraphCall {
  method: string;
  /** Decoded path, e.g. /v1.0/users/support@x.test/messages/AAMk…=/$value */
  path: string;
  query: Record<string, string>;
  status: number;
  /** The bearer token sent, if any (tests check reuse; never printed). */
  token?: string;
}

export interface FakeGraphOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  mailbox?: string;
  /** expires_in of issued tokens, seconds. Default 3599 (like Entra ID). */
  tokenLifetimeSec?: number;
}

export interface FakeGraph {
  /** Use as both authorityHost and (with /v1.0) apiBaseUrl. */
  url: string;
  authorityHost: string;
  apiBaseUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  mailbox: string;
  calls: GraphCall[];
  /** Token requests answered with a token. */
  readonly tokensIssued: number;
  /** Puts a message in a folder (well-known name, display name or id); receivedDateTime defaults to "now", increasing. */
  addMessage(raw: string | Buffer, options?: { folder?: string; receivedDateTime?: string }): string;
  /** Messages of a folder (well-known name, display name or id), oldest first; undefined when no such folder. */
  folder(name: string): FakeGraphMessage[] | undefined;
  addFolder(displayName: string): string;
  /** Every token issued so far stops working (401 InvalidAuthenticationToken), as when it expires or is revoked. */
  expireTokens(): void;
  /** Tokens stop working as soon as they are issued (a revoked app consent). */
  rejectAllTokens(on: boolean): void;
  /** The next `times` Graph requests answer `status` (429 or 503) with Retry-After: `retryAfter`. */
  throttle(times: number, retryAfter: string | undefined, status?: number): void;
  /** GET …/messages/{id}/$value answers this status with a Graph error for that message (and so does PATCH, with `refuseChanges`). */
  breakMessage(id: string, status: number, options?: { refuseChanges?: boolean }): void;
  close(): Promise<void>;
}

const graphError = (code: string, message: string) => ({ error: { code, message, innerError: { "request-id": randomBytes(8).toString("hex") } } });

/** Ids shaped like Exchange's (base64 with `=`, `+`, `/`), so the client must encode them in paths. */
const newId = () => `AAMkAG${randomBytes(24).toString("base64")}=`;

/** One header of a message's source, unfolded (the fake's stand-in for the properties Exchange extracts). */
function header(raw: Buffer, name: string): string | undefined {
  const head = raw.toString("latin1").split(/\r?\n\r?\n/)[0];
  const match = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, "im").exec(head);
  return match?.[1].replace(/\r?\n[ \t]+/g, " ").trim();
}

export async function startFakeGraph(options: FakeGraphOptions = {}): Promise<FakeGraph> {
  const tenantId = options.tenantId ?? "11111111-2222-3333-4444-555555555555";
  const clientId = options.clientId ?? "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
  const clientSecret = options.clientSecret ?? `secret~${randomBytes(12).toString("base64url")}`;
  const mailbox = options.mailbox ?? "support@contoso.test";
  const lifetime = options.tokenLifetimeSec ?? 3599;

  const folders: Folder[] = [
    { id: newId(), displayName: "Inbox", wellKnownName: "inbox", messages: [] },
    { id: newId(), displayName: "Deleted Items", wellKnownName: "deleteditems", messages: [] },
    { id: newId(), displayName: "Archive", wellKnownName: "archive", messages: [] },
  ];
  const tokens = new Map<string, number>(); // token → expiry (ms)
  const calls: GraphCall[] = [];
  const throttles: { status: number; retryAfter?: string }[] = [];
  const broken = new Map<string, { status: number; refuseChanges?: boolean }>();
  let tokensIssued = 0;
  let rejectAll = false;
  let clock = Date.parse("2026-01-01T00:00:00Z");
  let base = "";

  const findFolder = (ref: string) => {
    const lower = ref.toLowerCase();
    return folders.find((f) => f.id === ref || f.wellKnownName === lower || f.displayName.toLowerCase() === lower);
  };
  const findMessage = (id: string) => {
    for (const folder of folders) {
      const index = folder.messages.findIndex((m) => m.id === id);
      if (index >= 0) return { folder, index };
    }
    return undefined;
  };
  const moveMessage = (id: string, to: Folder) => {
    const found = findMessage(id)!;
    const [message] = found.folder.messages.splice(found.index, 1);
    // Exchange gives a moved message a new id.
    const moved = { ...message, id: newId() };
    to.messages.push(moved);
    return moved;
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake");
    const segments = url.pathname.split("/").map((s) => decodeURIComponent(s));
    const path = segments.join("/");
    const call: GraphCall = { method: req.method ?? "GET", path, query: Object.fromEntries(url.searchParams), status: 0 };
    calls.push(call);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      if (Buffer.isBuffer(payload)) {
        res.writeHead(status, { "content-type": "text/plain", ...headers });
        return res.end(payload);
      }
      res.writeHead(status, payload === undefined ? headers : { "content-type": "application/json", ...headers });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };

    // Entra ID token endpoint.
    const tokenPath = url.pathname.match(/^\/([^/]+)\/oauth2\/v2\.0\/token$/);
    if (tokenPath) {
      const form = new URLSearchParams(body);
      const aad = (status: number, error: string, description: string) =>
        send(status, { error, error_description: `${description}\r\nTrace ID: ${randomBytes(8).toString("hex")}\r\nCorrelation ID: x`, error_codes: [] });
      if (req.method !== "POST") return aad(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.");
      if (decodeURIComponent(tokenPath[1]) !== tenantId)
        return aad(400, "invalid_request", `AADSTS90002: Tenant '${decodeURIComponent(tokenPath[1])}' not found.`);
      if (form.get("grant_type") !== "client_credentials") return aad(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.");
      if (form.get("client_id") !== clientId)
        return aad(400, "unauthorized_client", `AADSTS700016: Application with identifier '${form.get("client_id")}' was not found in the directory.`);
      if (form.get("client_secret") !== clientSecret)
        return aad(401, "invalid_client", `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
      if (form.get("scope") !== "https://graph.microsoft.com/.default")
        return aad(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.");
      const token = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString("base64url")}`;
      tokens.set(token, Date.now() + lifetime * 1000);
      tokensIssued++;
      return send(200, { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token });
    }

    if (!url.pathname.startsWith("/v1.0/")) return send(404, graphError("UnknownError", "Not a Graph path"));
    const auth = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    call.token = auth;
    if (!auth) return send(401, graphError("InvalidAuthenticationToken", "Access token is empty."));
    if (rejectAll || !tokens.has(auth) || tokens.get(auth)! <= Date.now())
      return send(401, graphError("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."));
    const throttled = throttles.shift();
    if (throttled)
      return send(
        throttled.status,
        graphError(throttled.status === 429 ? "TooManyRequests" : "ServiceUnavailable", "Please retry after the time given in Retry-After."),
        throttled.retryAfter === undefined ? {} : { "retry-after": throttled.retryAfter },
      );

    const parts = segments.slice(2); // after "", "v1.0"
    if (parts[0] !== "users" || parts.length < 3) return send(400, graphError("BadRequest", `Unsupported path ${path}`));
    if (parts[1].toLowerCase() !== mailbox.toLowerCase())
      return send(404, graphError("ErrorInvalidUser", `The requested user '${parts[1]}' is invalid.`));
    const rest = parts.slice(2);
    const method = req.method;

    // GET/POST /users/{mb}/mailFolders (top-level folders; $filter=displayName eq '…')
    if (rest.length === 1 && rest[0] === "mailFolders") {
      if (method === "GET") {
        const filter = url.searchParams.get("$filter");
        const wanted = filter?.match(/^displayName eq '((?:[^']|'')*)'$/)?.[1]?.replace(/''/g, "'");
        if (filter && wanted === undefined) return send(400, graphError("BadRequest", `Unsupported $filter ${filter}`));
        const list = folders.filter((f) => wanted === undefined || f.displayName.toLowerCase() === wanted.toLowerCase());
        return send(200, { value: list.map((f) => ({ id: f.id, displayName: f.displayName })) });
      }
      if (method === "POST") {
        const { displayName } = JSON.parse(body || "{}") as { displayName?: string };
        if (!displayName) return send(400, graphError("ErrorInvalidRequest", "displayName is required."));
        if (folders.some((f) => f.displayName.toLowerCase() === displayName.toLowerCase()))
          return send(409, graphError("ErrorFolderExists", "A folder with the specified name already exists."));
        const folder: Folder = { id: newId(), displayName, messages: [] };
        folders.push(folder);
        return send(201, { id: folder.id, displayName });
      }
    }

    // GET /users/{mb}/mailFolders/{folder}/messages
    if (rest.length === 3 && rest[0] === "mailFolders" && rest[2] === "messages" && method === "GET") {
      const folder = findFolder(rest[1]);
      if (!folder) return send(404, graphError("ErrorItemNotFound", "The specified object was not found in the store."));
      const orderby = url.searchParams.get("$orderby");
      const sorted = [...folder.messages].sort((a, b) => a.receivedDateTime.localeCompare(b.receivedDateTime));
      // Graph's default order is newest first.
      if (orderby !== "receivedDateTime asc") sorted.reverse();
      const top = Number(url.searchParams.get("$top") ?? 10);
      const skip = Number(url.searchParams.get("$skip") ?? 0);
      const page = sorted.slice(skip, skip + top);
      const select = url.searchParams.get("$select")?.split(",");
      const value = page.map((m) => {
        const full = { id: m.id, receivedDateTime: m.receivedDateTime, categories: m.categories, subject: "(not parsed by the fake)" };
        return select ? Object.fromEntries(Object.entries(full).filter(([k]) => select.includes(k))) : full;
      });
      const result: Record<string, unknown> = { value };
      if (skip + top < sorted.length) {
        const next = new URL(url.toString());
        next.searchParams.set("$skip", String(skip + top));
        // Absolute, on the server's own address (as Graph's are on graph.microsoft.com), whatever Host was asked.
        result["@odata.nextLink"] = `${base}${next.pathname}${next.search}`;
      }
      return send(200, result);
    }

    // /users/{mb}/messages/{id}[/$value|/move]
    if (rest[0] === "messages" && rest.length >= 2) {
      const id = rest[1];
      const found = findMessage(id);
      if (!found) return send(404, graphError("ErrorItemNotFound", "The specified object was not found in the store."));
      const message = found.folder.messages[found.index];
      if (rest.length === 3 && rest[2] === "$value" && method === "GET") {
        const status = broken.get(id)?.status;
        if (status) return send(status, graphError(status === 500 ? "ErrorInternalServerError" : "ErrorInvalidRequest", "The message could not be converted."));
        return send(200, message.raw);
      }
      if (rest.length === 3 && rest[2] === "move" && method === "POST") {
        const { destinationId } = JSON.parse(body || "{}") as { destinationId?: string };
        const to = destinationId ? findFolder(destinationId) : undefined;
        if (!to) return send(404, graphError("ErrorItemNotFound", "The specified object was not found in the store."));
        const moved = moveMessage(id, to);
        return send(201, { id: moved.id, parentFolderId: to.id });
      }
      if (rest.length === 2 && method === "GET") {
        const from = header(message.raw, "From");
        const address = from?.match(/<([^>]+)>/)?.[1] ?? from;
        const full: Record<string, unknown> = {
          id: message.id,
          receivedDateTime: message.receivedDateTime,
          categories: message.categories,
          subject: header(message.raw, "Subject") ?? "",
          internetMessageId: header(message.raw, "Message-ID") ?? null,
          from: address ? { emailAddress: { address, name: "" } } : null,
        };
        const select = url.searchParams.get("$select")?.split(",");
        return send(200, select ? Object.fromEntries(Object.entries(full).filter(([k]) => k === "id" || select.includes(k))) : full);
      }
      if (rest.length === 2 && method === "PATCH") {
        const refused = broken.get(id);
        if (refused?.refuseChanges) return send(refused.status, graphError("ErrorInvalidRequest", "The item cannot be updated."));
        const { categories } = JSON.parse(body || "{}") as { categories?: unknown };
        if (!Array.isArray(categories) || categories.some((c) => typeof c !== "string"))
          return send(400, graphError("ErrorInvalidRequest", "Only categories can be changed on the fake."));
        message.categories = categories as string[];
        return send(200, { id: message.id, categories: message.categories });
      }
      if (rest.length === 2 && method === "DELETE") {
        moveMessage(id, findFolder("deleteditems")!);
        return send(204);
      }
    }
    return send(400, graphError("BadRequest", `Unsupported ${method} ${path}`));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    authorityHost: base,
    apiBaseUrl: `${base}/v1.0`,
    tenantId,
    clientId,
    clientSecret,
    mailbox,
    calls,
    get tokensIssued() {
      return tokensIssued;
    },
    addMessage(raw, { folder = "inbox", receivedDateTime } = {}) {
      const target = findFolder(folder);
      if (!target) throw new Error(`fake Graph: no folder ${folder}`);
      clock += 1000;
      const message = {
        id: newId(),
        raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, "utf8"),
        receivedDateTime: receivedDateTime ?? new Date(clock).toISOString(),
        categories: [],
      };
      target.messages.push(message);
      return message.id;
    },
    folder(name) {
      const found = findFolder(name);
      return found && [...found.messages].sort((a, b) => a.receivedDateTime.localeCompare(b.receivedDateTime));
    },
    addFolder(displayName) {
      const folder: Folder = { id: newId(), displayName, messages: [] };
      folders.push(folder);
      return folder.id;
    },
    expireTokens() {
      for (const token of tokens.keys()) tokens.set(token, 0);
    },
    rejectAllTokens(on) {
      rejectAll = on;
    },
    throttle(times, retryAfter, status = 429) {
      for (let i = 0; i < times; i++) throttles.push({ status, retryAfter });
    },
    breakMessage(id, status, { refuseChanges } = {}) {
      broken.set(id, { status, refuseChanges });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
