// Microsoft Graph mailbox connector (client credentials): lists the mailbox folder, fetches each message's
// MIME source, and moves or deletes a message once it is stored. HTTP, token and throttling: graph-client.ts.
import { abortableSleep, describeFailure, GraphClient, RETRYABLE } from "./graph-client";
import type { FetchedMessage, MailboxConnector } from "./types";

export interface GraphConfig {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** User principal name or id of the mailbox, e.g. support@example.com. */
  mailbox: string;
  /** Folder to read; well-known name or id. */
  folder: string;
  /**
   * Where processed mail goes: the display name of a top-level folder of the mailbox (created on first use when
   * missing), or a well-known folder name such as `archive`. Undefined = delete it (Graph moves it to Deleted Items).
   */
  processedFolder?: string;
  pollIntervalMs: number;
  /** e.g. https://login.microsoftonline.com — overridable for tests. */
  authorityHost: string;
  /** e.g. https://graph.microsoft.com/v1.0 — overridable for tests. */
  apiBaseUrl: string;
  /** Messages per list request ($top). Default 50. */
  pageSize?: number;
  /** Per HTTP exchange. Default 30 s. */
  requestTimeoutMs?: number;
  /** Tries per request on 429/503/504, the first included. Default 4. */
  maxAttempts?: number;
  /** Cap on one Retry-After wait. Default 60 s. */
  maxRetryWaitMs?: number;
}

/** Graph's well-known folder names (accepted wherever a folder id is). */
const WELL_KNOWN_FOLDERS = new Set([
  "archive",
  "clutter",
  "conversationhistory",
  "deleteditems",
  "drafts",
  "inbox",
  "junkemail",
  "outbox",
  "sentitems",
]);

const seg = encodeURIComponent;

/** The stored mail's `source` and the poll lock's name (one Graph mailbox can be configured, so no folder). */
export function graphSource(config: Pick<GraphConfig, "mailbox">): string {
  return `graph:${config.mailbox}`;
}

/** OData string literal: a single quote is written twice. */
const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

export function graphConnector(config: GraphConfig): MailboxConnector {
  const processed = config.processedFolder?.trim() || undefined;
  if (processed && processed.toLowerCase() === config.folder.trim().toLowerCase())
    throw new Error(`The processed folder (${processed}) must not be the folder being read.`);

  const closed = new AbortController();
  const client = new GraphClient({
    tenantId: config.tenantId,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    authorityHost: config.authorityHost,
    apiBaseUrl: config.apiBaseUrl,
    requestTimeoutMs: config.requestTimeoutMs ?? 30_000,
    maxAttempts: Math.max(1, config.maxAttempts ?? 4),
    maxRetryWaitMs: config.maxRetryWaitMs ?? 60_000,
    signal: closed.signal,
  });
  const user = `/users/${seg(config.mailbox)}`;
  const pageSize = Math.min(Math.max(1, config.pageSize ?? 50), 1000);

  /**
   * The ids of the oldest `limit` messages, all listed before any is handed out: Graph pages with $skip, so
   * following a nextLink after the poller has moved earlier messages out would skip as many unseen ones.
   */
  async function listIds(limit: number): Promise<string[]> {
    const ids: string[] = [];
    const query = new URLSearchParams({
      $orderby: "receivedDateTime asc",
      $select: "id",
      $top: String(Math.min(pageSize, limit)),
    });
    let next: string | undefined = `${user}/mailFolders/${seg(config.folder)}/messages?${query}`;
    while (next && ids.length < limit) {
      const response = await client.request("GET", next);
      const page = (await response.json()) as { value?: { id?: unknown }[]; "@odata.nextLink"?: unknown };
      for (const item of page.value ?? []) if (typeof item.id === "string" && !ids.includes(item.id)) ids.push(item.id);
      next = typeof page["@odata.nextLink"] === "string" ? page["@odata.nextLink"] : undefined;
    }
    return ids.slice(0, limit);
  }

  /** Whole-mailbox trouble (credentials, permissions, throttling) ends the poll; anything else concerns one message. */
  const perMessage = (status: number) => status !== 403 && !RETRYABLE.has(status);

  let processedId: Promise<string> | undefined;

  /** The processed folder's id: looked up by display name once per connector, created when missing. */
  function processedFolderId(name: string): Promise<string> {
    if (WELL_KNOWN_FOLDERS.has(name.toLowerCase())) return Promise.resolve(name.toLowerCase());
    processedId ??= (async () => {
      const find = async () => {
        const query = new URLSearchParams({ $filter: `displayName eq ${odataString(name)}`, $select: "id,displayName" });
        const response = await client.request("GET", `${user}/mailFolders?${query}`);
        const { value } = (await response.json()) as { value?: { id?: unknown }[] };
        const id = value?.[0]?.id;
        return typeof id === "string" ? id : undefined;
      };
      const existing = await find();
      if (existing) return existing;
      const response = await client.request("POST", `${user}/mailFolders`, {
        json: { displayName: name },
        accept: (status) => status === 409,
      });
      // 409 ErrorFolderExists: made in the meantime (e.g. by an administrator) — use that one.
      const id = response.status === 409 ? (await response.body?.cancel(), await find()) : ((await response.json()) as { id?: unknown }).id;
      if (typeof id !== "string") throw new Error(`Microsoft Graph did not return an id for the folder ${name}.`);
      return id;
    })();
    processedId.catch(() => (processedId = undefined));
    return processedId;
  }

  async function moveTo(uid: string, name: string): Promise<"moved" | "not_found"> {
    const destinationId = await processedFolderId(name);
    const response = await client.request("POST", `${user}/messages/${seg(uid)}/move`, {
      json: { destinationId },
      accept: (status) => status === 404,
    });
    await response.body?.cancel();
    return response.status === 404 ? "not_found" : "moved";
  }

  return {
    source: graphSource(config),

    async *messages(limit: number): AsyncIterable<FetchedMessage> {
      if (!(limit > 0)) return;
      const ids = await listIds(limit);
      const failures: string[] = [];
      for (const id of ids) {
        const response = await client.request("GET", `${user}/messages/${seg(id)}/$value`, { accept: perMessage });
        if (response.ok) {
          yield { uid: id, raw: new Uint8Array(await response.arrayBuffer()) };
        } else if (response.status === 404) {
          await response.body?.cancel(); // moved or deleted since it was listed: nothing to do
        } else {
          // One message Graph cannot serve must not hold up the ones behind it; report it once the rest is done.
          failures.push(`${id}: ${await describeFailure(response)}`);
        }
      }
      if (failures.length)
        throw new Error(`Microsoft Graph could not return ${failures.length} message(s) of ${config.mailbox}/${config.folder}: ${failures.join("; ")}`);
    },

    async markDone(uid: string): Promise<void> {
      if (!processed) {
        const response = await client.request("DELETE", `${user}/messages/${seg(uid)}`, { accept: (status) => status === 404 });
        await response.body?.cancel();
        return; // 404: already gone, which is what we wanted
      }
      if ((await moveTo(uid, processed)) === "moved") return;
      // 404 is either the message (already moved away: fine) or a processed folder deleted since we looked it up.
      processedId = undefined;
      await moveTo(uid, processed);
    },

    async waitForMail(signal: AbortSignal): Promise<void> {
      await abortableSleep(config.pollIntervalMs, AbortSignal.any([signal, closed.signal])).catch(() => undefined);
    },

    async close(): Promise<void> {
      closed.abort();
    },
  };
}
