// Property test (fast-check, seeded): randomly mutated mails in both SendGrid modes never make intake throw, end in a known status, keep the exact stored payload, and record an error when failed.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { db } from "@/lib/db/client";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import { projectKey } from "@/lib/service-desk/address";
import { processInbound, storeInbound, type IntakeOutcome, type IntakeStatus } from "@/lib/service-desk/intake";
import * as intakeQueries from "@/lib/service-desk/intake-queries";
import { deliver, eml } from "../support/mail";
import { makeUser, uniqueProjectPath } from "./helpers";

const MODES = ["raw", "parsed"] as const;
// INTAKE_FUZZ_RUNS / INTAKE_FUZZ_SEED: a longer or different local hunt; the defaults keep a run within seconds.
const RUNS_PER_MODE = Number(process.env.INTAKE_FUZZ_RUNS) || 30;
const SEED = Number(process.env.INTAKE_FUZZ_SEED) || 20261124;
const ALLOWED: ReadonlySet<IntakeStatus> = new Set(["created_issue", "added_note", "duplicate", "ignored", "rejected", "spam", "failed"]);

// ---------------------------------------------------------------------------------------------------------
// Valid mails to start from (held as latin1 strings: one character per byte)

const latin1 = (text: string) => Buffer.from(text, "utf8").toString("latin1");
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");

const FIXTURES = path.resolve(__dirname, "../fixtures/mail");
const seeds: { name: string; raw: string }[] = [
  { name: "eml()", raw: latin1(eml({ messageId: "fuzz-plain@customer.example" })) },
  {
    name: "eml() with everything",
    raw: latin1(
      eml({
        messageId: "fuzz-full@customer.example",
        from: "Jöns Kündé <jons@customer.example>",
        cc: "Colleague <colleague@customer.example>, other@customer.example",
        replyTo: "jons.private@customer.example",
        subject: "=?utf-8?B?w5xtbGF1dGUgdW5kIOKCrA==?= in the subject",
        inReplyTo: "<earlier@customer.example>",
        references: "<first@customer.example> <earlier@customer.example>",
        body: "Grüße,\n\n> quoted line\n\nOn Tue, someone wrote:\n> more\n\n-- \nJöns",
        attachment: { filename: "pixel.png", contentType: "image/png", content: PNG },
      }),
    ),
  },
  ...(existsSync(FIXTURES)
    ? readdirSync(FIXTURES)
        .filter((name) => name.endsWith(".eml"))
        .sort()
        .map((name) => ({ name, raw: readFileSync(path.join(FIXTURES, name)).toString("latin1") }))
    : []),
];

// ---------------------------------------------------------------------------------------------------------
// Mutations. Large values are kept as descriptions so a counterexample prints short.

type Text = { kind: "text"; value: string } | { kind: "huge"; unit: string; times: number };
const render = (text: Text) => latin1(text.kind === "huge" ? text.unit.repeat(text.times) : text.value);

const SPECIAL_VALUES = [
  "",
  " ",
  "<>",
  "<@>",
  "\u0000",
  "nul\u0000inside",
  "a\r\nInjected: yes",
  "\r\n\r\nbody starts here",
  "=?utf-8?B?////?=",
  "=?x-unknown?Q?=FF=FE?=",
  "=?utf-8?Q?unterminated",
  "undisclosed-recipients:;",
  '"" <>',
  "<reply-00000000000000000000000000000000@localhost>",
  "incoming+a-1-issue-@localhost, incoming+../../x@localhost",
  "\ud800 lone surrogate",
  "\ufeffBOM",
];

const textArb: fc.Arbitrary<Text> = fc.oneof(
  fc.string({ maxLength: 60 }).map((value): Text => ({ kind: "text", value })),
  fc.string({ unit: "grapheme", maxLength: 30 }).map((value): Text => ({ kind: "text", value })),
  fc.string({ unit: "binary", maxLength: 30 }).map((value): Text => ({ kind: "text", value })),
  fc.constantFrom(...SPECIAL_VALUES).map((value): Text => ({ kind: "text", value })),
  fc
    .record({
      unit: fc.constantFrom("a", "é", "日本", "💥", "<x@y.example>, ", "=?utf-8?Q?=C3=A9?= ", "\u0000"),
      times: fc.constantFrom(1_000, 20_000, 120_000),
    })
    .map((huge): Text => ({ kind: "huge", ...huge })),
);

