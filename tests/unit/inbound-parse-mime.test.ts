// parseRawMime on the project's own .eml fixtures (tests/fixtures/mail) and on broken input.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeText } from "@/lib/mail/inbound/charset";
import { decodeEncodedWords, parseAddresses, parseMessageIds } from "@/lib/mail/inbound/headers";
import { parseRawMime, postalTreeAvailable } from "@/lib/mail/inbound/parse-mime";

const FIXTURES = path.resolve(__dirname, "../fixtures/mail");
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const parse = (name: string) => parseRawMime(fixture(name));

const PNG_SIZE = 70;

describe("parseRawMime: fields", () => {
  it("fills every field of a plain text mail", async () => {
    const message = await parse("plain-text.eml");
    expect(message).toEqual({
      mode: "raw",
      messageId: "plain-1@customer.example",
      inReplyTo: [],
      references: [],
      subject: "Printer on fire",
      from: { address: "jake@customer.example", name: "Jake the Dog" },
      sender: { address: "mailer@customer.example", name: "Jake's Mailer" },
      replyTo: [{ address: "replies@customer.example", name: "Jake Replies" }],
      to: [{ address: "support+acme-web-12-issue-@desk.example", name: "Support Desk" }],
      cc: [{ address: "finn@customer.example" }, { address: "marceline@customer.example", name: "Marceline" }],
      headers: {
        "return-path": ["<jake@customer.example>"],
        "delivered-to": ["support@desk.example"],
        from: ['"Jake the Dog" <Jake@Customer.Example>'],
        sender: ["Jake's Mailer <mailer@customer.example>"],
        "reply-to": ["Jake Replies <replies@customer.example>"],
        to: ["Support Desk <support+acme-web-12-issue-@desk.example>"],
        cc: ['finn@customer.example, "Marceline" <marceline@customer.example>'],
        subject: ["Printer on fire"],
        date: ["Mon, 24 Nov 2025 10:00:00 +0000"],
        "message-id": ["<plain-1@customer.example>"],
        "mime-version": ["1.0"],
        "content-type": ["text/plain; charset=utf-8"],
        "content-transfer-encoding": ["7bit"],
      },
      envelope: { to: [] },
      contentType: "text/plain",
      text: "Hello,\n\nthe printer on floor 3 is on fire again.\n\nJake\n",
      attachments: [],
      warnings: [],
    });
  });

  it("takes the mode it is given", async () => {
    expect((await parseRawMime(fixture("plain-text.eml"), "parsed")).mode).toBe("parsed");
  });

  it("accepts a string, a Uint8Array and an ArrayBuffer alike", async () => {
    const bytes = fixture("plain-text.eml");
    const fromString = await parseRawMime(new TextDecoder().decode(bytes));
    const fromBuffer = await parseRawMime(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect(fromString).toEqual(await parseRawMime(bytes));
    expect(fromBuffer).toEqual(await parseRawMime(bytes));
  });

  it("reads an HTML-only mail: html set, text absent", async () => {
    const message = await parse("html-only.eml");
    expect(message.contentType).toBe("text/html");
    expect(message.html).toBe("<html><body><p>Hello <b>desk</b>,</p><p>Grüße aus Köln</p></body></html>\n");
    expect(message).not.toHaveProperty("text");
    expect(message.attachments).toEqual([]);
    expect(message.warnings).toEqual([]);
  });

  it("reads multipart/alternative with inline image and attachments", async () => {
    const message = await parse("multipart-attachment.eml");
    expect(message.contentType).toBe("multipart/mixed");
    expect(message.text).toBe("Please see the attached report.\n");
    expect(message.html).toBe('<p>Please see the attached report.</p><img src="cid:logo@customer.example">\n');
    const pdf = new TextEncoder().encode("%PDF-1.4\n% not really a PDF, just bytes\n%%EOF\n");
    expect(message.attachments).toEqual([
      {
        filename: "logo.png",
        contentType: "image/png",
        content: expect.any(Uint8Array),
        size: PNG_SIZE,
        contentId: "logo@customer.example",
        disposition: "inline",
      },
      { filename: "report.pdf", contentType: "application/pdf", content: pdf, size: pdf.length, disposition: "attachment" },
      {
        filename: "résumé.csv",
        contentType: "text/csv",
        content: new TextEncoder().encode("a,b\n1,2\n"),
        size: 8,
        disposition: "attachment",
      },
      // No filename anywhere: numbered by its place in the list.
      {
        filename: "attachment-4",
        contentType: "application/octet-stream",
        content: new Uint8Array([0, 1, 2, 3, 254, 255]),
        size: 6,
        disposition: "attachment",
      },
    ]);
    const png = message.attachments[0].content;
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(message.warnings).toEqual([]);
  });

  it("keeps every occurrence of repeated headers, in order", async () => {
    const message = await parse("delivered-to.eml");
    expect(message.headers["delivered-to"]).toEqual([
      "support+acme-web-12-issue-@desk.example",
      "helpdesk@customer-facing.example",
    ]);
    expect(message.headers.received).toHaveLength(2);
    expect(message.headers.received[0]).toMatch(/^from mx\.desk\.example .*for <support\+acme-web-12-issue-@desk\.example>;/);
    expect(message.headers.received[1]).toMatch(/for <helpdesk@customer-facing\.example>;/);
    expect(message.headers["envelope-to"]).toEqual(["support+acme-web-12-issue-@desk.example"]);
    expect(message.headers["x-original-to"]).toEqual(["helpdesk@customer-facing.example"]);
    expect(message.headers["x-envelope-to"]).toEqual(["<support+acme-web-12-issue-@desk.example>"]);
    expect(message.to).toEqual([{ address: "helpdesk@customer-facing.example" }]);
  });

  it("reads References separated by commas and folded lines, In-Reply-To without brackets", async () => {
    const message = await parse("references-comma.eml");
    expect(message.inReplyTo).toEqual(["issue_7@desk.example"]);
    expect(message.references).toEqual([
      "thread-root@desk.example",
      "reply-0123456789abcdef0123456789abcdef@desk.example",
      "exchange@outlook.example",
    ]);
    expect(message.messageId).toBe("refs-1@customer.example");
  });

  it("keeps the headers that mark automatic mail", async () => {
    const message = await parse("auto-reply.eml");
    expect(message.headers["auto-submitted"]).toEqual(["auto-replied"]);
    expect(message.headers.precedence).toEqual(["bulk"]);
    expect(message.headers["list-id"]).toEqual(["Customer announcements <announce.customer.example>"]);
    expect(message.headers["x-autoreply"]).toEqual(["yes"]);
  });

  it("reads a multipart/report bounce: report parts become attachments, not body", async () => {
    const message = await parse("bounce-report.eml");
    expect(message.contentType).toBe("multipart/report");
    expect(message.from).toEqual({ address: "mailer-daemon@mx.customer.example", name: "Mail Delivery System" });
    expect(message.headers["return-path"]).toEqual(["<>"]);
    expect(message.text).toBe("This is the mail system at host mx.customer.example.\nYour message could not be delivered.\n\n");
    expect(message.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ["attachment-1", "message/delivery-status"],
      ["attachment-2", "message/rfc822"],
    ]);
    expect(new TextDecoder().decode(message.attachments[1].content)).toContain("Message-ID: <sent-1@desk.example>");
  });

  it("drops the S/MIME signature part but keeps the real attachment", async () => {
    const message = await parse("smime-signed.eml");
    expect(message.contentType).toBe("multipart/signed");
    expect(message.text).toBe("Signed body with a logo.\n");
    expect(message.attachments).toEqual([
      { filename: "logo.png", contentType: "image/png", content: expect.any(Uint8Array), size: PNG_SIZE, disposition: "attachment" },
    ]);
  });

  it("drops a PGP signature part", async () => {
    const message = await parse("pgp-signed.eml");
    expect(message.text).toBe("PGP signed body.\n");
    expect(message.attachments).toEqual([]);
  });

  it("reads a mail without Content-Type as plain text, contentType unknown", async () => {
    const message = await parse("no-content-type.eml");
    expect(message).not.toHaveProperty("contentType");
    expect(message.text).toBe("Test.\n");
    expect(message.messageId).toBe("nocontenttype-1@customer.example");
    expect(message.from).toEqual({ address: "frank@customer.example", name: "Frank Example" });
    expect(message.attachments).toEqual([]);
    expect(message.warnings).toEqual([]);
  });

  it("leaves messageId out when the mail has none", async () => {
    const message = await parse("no-message-id.eml");
    expect(message).not.toHaveProperty("messageId");
    expect(message.text).toBe("Where is my id?\n");
  });

  it("decodes quoted-printable (soft breaks, =3D) and base64 (CRLF normalised)", async () => {
    const qp = await parse("quoted-printable.eml");
    expect(qp.subject).toBe("Quoted-printable überall");
    expect(qp.text).toBe(
      "Ich würde gern die Adresse ändern, die Zeile ist sehr lang und wird weich umbrochen.\nGleichheitszeichen: 1+1=2\n",
    );
    const b64 = await parse("base64.eml");
    expect(b64.subject).toBe("Base64 – ünïcödé");
    expect(b64.text).toBe("Line one ✓\nLine two é\n");
  });

  it("unwraps format=flowed text", async () => {
    const message = await parse("flowed.eml");
    expect(message.text).toBe("This paragraph was wrapped by the mail client, so it comes back as one line.\n\n-- \nFlo\n");
  });

  it("skips an mbox separator line before the headers, with a warning", async () => {
    const message = await parse("mbox-leading-lines.eml");
    expect(message.from?.address).toBe("jake@customer.example");
    expect(message.subject).toBe("Exported from an mbox");
    expect(message.text).toBe("Body after an mbox separator line.\n");
    expect(message.warnings).toEqual(['ignored an mbox "From " line before the header block']);
  });
});

