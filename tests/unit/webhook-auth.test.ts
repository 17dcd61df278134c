// Inbound webhook authentication: SendGrid's signed Security Policy, else the shared secret (basic auth or
// ?token=), else open only outside production.
import { generateKeyPairSync, sign } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { resetEnv } from "@/lib/env";
import { authenticateInbound } from "@/lib/service-desk/webhook-auth";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  resetEnv();
});

function configure(vars: Record<string, string | undefined>) {
  for (const key of ["SENDGRID_INBOUND_SECRET", "SENDGRID_INBOUND_PUBLIC_KEY"]) delete process.env[key];
  Object.assign(process.env, vars);
  resetEnv();
}

const body = new TextEncoder().encode("--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nhi\r\n--x--\r\n");
const request = (url = "http://localhost/api/inbound/sendgrid", headers: Record<string, string> = {}) => new Request(url, { method: "POST", headers });
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`sendgrid:${password}`).toString("base64")}` });

describe("shared secret", () => {
  it("accepts the secret as basic-auth password (any user) or as ?token=", () => {
    configure({ SENDGRID_INBOUND_SECRET: "hook-s3cret" });
    expect(authenticateInbound(request(undefined, basic("hook-s3cret")), body)).toEqual({ ok: true });
    expect(authenticateInbound(request("http://localhost/api/inbound/sendgrid?token=hook-s3cret"), body)).toEqual({ ok: true });
  });

  it.each([
    ["no credentials", request()],
    ["a wrong password", request(undefined, basic("guess"))],
    ["a prefix of the secret", request(undefined, basic("hook-s3cre"))],
    ["a wrong token", request("http://localhost/api/inbound/sendgrid?token=nope")],
    ["a bearer header", request(undefined, { authorization: "Bearer hook-s3cret" })],
  ])("refuses %s", (_what, req) => {
    configure({ SENDGRID_INBOUND_SECRET: "hook-s3cret" });
    expect(authenticateInbound(req, body).ok).toBe(false);
  });
});

describe("signed Security Policy", () => {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const publicKeyBase64 = publicKey.export({ format: "der", type: "spki" }).toString("base64");
  const signed = (timestamp: string, payload: Uint8Array) => sign("sha256", Buffer.concat([Buffer.from(timestamp), payload]), privateKey).toString("base64");
  const headers = (signature: string, timestamp: string) => ({
    "x-twilio-email-event-webhook-signature": signature,
    "x-twilio-email-event-webhook-timestamp": timestamp,
  });

  it("accepts a valid signature over timestamp + exact body", () => {
    configure({ SENDGRID_INBOUND_PUBLIC_KEY: publicKeyBase64, SENDGRID_INBOUND_SECRET: "ignored-when-signed" });
    expect(authenticateInbound(request(undefined, headers(signed("1795555555", body), "1795555555")), body)).toEqual({ ok: true });
  });

  it("refuses a changed body, a changed timestamp, a missing signature and the secret alone", () => {
    configure({ SENDGRID_INBOUND_PUBLIC_KEY: publicKeyBase64, SENDGRID_INBOUND_SECRET: "ignored-when-signed" });
    const signature = signed("1795555555", body);
    const tampered = new Uint8Array(body);
    tampered[tampered.length - 5] ^= 1;
    expect(authenticateInbound(request(undefined, headers(signature, "1795555555")), tampered).ok).toBe(false);
    expect(authenticateInbound(request(undefined, headers(signature, "1795555556")), body).ok).toBe(false);
    expect(authenticateInbound(request(), body).ok).toBe(false);
    expect(authenticateInbound(request(undefined, basic("ignored-when-signed")), body).ok).toBe(false);
  });
});

describe("unconfigured", () => {
  it("is open in development (so `mail:send` works out of the box)", () => {
    configure({});
    expect(authenticateInbound(request(), body)).toEqual({ ok: true });
  });
});
