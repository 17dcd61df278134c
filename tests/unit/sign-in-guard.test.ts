// The client a sign-in link request is counted against, and the guard's refusal to run without one.
import { describe, expect, it } from "vitest";
import { clientIp, signInLinkVerdict } from "@/lib/auth/sign-in-guard";

const ip = (headers: Record<string, string>) => clientIp(new Headers(headers));

describe("clientIp", () => {
  it("takes the first X-Forwarded-For entry, else X-Real-IP", () => {
    expect(ip({ "x-forwarded-for": "203.0.113.7, 10.0.0.1, 10.0.0.2" })).toBe("203.0.113.7");
    expect(ip({ "x-forwarded-for": "203.0.113.7", "x-real-ip": "198.51.100.1" })).toBe("203.0.113.7");
    expect(ip({ "x-real-ip": " 198.51.100.1 " })).toBe("198.51.100.1");
    expect(ip({ "x-forwarded-for": "", "x-real-ip": "198.51.100.1" })).toBe("198.51.100.1");
  });

  it("reads the forms proxies and Node write: IPv4-mapped, with a port, bracketed, with a zone", () => {
    expect(ip({ "x-forwarded-for": "::ffff:127.0.0.1" })).toBe("127.0.0.1");
    expect(ip({ "x-forwarded-for": "203.0.113.7:5678" })).toBe("203.0.113.7");
    expect(ip({ "x-forwarded-for": "[2001:db8::1]:443" })).toBe("2001:0db8:0000:0000::/64");
    expect(ip({ "x-forwarded-for": "fe80::1%eth0" })).toBe("fe80:0000:0000:0000::/64");
  });

  it("counts IPv6 clients per /64, however the address is written", () => {
    const bucket = "2001:0db8:0001:0002::/64";
    for (const address of ["2001:db8:1:2:3:4:5:6", "2001:DB8:1:2::1", "2001:0db8:0001:0002:ffff::", "2001:db8:1:2::"])
      expect(ip({ "x-forwarded-for": address })).toBe(bucket);
    expect(ip({ "x-forwarded-for": "2001:db8:1:3::1" })).not.toBe(bucket);
    expect(ip({ "x-forwarded-for": "::1" })).toBe("0000:0000:0000:0000::/64");
  });

  it("puts requests without an address, or with garbage, each in one shared bucket", () => {
    expect(ip({})).toBe("unknown");
    expect(ip({ "x-forwarded-for": " , 10.0.0.1" })).toBe("unknown");
    for (const garbage of ["nonsense", "203.0.113.999", "' OR 1=1 --", "x".repeat(5000)]) expect(ip({ "x-forwarded-for": garbage })).toBe("invalid");
  });
});

describe("signInLinkVerdict", () => {
  it("refuses to decide outside a request whose client is known (so no link escapes the limits)", () => {
    expect(() => signInLinkVerdict("someone@example.com")).toThrow(/outside withSignInRequest/);
  });
});