describe("parseRawMime: charsets", () => {
  const cases: [file: string, subject: string, from: string | undefined, text: string][] = [
    ["iso-8859-1.eml", "Café crème brûlée", "René François", "Bonjour, je voudrais un café crème.\nÀ bientôt, René\n"],
    ["windows-1252.eml", "“Smart” quotes cost € 5", "Bill “The Bull”", "The invoice says “€ 5” – that’s wrong…\n"],
    ["iso-2022-jp.eml", "お問い合わせ", "山田太郎", "こんにちは。\nプリンターが壊れました。\n"],
    ["shift-jis.eml", "請求書について", "Suzuki", "請求書が届きません。\n確認してください。\n"],
    ["gbk.eml", "发票问题", "Wang", "您好，我的发票还没有收到。\n谢谢！\n"],
    ["koi8-r.eml", "Проблема с доступом", "Ivan", "Здравствуйте! Не могу войти в систему.\n"],
    // ISO-8859-16 is not in Node 20's TextDecoder: iconv-lite decodes it.
    ["iso-8859-16.eml", "Ședință mâine", "Ion", "Bună ziua, ședința de mâine se mută la ora țintă.\n"],
  ];
  it.each(cases)("%s: subject, display name and body come out as Unicode", async (file, subject, from, text) => {
    const message = await parse(file);
    expect(message.subject).toBe(subject);
    expect(message.headers.subject).toEqual([subject]);
    expect(message.from?.name).toBe(from);
    expect(message.text).toBe(text);
    expect(message.contentType).toBe("text/plain");
    expect(message.warnings).toEqual([]);
  });

  it("reads stray non-UTF-8 bytes in a UTF-8 body as windows-1252, with a warning", async () => {
    const message = await parse("utf8-invalid.eml");
    expect(message.subject).toBe("Überweisung fehlgeschlagen"); // raw UTF-8 header (RFC 6532)
    expect(message.from).toEqual({ address: "juergen@customer.example", name: "Jürgen" });
    expect(message.text).toBe("Valid: naïve café\nInvalid: café and ÿþ end\n");
    expect(message.warnings).toEqual(["text/plain part: 3 byte(s) invalid in utf-8; read as windows-1252"]);
  });

  it("reads raw 8-bit headers in the body's charset, with a warning", async () => {
    const message = await parse("raw-8bit-headers.eml");
    expect(message.subject).toBe("Größe der Datei");
    expect(message.from).toEqual({ address: "zoe@customer.example", name: "Zoë Müller" });
    expect(message.text).toBe("Schöne Grüße\n");
    expect(message.warnings).toEqual([
      "From header: raw 8-bit bytes that are not UTF-8; read as iso-8859-1",
      "Subject header: raw 8-bit bytes that are not UTF-8; read as iso-8859-1",
    ]);
  });

  it("guesses an unknown charset (UTF-8, else windows-1252) and says so", async () => {
    const message = await parse("unknown-charset.eml");
    expect(message.subject).toBe("Qapla'");
    expect(message.text).toBe("nuqneH – bytes that happen to be UTF-8\n");
    expect(message.warnings).toEqual([
      'Subject header: unknown charset "x-klingon"; decoded as UTF-8/windows-1252',
      'text/plain part: unknown charset "x-klingon"; decoded as UTF-8/windows-1252',
    ]);
  });

  it("decodes windows-1252 0x80-0x9F correctly (Node 20's TextDecoder reads them as C1 controls)", async () => {
    const bytes = new Uint8Array([0x80, 0x93, 0x94, 0x96, 0x85]);
    for (const label of ["windows-1252", "cp1252", "iso-8859-1", "latin1"])
      expect(await decodeText(bytes, label, [], "t")).toBe("€“”–…");
  });

  it("never throws on undecodable bytes; warns instead", async () => {
    const warnings: string[] = [];
    expect(await decodeText(new Uint8Array([0x82, 0xff, 0x41]), "shift_jis", warnings, "part")).toContain("A");
    expect(warnings).toEqual(["part: bytes not valid in shift_jis; replaced with U+FFFD"]);
  });

  it("decodes a text part whose charset is unknown to TextDecoder but known to iconv-lite (cp850)", async () => {
    const raw = "Subject: =?cp850?Q?Gr=81=E1e?=\nContent-Type: text/plain; charset=cp850\n\n";
    const bytes = new Uint8Array([...new TextEncoder().encode(raw), 0x47, 0x72, 0x81, 0xe1, 0x65]);
    const message = await parseRawMime(bytes);
    expect(message.subject).toBe("Grüße");
    expect(message.text).toBe("Grüße\n");
    expect(message.warnings).toEqual([]);
  });
});

