// Microsoft Graph mailbox connector (client credentials): lists the mailbox folder, fetches each message's
// MIME source, and moves or deletes a message once it is stored; a message Graph keeps failing to return is
// moved aside to a quarantine folder. HTTP, token and throttling: graph-client.ts.
import { abortableSleep, describeFailure, GraphClient, RETRYABLE } from "./graph-client";
import type { FetchedMessage, MailboxConnector, QuarantinedMessage } from "./types";

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
  /**
   * Where a message goes that Graph could not return on UNREADABLE_TRIES polls: the display name of a top-level
   * folder (created on first use). Default `Service Desk quarantine`.
   */
  quarantineFolder?: string;
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

/**
 * Polls on which Graph may fail to return a message before it is quarantined. The count is kept on the message
 * itself, as an Outlook category (`Service Desk: unreadable (try 2)`), so every poller — the worker, or a cron
 * call on a fresh serverless instance — adds to the same count.
 */
export const UNREADABLE_TRIES = 3;
const TRY_CATEGORY = /^Service Desk: unreadable \(try (\d+)\)$/;
const tryCategory = (tries: number) => `Service Desk: unreadable (try ${tries})`;
const DEFAULT_QUARANTINE_FOLDER = "Service Desk quarantine";

/** The stored mail's `source` and the poll lock's name (one Graph mailbox can be configured, so no folder). */
export function graphSource(config: Pick<GraphConfig, "mailbox">): string {
  return `graph:${config.mailbox}`;
}

/** OData string literal: a single quote is written twice. */
const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