const HEADER_NAMES = [
  "Subject", "From", "To", "Cc", "Reply-To", "Sender", "Message-ID", "In-Reply-To", "References", "Date",
  "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version", "Auto-Submitted",
  "Return-Path", "Delivered-To", "X-Original-To", "Precedence",
];

const CHARSETS = [
  "utf-8", "UTF-16", "utf-16le", "utf-32", "utf-7", "iso-2022-jp", "shift_jis", "gb18030", "big5", "koi8-r",
  "windows-1252", "iso-8859-16", "x-unknown", "unicode-1-1-utf-7", "binary", "", "../../etc/passwd",
  "us-ascii", "ebcdic-cp-us", "hz-gb-2312", "utf8mb4",
];

const CONTENT_TYPES = [
  "multipart/mixed", "multipart/alternative; boundary=", "text/html; charset=utf-8", "message/rfc822",
  "multipart/report; report-type=delivery-status", "application/octet-stream", ";;;", "text/", "/",
  'multipart/signed; protocol="application/pkcs7-signature"', 'text/plain; charset="', "image/png; name=x.png",
  "multipart/related; boundary=\"\"; type=text/html",
];

const fraction = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 10_000);

type Mutation =
  | { op: "truncate"; at: number }
  | { op: "flip"; at: number; byte: number }
  | { op: "insert"; at: number; bytes: number[] }
  | { op: "dropHeader"; index: number }
  | { op: "dupHeader"; index: number }
  | { op: "setHeader"; name: string; value: Text; append: boolean }
  | { op: "boundary"; how: "rename" | "unclose" | "empty" | "stripParts" | "nest" }
  | { op: "contentType"; value: string }
  | { op: "charset"; name: string }
  | { op: "encodedSubject"; charset: string; encoding: "B" | "Q"; bytes: number[] }
  | { op: "transferEncoding"; value: string };

const byteArb = fc.integer({ min: 0, max: 255 });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fraction.map((at): Mutation => ({ op: "truncate", at })),
  fc.record({ at: fraction, byte: byteArb }).map((m): Mutation => ({ op: "flip", ...m })),
  fc.record({ at: fraction, bytes: fc.array(byteArb, { minLength: 1, maxLength: 16 }) }).map((m): Mutation => ({ op: "insert", ...m })),
  fc.nat(40).map((index): Mutation => ({ op: "dropHeader", index })),
  fc.nat(40).map((index): Mutation => ({ op: "dupHeader", index })),
  fc
    .record({ name: fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.string({ minLength: 1, maxLength: 20 })), value: textArb, append: fc.boolean() })
    .map((m): Mutation => ({ op: "setHeader", ...m })),
  fc.constantFrom("rename", "unclose", "empty", "stripParts", "nest").map((how): Mutation => ({ op: "boundary", how })),
  fc.oneof(fc.constantFrom(...CONTENT_TYPES), fc.string({ maxLength: 40 })).map((value): Mutation => ({ op: "contentType", value })),
  fc.oneof(fc.constantFrom(...CHARSETS), fc.string({ maxLength: 20 })).map((name): Mutation => ({ op: "charset", name })),
  fc
    .record({
      charset: fc.oneof(fc.constantFrom(...CHARSETS), fc.string({ maxLength: 12 })),
      encoding: fc.constantFrom("B" as const, "Q" as const),
      bytes: fc.array(byteArb, { maxLength: 40 }),
    })
    .map((m): Mutation => ({ op: "encodedSubject", ...m })),
  fc.constantFrom("base64", "quoted-printable", "8bit", "binary", "x-uuencode", "garbage").map((value): Mutation => ({ op: "transferEncoding", value })),
);

interface Parts {
  lead: string;
  fields: string[];
  nl: string;
  rest: string;
}

function split(raw: string): Parts {
  const lead = /^(?:\r?\n)*/.exec(raw)![0];
  const after = raw.slice(lead.length);
  const end = /\r?\n\r?\n/.exec(after);
  const head = end ? after.slice(0, end.index) : after;
  const nl = head.includes("\r\n") ? "\r\n" : "\n";
  const fields: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += nl + line;
    else fields.push(line);
  }
  return { lead, fields, nl, rest: end ? after.slice(end.index) : "" };
}