describe("parseRawMime: bad input never throws", () => {
  it("throws a TypeError only for arguments that are not a string or bytes", async () => {
    for (const bad of [undefined, null, 42, {}, [1, 2], new DataView(new ArrayBuffer(1))])
      await expect(parseRawMime(bad as unknown as string)).rejects.toThrow(TypeError);
  });

  it("empty input", async () => {
    const message = await parseRawMime("");
    expect(message).toEqual({
      mode: "raw",
      inReplyTo: [],
      references: [],
      subject: "",
      replyTo: [],
      to: [],
      cc: [],
      headers: {},
      envelope: { to: [] },
      attachments: [],
      warnings: ["empty message"],
    });
  });

  it("headers only, no body", async () => {
    const message = await parseRawMime("From: a@b.example\r\nSubject: hi");
    expect(message.subject).toBe("hi");
    expect(message.from).toEqual({ address: "a@b.example" });
    expect(message).not.toHaveProperty("text");
  });

  it("an empty body", async () => {
    const message = await parseRawMime("From: a@b.example\nContent-Type: text/plain\n\n");
    expect(message.from?.address).toBe("a@b.example");
    expect(message.text ?? "").toBe("");
    expect(message.attachments).toEqual([]);
  });

  it("binary garbage", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 256);
    const message = await parseRawMime(garbage);
    expect(message.subject).toBe("");
    expect(message.warnings.length).toBeGreaterThan(0);
  });

  it("text without any header", async () => {
    const message = await parseRawMime("just some words\nno headers here\n");
    expect(message.subject).toBe("");
    expect(message.warnings).toContain("no header fields found");
  });

  it("a multipart type whose body has no parts: the body is read as text", async () => {
    const message = await parseRawMime("From: a@b.example\nContent-Type: multipart/alternative; boundary=zzz\n\nHello there.\n");
    expect(message.text).toBe("Hello there.\n");
    expect(message.warnings).toEqual(["multipart/alternative body has no MIME parts; read as plain text"]);
  });

  it("a multipart without boundary, an unterminated part, an unreadable Content-Type", async () => {
    await expect(parseRawMime("Content-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nhi")).resolves.toBeDefined();
    const open = await parseRawMime("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nunterminated");
    expect(open.text).toBe("unterminated\n");
    const odd = await parseRawMime("Content-Type: ???\n\nbody");
    expect(odd).not.toHaveProperty("contentType");
    expect(odd.text).toBe("body\n");
    expect(odd.attachments).toEqual([]);
    expect(odd.warnings).toEqual(['unreadable Content-Type "???"; body read as text/plain']);
  });

  it("a header block over postal-mime's size limit still gives a message", async () => {
    const huge = `Subject: big\nX-Filler: ${"a".repeat(3 * 1024 * 1024)}\n\nbody`;
    const message = await parseRawMime(huge);
    expect(message.subject).toBe("big");
    // Fields over 16 KB are cut to their first and last part before anything parses them (issue 17), so
    // postal-mime no longer gives up on the structure: the body is read as for any mail.
    expect(message.text).toBe("body\n");
    expect(message.warnings.some((w) => w.includes("cut to their first and last part"))).toBe(true);
  });

  it("skips blank lines before the header block (GitLab fixtures have one)", async () => {
    const message = await parseRawMime("\n\nFrom: a@b.example\nSubject: s\n\nbody\n");
    expect(message.subject).toBe("s");
    expect(message.text).toBe("body\n");
    expect(message.warnings).toEqual(["ignored 2 blank line(s) before the header block"]);
  });

  it("recovers an address from a mangled To header", async () => {
    const message = await parseRawMime("To: Desk <desk@x.example>Accept-Language: en-US\nFrom: a@b.example\n\nhi");
    expect(message.to).toEqual([{ address: "desk@x.example" }]);
  });
});