export function graphConnector(config: GraphConfig): MailboxConnector {
  const processed = config.processedFolder?.trim() || undefined;
  const quarantine = config.quarantineFolder?.trim() || DEFAULT_QUARANTINE_FOLDER;
  for (const [what, name] of [["processed", processed], ["quarantine", quarantine]] as const)
    if (name && name.toLowerCase() === config.folder.trim().toLowerCase())
      throw new Error(`The ${what} folder (${name}) must not be the folder being read.`);

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
   * The oldest `limit` messages (id and categories), all listed before any is handed out: Graph pages with
   * $skip, so following a nextLink after the poller has moved earlier messages out would skip as many unseen ones.
   */
  async function list(limit: number): Promise<{ id: string; categories: string[] }[]> {
    const listed = new Map<string, string[]>();
    const query = new URLSearchParams({
      $orderby: "receivedDateTime asc",
      $select: "id,categories",
      $top: String(Math.min(pageSize, limit)),
    });
    let next: string | undefined = `${user}/mailFolders/${seg(config.folder)}/messages?${query}`;
    while (next && listed.size < limit) {
      const response = await client.request("GET", next);
      const page = (await response.json()) as { value?: { id?: unknown; categories?: unknown }[]; "@odata.nextLink"?: unknown };
      for (const item of page.value ?? [])
        if (typeof item.id === "string" && !listed.has(item.id))
          listed.set(item.id, Array.isArray(item.categories) ? item.categories.filter((c): c is string => typeof c === "string") : []);
      next = typeof page["@odata.nextLink"] === "string" ? page["@odata.nextLink"] : undefined;
    }
    return [...listed].slice(0, limit).map(([id, categories]) => ({ id, categories }));
  }

  /** Whole-mailbox trouble (credentials, permissions, throttling) ends the poll; anything else concerns one message. */
  const perMessage = (status: number) => status !== 403 && !RETRYABLE.has(status);

  const folderIds = new Map<string, Promise<string>>();

  /** A folder's id (processed, quarantine): looked up by display name once per connector, created when missing. */
  function folderId(name: string): Promise<string> {
    if (WELL_KNOWN_FOLDERS.has(name.toLowerCase())) return Promise.resolve(name.toLowerCase());
    const known = folderIds.get(name);
    if (known) return known;
    const lookup = (async () => {
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
    folderIds.set(name, lookup);
    lookup.catch(() => folderIds.delete(name));
    return lookup;
  }

  async function moveTo(uid: string, name: string, retried = false): Promise<"moved" | "not_found"> {
    const destinationId = await folderId(name);
    const response = await client.request("POST", `${user}/messages/${seg(uid)}/move`, {
      json: { destinationId },
      accept: (status) => status === 404,
    });
    await response.body?.cancel();
    if (response.status !== 404) return "moved";
    // 404 is either the message (already moved away) or a folder deleted since we looked it up: look it up again.
    if (!retried) {
      folderIds.delete(name);
      return moveTo(uid, name, true);
    }
    return "not_found";
  }

  /** What the mail log can show of a message Graph cannot return whole (best effort: it may fail too). */
  async function about(uid: string): Promise<Omit<QuarantinedMessage["quarantined"], "reason">> {
    try {
      const response = await client.request("GET", `${user}/messages/${seg(uid)}?${new URLSearchParams({ $select: "subject,from,internetMessageId" })}`, { accept: perMessage });
      if (!response.ok) {
        await response.body?.cancel();
        return {};
      }
      const json = (await response.json()) as { subject?: unknown; internetMessageId?: unknown; from?: { emailAddress?: { address?: unknown } } };
      const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);
      return { subject: text(json.subject), messageId: text(json.internetMessageId), from: text(json.from?.emailAddress?.address) };
    } catch {
      return {};
    }
  }

  /**
   * A message Graph did not return: counted on the message, or — on its UNREADABLE_TRIES-th poll, or when even
   * the count cannot be written — moved to the quarantine folder. The quarantined message, or why it stays.
   */
  async function unreadable(uid: string, categories: string[], failure: string): Promise<QuarantinedMessage | string> {
    const tries = Math.max(0, ...categories.map((c) => Number(TRY_CATEGORY.exec(c)?.[1] ?? 0))) + 1;
    let countError = "";
    if (tries < UNREADABLE_TRIES) {
      // Throttling or a permission problem throws (the whole poll fails, as for any request); a refusal that
      // concerns this message means its tries cannot be counted.
      const response = await client.request("PATCH", `${user}/messages/${seg(uid)}`, {
        json: { categories: [...categories.filter((c) => !TRY_CATEGORY.test(c)), tryCategory(tries)] },
        accept: perMessage,
      });
      if (response.ok) {
        await response.body?.cancel();
        return `${uid}: ${failure} (try ${tries} of ${UNREADABLE_TRIES})`;
      }
      countError = await describeFailure(response);
    }
    const where = `the folder “${quarantine}” of ${config.mailbox}`;
    const found = await about(uid);
    try {
      if ((await moveTo(uid, quarantine)) === "not_found") return `${uid}: ${failure} (and it is gone now)`;
    } catch (error) {
      return `${uid}: ${failure}; moving it to ${where} failed too: ${(error as Error).message}`;
    }
    const why = countError ? `and its tries could not be counted (${countError})` : `on ${tries} polls`;
    return {
      uid,
      quarantined: {
        reason: `Microsoft Graph could not return this message ${why}: ${failure}. It was moved to ${where}; move it back to ${config.folder} to try again.`,
        ...found,
      },
    };
  }

  return {
    source: graphSource(config),

    async *messages(limit: number): AsyncIterable<FetchedMessage | QuarantinedMessage> {
      if (!(limit > 0)) return;
      const failures: string[] = [];
      for (const { id, categories } of await list(limit)) {
        const response = await client.request("GET", `${user}/messages/${seg(id)}/$value`, { accept: perMessage });
        if (response.ok) {
          yield { uid: id, raw: new Uint8Array(await response.arrayBuffer()) };
        } else if (response.status === 404) {
          await response.body?.cancel(); // moved or deleted since it was listed: nothing to do
        } else {
          // One message Graph cannot serve must not hold up the ones behind it: counted (the poll reports it once
          // the rest is done), and moved aside after a few polls.
          const outcome = await unreadable(id, categories, await describeFailure(response));
          if (typeof outcome === "string") failures.push(outcome);
          else yield outcome;
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
      await moveTo(uid, processed); // not found: already moved away, which is what we wanted
    },

    async waitForMail(signal: AbortSignal): Promise<void> {
      await abortableSleep(config.pollIntervalMs, AbortSignal.any([signal, closed.signal])).catch(() => undefined);
    },

    async close(): Promise<void> {
      closed.abort();
    },
  };
}