const join = (parts: Parts) => parts.lead + parts.fields.join(parts.nl) + parts.rest;
const fieldName = (field: string) => field.split(":")[0].trim().toLowerCase();

function setHeader(raw: string, name: string, value: string, append = false): string {
  const parts = split(raw);
  const line = `${name}: ${value}`;
  const index = parts.fields.findIndex((field) => fieldName(field) === name.toLowerCase());
  if (index >= 0 && !append) parts.fields[index] = line;
  else parts.fields.push(line);
  return join(parts);
}

const at = (raw: string, fractionOfLength: number) => Math.min(raw.length, Math.floor(fractionOfLength * raw.length));

function mutate(raw: string, m: Mutation): string {
  switch (m.op) {
    case "truncate":
      return raw.slice(0, at(raw, m.at));
    case "flip": {
      const i = Math.min(at(raw, m.at), raw.length - 1);
      return i < 0 ? raw : raw.slice(0, i) + String.fromCharCode(m.byte) + raw.slice(i + 1);
    }
    case "insert": {
      const i = at(raw, m.at);
      return raw.slice(0, i) + String.fromCharCode(...m.bytes) + raw.slice(i);
    }
    case "dropHeader":
    case "dupHeader": {
      const parts = split(raw);
      if (!parts.fields.length) return raw;
      const i = m.index % parts.fields.length;
      if (m.op === "dropHeader") parts.fields.splice(i, 1);
      else parts.fields.splice(i, 0, parts.fields[i]);
      return join(parts);
    }
    case "setHeader":
      return setHeader(raw, m.name, render(m.value), m.append);
    case "boundary": {
      const boundary = /boundary\s*=\s*"?([^";\s]+)"?/i.exec(raw)?.[1];
      // Without a boundary: announce multipart parts that are not there.
      if (!boundary) return setHeader(raw, "Content-Type", 'multipart/mixed; boundary="not-there"');
      const b = boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      switch (m.how) {
        case "rename":
          return raw.replace(/boundary\s*=\s*"?[^";\s]+"?/i, `boundary="${boundary}X"`);
        case "unclose":
          return raw.replace(new RegExp(`--${b}--`, "g"), "");
        case "empty":
          return raw.replace(/boundary\s*=\s*"?[^";\s]+"?/i, 'boundary=""');
        case "stripParts":
          return raw.replace(new RegExp(`^--${b}(--)?\\s*$`, "gm"), "");
        case "nest":
          return raw.replace(`--${boundary}\r\n`, `--${boundary}\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n--${boundary}\r\n`);
      }
      return raw;
    }
    case "contentType":
      return setHeader(raw, "Content-Type", latin1(m.value));
    case "charset": {
      const name = latin1(m.name);
      return /charset\s*=/i.test(raw)
        ? raw.replace(/charset\s*=\s*"?[^";\s]*"?/gi, `charset="${name}"`)
        : setHeader(raw, "Content-Type", `text/plain; charset="${name}"`);
    }
    case "encodedSubject": {
      const bytes = Buffer.from(m.bytes);
      const text = m.encoding === "B" ? bytes.toString("base64") : [...bytes].map((byte) => `=${byte.toString(16).padStart(2, "0")}`).join("");
      return setHeader(raw, "Subject", `=?${latin1(m.charset)}?${m.encoding}?${text}?= tail`);
    }
    case "transferEncoding":
      return setHeader(raw, "Content-Transfer-Encoding", m.value);
  }
}

/** A change to the request SendGrid would post (rarely: most runs keep the request intact). */
type PayloadMutation = { op: "none" } | { op: "truncate"; at: number } | { op: "flip"; at: number; byte: number } | { op: "contentType"; value: string };

const payloadArb: fc.Arbitrary<PayloadMutation> = fc.oneof(
  { arbitrary: fc.constant<PayloadMutation>({ op: "none" }), weight: 8 },
  { arbitrary: fraction.map((at): PayloadMutation => ({ op: "truncate", at })), weight: 1 },
  { arbitrary: fc.record({ at: fraction, byte: byteArb }).map((m): PayloadMutation => ({ op: "flip", ...m })), weight: 1 },
  {
    arbitrary: fc
      .constantFrom("", "text/plain", "multipart/form-data", "multipart/form-data; boundary=wrong", "application/x-www-form-urlencoded", "multipart/form-data; boundary=\"\"")
      .map((value): PayloadMutation => ({ op: "contentType", value })),
    weight: 1,
  },
);