describe("header helpers", () => {
  it("parseMessageIds: brackets, commas, quotes, bare ids, comments, duplicates", () => {
    expect(parseMessageIds(["<a@x> <b@y>"])).toEqual(["a@x", "b@y"]);
    expect(parseMessageIds(["<a@x>,<b@y>"])).toEqual(["a@x", "b@y"]);
    expect(parseMessageIds(['"<a@x>,<b@y>,<c@z>"'])).toEqual(["a@x", "b@y", "c@z"]);
    expect(parseMessageIds(["<a@x>\t<b@y>", "<c@z> <a@x>"])).toEqual(["a@x", "b@y", "c@z"]);
    expect(parseMessageIds(["bare-id@host"])).toEqual(["bare-id@host"]);
    expect(parseMessageIds(["12345"])).toEqual(["12345"]);
    expect(parseMessageIds(["<a@x> (Jake's message of Monday)"])).toEqual(["a@x"]);
    expect(parseMessageIds(["a@x, b@y"])).toEqual(["a@x", "b@y"]);
    expect(parseMessageIds([""])).toEqual([]);
  });

  it("decodeEncodedWords joins a multi-byte character split across two words", async () => {
    // "é" is C3 A9 in UTF-8; each word carries one byte of it.
    expect(await decodeEncodedWords("=?utf-8?Q?caf=C3?= =?utf-8?Q?=A9?=", [], "t")).toBe("café");
    expect(await decodeEncodedWords("=?UTF-8?B?w6k=?= und =?ISO-8859-1?Q?=E9?=", [], "t")).toBe("é und é");
    expect(await decodeEncodedWords("=?utf-8?B?bad base64!!?=", [], "t")).toBeTypeOf("string");
    expect(await decodeEncodedWords("plain =? not encoded", [], "t")).toBe("plain =? not encoded");
  });

  it("parseAddresses: lower-cases, flattens groups, drops entries without an address", () => {
    expect(parseAddresses(["Team: A@B.example, c@d.example;", "undisclosed-recipients:;", "<FROM>"])).toEqual([
      { address: "a@b.example" },
      { address: "c@d.example" },
    ]);
    expect(parseAddresses(['"Doe, John" <JOHN@X.example>'])).toEqual([{ address: "john@x.example", name: "Doe, John" }]);
  });

  it("postal-mime's parse tree is reachable (guards the charset repair against a postal-mime upgrade)", async () => {
    expect(await postalTreeAvailable()).toBe(true);
  });
});
