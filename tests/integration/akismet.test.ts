// The optional Akismet check against a local Akismet-compatible server: spam is held, ham is taken, and
// when Akismet fails the mail is taken anyway (fail open: never lose a customer's mail).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { resetEnv } from "@/lib/env";
import { projectKey } from "@/lib/service-desk/address";
import { deliver, eml } from "../support/mail";
import { makeUser, uniqueProjectPath } from "./helpers";

const requests: URLSearchParams[] = [];
const server = http.createServer(async (req, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  requests.push(form);
  if (req.url !== "/1.1/comment-check" || form.get("api_key") !== "akismet-test-key") return res.writeHead(403).end("invalid");
  const content = form.get("comment_content") ?? "";
  if (content.includes("boom")) return res.writeHead(500).end("error");
  res.writeHead(200, { "content-type": "text/plain" }).end(content.includes("cheap pills") ? "true" : "false");
});
const saved = { ...process.env };
let address: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.env.AKISMET_API_KEY = "akismet-test-key";
  process.env.AKISMET_API_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  resetEnv();
  const owner = await makeUser("owner");
  const project = await createProject(owner, uniqueProjectPath("ak"));
  await setServiceDeskEnabled(owner, project.fullPath, true);
  address = `incoming+${projectKey(project)}@localhost`;
});
afterAll(async () => {
  process.env = { ...saved };
  resetEnv();
  await new Promise((resolve) => server.close(resolve));
});

describe("Akismet", () => {
  it("holds a new request Akismet calls spam, and says so", async () => {
    const outcome = await deliver(eml({ to: address, body: "Buy cheap pills now" }), "parsed");
    expect(outcome).toMatchObject({ status: "spam", reason: expect.stringContaining("Akismet") });
    const asked = requests.at(-1)!;
    expect(asked.get("comment_author_email")).toBe("jake@customer.example");
    expect(asked.get("blog")).toBe("http://localhost:3000");
    expect(asked.get("user_ip")).toBe("192.0.2.1");
  });

  it("takes a request Akismet calls ham", async () => {
    expect(await deliver(eml({ to: address, body: "My invoice is wrong" }))).toMatchObject({ status: "created_issue" });
  });

  it("takes the mail when Akismet fails", async () => {
    expect(await deliver(eml({ to: address, body: "boom" }))).toMatchObject({ status: "created_issue" });
  });
});
