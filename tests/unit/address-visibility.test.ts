// The address rule on its own: GitLab's mask, and routing reasons cut to the role (our addresses described
// below Maintainer, customers' masked below Reporter).
import { describe, expect, it } from "vitest";
import { addressRule, maskEmail } from "@/lib/data/address-visibility";

// env's defaults: INCOMING_EMAIL_ADDRESS incoming+%{key}@localhost.
const OURS = "incoming+acme-desk-7-issue-@localhost";
const REPLY = "incoming+0123456789abcdef0123456789abcdef@localhost";

describe("maskEmail", () => {
  it("keeps the first characters and the top-level domain, never the length", () => {
    expect(maskEmail("jake@customer.example")).toBe("j****@c****.example");
    expect(maskEmail("j@c.example")).toBe("j****@c****.example");
    expect(maskEmail("Someone.Long@mail.customer.co.uk")).toBe("S****@m****.uk");
    expect(maskEmail("local@host")).toBe("l****@h****");
  });
});

describe("addressRule", () => {
  it("shows customers in full from Reporter up", () => {
    expect(addressRule("GUEST").customer("jake@customer.example")).toBe("j****@c****.example");
    expect(addressRule(null).customer("jake@customer.example")).toBe("j****@c****.example");
    for (const role of ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"] as const) expect(addressRule(role).customer("jake@customer.example")).toBe("jake@customer.example");
    expect(addressRule("GUEST").customer(null)).toBeNull();
  });

  it("describes our own addresses in routing reasons below Maintainer", () => {
    const reporter = addressRule("DEVELOPER");
    expect(reporter.routingReason(`To: ${OURS}`)).toBe("To: the project's Service Desk address");
    expect(reporter.routingReason(`Cc: ${REPLY}; References: <reply-0123456789abcdef0123456789abcdef@localhost>`)).toBe(
      "Cc: the issue's reply address; References: <reply-0123456789abcdef0123456789abcdef@localhost>",
    );
    expect(addressRule("MAINTAINER").routingReason(`To: ${OURS}`)).toBe(`To: ${OURS}`);
    expect(reporter.routingReason(null)).toBeNull();
  });

  it("masks a customer's address inside a reason below Reporter", () => {
    expect(addressRule("GUEST").routingReason("Rate limit: more than 10 new requests from jake@customer.example this hour.")).toBe(
      "Rate limit: more than 10 new requests from j****@c****.example this hour.",
    );
  });

  it("shows members' emails to Maintainers and up only", () => {
    expect(addressRule("DEVELOPER").memberEmail("dev@example.test")).toBeNull();
    expect(addressRule("MAINTAINER").memberEmail("dev@example.test")).toBe("dev@example.test");
  });
});
