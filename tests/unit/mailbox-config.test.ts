// Mailbox configuration: which mailboxes the worker and the cron route poll, built from IMAP_* / GRAPH_*.
import { describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/env";
import { graphConfig, imapConfig, mailboxConfigs } from "@/lib/mail/mailbox/config";
import { backoffDelay } from "@/lib/mail/mailbox/worker";

const IMAP = { IMAP_HOST: "imap.example.com", IMAP_USER: "support@example.com", IMAP_PASSWORD: "pw" };
const GRAPH = { GRAPH_TENANT_ID: "tenant", GRAPH_CLIENT_ID: "client", GRAPH_CLIENT_SECRET: "secret", GRAPH_MAILBOX: "help@example.com" };
const env = (vars: Record<string, string>) => parseEnv({ AUTH_SECRET: "x", ...vars });

describe("mailbox configuration", () => {
  it("has no mailbox when nothing is configured (SendGrid is the intake)", () => {
    expect(mailboxConfigs(env({}))).toEqual([]);
  });

  it("defaults IMAP to TLS on 993, INBOX, expunge, and 143 without TLS", () => {
    expect(imapConfig(env(IMAP))).toEqual({
      host: "imap.example.com",
      port: 993,
      secure: true,
      startTls: undefined,
      user: "support@example.com",
      password: "pw",
      mailbox: "INBOX",
      processedMailbox: undefined,
      idleTimeoutMs: 60_000,
    });
    expect(imapConfig(env({ ...IMAP, IMAP_SECURE: "false", IMAP_STARTTLS: "true" }))).toMatchObject({ port: 143, secure: false, startTls: true });
    expect(imapConfig(env({ ...IMAP, IMAP_PORT: "1143", IMAP_PROCESSED_MAILBOX: "Done", IMAP_IDLE_TIMEOUT: "600" }))).toMatchObject({ port: 1143, processedMailbox: "Done", idleTimeoutMs: 600_000 });
  });

  it("builds the Graph configuration with its defaults and overrides", () => {
    expect(graphConfig(env(GRAPH))).toEqual({
      tenantId: "tenant",
      clientId: "client",
      clientSecret: "secret",
      mailbox: "help@example.com",
      folder: "inbox",
      processedFolder: undefined,
      pollIntervalMs: 60_000,
      authorityHost: "https://login.microsoftonline.com",
      apiBaseUrl: "https://graph.microsoft.com/v1.0",
    });
    expect(graphConfig(env({ ...GRAPH, GRAPH_PROCESSED_FOLDER: "Processed", GRAPH_POLL_INTERVAL: "30", GRAPH_AUTHORITY_HOST: "http://127.0.0.1:3402" }))).toMatchObject({
      processedFolder: "Processed",
      pollIntervalMs: 30_000,
      authorityHost: "http://127.0.0.1:3402",
    });
  });

  it("lists both kinds when both are configured, each with its own source and interval", () => {
    expect(mailboxConfigs(env({ ...IMAP, ...GRAPH, IMAP_MAILBOX: "Support", GRAPH_POLL_INTERVAL: "120" })).map((m) => [m.kind, m.source, m.intervalSeconds])).toEqual([
      ["imap", "imap:support@example.com@imap.example.com/Support", 60],
      ["graph", "graph:help@example.com", 120],
    ]);
  });
});

describe("worker reconnect backoff", () => {
  it("doubles per failure from the base, with jitter, up to the cap", () => {
    for (const [failures, exact] of [[1, 1000], [2, 2000], [3, 4000], [6, 32_000], [20, 300_000]] as const) {
      const delay = backoffDelay(failures, 1000, 300_000);
      expect(delay).toBeGreaterThanOrEqual(exact * 0.8);
      expect(delay).toBeLessThanOrEqual(exact * 1.2);
    }
  });
});
