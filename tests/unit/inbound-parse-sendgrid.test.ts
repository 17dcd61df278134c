// parseSendGridBody / parseSendGridForm on hand-made SendGrid Inbound Parse payloads, both modes.
import { describe, expect, it } from "vitest";
import { parseRawMime } from "@/lib/mail/inbound/parse-mime";
import { parseSendGridBody, parseSendGridForm } from "@/lib/mail/inbound/parse-sendgrid";
import { headerParams, parseMultipartFormData } from "@/lib/mail/inbound/form-data";

type Part = { name: string; value: string | Uint8Array; filename?: string; type?: string };

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const utf8 = (text: string) => new TextEncoder().encode(text);

/** A multipart/form-data body as SendGrid posts it (CRLF, unquoted boundary unless told otherwise). */
function form(parts: Part[], { boundary = "xYzZY", eol = "\r\n", close = true } = {}) {
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    let head = `--${boundary}${eol}Content-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += eol;
    if (part.type) head += `Content-Type: ${part.type}${eol}`;
    chunks.push(utf8(head + eol), typeof part.value === "string" ? utf8(part.value) : part.value, utf8(eol));
  }
  if (close) chunks.push(utf8(`--${boundary}--${eol}`));
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

const HEADERS = [
  "Received: by mx.sendgrid.net with SMTP id abc; Mon, 24 Nov 2025 10:00:03 +0000",
  "Delivered-To: support+acme-web-12-issue-@desk.example",
  "From: =?iso-8859-1?q?Ren=E9?= <Rene@Customer.Example>",
  "To: support+acme-web-12-issue-@desk.example",
  "Cc: Finn <finn@customer.example>",
  "Subject: =?iso-8859-1?q?Caf=E9?=",
  "Message-ID: <sg-1@customer.example>",
  "In-Reply-To: <issue_3@desk.example>",
  "References: <root@desk.example>,<issue_3@desk.example>",
  "MIME-Version: 1.0",
  "Content-Type: multipart/mixed; boundary=abc",
].join("\n");

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

describe("parseSendGridBody: default (parsed) mode", () => {
  const parsedPayload = () =>
    form([
      { name: "headers", value: HEADERS },
      { name: "dkim", value: "{@customer.example : pass}" },
      { name: "to", value: "support+acme-web-12-issue-@desk.example" },
      { name: "cc", value: "Finn <finn@customer.example>" },
      { name: "from", value: latin1("René <rene@customer.example>") },
      { name: "text", value: latin1("Un café, s'il vous plaît.\n") },
      { name: "html", value: "<p>Un café, s'il vous plaît.</p><img src=\"cid:img1\">" },
      { name: "sender_ip", value: "192.0.2.1" },
      { name: "envelope", value: '{"to":["Support+Acme-Web-12-Issue-@desk.example"],"from":"rene@customer.example"}' },
      { name: "attachments", value: "3" },
      { name: "subject", value: latin1("Café") },
      { name: "spam_score", value: "2.5" },
      {
        name: "attachment-info",
        value: JSON.stringify({
          attachment1: { filename: "photo.png", name: "photo.png", type: "image/png", "content-id": "img1" },
          attachment2: { filename: "notes.txt", name: "notes.txt", type: "text/plain" },
          attachment3: { filename: "smime.p7s", name: "smime.p7s", type: "application/pkcs7-signature" },
        }),
      },
      {
        name: "charsets",
        value: '{"to":"UTF-8","html":"UTF-8","subject":"iso-8859-1","from":"iso-8859-1","text":"iso-8859-1","cc":"UTF-8"}',
      },
      { name: "SPF", value: "pass" },
      { name: "attachment1", value: PNG, filename: "photo.png", type: "image/png" },
      { name: "attachment2", value: "line 1\n", filename: "notes.txt", type: "text/plain" },
      { name: "attachment3", value: "sig", filename: "smime.p7s", type: "application/pkcs7-signature" },
    ]);

  it("builds the message from headers, charset-decoded fields, envelope and files", async () => {
    const { body, contentType } = parsedPayload();
    const message = await parseSendGridBody(body, contentType);
    expect(message).toEqual({
      mode: "parsed",
      messageId: "sg-1@customer.example",
      inReplyTo: ["issue_3@desk.example"],
      references: ["root@desk.example", "issue_3@desk.example"],
      subject: "Café",
      from: { address: "rene@customer.example", name: "René" },
      replyTo: [],
      to: [{ address: "support+acme-web-12-issue-@desk.example" }],
      cc: [{ address: "finn@customer.example", name: "Finn" }],
      headers: {
        received: ["by mx.sendgrid.net with SMTP id abc; Mon, 24 Nov 2025 10:00:03 +0000"],
        "delivered-to": ["support+acme-web-12-issue-@desk.example"],
        from: ["René <Rene@Customer.Example>"],
        to: ["support+acme-web-12-issue-@desk.example"],
        cc: ["Finn <finn@customer.example>"],
        subject: ["Café"],
        "message-id": ["<sg-1@customer.example>"],
        "in-reply-to": ["<issue_3@desk.example>"],
        references: ["<root@desk.example>,<issue_3@desk.example>"],
        "mime-version": ["1.0"],
        "content-type": ["multipart/mixed; boundary=abc"],
      },
      envelope: { from: "rene@customer.example", to: ["support+acme-web-12-issue-@desk.example"] },
      contentType: "multipart/mixed",
      text: "Un café, s'il vous plaît.\n",
      html: '<p>Un café, s\'il vous plaît.</p><img src="cid:img1">',
      attachments: [
        { filename: "photo.png", contentType: "image/png", content: PNG, size: PNG.length, contentId: "img1", disposition: "inline" },
        { filename: "notes.txt", contentType: "text/plain", content: utf8("line 1\n"), size: 7, disposition: "attachment" },
      ],
      spamScore: 2.5,
      senderIp: "192.0.2.1",
      warnings: [],
    });
  });

  it("FormData has already read iso-8859-1 fields as UTF-8: parseSendGridForm says so", async () => {
    const { body, contentType } = parsedPayload();
    const formData = await new Response(body, { headers: { "content-type": contentType } }).formData();
    const message = await parseSendGridForm(formData);
    expect(message.text).not.toBe("Un café, s'il vous plaît.\n");
    expect(message.warnings.some((w) => w.startsWith("text field: contains U+FFFD"))).toBe(true);
    // Everything that did not depend on the charset still comes through.
    expect(message.messageId).toBe("sg-1@customer.example");
    expect(message.attachments.map((a) => [a.filename, a.size, a.contentId])).toEqual([
      ["photo.png", PNG.length, "img1"],
      ["notes.txt", 7, undefined],
    ]);
    expect(message.spamScore).toBe(2.5);
  });

  it("parseSendGridForm takes UTF-8 FormData fields as they are", async () => {
    const formData = new FormData();
    formData.set("headers", "From: A <a@b.example>\nMessage-ID: <f-1@b.example>\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=");
    formData.set("text", "Grüße\r\n");
    formData.set("subject", "Grüße");
    formData.set("envelope", '{"to":["desk@x.example"],"from":"a@b.example"}');
    formData.set("attachments", "1");
    formData.set("attachment1", new File([PNG], "p.png", { type: "image/png" }));
    const message = await parseSendGridForm(formData);
    expect(message).toMatchObject({
      mode: "parsed",
      messageId: "f-1@b.example",
      subject: "Grüße",
      from: { address: "a@b.example", name: "A" },
      text: "Grüße\n",
      envelope: { from: "a@b.example", to: ["desk@x.example"] },
      attachments: [{ filename: "p.png", contentType: "image/png", content: PNG, size: PNG.length, disposition: "attachment" }],
      warnings: [],
    });
  });

  it("without a headers field, addresses come from the from/to/cc fields", async () => {
    const { body, contentType } = form([
      { name: "from", value: "Jake <JAKE@x.example>" },
      { name: "to", value: "desk@y.example" },
      { name: "subject", value: "Hi" },
      { name: "text", value: "Body" },
    ]);
    const message = await parseSendGridBody(body, contentType);
    expect(message.from).toEqual({ address: "jake@x.example", name: "Jake" });
    expect(message.to).toEqual([{ address: "desk@y.example" }]);
    expect(message.subject).toBe("Hi");
    expect(message.text).toBe("Body");
    expect(message).not.toHaveProperty("messageId");
    expect(message.warnings).toEqual(["parsed mode without a headers field; ids and headers unknown"]);
  });

  it("decodes text in multi-byte charsets declared in charsets", async () => {
    const sjis = new Uint8Array([0x90, 0xbf, 0x8b, 0x81, 0x8f, 0x91]); // 請求書
    const { body, contentType } = form([
      { name: "headers", value: "From: a@b.example\nSubject: x" },
      { name: "text", value: sjis },
      { name: "charsets", value: '{"text":"Shift_JIS"}' },
    ]);
    expect((await parseSendGridBody(body, contentType)).text).toBe("請求書");
  });

  it("falls back to the charset of the field's own Content-Type when charsets names none", async () => {
    const { body, contentType } = form([
      { name: "headers", value: "From: a@b.example" },
      { name: "text", value: latin1("Gr\u00fc\u00dfe"), type: "text/plain; charset=iso-8859-1" },
    ]);
    expect((await parseSendGridBody(body, contentType)).text).toBe("Grüße");
  });
});

describe("parseSendGridBody: Send Raw mode", () => {
  const raw = new Uint8Array([
    ...utf8(
      "From: Zoe <zoe@customer.example>\r\nTo: desk@x.example\r\nSubject: Raw\r\nMessage-ID: <raw-1@customer.example>\r\n" +
        "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nSch",
    ),
    0xf6,
    ...utf8("n\r\n"),
  ]);

  it("parses `email` as MIME and adds envelope and spam_score", async () => {
    const { body, contentType } = form([
      { name: "dkim", value: "none" },
      { name: "email", value: raw },
      { name: "to", value: "desk@x.example" },
      { name: "from", value: "Zoe <zoe@customer.example>" },
      { name: "subject", value: "Raw" },
      { name: "envelope", value: '{"to":["desk@x.example","Other@X.example"],"from":"<bounce@customer.example>"}' },
      { name: "charsets", value: '{"to":"UTF-8","from":"UTF-8","subject":"UTF-8"}' },
      { name: "spam_score", value: "-0.1" },
    ]);
    const message = await parseSendGridBody(body, contentType);
    expect(message).toEqual({
      ...(await parseRawMime(raw, "raw")),
      envelope: { from: "bounce@customer.example", to: ["desk@x.example", "other@x.example"] },
      spamScore: -0.1,
    });
    expect(message.mode).toBe("raw");
    expect(message.text).toBe("Schön\n");
  });

  it("keeps an empty envelope sender (null sender = bounce)", async () => {
    const { body, contentType } = form([
      { name: "email", value: raw },
      { name: "envelope", value: '{"to":["desk@x.example"],"from":""}' },
    ]);
    expect((await parseSendGridBody(body, contentType)).envelope).toEqual({ from: "", to: ["desk@x.example"] });
  });
});

describe("parseSendGridBody: bad input never throws", () => {
  it("throws a TypeError only for wrong argument types", async () => {
    await expect(parseSendGridBody("x" as unknown as Uint8Array, "multipart/form-data; boundary=a")).rejects.toThrow(TypeError);
    await expect(parseSendGridBody(new Uint8Array(), undefined as unknown as string)).rejects.toThrow(TypeError);
    await expect(parseSendGridForm({} as FormData)).rejects.toThrow(TypeError);
  });

  it("invalid JSON in envelope, charsets and attachment-info", async () => {
    const { body, contentType } = form([
      { name: "headers", value: "From: a@b.example\nSubject: s" },
      { name: "text", value: "t" },
      { name: "envelope", value: "{not json" },
      { name: "charsets", value: "[1,2" },
      { name: "attachment-info", value: "nope" },
      { name: "attachments", value: "1" },
      { name: "attachment1", value: "data", filename: "a.bin", type: "application/octet-stream" },
    ]);
    const message = await parseSendGridBody(body, contentType);
    expect(message.envelope).toEqual({ to: [] });
    expect(message.text).toBe("t");
    expect(message.attachments.map((a) => [a.filename, a.contentType, a.size])).toEqual([["a.bin", "application/octet-stream", 4]]);
    expect(message.warnings).toEqual([
      "charsets: not valid JSON; ignored",
      "attachment-info: not valid JSON; ignored",
      "envelope: not valid JSON; ignored",
    ]);
  });

  it("JSON of the wrong shape, a non-numeric spam_score, a wrong attachment count", async () => {
    const { body, contentType } = form([
      { name: "headers", value: "From: a@b.example" },
      { name: "envelope", value: '{"to":"single@x.example","from":7}' },
      { name: "charsets", value: '"UTF-8"' },
      { name: "spam_score", value: "high" },
      { name: "attachments", value: "2" },
      { name: "attachment1", value: "x" },
    ]);
    const message = await parseSendGridBody(body, contentType);
    expect(message.envelope).toEqual({ to: ["single@x.example"] });
    expect(message).not.toHaveProperty("spamScore");
    expect(message.attachments).toEqual([
      { filename: "attachment-1", contentType: "application/octet-stream", content: utf8("x"), size: 1, disposition: "attachment" },
    ]);
    expect(message.warnings).toEqual([
      "charsets: not a JSON object; ignored",
      "attachments: announced 2, received 1",
      'spam_score: "high" is not a number; ignored',
    ]);
  });

  it("a body that is not multipart, an empty body, a truncated one", async () => {
    const plain = await parseSendGridBody(utf8("hello"), "text/plain");
    expect(plain.warnings).toEqual([
      'form body: not multipart/form-data (Content-Type "text/plain")',
      "no SendGrid Inbound Parse fields (neither email nor headers/text/html)",
    ]);
    const empty = await parseSendGridBody(new Uint8Array(), "multipart/form-data; boundary=a");
    expect(empty.warnings).toContain("form body: boundary never occurs");
    const { body, contentType } = form([{ name: "headers", value: "Subject: cut" }, { name: "text", value: "abc" }], {
      close: false,
    });
    const truncated = await parseSendGridBody(body.subarray(0, body.length - 3), contentType);
    expect(truncated.subject).toBe("cut");
    expect(truncated.text).toBe("ab");
    expect(truncated.warnings).toContain("form body: no closing boundary (truncated?)");
  });

  it("LF-only line breaks, a quoted boundary, a boundary missing from the Content-Type", async () => {
    const lf = form([{ name: "headers", value: "Subject: lf" }, { name: "text", value: "line\n" }], { eol: "\n", boundary: "b b" });
    const quoted = await parseSendGridBody(lf.body, 'multipart/form-data; boundary="b b"');
    expect([quoted.subject, quoted.text]).toEqual(["lf", "line\n"]);
    const sniffed = await parseSendGridBody(form([{ name: "headers", value: "Subject: sniffed" }]).body, "multipart/form-data");
    expect(sniffed.subject).toBe("sniffed");
    expect(sniffed.warnings).toContain("form body: no boundary in Content-Type; took it from the first line");
  });

  it("application/x-www-form-urlencoded posts", async () => {
    const body = utf8(new URLSearchParams({ headers: "Subject: url\nFrom: u@x.example", text: "encoded ü" }).toString());
    const message = await parseSendGridBody(body, "application/x-www-form-urlencoded");
    expect([message.subject, message.from?.address, message.text]).toEqual(["url", "u@x.example", "encoded ü"]);
  });
});

describe("multipart/form-data reader", () => {
  it("keeps field bytes exactly, including CR/LF inside values", () => {
    const value = new Uint8Array([0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0x00, 0x0a]);
    const { body, contentType } = form([{ name: "bin", value, filename: "b.bin", type: "application/x-thing; a=b" }]);
    const parts = parseMultipartFormData(body, contentType, []);
    expect(parts).toEqual([
      { name: "bin", filename: "b.bin", contentType: "application/x-thing", contentTypeRaw: "application/x-thing; a=b", bytes: value },
    ]);
  });

  it("reads form-data parameters: quotes, escapes, %22, RFC 5987 filename*", () => {
    expect(headerParams('form-data; name="a\\"b"; filename="x%22y.txt"')).toEqual({ name: 'a"b', filename: 'x"y.txt' });
    expect(headerParams("form-data; name=file; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")).toEqual({
      name: "file",
      filename: "résumé.pdf",
    });
  });
});
