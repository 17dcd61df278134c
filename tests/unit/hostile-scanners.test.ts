// Hostile-mail bounds in lib/mail/inbound (issue 17): the linear stand-ins for regexes that backtracked find
// exactly what the regexes found (fast-check, seeded, on strings from the characters that matter) and stay
// linear where the regexes were quadratic; header blocks are cut to their limits; big parts decode in pieces.
import fc from "fast-check";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { decodeText, loadIconv, MAX_UTF7_BYTES } from "@/lib/mail/inbound/charset";
import { postalPatched } from "@/lib/mail/inbound/parse-mime";
import { addressesInText, boundHeaderBlock, HEADER_LIMITS, locateHeaderBlock, looseAddresses, parseMessageIds } from "@/lib/mail/inbound/headers";

const LOOSE = /<([^<>\s@]+@[^<>\s@]+)>|([^\s<>"(),;:@]+@[a-z0-9.-]+[a-z0-9])/gi;
const ROUTING = /[^\s<>,;:"]+@[^\s<>,;"]+/g;

// The characters the patterns treat differently, plus a few ordinary and non-ASCII ones.
const alphabet = fc.constantFrom(..."aZ9.-_@<>\"(),;: \t\n\u00a0\u2003éx".split(""));
const text = fc.array(alphabet, { maxLength: 40 }).map((chars) => chars.join(""));
const SEED = 20261203;

// First in this file: the comparison needs postal-mime unpatched before it patches it.
describe("postal-mime, bounded (lib/mail/inbound/parse-mime.ts patches)", () => {
  // Body lines that exercise the patched paths: short and long (past the 256 KB run, cut into pieces), LF and
  // CRLF, stray CRs, lines that start like a boundary, quoted-printable escapes and soft breaks anywhere.
  const fragment = fc.constantFrom("", "a", "--", "--b", "--bx", "=", "=3D", "=4", "=ZZ", "x=", "\r", "é", " ", "QQ==", "AAAA", "--b--");
  const line = fc.oneof(
    { weight: 12, arbitrary: fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join("")) },
    { weight: 1, arbitrary: fc.tuple(fragment, fc.integer({ min: 200_000, max: 700_000 })).map(([unit, length]) => `${unit}a=3Db-`.repeat(length / 8)) },
  );
  const body = fc.tuple(fc.array(line, { maxLength: 8 }), fc.constantFrom("\n", "\r\n")).map(([lines, eol]) => lines.join(eol));
  const part = fc.tuple(fc.constantFrom("7bit", "quoted-printable", "base64"), fc.constantFrom("text/plain", "text/html", "application/octet-stream"), body);
  const mail = fc.tuple(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([parts, multipart]) => {
    const head = "From: a@b.example\r\nSubject: s\r\n";
    const encode = ([encoding, type, text]: [string, string, string]) =>
      `Content-Type: ${type}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${encoding === "base64" ? Buffer.from(text, "latin1").toString("base64").replace(/.{76}/g, "$&\r\n") : text}`;
    if (!multipart) return Buffer.from(head + encode(parts[0]), "latin1");
    return Buffer.from(`${head}Content-Type: multipart/mixed; boundary="b"\r\n\r\n${parts.map((p) => `--b\r\n${encode(p)}\r\n`).join("")}--b--\r\n`, "latin1");
  });
  const summary = async (raw: Uint8Array) => {
    const email = await new PostalMime({ attachmentEncoding: "arraybuffer" }).parse(raw);
    return {
      text: email.text,
      html: email.html,
      attachments: email.attachments.map((a) => ({ ...a, content: Buffer.from(a.content as ArrayBuffer).toString("base64") })),
    };
  };

  it("give exactly what unpatched postal-mime gives", async () => {
    const mails = fc.sample(mail, { numRuns: 400, seed: SEED });
    const unpatched = [];
    for (const raw of mails) unpatched.push(await summary(raw));
    expect(postalPatched()).toBe(true);
    for (const [i, raw] of mails.entries()) expect(await summary(raw), `mail ${i}`).toEqual(unpatched[i]);
  }, 120_000);
});

describe("looseAddresses", () => {
  it("finds what the regex it replaces found", () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(looseAddresses(value)).toEqual([...value.matchAll(LOOSE)].map((m) => m[1] ?? m[2]));
      }),
      { numRuns: 5000, seed: SEED },
    );
  });

  it("reads a 4 MB run without an @ in milliseconds", () => {
    const started = performance.now();
    expect(looseAddresses(`${"a".repeat(4 * 1024 * 1024)} x@y.example`)).toEqual(["x@y.example"]);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("addressesInText", () => {
  it("finds what the regex it replaces found", () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(addressesInText(value)).toEqual(value.match(ROUTING) ?? []);
      }),
      { numRuns: 5000, seed: SEED },
    );
  });

  it("reads a 4 MB run without a usable @ in milliseconds", () => {
    const started = performance.now();
    expect(addressesInText(`${"a".repeat(4 * 1024 * 1024)}@ incoming+key@localhost`)).toEqual(["incoming+key@localhost"]);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("parseMessageIds", () => {
  it("keeps a long References list's first and latest ids", () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `m${i}@x`);
    const kept = parseMessageIds([ids.map((id) => `<${id}>`).join(" ")]);
    expect(kept).toHaveLength(100);
    expect(kept[0]).toBe("m0@x");
    expect(kept.at(-1)).toBe("m4999@x");
  });
});

