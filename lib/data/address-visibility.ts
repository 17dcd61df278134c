// Who sees which address: the one rule the data functions apply before anything leaves lib/data (so pages,
// the REST API and the CLI cannot disagree). Customers' addresses: in full from Reporter up, masked the GitLab
// way below. The project's own Service Desk addresses: Maintainer and up. Members' emails: Maintainer and up.
import { can, type Role } from "@/lib/auth/roles";
import { isOwnAddress, keyFromAddress } from "@/lib/service-desk/address";

// A fixed run of stars, so the mask tells nothing about the length of what it hides.
const STARS = "****";

/**
 * `jake@customer.example` → `j****@c****.example` (GitLab's obfuscated form): the first character of the
 * local part and of the domain, and the top-level domain; subdomains and lengths stay hidden.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  const local = at < 0 ? email : email.slice(0, at);
  const domain = at < 0 ? "" : email.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : "";
  return `${local.slice(0, 1)}${STARS}@${host.slice(0, 1)}${STARS}${tld}`;
}

// Addresses inside a routing reason ("To: a@b; References: <id>"); Message-IDs in <…> are not addresses of ours.
const ADDRESS_IN_TEXT = /[^\s;<>,()]+@[^\s;<>,()]+/g;

function describeOwnAddress(address: string): string {
  return keyFromAddress(address)?.kind === "reply" ? "the issue's reply address" : "the project's Service Desk address";
}

/**
 * A short name for how a mail was routed, from the routing reason intake stored: "To: <address>" (or another
 * address header), "References: <id>", or an address followed by "; References: …". Names no address, so it
 * is the same for everyone who may see the thread's mail details.
 */
export function routeLabel(reason: string | null): string {
  if (!reason) return "email";
  const [first, ...rest] = reason.split("; ");
  const threaded = rest.some((part) => part.startsWith("References"));
  if (first.startsWith("References")) return /<reply-[0-9a-f]{32}@/i.test(first) ? "reply key (References)" : "References / In-Reply-To";
  const match = /^([^:]+): (\S+)$/.exec(first);
  if (!match) return "email";
  const [, where, address] = match;
  if (keyFromAddress(address)?.kind === "reply") return `reply key (${where})`;
  return threaded ? `References / In-Reply-To (sent to the Service Desk address)` : `Service Desk address (${where})`;
}

export interface AddressRule {
  /** Customers' (external) addresses in full; else masked, and not searchable. */
  seesCustomerAddresses: boolean;
  /** The project's incoming+…, alias and reply addresses. */
  seesServiceDeskAddress: boolean;
  /** Members' email addresses. */
  seesMemberEmails: boolean;
  /** A customer's address as this actor may see it. */
  customer<T extends string | null>(email: T): T;
  /** A member's email, or null for actors who see names and usernames only. */
  memberEmail(email: string): string | null;
  /** A stored routing reason with our own addresses described (and customers' masked) where not visible. */
  routingReason(reason: string | null): string | null;
}

/** The address rule for a role in a project (instance admins arrive here as Owners, see access.ts). */
export function addressRule(role: Role | null): AddressRule {
  const seesCustomerAddresses = can(role, "customer:address");
  const seesServiceDeskAddress = can(role, "service_desk:address");
  const seesMemberEmails = can(role, "member:email");
  const customer = <T extends string | null>(email: T): T => (email === null || seesCustomerAddresses ? email : (maskEmail(email) as T));
  return {
    seesCustomerAddresses,
    seesServiceDeskAddress,
    seesMemberEmails,
    customer,
    memberEmail: (email) => (seesMemberEmails ? email : null),
    routingReason: (reason) => {
      if (reason === null || (seesServiceDeskAddress && seesCustomerAddresses)) return reason;
      return reason.replace(ADDRESS_IN_TEXT, (address) =>
        isOwnAddress(address) ? (seesServiceDeskAddress ? address : describeOwnAddress(address)) : customer(address),
      );
    },
  };
}