function mutatePayload(body: Uint8Array, contentType: string, m: PayloadMutation): { body: Uint8Array; contentType: string } {
  switch (m.op) {
    case "none":
      return { body, contentType };
    case "truncate":
      return { body: body.slice(0, Math.floor(m.at * body.length)), contentType };
    case "flip": {
      const copy = body.slice();
      if (copy.length) copy[Math.min(copy.length - 1, Math.floor(m.at * copy.length))] = m.byte;
      return { body: copy, contentType };
    }
    case "contentType":
      return { body, contentType: m.value };
  }
}

const inputArb = fc.record({
  seed: fc.nat(seeds.length - 1),
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
  target: fc.constantFrom("new" as const, "reply" as const),
  spamScore: fc.constantFrom(undefined, 0, 12),
  payload: payloadArb,
});

// ---------------------------------------------------------------------------------------------------------

async function serviceDeskProject(): Promise<{ id: number; address: string }> {
  const owner = await makeUser("owner");
  const project = await createProject(owner, uniqueProjectPath("fz"));
  await setServiceDeskEnabled(owner, project.fullPath, true);
  return { id: project.id, address: `incoming+${projectKey(project)}@localhost` };
}

const failures: { mode: string; mail: string; error: string | null }[] = [];

describe("intake under mutated mail (fast-check)", () => {
  let replyAddress = "";

  beforeAll(async () => {
    // One thread for the runs that answer an issue (replies have no rate limit, so one is enough).
    const project = await serviceDeskProject();
    expect((await deliver(eml({ to: project.address }))).status).toBe("created_issue");
    const { replyKey } = await db().sentNotification.findFirstOrThrow({ where: { projectId: project.id } });
    replyAddress = `incoming+${replyKey}@localhost`;
  });

  afterAll(() => {
    // `failed` is allowed by the properties, but each one is a bug to look at (a replay would fail again).
    if (failures.length) console.warn(`intake-fuzz: ${failures.length} run(s) ended as failed:\n${JSON.stringify(failures, null, 2)}`);
  });

  it("has mails to mutate", () => {
    expect(seeds.length).toBeGreaterThanOrEqual(2);
  });

  it.each(MODES.map((mode, index) => [mode, SEED + index] as const))(
    "%s mode: never throws, ends in a known status, keeps the payload, records why it failed (seed %i)",
    async (mode, seed) => {
      await fc.assert(
        fc.asyncProperty(inputArb, async (input) => {
          const raw = input.mutations.reduce(mutate, seeds[input.seed].raw);
          // A fresh project per new request: the per-sender rate limit must not hide the deeper paths.
          const to = input.target === "reply" ? replyAddress : (await serviceDeskProject()).address;
          const request = await buildSendGridRequest(new Uint8Array(Buffer.from(raw, "latin1")), mode, {
            to: [to],
            ...(input.spamScore !== undefined ? { spamScore: input.spamScore } : {}),
          });
          const { body, contentType } = mutatePayload(request.body, request.contentType, input.payload);

          const id = await storeInbound(body, contentType);
          let outcome: IntakeOutcome;
          try {
            outcome = await processInbound(id);
          } catch (error) {
            throw new Error(`processInbound threw: ${String(error)}`);
          }

          expect(ALLOWED.has(outcome.status)).toBe(true);
          expect(outcome.inboundEmailId).toBe(id);
          const row = await db().inboundEmail.findUniqueOrThrow({ where: { id } });
          expect(Buffer.from(row.payload).equals(Buffer.from(body))).toBe(true);
          expect(row.payloadContentType).toBe(contentType);
          expect(row.size).toBe(body.byteLength);
          expect(row.status).toBe(outcome.status);
          if (outcome.status === "created_issue" || outcome.status === "added_note") expect(outcome.issueIid).toBeGreaterThan(0);
          if (outcome.status === "failed") {
            expect(row.error?.trim()).toBeTruthy();
            failures.push({ mode, mail: seeds[input.seed].name, error: row.error });
          }
        }),
        { numRuns: RUNS_PER_MODE, seed, endOnFailure: true },
      );
    },
    Math.max(60_000, RUNS_PER_MODE * 1_000),
  );
});