describe("boundHeaderBlock", () => {
  const bound = (raw: string) => {
    const bytes = new TextEncoder().encode(raw);
    const warnings: string[] = [];
    const out = boundHeaderBlock(bytes, locateHeaderBlock(bytes, []), warnings);
    return { out: out && new TextDecoder().decode(out), warnings };
  };

  it("leaves ordinary header blocks alone", () => {
    expect(bound("From: a@b.example\r\nSubject: hi\r\n\r\nbody").out).toBeUndefined();
  });

  it("cuts a huge field to its first and last part and keeps the body", () => {
    const { out, warnings } = bound(`Subject: start ${"word ".repeat(100_000)}end\r\nTo: x@y.example\r\n\r\nthe body`);
    expect(out!.length).toBeLessThan(HEADER_LIMITS.maxFieldBytes + 200);
    expect(out).toMatch(/^Subject: start word/);
    expect(out).toMatch(/word end\r\nTo: x@y\.example\r\n\r\nthe body$/);
    expect(warnings).toEqual([expect.stringContaining("cut to their first and last part")]);
  });

  it("leaves out fields past the limits", () => {
    const { out, warnings } = bound(`${"X-Field: value\r\n".repeat(2000)}\r\nbody`);
    expect(out!.split("\r\n").filter((line) => line.startsWith("X-Field"))).toHaveLength(HEADER_LIMITS.maxFields);
    expect(out!.endsWith("\r\n\r\nbody")).toBe(true);
    expect(warnings).toEqual([expect.stringContaining("left out")]);
  });
});

describe("decodeText of big parts", () => {
  it("decodes in pieces exactly as in one go", async () => {
    const koi8 = new Uint8Array(5 * 1024 * 1024 + 3).map((_, i) => 0xc0 + (i % 64));
    expect(await decodeText(koi8, "koi8-r", [], "part")).toBe(new TextDecoder("koi8-r").decode(koi8));
    const latin10 = new Uint8Array(3 * 1024 * 1024 + 1).map((_, i) => 0x41 + (i % 190));
    const iconv = (await loadIconv())!;
    expect(await decodeText(latin10, "iso-8859-16", [], "part")).toBe(iconv.decode(latin10, "iso-8859-16"));
  });

  it("reads only the first MB of a UTF-7 part, and says so", async () => {
    const warnings: string[] = [];
    const text = await decodeText(new TextEncoder().encode("+AOk-t+AOk- ".repeat(200_000)), "utf-7", warnings, "text/plain part");
    expect(text.startsWith("été été")).toBe(true);
    expect(text.length).toBeLessThan(MAX_UTF7_BYTES);
    expect(warnings).toEqual([expect.stringContaining("only the first MB was read")]);
  });
});
