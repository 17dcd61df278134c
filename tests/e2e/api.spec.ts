// The Service Desk flow through HTTP only (issue "REST API"): a token made on the profile page, a customer's mail
// posted to the webhook, the issue read through /api/v1 (Support Bot author, service_desk_reply_to), a note
// posted through /api/v1 — and that note reaching the customer through the real @sendgrid/mail client.
import { expect, test } from "@playwright/test";
import { postMail, serviceDeskProject, waitForMail } from "./helpers";

test("an integration answers a Service Desk request through the REST API and the customer gets the mail", async ({ page, request }) => {
  const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const customer = `api-${run}@customer.example`;
  const { projectUrl, address } = await serviceDeskProject(page, `api-owner-${run}@example.com`, "API Desk");
  const projectPath = new URL(projectUrl).pathname.slice(1);

  await page.goto("/profile/tokens");
  await page.getByLabel("Token name").fill("integration");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByLabel("New token").textContent())!.trim();
  expect(token).toMatch(/^sdpat-/);
  const auth = { "PRIVATE-TOKEN": token };

  const created = await postMail(
    request,
    [`From: Api Customer <${customer}>`, `To: ${address}`, `Subject: Invoice missing ${run}`, `Message-ID: <${run}@customer.example>`, "", "Where is my invoice?", ""].join("\r\n"),
  );
  expect(created.status).toBe("created_issue");

  const base = `/api/v1/projects/${encodeURIComponent(projectPath)}`;
  expect((await request.get(`${base}/issues?service_desk=true`)).status()).toBe(401);
  const list = await request.get(`${base}/issues?service_desk=true&state=opened`, { headers: auth });
  expect(list.status()).toBe(200);
  expect(list.headers()["x-total"]).toBe("1");
  const [issue] = await list.json();
  expect(issue).toMatchObject({ iid: created.issueIid, confidential: true, author: { username: "support-bot" }, service_desk_reply_to: customer });

  const note = await request.post(`${base}/issues/${issue.iid}/notes`, { headers: auth, data: { body: `Your invoice is attached to your account, ref ${run}.` } });
  expect(note.status()).toBe(201);
  expect(await note.json()).toMatchObject({ internal: false, external_author: null });

  const mail = await waitForMail((m) => m.to.includes(customer) && (m.text ?? "").includes(`ref ${run}`));
  expect(mail.subject).toBe(`Re: Invoice missing ${run} (#${issue.iid})`);
  expect(mail.headers["References"]).toContain(`<${run}@customer.example>`);
  expect(mail.customArgs.outbound_email_id).toBeTruthy();

  // GitLab's clients call /api/v4: the same answers, served in place (no redirect), links kept under /api/v4.
  const v4 = `/api/v4/projects/${encodeURIComponent(projectPath)}`;
  const me = await request.get("/api/v4/user", { headers: { authorization: `Bearer ${token}` }, maxRedirects: 0 });
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ username: expect.any(String), email: `api-owner-${run}@example.com` });
  expect(await (await request.get("/api/v4/version", { headers: auth })).json()).toMatchObject({ version: "17.0.0" });
  const paged = await request.get(`${v4}/issues?per_page=1`, { headers: auth, maxRedirects: 0 });
  expect(paged.status()).toBe(200);
  expect(paged.headers()["x-total"]).toBe("1");
  expect(paged.headers()["link"]).toContain(`/api/v4/projects/${encodeURIComponent(projectPath)}/issues?per_page=1&page=1>; rel="first"`);
  expect(paged.headers()["link"]).not.toContain("__api");
  const posted = await request.post(`${v4}/issues/${issue.iid}/notes`, { headers: auth, data: { body: "Internal check via v4.", internal: true }, maxRedirects: 0 });
  expect(posted.status()).toBe(201);
  const unknown = await request.get("/api/v4/projects/1/no-such-thing", { headers: auth });
  expect(unknown.status()).toBe(404);
  expect(await unknown.json()).toEqual({ message: "404 Not Found" });
  expect(unknown.headers()["content-type"]).toMatch(/^application\/json/);
  expect(await (await request.get("/api/v4", { headers: auth })).json()).toEqual({ message: "404 Not Found" });

  // The thread shows the API's note like any other.
  await page.goto(`${projectUrl}/issues/${issue.iid}`);
  await expect(page.getByText(`Your invoice is attached to your account, ref ${run}.`)).toBeVisible();
});
