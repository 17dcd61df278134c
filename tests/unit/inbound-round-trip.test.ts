// Round trip: fixture .eml → buildSendGridRequest (both modes) → parseSendGridBody gives the same mail back.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "@/lib/mail/inbound/types";
import { parseMultipartFormData } from "@/lib/mail/inbound/form-data";
import { parseRawMime } from "@/lib/mail/inbound/parse-mime";
import { parseSendGridBody } from "@/lib/mail/inbound/parse-sendgrid";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";

const FIXTURES = path.resolve(__dirname, "../fixtures/mail");
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const files = readdirSync(FIXTURES)
  .filter((name) => name.endsWith(".eml"))
  .sort();

const squash = (text: string | undefined) => text?.replace(/\s+/g, " ").trim();

/** What must survive SendGrid in either mode. */
function essentials(message: InboundMessage) {
  return {
    subject: message.subject,
    from: message.from,
    to: message.to,
    cc: message.cc,
    messageId: message.messageId,
    inReplyTo: message.inReplyTo,
    references: message.references,
    contentType: message.contentType,
    text: squash(message.text),
    html: squash(message.html),
    attachments: message.attachments.map((a) => ({ filename: a.filename, size: a.size, contentType: a.contentType, content: a.content })),
  };
}

function fields(request: { body: Uint8Array; contentType: string }) {
  const warnings: string[] = [];
  const parts = parseMultipartFormData(request.body, request.contentType, warnings);
  expect(warnings).toEqual([]);
  const text = (name: string) => {
    const part = parts.find((p) => p.name === name);
    return part && new TextDecoder().decode(part.bytes);
  };
  return { parts, names: parts.map((p) => p.name), text, json: (name: string) => JSON.parse(text(name) ?? "null") };
}

describe("round trip through buildSendGridRequest and parseSendGridBody", () => {
  it("has fixtures to run", () => expect(files.length).toBeGreaterThanOrEqual(20));

  describe.each(files)("%s", (file) => {
    it.each(["raw", "parsed"] as const)("%s mode gives the same mail back", async (mode) => {
      const original = await parseRawMime(fixture(file));
      const request = await buildSendGridRequest(fixture(file), mode);
      const received = await parseSendGridBody(request.body, request.contentType);
      expect(received.mode).toBe(mode);
      expect(essentials(received)).toEqual(essentials(original));
      expect(received.spamScore).toBe(0);
      // Raw mode is the original MIME, so everything else matches as well.
      expect(received.senderIp).toBe("192.0.2.1");
      if (mode === "raw") expect(received).toEqual({ ...original, envelope: received.envelope, spamScore: 0, senderIp: "192.0.2.1" });
    });

    it.each(["raw", "parsed"] as const)("%s mode body is readable by the platform's FormData too", async (mode) => {
      const request = await buildSendGridRequest(fixture(file), mode);
      const formData = await new Response(request.body, { headers: { "content-type": request.contentType } }).formData();
      expect([...formData.keys()]).toEqual(fields(request).names);
    });
  });
});

describe("buildSendGridRequest", () => {
  it("raw mode posts the .eml byte for byte, plus SendGrid's side fields", async () => {
    const eml = fixture("plain-text.eml");
    const request = await buildSendGridRequest(eml, "raw", { spamScore: 3.2 });
    expect(request.contentType).toMatch(/^multipart\/form-data; boundary=\S+$/);
    const form = fields(request);
    expect(form.names).toEqual(["dkim", "email", "to", "from", "sender_ip", "envelope", "subject", "charsets", "SPF", "spam_score"]);
    expect(form.parts.find((p) => p.name === "email")?.bytes).toEqual(eml);
    expect(form.json("envelope")).toEqual({
      to: ["support+acme-web-12-issue-@desk.example", "finn@customer.example", "marceline@customer.example"],
      from: "jake@customer.example",
    });
    expect(form.text("subject")).toBe("Printer on fire");
    expect(form.text("spam_score")).toBe("3.2");
    expect((await parseSendGridBody(request.body, request.contentType)).spamScore).toBe(3.2);
  });

  it("parsed mode posts headers, bodies in their own charset, and files", async () => {
    const request = await buildSendGridRequest(fixture("iso-8859-1.eml"), "parsed", { to: ["desk@x.example"] });
    const form = fields(request);
    expect(form.names).toEqual(
      ["headers", "dkim", "to", "from", "sender_ip", "envelope", "subject", "text", "charsets", "SPF", "spam_score", "attachments"],
    );
    expect(form.json("charsets")).toEqual({ to: "UTF-8", from: "UTF-8", cc: "UTF-8", subject: "iso-8859-1", text: "iso-8859-1" });
    expect(form.json("envelope")).toEqual({ to: ["desk@x.example"], from: "rene@customer.example" });
    // "é" as the single byte 0xE9, as SendGrid passes iso-8859-1 text on.
    const text = form.parts.find((p) => p.name === "text")!.bytes;
    expect(Array.from(text)).toContain(0xe9);
    const headers = form.text("headers")!;
    expect(headers.startsWith("From: =?iso-8859-1?Q?Ren=E9_Fran=E7ois?= <rene@customer.example>\n")).toBe(true);
    expect(headers.endsWith("Content-Transfer-Encoding: 8bit")).toBe(true);
  });

  it("parsed mode: ISO-2022-JP text keeps its bytes; a subject iconv-lite cannot encode goes as UTF-8", async () => {
    const form = fields(await buildSendGridRequest(fixture("iso-2022-jp.eml"), "parsed"));
    expect(form.json("charsets")).toMatchObject({ subject: "UTF-8", text: "ISO-2022-JP" });
    expect(form.text("subject")).toBe("お問い合わせ");
  });

  it("parsed mode lists attachments in attachment-info, signature parts included (SendGrid sends them)", async () => {
    const form = fields(await buildSendGridRequest(fixture("smime-signed.eml"), "parsed"));
    expect(form.text("attachments")).toBe("2");
    expect(form.json("attachment-info")).toEqual({
      attachment1: { filename: "logo.png", name: "logo.png", type: "image/png" },
      attachment2: { filename: "smime.p7s", name: "smime.p7s", type: "application/pkcs7-signature" },
    });
    const file = form.parts.find((p) => p.name === "attachment1")!;
    expect([file.filename, file.contentType, file.bytes.length]).toEqual(["logo.png", "image/png", 70]);

    const inline = fields(await buildSendGridRequest(fixture("multipart-attachment.eml"), "parsed"));
    expect(inline.json("attachment-info").attachment1).toEqual({
      filename: "logo.png",
      name: "logo.png",
      type: "image/png",
      "content-id": "logo@customer.example",
    });
    expect(inline.parts.find((p) => p.name === "attachment3")?.filename).toBe("résumé.csv");
  });

  it("a bounce's null Return-Path becomes an empty envelope sender", async () => {
    const request = await buildSendGridRequest(fixture("bounce-report.eml"), "raw");
    expect(fields(request).json("envelope")).toEqual({ to: ["support@desk.example"], from: "" });
    expect((await parseSendGridBody(request.body, request.contentType)).envelope.from).toBe("");
  });

  it("accepts a string; rejects an unknown mode", async () => {
    const request = await buildSendGridRequest("Subject: s\n\nbody\n", "parsed");
    expect((await parseSendGridBody(request.body, request.contentType)).subject).toBe("s");
    await expect(buildSendGridRequest("x", "other" as "raw")).rejects.toThrow(TypeError);
  });
});
