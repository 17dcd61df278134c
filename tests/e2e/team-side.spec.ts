// The team side of Service Desk, end to end: a customer's mail posted to the webhook becomes an issue, a
// Maintainer finds it in the Service Desk tracker, previews and sends a reply, which leaves through the real
// @sendgrid/mail client to the local SendGrid-compatible server with the threading headers; the customer's
// answer comes back into the thread; an internal note sends nothing. And a hostile HTML mail, opened in the
// browser, runs nothing.
import { expect, test, type Page } from "@playwright/test";
import { postMail, sentMail, serviceDeskProject, waitForMail } from "./helpers";

const stamp = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

function eml(lines: string[]): string {
  return [...lines, ""].join("\r\n");
}

/** Collects dialogs (alert/confirm/prompt) the page opens; a hostile payload would open one. */
function recordDialogs(page: Page): string[] {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return dialogs;
}

test("a Maintainer answers a customer from the thread; the reply is mailed with threading headers and the answer comes back", async ({
  page,
  request,
}) => {
  const run = stamp();
  const owner = `maint-${run}@example.com`;
  const customer = `jake-${run}@customer.example`;
  const other = `mia-${run}@customer.example`;
  const { projectUrl, address } = await serviceDeskProject(page, owner, "Team Desk", { displayName: "Team Desk Support" });

  const requestId = `request-${run}@customer.example`;
  const created = await postMail(
    request,
    eml([
      `From: Jake Customer <${customer}>`,
      `To: ${address}`,
      "Subject: Cannot export invoices",
      `Message-ID: <${requestId}>`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Hi, the export button does nothing since Monday.",
    ]),
  );
  expect(created).toMatchObject({ status: "created_issue", issueIid: 1 });
  expect(
    await postMail(
      request,
      eml([`From: Mia <${other}>`, `To: ${address}`, "Subject: Password reset loop", `Message-ID: <other-${run}@customer.example>`, "", "Help!"]),
    ),
  ).toMatchObject({ status: "created_issue", issueIid: 2 });

  // The thank-you went out through SendGrid: it is the thread root the reply must point at.
  const thanks = await waitForMail((m) => m.to.includes(customer) && m.subject === "Re: Cannot export invoices (#1)");
  const thanksId = thanks.headers["Message-ID"];
  expect(thanks.from.name).toBe("Team Desk Support");
  expect(thanksId).toMatch(/^<reply-[0-9a-f]{32}@localhost>$/);

  // The tracker: both requests wait for the team; filter by the customer's address to find Jake's.
  await page.goto(`${projectUrl}/service-desk`);
  const tracker = page.getByRole("search", { name: "Filter issues" });
  // The filter is the URL: the box shows as ticked once the filtered list has loaded.
  await tracker.getByLabel("Awaiting team reply").click();
  await expect(page).toHaveURL(/awaiting=true/);
  await expect(tracker.getByLabel("Awaiting team reply")).toBeChecked();
  await expect(page.getByRole("link", { name: "Password reset loop" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Cannot export invoices" })).toBeVisible();
  await tracker.getByLabel("Customer email").fill(customer);
  await tracker.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/author=/);
  await expect(page.getByRole("link", { name: "Password reset loop" })).toHaveCount(0);
  await page.getByRole("link", { name: "Cannot export invoices" }).click();
  await expect(page).toHaveURL(/\/issues\/1$/);

  // The thread: who wrote it, how the mail got here, the text.
  await expect(page.getByRole("heading", { name: "Cannot export invoices" })).toBeVisible();
  await expect(page.getByText(`Opened by ${customer} via Support Bot`)).toBeVisible();
  await expect(page.getByText("Confidential", { exact: true })).toBeVisible();
  await expect(page.getByTestId("issue-description")).toHaveText("Hi, the export button does nothing since Monday.");
  const receivedVia = page.getByRole("region", { name: "Description" }).getByTestId("threaded-via");
  await expect(receivedVia).toContainText("Received via Service Desk address (To)");
  await receivedVia.locator("summary").click();
  await expect(receivedVia).toContainText(`<${requestId}>`);

  // Write, preview (rendered by the server like the thread), send with Ctrl+Enter.
  const reply = "Thanks Jake! We **fixed** the export: try again.";
  await page.getByLabel("Comment").fill(reply);
  await page.getByRole("tab", { name: "Preview" }).click();
  await expect(page.getByTestId("comment-preview").locator("strong")).toHaveText("fixed");
  await page.getByRole("tab", { name: "Write" }).click();
  await page.getByLabel("Comment").press("Control+Enter");
  await expect(page.getByRole("status")).toHaveText("Comment added and emailed to the customer.");
  await expect(page.getByLabel("Comment")).toHaveValue("");
  const answer = page.getByRole("listitem").filter({ hasText: "We fixed the export" });
  await expect(answer).toBeVisible();
  const author = (await answer.locator("strong").first().textContent())!.trim();

  // The mail, as SendGrid received it.
  const mail = await waitForMail((m) => m.to.includes(customer) && (m.text ?? "").includes("fixed the export"));
  expect(mail.to).toEqual([customer]);
  expect(mail.from.name).toBe(`${author} via Team Desk Support`);
  expect(mail.subject).toBe("Re: Cannot export invoices (#1)");
  const replyKey = mail.replyTo?.email.match(/^incoming\+([0-9a-f]{32})@localhost$/)?.[1];
  expect(replyKey, `Reply-To ${mail.replyTo?.email}`).toBeTruthy();
  expect(mail.headers["In-Reply-To"]).toBe(thanksId);
  expect(mail.headers["References"]).toBe(`<${requestId}> ${thanksId} <reply-${replyKey}@localhost>`);
  expect(mail.headers["Message-ID"]).toMatch(/^<.+@localhost>$/);
  expect(mail.headers["Auto-Submitted"]).toBe("auto-generated");
  expect(mail.headers["List-Unsubscribe"]).toBe(`<${new URL(page.url()).origin}/unsubscribe/${replyKey}>`);
  expect(mail.html).toContain("<strong>fixed</strong>");
  const outboxId = mail.customArgs.outbound_email_id;
  expect(outboxId).toBeTruthy();

  // Answered: the request leaves the "awaiting team reply" view, the other one stays.
  await page.goto(`${projectUrl}/service-desk?awaiting=true`);
  await expect(page.getByRole("link", { name: "Password reset loop" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Cannot export invoices" })).toHaveCount(0);
  await page.goto(`${projectUrl}/issues/1`);

  // The customer answers that mail; the answer lands in the thread, threaded by the reply key.
  const answerId = `answer-${run}@customer.example`;
  expect(
    await postMail(
      request,
      eml([
        `From: Jake Customer <${customer}>`,
        `To: ${mail.replyTo!.email}`,
        "Subject: Re: Cannot export invoices (#1)",
        `Message-ID: <${answerId}>`,
        `In-Reply-To: ${mail.headers["Message-ID"]}`,
        `References: ${mail.headers["References"]} ${mail.headers["Message-ID"]}`,
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Works now, thank you!",
        "",
        "On Tue, Nov 24, 2026 at 10:00 AM Team Desk wrote:",
        "> Thanks Jake! We fixed the export: try again.",
      ]),
      "parsed",
    ),
  ).toMatchObject({ status: "added_note", issueIid: 1 });
  await page.reload();
  const customerNote = page.getByRole("listitem").filter({ hasText: "Works now, thank you!" });
  await expect(customerNote).toBeVisible();
  await expect(customerNote.getByText("by email")).toBeVisible();
  // The quoted history is there, collapsed.
  await expect(customerNote.getByText("Quoted text")).toBeVisible();
  await expect(customerNote.getByText("We fixed the export: try again.")).toBeHidden();
  const threadedVia = customerNote.getByTestId("threaded-via");
  await expect(threadedVia).toContainText("Threaded via reply key (To)");
  await threadedVia.locator("summary").click();
  await expect(threadedVia).toContainText(`<${answerId}>`);

  // An internal note is marked as such and sends nothing.
  const before = await sentMail();
  await page.getByLabel("Internal note").check();
  await page.getByLabel("Comment").fill("Root cause: the export worker ran out of memory.");
  await page.getByRole("button", { name: "Add internal note" }).click();
  await expect(page.getByRole("status")).toHaveText("Internal note added. Nothing was emailed.");
  const internal = page.getByRole("listitem").filter({ hasText: "Root cause: the export worker" });
  await expect(internal.getByText("Internal note · not emailed")).toBeVisible();
  // Mail is sent after the response: give a wrongly queued one time to arrive before asserting it did not.
  await page.waitForTimeout(3_000);
  const after = await sentMail();
  expect(after.requests).toBe(before.requests);
  expect(after.accepted.some((m) => (m.text ?? "").includes("Root cause"))).toBe(false);

  // The dev mailbox shows the same outbox row SendGrid was told about (custom_args), and no internal note.
  await page.goto("/dev/mailbox");
  await expect(page.getByTitle(`Mail ${outboxId}`)).toBeAttached();
  await expect(page.getByTestId("dev-mail").filter({ hasText: "Root cause" })).toHaveCount(0);

  // Close and reopen leave system notes in the thread.
  await page.goto(`${projectUrl}/issues/1`);
  await page.getByRole("button", { name: "Close issue" }).click();
  await expect(page.getByRole("button", { name: "Reopen issue" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Activity" }).getByText(/closed\s+just now/)).toBeVisible();
  await page.getByRole("button", { name: "Reopen issue" }).click();
  await expect(page.getByRole("button", { name: "Close issue" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Activity" }).getByText(/reopened\s+just now/)).toBeVisible();
});

test("a hostile HTML mail opened in the thread executes nothing", async ({ page, request }) => {
  const run = stamp();
  const { projectUrl, address } = await serviceDeskProject(page, `sec-${run}@example.com`, "Hostile Desk");
  const dialogs = recordDialogs(page);

  const html = [
    "<html><head>",
    "<style>body { background: url('javascript:window.__pwned=1') } p { width: expression(window.__pwned=2) }</style>",
    "<script>window.__pwned = 3; alert('script tag')</script>",
    "</head><body onload=\"window.__pwned=4; alert('onload')\">",
    "<p>Hostile <b>bold</b> request</p>",
    "<img src=\"x\" onerror=\"window.__pwned=5; alert('onerror')\">",
    "<a href=\"javascript:window.__pwned=6;alert('js link')\">js link</a>",
    "<a href=\"JaVaScRiPt&#58;alert('encoded link')\">encoded link</a>",
    "<a href=\"https://example.com/safe\" onclick=\"window.__pwned=7; alert('onclick')\">safe link</a>",
    "<div style=\"width: expression(alert('css expression'))\">css expression</div>",
    "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "<iframe srcdoc=\"<script>parent.__pwned=8</script>\"></iframe>",
    "<svg onload=\"window.__pwned=9; alert('svg')\"><script>window.__pwned=10</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"alert('mxss')\"></style></mglyph></table></mtext></math>",
    "<form action=\"javascript:alert('form')\"><button>Submit</button></form>",
    "<object data=\"javascript:alert('object')\"></object><embed src=\"javascript:alert('embed')\">",
    "<p>[md link](javascript:alert('markdown')) and {alert('mdx')} and &lt;script&gt;alert('text')&lt;/script&gt;</p>",
    "</body></html>",
  ].join("\n");
  const created = await postMail(
    request,
    eml([
      `From: Mallory <mallory-${run}@evil.example>`,
      `To: ${address}`,
      "Subject: Totally harmless question",
      `Message-ID: <hostile-${run}@evil.example>`,
      "MIME-Version: 1.0",
      "Content-Type: text/html; charset=utf-8",
      "",
      html,
    ]),
  );
  expect(created).toMatchObject({ status: "created_issue", issueIid: 1 });

  await page.goto(`${projectUrl}/issues/1`);
  const description = page.getByTestId("issue-description");
  await expect(description).toContainText("Hostile bold request");
  await expect(description.locator("b, strong").first()).toHaveText("bold");
  // Give anything that was going to run (onload, onerror of a failed image) the chance to.
  await page.waitForLoadState("load");
  await page.waitForTimeout(1_000);

  // Nothing executable in the rendered description…
  await expect(description.locator("script, style, iframe, object, embed, svg, math, form, link, meta, base")).toHaveCount(0);
  const attributes = await description.evaluate((root) =>
    [root, ...root.querySelectorAll("*")].flatMap((el) => [...el.attributes].map((a) => `${a.name}=${a.value}`)),
  );
  expect(attributes.filter((a) => /^on/i.test(a) || /^style=/i.test(a) || /^srcdoc=/i.test(a))).toEqual([]);
  expect(attributes.filter((a) => /javascript:|expression\(/i.test(a))).toEqual([]);
  const hrefs = await description.locator("a").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  expect(hrefs.filter((href) => href && !/^https?:|^mailto:/i.test(href))).toEqual([]);

  // …and nothing ran, not even when the links are clicked.
  await description.getByText("js link").click();
  await description.getByText("encoded link").click();
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
  await expect(page).toHaveURL(/\/issues\/1$/);
});
