// Code-host webhook deliveries for tests: payload fixtures with run-time values, and requests signed the way
// GitHub and GitLab sign them (no test framework here: the e2e helpers may use it too).
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

const FIXTURES = path.resolve(__dirname, "../fixtures/code-hosts");

export type FixtureName = "github-push" | "github-pull-request" | "github-ping" | "gitlab-push" | "gitlab-merge-request";

type Vars = Record<string, string | number | boolean | string[]>;

const TOKEN = /\{\{([A-Z_]+)\}\}/g;

function fill(value: unknown, vars: Vars, name: string): unknown {
  if (Array.isArray(value)) return value.map((item) => fill(item, vars, name));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars, name)]));
  if (typeof value !== "string") return value;
  // A whole-value token takes the variable's own type, so `"{{NUMBER}}"` can become the number 45.
  const whole = /^\{\{([A-Z_]+)\}\}$/.exec(value);
  if (whole) {
    if (!(whole[1] in vars)) throw new Error(`fixture ${name}: no value for {{${whole[1]}}}`);
    return vars[whole[1]];
  }
  return value.replace(TOKEN, (_, key: string) => {
    if (!(key in vars)) throw new Error(`fixture ${name}: no value for {{${key}}}`);
    return String(vars[key]);
  });
}

/** A payload fixture with every `{{NAME}}` replaced (a missing value throws: a fixture never goes out half-filled). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are edited freely by the tests
export function loadFixture(name: FixtureName, vars: Vars): any {
  return fill(JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")), vars, name);
}

/** GitHub's `X-Hub-Signature-256`, computed here on its own rather than with the app's function. */
export function signGitHub(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

const bodyOf = (payload: unknown) => (typeof payload === "string" ? payload : JSON.stringify(payload));

export interface GitHubDelivery {
  event: string;
  payload: unknown;
  /** The webhook's secret; the signature header is left out when neither it nor `signature` is given. */
  secret?: string;
  /** A signature header to send as is (a forged or stale one). */
  signature?: string;
  deliveryId?: string;
  url?: string;
}

/** A POST as GitHub sends it: JSON body, event, delivery GUID and HMAC signature headers. */
export function githubRequest(repositoryId: number, delivery: GitHubDelivery): Request {
  const body = bodyOf(delivery.payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/8a3e9d1",
    "x-github-event": delivery.event,
    "x-github-delivery": delivery.deliveryId ?? randomUUID(),
    "x-github-hook-id": "109948940",
  };
  const signature = delivery.signature ?? (delivery.secret !== undefined ? signGitHub(delivery.secret, body) : undefined);
  if (signature !== undefined) headers["x-hub-signature-256"] = signature;
  return new Request(delivery.url ?? `http://localhost:3000/api/webhooks/github/${repositoryId}`, { method: "POST", headers, body });
}

export interface GitLabDelivery {
  event: string;
  payload: unknown;
  /** Sent as `X-Gitlab-Token`; left out when undefined. */
  token?: string;
  uuid?: string;
  url?: string;
}

/** A POST as GitLab sends it: JSON body, event name, event UUID and the secret token as is. */
export function gitlabRequest(repositoryId: number, delivery: GitLabDelivery): Request {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitLab/18.6.0",
    "x-gitlab-event": delivery.event,
    "x-gitlab-event-uuid": delivery.uuid ?? randomUUID(),
    "x-gitlab-instance": "https://gitlab.com",
  };
  if (delivery.token !== undefined) headers["x-gitlab-token"] = delivery.token;
  return new Request(delivery.url ?? `http://localhost:3000/api/webhooks/gitlab/${repositoryId}`, { method: "POST", headers, body: bodyOf(delivery.payload) });
}

/** A 40-hex commit SHA, different on every call. */
export function newSha(): string {
  return createHmac("sha1", randomUUID()).update("commit").digest("hex");
}