describe("regressions found by this fuzzer", () => {
  // Postgres (and PGlite) text cannot hold U+0000. A mail whose subject, body, Message-ID or part type
  // decodes to a NUL character ended `failed` with "invalid byte sequence for encoding UTF8: 0x00", and a
  // replay failed the same way: the customer's mail was never taken.
  const nulMails: [string, (to: string) => string][] = [
    ["subject", (to) => eml({ to, subject: "Printer\u0000on fire" })],
    ["encoded-word subject", (to) => eml({ to, subject: "=?utf-8?B?YQBi?=" })],
    ["body", (to) => eml({ to, body: "hello\u0000world" })],
    ["quoted-printable body", (to) => eml({ to, body: "hello=00world", headers: { "Content-Transfer-Encoding": "quoted-printable" } })],
    ["Message-ID", (to) => eml({ to, messageId: `nul\u0000${Date.now()}@customer.example` })],
    ["attachment type", (to) => eml({ to, attachment: { filename: "a.txt", contentType: "text/pl\u0000ain", content: Buffer.from("x") } })],
  ];

  it.each(MODES)("%s mode: a NUL character in the subject, body, Message-ID or part type does not keep the mail from being taken", async (mode) => {
    const results: Record<string, { status: string; error: string | null; nulStored: boolean }> = {};
    for (const [what, make] of nulMails) {
      const project = await serviceDeskProject();
      const outcome = await deliver(make(project.address), mode);
      const row = await db().inboundEmail.findUniqueOrThrow({ where: { id: outcome.inboundEmailId } });
      const issue = await db().issue.findFirst({ where: { projectId: project.id } });
      results[what] = { status: outcome.status, error: row.error, nulStored: !!issue && (issue.title + issue.description).includes("\u0000") };
    }
    const taken = { status: "created_issue", error: null, nulStored: false };
    expect(results).toEqual(Object.fromEntries(nulMails.map(([what]) => [what, taken])));
  });

  // Counterexample of seed 778 (parsed mode, INTAKE_FUZZ_RUNS=600): a NUL in Auto-Submitted was quoted in the
  // `ignored` reason, writing the reason failed, and intake's early exits returned `finish(…)` inside its try
  // without awaiting it, so the rejection escaped the catch: processInbound threw, the row stayed `received`
  // with no error, and neither the failed list nor `inbound:replay --failed` ever saw it.
  it.each(MODES)("%s mode: a NUL in a header quoted in the outcome's reason does not make processInbound throw", async (mode) => {
    const project = await serviceDeskProject();
    const { body, contentType } = await buildSendGridRequest(eml({ to: project.address, headers: { "Auto-Submitted": "auto-replied\u0000" } }), mode);
    const id = await storeInbound(body, contentType);
    const outcome = await processInbound(id).catch((error: unknown) => ({ threw: String(error) }));
    expect(outcome).toMatchObject({ status: expect.stringMatching(/^(ignored|failed)$/) });
    expect((await db().inboundEmail.findUniqueOrThrow({ where: { id } })).status).not.toBe("received");
  });

  it("a failure while recording an early outcome ends `failed` with the error instead of throwing", async () => {
    const project = await serviceDeskProject();
    const { body, contentType } = await buildSendGridRequest(eml({ to: project.address, headers: { "X-Autoreply": "yes" } }), "raw");
    const id = await storeInbound(body, contentType);
    const record = intakeQueries.recordInboundOutcome;
    let calls = 0;
    // Call 1 records the `ignored` outcome (with the mail's sender and subject): it fails, once.
    const spy = vi
      .spyOn(intakeQueries, "recordInboundOutcome")
      .mockImplementation((...args: Parameters<typeof record>) => (++calls === 1 ? Promise.reject(new Error("simulated write failure")) : record(...args)));
    const outcome = await processInbound(id)
      .catch((error: unknown) => ({ threw: String(error) }))
      .finally(() => spy.mockRestore());
    expect(outcome).toMatchObject({ status: "failed" });
    expect(await db().inboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "failed", error: expect.stringContaining("simulated write failure") });
  });
});
