// GitLab's own incoming-mail fixtures (the shared corpus, outside the repo) through both SendGrid modes.
// The corpus sits next to the project on the team's machines only; elsewhere these tests are skipped, loudly.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { CORPUS_DIR, corpusPresent, warnCorpusMissing } from "../support/corpus";
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "@/lib/mail/inbound/types";
import { parseRawMime } from "@/lib/mail/inbound/parse-mime";
import { parseSendGridBody } from "@/lib/mail/inbound/parse-sendgrid";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";

const CORPUS = CORPUS_DIR;
const present = corpusPresent;
warnCorpusMissing("tests/unit/inbound-corpus.test.ts");

const files = present ? readdirSync(CORPUS).filter((name) => name.endsWith(".eml")).sort() : [];
const read = (name: string) => new Uint8Array(readFileSync(path.join(CORPUS, name)));
const squash = (text: string | undefined) => text?.replace(/\s+/g, " ").trim();

const essentials = (message: InboundMessage) => ({
  subject: message.subject,
  from: message.from?.address,
  messageId: message.messageId,
  references: message.references,
  text: squash(message.text),
  html: squash(message.html),
  attachments: message.attachments.map((a) => [a.filename, a.size]),
});

describe.skipIf(!present)("GitLab mail corpus", () => {
  it("is there (an empty corpus must not pass silently)", () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  describe.each(files)("%s", (file) => {
    it("parses as raw MIME and survives both SendGrid modes unchanged", async () => {
      const original = await parseRawMime(read(file));
      expect(original.from?.address ?? original.to[0]?.address).toBeTruthy();
      for (const mode of ["raw", "parsed"] as const) {
        const request = await buildSendGridRequest(read(file), mode);
        const received = await parseSendGridBody(request.body, request.contentType);
        expect(received.mode).toBe(mode);
        expect(essentials(received)).toEqual(essentials(original));
      }
    });
  });

  const parse = (file: string) => parseRawMime(read(file));

  it("service_desk_encoding.eml: iso-8859-2 subject and body come out readable", async () => {
    const message = await parse("service_desk_encoding.eml");
    expect(message.subject).toBe("Testing encoding iso-8859-2 ťžščľžťťč");
    expect(message.text).toContain("Body of encoding iso-8859-2 test: ťžščľžťťč");
    expect(message.html).toContain("ťžščľžťťč");
    expect(message.warnings).toEqual([]);
  });

  it("service_desk_reply_illegal_utf8.eml: Shift_JIS body decodes without U+FFFD", async () => {
    const message = await parse("service_desk_reply_illegal_utf8.eml");
    expect(message.text).toContain("ピーター・ジョーンズ");
    expect(message.text).not.toContain("\ufffd");
  });

  it("valid_reply_signed_smime.eml: keeps gitlab_logo.png, drops smime.p7s", async () => {
    const message = await parse("valid_reply_signed_smime.eml");
    expect(message.contentType).toBe("multipart/signed");
    expect(message.attachments.map((a) => [a.filename, a.contentType])).toEqual([["gitlab_logo.png", "image/png"]]);
  });

  it("attachment.eml: bricks.png is a PNG", async () => {
    const [png] = (await parse("attachment.eml")).attachments;
    expect(png.filename).toBe("bricks.png");
    expect(Array.from(png.content.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(png.size).toBe(png.content.length);
  });

  it("References in comma-separated and quoted forms", async () => {
    expect((await parse("valid_reply_with_references_in_comma.eml")).references).toEqual([
      "reply-59d8df8370b7e95c5a49fbf86aeb2c93@localhost",
      "issue_1@localhost",
      "exchange@microsoft.com",
    ]);
    expect((await parse("reply_without_subaddressing_and_key_inside_references_with_a_comma.eml")).references).toEqual([
      "issue_1@localhost",
      "reply-59d8df8370b7e95c5a49fbf86aeb2c93@localhost",
      "exchange@microsoft.com",
    ]);
    expect((await parse("plaintext_only.eml")).references).toEqual([
      "topic/22638@meta.discourse.org",
      "topic/22638/86406@meta.discourse.org",
    ]);
  });

  it("routing headers: both Delivered-To values, Received clauses", async () => {
    expect((await parse("forwarded_new_issue.eml")).headers["delivered-to"]).toEqual([
      "incoming+gitlabhq/gitlabhq+auth_token@appmail.example.com",
      "support@example.com",
    ]);
    const received = (await parse("missing_delivered_to_header.eml")).headers.received.join("\n");
    expect(received).toContain("for <incoming+gitlabhq/gitlabhq+auth_token@appmail.example.com>");
    expect(received).toContain("for <incoming+gitlabhq/gitlabhq@example.com>");
  });

  it("no_content_type.eml and dutch.eml (multipart without parts) still give their text", async () => {
    const plain = await parse("no_content_type.eml");
    expect([plain.contentType, plain.text, plain.attachments]).toEqual([undefined, "Test.\n", []]);
    expect((await parse("dutch.eml")).text).toMatch(/^Dit is een antwoord in het Nederlands\./);
  });

  it("auto_reply.eml keeps X-Autoreply", async () => {
    expect((await parse("auto_reply.eml")).headers["x-autoreply"]).toEqual(["yes"]);
  });
});
